using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>How the default scaling factors of <see cref="InteriorGradients{T}"/> are spread over (0, 1].</summary>
public enum InteriorSpacing
{
    /// <summary><c>a_k = (k + 1) / n</c>.</summary>
    Linear,

    /// <summary><c>a_k = 1000^((k + 1 - n) / (n - 1))</c>: from 0.001 to 1, dense near 0 where saturation starts.</summary>
    Geometric,
}

/// <summary>Settings of <see cref="InteriorGradients{T}"/>.</summary>
/// <remarks>Two settings are equal when their factors are equal element by element (not when they share an array).</remarks>
public sealed record InteriorGradientsOptions
{
    private readonly double[]? _alphas;

    /// <summary>The scaling factors (copied when set); when null, <see cref="Count"/> factors spaced by <see cref="Spacing"/>.</summary>
    public IReadOnlyList<double>? Alphas
    {
        get => _alphas is null ? null : Array.AsReadOnly(_alphas);
        init => _alphas = value is null ? null : [.. value];
    }

    /// <summary>How many default factors, 1 to <see cref="QuadratureNodes.MaxPoints"/> = 1,000,000 (default 20).</summary>
    public int Count { get; init; } = 20;

    /// <summary>How the default factors are spread (default linear).</summary>
    public InteriorSpacing Spacing { get; init; } = InteriorSpacing.Linear;

    /// <summary>The reference input the scaling starts from (default zero, the paper's choice).</summary>
    public Baseline Baseline { get; init; } = Baseline.Zero;

    /// <summary>The factors this configuration stands for, in a new array; throws when one is outside [0, 1] or not finite.</summary>
    public double[] ResolveAlphas()
    {
        if (_alphas is not null)
        {
            if (_alphas.Length == 0 || _alphas.Length > QuadratureNodes.MaxPoints)
            {
                throw new ArgumentException($"Expected 1 to {QuadratureNodes.MaxPoints} scaling factors; got {_alphas.Length}.", nameof(Alphas));
            }

            foreach (double alpha in _alphas)
            {
                if (!(alpha >= 0 && alpha <= 1))
                {
                    throw new ArgumentOutOfRangeException(nameof(Alphas), alpha, $"Expected scaling factors in [0, 1]; got {alpha}.");
                }
            }

            return (double[])_alphas.Clone();
        }

        if (Count < 1 || Count > QuadratureNodes.MaxPoints)
        {
            throw new ArgumentOutOfRangeException(nameof(Count), Count, $"Expected Count in [1, {QuadratureNodes.MaxPoints}]; got {Count}.");
        }

        var alphas = new double[Count];
        for (int k = 0; k < Count; k++)
        {
            alphas[k] = Spacing == InteriorSpacing.Linear || Count == 1
                ? (k + 1.0) / Count
                : Math.Pow(1000.0, (k + 1.0 - Count) / (Count - 1.0));
        }

        return alphas;
    }

    /// <summary>Equal when every setting is equal, the factors compared element by element.</summary>
    public bool Equals(InteriorGradientsOptions? other) =>
        other is not null
        && Count == other.Count
        && Spacing == other.Spacing
        && Equals(Baseline, other.Baseline)
        && (_alphas is null ? other._alphas is null : other._alphas is not null && _alphas.AsSpan().SequenceEqual(other._alphas));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Count);
        hash.Add(Spacing);
        hash.Add(Baseline);
        if (_alphas is not null)
        {
            foreach (double alpha in _alphas)
            {
                hash.Add(alpha);
            }
        }

        return hash.ToHashCode();
    }
}

/// <summary>The gradients at scaled inputs, the outputs along the path, and how much of the output change each scale reaches.</summary>
/// <remarks>Immutable: the values are read through read-only spans.</remarks>
public sealed class InteriorGradientsResult<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _alphas;
    private readonly T[] _gradients;
    private readonly double[] _outputs;
    private readonly double[] _saturation;

    /// <summary>Wraps computed values; the result owns the arrays from then on (they are not copied).</summary>
    /// <exception cref="ArgumentException">The arrays' lengths do not agree with <paramref name="alphas"/> and <paramref name="inputShape"/>.</exception>
    public InteriorGradientsResult(double[] alphas, T[] gradients, double[] outputs, double outputAtBaseline, double outputAtInput, TensorShape inputShape)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(outputs);
        if (gradients.Length != (long)alphas.Length * inputShape.Length || outputs.Length != alphas.Length)
        {
            throw new ArgumentException(
                $"Expected {alphas.Length} x {inputShape.Length} gradients and {alphas.Length} outputs; got {gradients.Length} and {outputs.Length}.",
                nameof(gradients));
        }

        _alphas = alphas;
        _gradients = gradients;
        _outputs = outputs;
        OutputAtBaseline = outputAtBaseline;
        OutputAtInput = outputAtInput;
        InputShape = inputShape;
        _saturation = new double[alphas.Length];
        double change = outputAtInput - outputAtBaseline;
        for (int k = 0; k < alphas.Length; k++)
        {
            _saturation[k] = change == 0 ? double.NaN : (outputs[k] - outputAtBaseline) / change;
        }
    }

    /// <summary>The scaling factors <c>a_k</c>.</summary>
    public ReadOnlySpan<double> Alphas => _alphas;

    /// <summary><c>dF/dx (x' + a_k (x - x'))</c>, <c>[alphas, input length]</c>.</summary>
    public ReadOnlySpan<T> Gradients => _gradients;

    /// <summary><c>F(x' + a_k (x - x'))</c>.</summary>
    public ReadOnlySpan<double> Outputs => _outputs;

    /// <summary>
    /// The fraction of the total output change reached at each factor: <c>(F(x_a) - F(x')) / (F(x) - F(x'))</c>;
    /// NaN when the output does not change between baseline and input (no fraction to speak of).
    /// </summary>
    public ReadOnlySpan<double> Saturation => _saturation;

    /// <summary><c>F(x')</c>.</summary>
    public double OutputAtBaseline { get; }

    /// <summary><c>F(x)</c>.</summary>
    public double OutputAtInput { get; }

    /// <summary>The network input's shape, the shape of each gradient row.</summary>
    public TensorShape InputShape { get; }

    /// <summary>The gradient at the <paramref name="index"/>-th factor.</summary>
    public ReadOnlySpan<T> GradientAt(int index) => _gradients.AsSpan(index * InputShape.Length, InputShape.Length);
}

/// <summary>
/// Interior gradients (Sundararajan et al., arXiv 1611.02639): the gradients at the scaled inputs
/// <c>x' + a (x - x')</c>, returned with the output along the path so saturation can be seen.
/// </summary>
/// <remarks>Safe to call from many threads at once: each call rents its workspace from a pool the instance owns.</remarks>
public sealed class InteriorGradients<T> : IAttributionMethod<T, InteriorGradientsResult<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly double[] _alphas;

    /// <summary>Prepares the method for <paramref name="network"/>.</summary>
    public InteriorGradients(INetwork<T> network, InteriorGradientsOptions? options = null)
    {
        Options = options ?? new InteriorGradientsOptions();
        _alphas = Options.ResolveAlphas();
        ArgumentNullException.ThrowIfNull(network);
        _host = CpuPathEngine<T>.Host(network, InteriorGradientsMath<T>.Plan(network.Info, _alphas, Options.Baseline));
    }

    /// <summary>The settings.</summary>
    public InteriorGradientsOptions Options { get; }

    /// <summary>The gradients of output <paramref name="target"/> at every scaled input.</summary>
    public InteriorGradientsResult<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Attribute(_host, _alphas, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>
    /// The gradients of output <paramref name="target"/> at every scaled input, scaled from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>dF/dx (x' + a_k (x - x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public InteriorGradientsResult<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Attribute(_host, _alphas, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <inheritdoc/>
    public InteriorGradientsResult<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Batch(_host, _alphas, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The gradients of each of several outputs of one input at every scaled input, in one pass: per chunk the scaled inputs
    /// run forward once, then one backward pass per target, <c>result[t].Gradients[k] = dF_targets[t]/dx (x' + a_k (x - x'))</c>;
    /// one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not of the input length, or holds a non-finite value.</exception>
    public InteriorGradientsResult<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Targets(_host, _alphas, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// The gradients of each of several outputs of one input at every scaled input, scaled from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass (see the form without a baseline); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public InteriorGradientsResult<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Targets(_host, _alphas, input, baseline, ownBaseline: true, targets, cancellationToken);
}

/// <summary>
/// Interior gradients' mathematics, for both backends: the path sampled at the factors (zero weights), each chunk's
/// input gradients and outputs kept; the outputs weighted in double as the endpoints are.
/// </summary>
internal static class InteriorGradientsMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A plan sampling the path at the factors <paramref name="alphas"/>, in chunks of at most 64.</summary>
    public static PathPlan<T> Plan(NetworkInfo info, double[] alphas, Baseline baseline)
    {
        Guard.Elements(alphas.Length, info.InputLength, "Count"); // the gradients of one result

        // The path is sampled at the factors, not integrated: no quadrature weights.
        return new PathPlan<T>(info, alphas, new double[alphas.Length], baseline, internalBatchSize: 64);
    }

    public static InteriorGradientsResult<T> Attribute(PathHost<T> host, double[] alphas, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        return Run(lease.Item, alphas, request, cancellationToken);
    }

    /// <summary>A batch (see <see cref="PathBatch"/>); stacked on a device that stacks.</summary>
    public static InteriorGradientsResult<T>[] Batch(PathHost<T> host, double[] alphas, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, IProgress<int>? progress, CancellationToken cancellationToken) =>
        PathBatch.Run(
            host,
            inputs,
            targets,
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) => Run(engine, alphas, request, token),
            (engine, results, token) => Stacked(engine, alphas, results, token),
            progress,
            cancellationToken);

    /// <summary>The examples stacked on <paramref name="engine"/>, in one chunk loop: one result each, from its rows of the gradients and outputs.</summary>
    public static void Stacked(IStackedPathEngine<T> engine, double[] alphas, Span<InteriorGradientsResult<T>> results, CancellationToken cancellationToken)
    {
        NetworkInfo info = engine.Plan.Info;
        int gradients = alphas.Length * info.InputLength;
        int outputs = alphas.Length * info.OutputLength;
        var steps = new Steps(alphas.Length);
        PathRunner.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> allGradients = engine.Accumulated(steps.Gradients);   // [examples, points * L]
        ReadOnlySpan<T> allOutputs = engine.Accumulated(steps.Outputs);       // [examples, points * outputs]
        PathStack<T> stack = engine.Stack;
        for (int m = 0; m < results.Length; m++)
        {
            results[m] = Result(info, alphas, allGradients.Slice(m * gradients, gradients), allOutputs.Slice(m * outputs, outputs), stack.Coefficients(m), stack.ExplainedEndpoints(engine, m));
        }
    }

    /// <summary>Checks and begins <paramref name="request"/> on a rented engine and runs it: the code of every single call.</summary>
    public static InteriorGradientsResult<T> Run(IPathEngine<T> engine, double[] alphas, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        var steps = new Steps(alphas.Length);
        PathRunner.Run(engine, ref steps, cancellationToken);
        return Result(engine.Plan.Info, alphas, engine.Accumulated(steps.Gradients), engine.Accumulated(steps.Outputs), engine.Call.OutputCoefficients, PathRunner.ExplainedEndpoints(engine));
    }

    /// <summary>A new result from one path's gradient rows and output rows, its outputs weighted by <paramref name="weights"/> in double.</summary>
    private static InteriorGradientsResult<T> Result(NetworkInfo info, double[] alphas, ReadOnlySpan<T> gradients, ReadOnlySpan<T> outputRows, ReadOnlySpan<T> weights, (double AtBaseline, double AtInput) endpoints)
    {
        int outputs = info.OutputLength;
        var values = new double[alphas.Length];
        for (int k = 0; k < values.Length; k++)
        {
            values[k] = PathSums.Dot<T>(outputRows.Slice(k * outputs, outputs), weights);
        }

        return new InteriorGradientsResult<T>((double[])alphas.Clone(), gradients.ToArray(), values, endpoints.AtBaseline, endpoints.AtInput, info.Input.OutputShape);
    }

    /// <summary>
    /// Several targets of one input in one pass: per chunk the outputs are kept once, then per target one backward pass
    /// from its output through the input into its own gradient rows; each target's numbers are its single call's.
    /// </summary>
    public static InteriorGradientsResult<T>[] Targets(PathHost<T> host, double[] alphas, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        NetworkInfo info = engine.Plan.Info;
        int outputs = info.OutputLength;
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        var steps = new TargetSteps(alphas.Length, targets);
        PathRunner.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> outputRows = engine.Accumulated(steps.Outputs);
        var results = new InteriorGradientsResult<T>[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            int target = targets[t];
            var values = new double[alphas.Length];
            for (int k = 0; k < values.Length; k++)
            {
                values[k] = double.CreateChecked(outputRows[k * outputs + target]);
            }

            (double atBaseline, double atInput) = PathTargets.Endpoints(engine, target);
            T[] gradients = engine.Accumulated(steps.First + t).ToArray();
            results[t] = new InteriorGradientsResult<T>((double[])alphas.Clone(), gradients, values, atBaseline, atInput, info.Input.OutputShape);
        }

        return results;
    }

    /// <summary>Per chunk the outputs once, then per target a backward pass through the input into that target's rows <c>First + t</c>.</summary>
    private ref struct TargetSteps(int points, ReadOnlySpan<int> targets) : IPathSteps<T>
    {
        private readonly ReadOnlySpan<int> _targets = targets;

        public int Outputs;

        /// <summary>The first target's gradient rows; target <c>t</c>'s are <c>First + t</c>.</summary>
        public int First;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine)
        {
            Outputs = engine.NewAccumulator(points * engine.Plan.Info.OutputLength);
            First = PathTargets.NewAccumulators(engine, _targets.Length, points * engine.Plan.Info.InputLength);
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            engine.CopyOutputs(Outputs, start);
            for (int t = 0; t < _targets.Length; t++)
            {
                engine.BackwardFromOutput(engine.Plan.Info.Input, throughInput: true, _targets[t]);
                engine.CopyInputGradients(First + t, start);
            }
        }
    }

    private struct Steps(int points) : IPathSteps<T>
    {
        public int Gradients;
        public int Outputs;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine)
        {
            Gradients = engine.NewAccumulator(points * engine.Plan.Info.InputLength);
            Outputs = engine.NewAccumulator(points * engine.Plan.Info.OutputLength);
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            engine.CopyOutputs(Outputs, start);
            engine.BackwardFromOutput(engine.Plan.Info.Input, throughInput: true);
            engine.CopyInputGradients(Gradients, start);
        }
    }
}
