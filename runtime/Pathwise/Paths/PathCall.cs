using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// The arguments of one path call as a method received them: the input, the call's own baseline (or none: the
/// options'), and the explained output as a target index or a weighting. Checked by <see cref="PathCall{T}.Begin"/>.
/// </summary>
internal readonly ref struct PathRequest<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private PathRequest(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, bool byTarget, int target, ReadOnlySpan<T> outputCoefficients)
    {
        Input = input;
        Baseline = baseline;
        OwnBaseline = ownBaseline;
        ByTarget = byTarget;
        Target = target;
        OutputCoefficients = outputCoefficients;
    }

    public ReadOnlySpan<T> Input { get; }

    public ReadOnlySpan<T> Baseline { get; }

    public bool OwnBaseline { get; }

    /// <summary>Whether one output, <see cref="Target"/>, is explained (else <see cref="OutputCoefficients"/> weights them).</summary>
    public bool ByTarget { get; }

    /// <summary>The explained output's index, as the caller gave it (checked by <see cref="PathCall{T}.Begin"/>).</summary>
    public int Target { get; }

    public ReadOnlySpan<T> OutputCoefficients { get; }

    /// <summary>Output <paramref name="target"/> at <paramref name="input"/>, from the options' baseline.</summary>
    public static PathRequest<T> ForTarget(ReadOnlySpan<T> input, int target) => new(input, default, false, true, target, default);

    /// <summary>Output <paramref name="target"/> at <paramref name="input"/>, from the call's own <paramref name="baseline"/>.</summary>
    public static PathRequest<T> ForTarget(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target) => new(input, baseline, true, true, target, default);

    /// <summary><c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/>, from the options' baseline.</summary>
    public static PathRequest<T> ForWeights(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients) => new(input, default, false, false, 0, outputCoefficients);

    /// <summary><c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/>, from the call's own <paramref name="baseline"/>.</summary>
    public static PathRequest<T> ForWeights(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients) =>
        new(input, baseline, true, false, 0, outputCoefficients);
}

/// <summary>
/// The checked arguments of the current call of one engine, on the host: the input <c>x</c>, the baseline <c>x'</c>,
/// the direction <c>x - x'</c>, the output weighting (one-hot for a target) and, for region methods, the masked
/// direction <c>(x - x') 1_S</c>. One per engine, so it is rented with it and a warm call allocates nothing.
/// </summary>
internal sealed class PathCall<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathPlan<T> _plan;
    private bool _baselineIsDefault = true;

    public PathCall(PathPlan<T> plan)
    {
        _plan = plan;
        NetworkInfo info = plan.Info;
        Input = new T[info.InputLength];
        Baseline = (T[])plan.Baseline.Clone();
        Direction = new T[info.InputLength];
        OutputCoefficients = new T[info.OutputLength];
        _alphas = plan.Alphas;
        _coefficients = plan.Coefficients;
        Rule = plan.Rule;
        Adaptive = plan.Adaptive is { } adaptive ? new AdaptiveCall<T>(adaptive) : null;
        LayerBaseline = new T[plan.InLayerSpace ? plan.Origin.Size : 0];
        LayerDirection = new T[LayerBaseline.Length];
    }

    /// <summary>
    /// With a path in a hidden layer's activation space (<see cref="PathPlan{T}.Origin"/>), after <see cref="BeginLayerPath"/>:
    /// the path's start <c>y(x')</c>, the layer's activations at the baseline; empty for an input-space path.
    /// </summary>
    public T[] LayerBaseline { get; }

    /// <summary>With a path in a hidden layer's activation space, after <see cref="BeginLayerPath"/>: <c>y(x) - y(x')</c>; empty otherwise.</summary>
    public T[] LayerDirection { get; }

    /// <summary>With the adaptive rule, this call's intervals and error estimates; null otherwise.</summary>
    public AdaptiveCall<T>? Adaptive { get; }

    /// <summary><c>x</c>.</summary>
    public T[] Input { get; }

    /// <summary><c>x'</c>: the options' baseline, or the call's own (see <see cref="OwnBaseline"/>).</summary>
    public T[] Baseline { get; }

    /// <summary>Whether <see cref="Baseline"/> is the call's own rather than the options'.</summary>
    public bool OwnBaseline => !_baselineIsDefault;

    /// <summary><c>x - x'</c>.</summary>
    public T[] Direction { get; }

    /// <summary>The weighting of the explained outputs (one-hot for a target).</summary>
    public T[] OutputCoefficients { get; }

    /// <summary>
    /// The path points of this call: the plan's nodes, or with the exact rule the midpoints of this path's pieces; with
    /// the adaptive rule, the points of the interval being integrated.
    /// </summary>
    public T[] Alphas
    {
        get
        {
            MakePieces();
            return _alphas;
        }

        private set => _alphas = value;
    }

    /// <summary>The weight of each of <see cref="Alphas"/>: the plan's coefficients, or the pieces' lengths.</summary>
    public T[] Coefficients
    {
        get
        {
            MakePieces();
            return _coefficients;
        }

        private set => _coefficients = value;
    }

    private T[] _alphas;
    private T[] _coefficients;

    // The sweep's pieces not yet made into points: a method that integrates from the sweep (IG) never reads them, so
    // its warm calls allocate nothing.
    private bool _piecesPending;

    /// <summary>
    /// The number of path points of this call; once an adaptive call has run, every gradient evaluation it used
    /// (<see cref="ReportPoints"/>).
    /// </summary>
    public int Points => _reportedPoints > 0 ? _reportedPoints : _piecesPending ? _sweep!.Pieces : Alphas.Length;

    private int _reportedPoints;

    /// <summary>The rule this call integrates by: the options', or Gauss–Legendre when an exact path had too many pieces.</summary>
    public QuadratureRule Rule { get; private set; }

    /// <summary><c>(x - x') 1_S</c> after <see cref="SetRegion"/>; empty before.</summary>
    public ReadOnlySpan<T> MaskedDirection => HasRegion ? _masked : default;

    /// <summary>The call's vector named by <paramref name="along"/>: <see cref="Direction"/>, <see cref="MaskedDirection"/> or <see cref="LayerDirection"/>.</summary>
    public ReadOnlySpan<T> Vector(PathVector along) => along switch
    {
        PathVector.Direction => Direction,
        PathVector.MaskedDirection => MaskedDirection,
        PathVector.LayerDirection => LayerDirection,
        _ => throw new ArgumentOutOfRangeException(nameof(along), along, "Unknown path vector."),
    };

    /// <summary>Whether this call has a region (<see cref="SetRegion"/>).</summary>
    public bool HasRegion { get; private set; }

    private T[] _masked = [];

    /// <summary>
    /// Checks the arguments in one order for every method and backend — the target, the input (length, then
    /// finiteness), the call's own baseline, the output weighting — and only then stores them. A call's own baseline
    /// never outlives its call: a call without one puts the options' back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Begin(scoped in PathRequest<T> request)
    {
        NetworkInfo info = _plan.Info;
        bool byTarget = request.ByTarget;
        if (byTarget)
        {
            Guard.Index(request.Target, info.OutputLength, "target");
        }

        Guard.Length(request.Input, info.InputLength, "input");
        Guard.Finite(request.Input, "input");
        if (request.OwnBaseline)
        {
            Guard.Length(request.Baseline, info.InputLength, "baseline");
            Guard.Finite(request.Baseline, "baseline");
        }

        if (!byTarget)
        {
            Guard.Length(request.OutputCoefficients, info.OutputLength, "outputCoefficients");
            Guard.Finite(request.OutputCoefficients, "outputCoefficients");
        }

        // Every argument is checked: only now does the call state change.
        request.Input.CopyTo(Input);
        if (request.OwnBaseline)
        {
            request.Baseline.CopyTo(Baseline);
            _baselineIsDefault = false;
        }
        else if (!_baselineIsDefault)
        {
            _plan.Baseline.AsSpan().CopyTo(Baseline);
            _baselineIsDefault = true;
        }

        if (byTarget)
        {
            OutputCoefficients.AsSpan().Clear();
            OutputCoefficients[request.Target] = T.One;
        }
        else if (!request.OutputCoefficients.Overlaps(OutputCoefficients))
        {
            request.OutputCoefficients.CopyTo(OutputCoefficients);
        }

        for (int i = 0; i < Direction.Length; i++)
        {
            Direction[i] = Input[i] - Baseline[i];
        }

        HasRegion = false;
        _reportedPoints = 0;
        Sweep = null;
        if (!_plan.InLayerSpace)
        {
            StartPath(Baseline, Input);
        }
    }

    /// <summary>
    /// For a plan whose path runs in a hidden layer's activation space, after <see cref="Begin"/>: takes the layer's
    /// activations at the baseline and the input, <paramref name="endpoints"/> <c>[2, layer size]</c> (the engine runs
    /// the network to get them), as the path's ends <c>y(x')</c> and <c>y(x)</c>; with the exact rule, cuts the path
    /// through the layers above into its pieces. When a skip connection passes over the layer, <paramref name="held"/>
    /// gives the values at x of the layers it carries past it, by layer index (they stay there along the path).
    /// </summary>
    public void BeginLayerPath(ReadOnlySpan<T> endpoints, IReadOnlyDictionary<int, double[]>? held = null)
    {
        _held = held;
        int size = LayerBaseline.Length;
        // The options' own start in the layer's space (LayerAttributionOptions.LayerBaseline), else y(x').
        if (_plan.LayerBaseline is { } start)
        {
            start.CopyTo(LayerBaseline);
        }
        else
        {
            endpoints.Slice(0, size).CopyTo(LayerBaseline);
        }

        ReadOnlySpan<T> atInput = endpoints.Slice(size, size);
        for (int j = 0; j < size; j++)
        {
            LayerDirection[j] = atInput[j] - LayerBaseline[j];
        }

        StartPath(LayerBaseline, atInput);
    }

    /// <summary>
    /// The one place a rule sets this call's points from the ends of its path, whatever space the path runs in (the
    /// input's, from <see cref="Begin"/>; a hidden layer's, from <see cref="BeginLayerPath"/>): the plan's fixed nodes
    /// stay; the exact rule cuts the path into its pieces.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StartPath(ReadOnlySpan<T> start, ReadOnlySpan<T> end)
    {
        Sweep = null;
        _piecesPending = false;
        if (_plan.ExactPath is { } exactPath)
        {
            CutIntoPieces(exactPath(), start, end);
        }

        Adaptive?.Begin(start, end);
    }

    /// <summary>With the adaptive rule: runs the next pass on <paramref name="alphas"/> weighted by <paramref name="coefficients"/> (kept, not copied).</summary>
    public void UsePoints(T[] alphas, T[] coefficients)
    {
        _reportedPoints = 0;
        _piecesPending = false;
        Alphas = alphas;
        Coefficients = coefficients;
    }

    /// <summary>With the adaptive rule: the gradient evaluations the finished call used, reported by <see cref="Points"/>.</summary>
    public void ReportPoints(int points) => _reportedPoints = points;

    /// <summary>
    /// Says that accumulator <paramref name="accumulator"/> enters the result multiplied elementwise by
    /// <paramref name="by"/>, so the adaptive rule weighs and reports its errors alike; nothing for the other rules.
    /// Called by a method's steps when they make the accumulator.
    /// </summary>
    public void ScaleErrors(int accumulator, PathVector by) => Adaptive?.ScaleErrors(accumulator, by);

    /// <summary>
    /// With the exact rule on a network whose layers above the path's origin form a <see cref="DenseChain"/>, after
    /// <see cref="Begin"/> (or <see cref="BeginLayerPath"/>): this call's sweep, whose events give the path's integrals
    /// without path points (<see cref="ChainSweep.GradientIntegral{T}"/>); null otherwise, or when the path had too many pieces.
    /// </summary>
    public ChainSweep? Sweep { get; private set; }

    private ChainSweep? _sweep;

    // The values at x of the layers a skip carries past the origin of a layer-space path (BeginLayerPath), or null.
    private IReadOnlyDictionary<int, double[]>? _held;

    /// <summary>
    /// The exact rule's points for this path: one at the middle of each piece, weighted by its length. The breakpoints
    /// are found in float64 from this call's ends (the baseline and input, or their activations at the plan's origin):
    /// by sweeping the events in order on a chain of dense layers (<see cref="ChainSweep"/>, kept as <see cref="Sweep"/>),
    /// else layer by layer (<see cref="PiecewiseLinearPath.Breakpoints"/>). Past the plan's piece limit, the plan's
    /// Gauss–Legendre nodes are used instead. This is the one place the exact rule chooses how to cut a path.
    /// </summary>
    private void CutIntoPieces(PiecewiseLinearPath path, ReadOnlySpan<T> start, ReadOnlySpan<T> end)
    {
        Sweep = null;
        _piecesPending = false;
        if (path.Chain is { } chain)
        {
            _sweep ??= new ChainSweep();
            if (_sweep.Run(chain, start, end, _plan.MaxPieces))
            {
                // The points are made from the sweep's breakpoints when first read (MakePieces).
                Sweep = _sweep;
                _piecesPending = true;
                Rule = QuadratureRule.Exact;
                return;
            }

            FallBack();
            return;
        }

        var baseline = new double[start.Length];
        var input = new double[end.Length];
        for (int i = 0; i < input.Length; i++)
        {
            baseline[i] = double.CreateChecked(start[i]);
            input[i] = double.CreateChecked(end[i]);
        }

        double[] breaks = path.Breakpoints(baseline, input, _plan.MaxPieces, out bool complete, _plan.InLayerSpace ? _held : null);
        if (!complete)
        {
            FallBack();
            return;
        }

        UsePieces(breaks);
        Rule = QuadratureRule.Exact;
    }

    /// <summary>The plan's Gauss–Legendre nodes, for a path with more pieces than the plan allows.</summary>
    private void FallBack()
    {
        _alphas = _plan.Alphas;
        _coefficients = _plan.Coefficients;
        Rule = QuadratureRule.GaussLegendre;
    }

    /// <summary>One point at the middle of each piece between <paramref name="breaks"/>, weighted by its length.</summary>
    private void UsePieces(ReadOnlySpan<double> breaks)
    {
        int pieces = breaks.Length - 1;
        _alphas = new T[pieces];
        _coefficients = new T[pieces];
        for (int p = 0; p < pieces; p++)
        {
            _alphas[p] = T.CreateChecked(0.5 * (breaks[p] + breaks[p + 1]));
            _coefficients[p] = T.CreateChecked(breaks[p + 1] - breaks[p]);
        }
    }

    /// <summary>Makes the sweep's pending pieces into points, the first time they are read.</summary>
    private void MakePieces()
    {
        if (_piecesPending)
        {
            _piecesPending = false;
            UsePieces(_sweep!.Breakpoints);
        }
    }

    /// <summary>
    /// Makes this call the same as <paramref name="other"/>, already begun on another engine of the same plan (a split call's
    /// second half), but without its <see cref="Sweep"/>, which stays with the engine that ran it: a split call runs path points.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void CopyFrom(PathCall<T> other)
    {
        Sweep = null;
        _piecesPending = false;
        other.Input.AsSpan().CopyTo(Input);
        other.Baseline.AsSpan().CopyTo(Baseline);
        _baselineIsDefault = other._baselineIsDefault;
        other.Direction.AsSpan().CopyTo(Direction);
        other.OutputCoefficients.AsSpan().CopyTo(OutputCoefficients);
        other.LayerBaseline.AsSpan().CopyTo(LayerBaseline);
        other.LayerDirection.AsSpan().CopyTo(LayerDirection);
        Alphas = other.Alphas;
        Coefficients = other.Coefficients;
        Rule = other.Rule;
        _reportedPoints = other._reportedPoints;
        if (other.Adaptive is { } adaptive)
        {
            Adaptive!.CopyFrom(adaptive);
        }

        HasRegion = other.HasRegion;
        if (other.HasRegion)
        {
            if (_masked.Length != Direction.Length)
            {
                _masked = new T[Direction.Length];
            }

            other._masked.AsSpan().CopyTo(_masked);
        }
    }

    /// <summary>Sets the masked direction <c>(x - x') 1_S</c> of <paramref name="region"/>, after <see cref="Begin"/>; its length is checked by the caller.</summary>
    public void SetRegion(ReadOnlySpan<bool> region)
    {
        if (_masked.Length != Direction.Length)
        {
            _masked = new T[Direction.Length];
        }

        for (int i = 0; i < _masked.Length; i++)
        {
            _masked[i] = region[i] ? Direction[i] : T.Zero;
        }

        HasRegion = true;
    }
}
