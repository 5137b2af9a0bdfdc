using System;
using System.Numerics;
using System.Threading;
using System.Threading.Tasks;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// Integrated Gradients (Sundararajan et al., arXiv 1703.01365):
/// <c>attr_i = (x_i - x'_i) * integral_0^1 dF/dx_i(x' + a (x - x')) da</c>, the integral taken by the
/// configured quadrature rule, with the convergence delta <c>sum(attr) - (F(x) - F(x'))</c>.
/// </summary>
/// <remarks>
/// An instance is safe to call from many threads at once: each call rents its workspace from a pool the instance
/// owns, so once the pool holds one workspace per concurrent call, the span-out overloads allocate nothing (the
/// overloads that return an <see cref="Attribution{T}"/> allocate only the result). <c>AttributeBatch</c>
/// runs inputs in parallel on workspaces from the same pool.
/// </remarks>
public sealed class IntegratedGradients<T> : IAttributionMethod<T, Attribution<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly NetworkInfo _info;

    /// <summary>Prepares the method for <paramref name="network"/>; throws if an option is invalid.</summary>
    public IntegratedGradients(INetwork<T> network, IntegratedGradientsOptions? options = null)
    {
        options ??= new IntegratedGradientsOptions();
        _host = CpuPathEngine<T>.Host(network, options);
        _info = _host.Info;
        Options = options;
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>Attributes output <paramref name="target"/> at <paramref name="input"/>; returns a new result.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        IntegratedGradientsMath<T>.Attribute(_host, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>Attributes the weighted output <c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/>; returns a new result.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        IntegratedGradientsMath<T>.Attribute(_host, PathRequest<T>.ForWeights(input, outputCoefficients), cancellationToken);

    /// <summary>
    /// Attributes output <paramref name="target"/> against this call's own <paramref name="baseline"/> <c>x'</c> instead of the
    /// options' one: <c>attr_i = (x_i - x'_i) * integral_0^1 dF/dx_i(x' + a (x - x')) da</c>; returns a new result.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        IntegratedGradientsMath<T>.Attribute(_host, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <summary>Attributes output <paramref name="target"/> into <paramref name="attributions"/>; allocates nothing once warm.</summary>
    public ConvergenceDelta Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken = default) =>
        Attribute(PathRequest<T>.ForTarget(input, target), attributions, cancellationToken);

    /// <summary>Attributes the weighted output <c>sum_j outputCoefficients[j] F_j</c> into <paramref name="attributions"/>; allocates nothing once warm.</summary>
    public ConvergenceDelta Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, Span<T> attributions, CancellationToken cancellationToken = default) =>
        Attribute(PathRequest<T>.ForWeights(input, outputCoefficients), attributions, cancellationToken);

    /// <summary>
    /// Attributes output <paramref name="target"/> against this call's own <paramref name="baseline"/> <c>x'</c> instead of the
    /// options' one, into <paramref name="attributions"/>: <c>attr_i = (x_i - x'_i) * integral_0^1 dF/dx_i(x' + a (x - x')) da</c>;
    /// allocates nothing once warm. Later calls without a baseline use the options' one again.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public ConvergenceDelta Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, Span<T> attributions, CancellationToken cancellationToken = default) =>
        Attribute(PathRequest<T>.ForTarget(input, baseline, target), attributions, cancellationToken);

    /// <summary>
    /// Attributes several outputs of one input at once (see the span form): one new result per target, in the
    /// order of <paramref name="targets"/>.
    /// </summary>
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default)
    {
        int length = _info.InputLength;
        var values = new T[Guard.Elements(targets.Length, length, nameof(targets))];
        var deltas = new ConvergenceDelta[targets.Length];
        AttributeTargets(input, targets, values, deltas, cancellationToken);
        return Results(values, deltas);
    }

    /// <summary>
    /// Attributes several outputs of one input at once: the path points are run forward once per chunk and
    /// only the backward pass is repeated per target. Writes <c>attributions[t, input length]</c> and one delta per
    /// target; allocates nothing once warm.
    /// </summary>
    public void AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, Span<T> attributions, Span<ConvergenceDelta> deltas, CancellationToken cancellationToken = default)
    {
        int length = _info.InputLength;
        Guard.Length<T>(attributions, Guard.Elements(targets.Length, length, nameof(targets)), nameof(attributions));
        Guard.Length<ConvergenceDelta>(deltas, targets.Length, nameof(deltas));
        foreach (int target in targets)
        {
            Guard.Index(target, _info.OutputLength, nameof(targets));
        }

        using var lease = _host.Borrow();
        var engine = (CpuPathEngine<T>)lease.Item;
        engine.Call.Begin(PathRequest<T>.ForTarget(input, targets.Length > 0 ? targets[0] : 0));
        attributions.Clear();
        var steps = new TargetsSteps(targets, attributions, length);
        PathRunner.Run(engine, ref steps, cancellationToken);

        ReadOnlySpan<T> outputs = engine.Endpoints(_info.Output);
        int outputLength = _info.OutputLength;
        for (int t = 0; t < targets.Length; t++)
        {
            Span<T> row = attributions.Slice(t * length, length);
            double sum = PathRunner.ScaleByDirection<T>(engine.Call.Direction, row, row);
            deltas[t] = ConvergenceDelta.From(sum, double.CreateChecked(outputs[outputLength + targets[t]]), double.CreateChecked(outputs[targets[t]]));
        }
    }

    /// <summary>
    /// Attributes many inputs, <c>inputs[m, input length]</c>, each for its own target, in parallel over
    /// the machine's cores; writes <c>attributions[m, input length]</c> and one delta per input.
    /// <paramref name="progress"/>, when given, hears the number of inputs done after each one.
    /// </summary>
    public void AttributeBatch(ReadOnlyMemory<T> inputs, ReadOnlyMemory<int> targets, Memory<T> attributions, Memory<ConvergenceDelta> deltas, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        int length = _info.InputLength;
        int count = targets.Length;
        int elements = Guard.Elements(count, length, nameof(targets));
        Guard.Length(inputs.Span, elements, nameof(inputs));
        Guard.Length<T>(attributions.Span, elements, nameof(attributions));
        Guard.Length<ConvergenceDelta>(deltas.Span, count, nameof(deltas));
        for (int m = 0; m < count; m++)
        {
            Guard.Index(targets.Span[m], _info.OutputLength, nameof(targets), m);
            Guard.Finite(inputs.Span.Slice(m * length, length), nameof(inputs), m);
        }

        // Each worker rents one engine for all its inputs, from the pool single calls use.
        int workers = Math.Min(Environment.ProcessorCount, Math.Max(1, count));
        int done = 0;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = workers };
        Parallel.For(0, workers, parallel, w =>
        {
            using var lease = _host.Borrow();
            for (int m = w; m < count; m += workers)
            {
                deltas.Span[m] = IntegratedGradientsMath<T>.Run(
                    lease.Item,
                    PathRequest<T>.ForTarget(inputs.Span.Slice(m * length, length), targets.Span[m]),
                    attributions.Span.Slice(m * length, length),
                    cancellationToken);
                progress?.Report(Interlocked.Increment(ref done));
            }
        });
    }

    /// <summary>
    /// Attributes many inputs, <c>inputs[m, input length]</c>, each for its own target, in parallel over the
    /// machine's cores (see the memory form); returns one new result per input, in order.
    /// </summary>
    public Attribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var values = new T[Guard.Elements(targets.Length, _info.InputLength, nameof(targets))];
        var deltas = new ConvergenceDelta[targets.Length];
        AttributeBatch(inputs.ToArray(), targets.ToArray(), values, deltas, progress, cancellationToken);
        return Results(values, deltas);
    }

    private ConvergenceDelta Attribute(scoped in PathRequest<T> request, Span<T> attributions, CancellationToken cancellationToken)
    {
        Guard.Length<T>(attributions, _info.InputLength, nameof(attributions));
        using var lease = _host.Borrow();
        return IntegratedGradientsMath<T>.Run(lease.Item, request, attributions, cancellationToken);
    }

    private Attribution<T>[] Results(T[] values, ConvergenceDelta[] deltas)
    {
        int length = _info.InputLength;
        var results = new Attribution<T>[deltas.Length];
        for (int m = 0; m < results.Length; m++)
        {
            results[m] = new Attribution<T>(values.AsSpan(m * length, length).ToArray(), _info.Input.OutputShape, deltas[m], _host.Plan.Points);
        }

        return results;
    }

    /// <summary>Per chunk, one backward pass per target into that target's row: the forward pass is shared.</summary>
    private ref struct TargetsSteps(ReadOnlySpan<int> targets, Span<T> attributions, int length) : IPathSteps<T>
    {
        private readonly ReadOnlySpan<int> _targets = targets;
        private readonly Span<T> _attributions = attributions;

        public readonly Layer? EndpointLayer => null;

        public readonly void Start(IPathEngine<T> engine)
        {
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            var cpu = (CpuPathEngine<T>)engine;
            for (int t = 0; t < _targets.Length; t++)
            {
                cpu.AddInputGradientSum(_attributions.Slice(t * length, length), _targets[t]);
            }
        }
    }
}

/// <summary>
/// Integrated Gradients' mathematics, for both backends: per chunk <c>g += sum_k c_k dF/dx(x_k)</c> (on the CPU the
/// generated fused <c>BackwardPathSum</c>), then <c>attr_i = (x_i - x'_i) g_i</c> and the delta against the endpoints.
/// </summary>
internal static class IntegratedGradientsMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Checks the request, attributes into a new result.</summary>
    public static Attribution<T> Attribute(PathHost<T> host, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        var values = new T[host.Info.InputLength];
        using var lease = host.Borrow();
        ConvergenceDelta delta = Run(lease.Item, request, values, cancellationToken);
        return new Attribution<T>(values, host.Info.Input.OutputShape, delta, host.Plan.Points);
    }

    /// <summary>Checks the request and attributes into <paramref name="attributions"/> on a rented engine.</summary>
    public static ConvergenceDelta Run(IPathEngine<T> engine, scoped in PathRequest<T> request, Span<T> attributions, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        var steps = default(Steps);
        PathRunner.Run(engine, ref steps, cancellationToken);
        double sum = PathRunner.ScaleByDirection<T>(engine.Call.Direction, engine.Accumulated(steps.GradientSum), attributions);
        (double atBaseline, double atInput) = PathRunner.ExplainedEndpoints(engine);
        return ConvergenceDelta.From(sum, atInput, atBaseline);
    }

    /// <summary><c>g += sum_k c_k dF/dx(x_k)</c> per chunk.</summary>
    internal struct Steps : IPathSteps<T>
    {
        public int GradientSum;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine) => GradientSum = engine.NewAccumulator(engine.Plan.Info.InputLength);

        public readonly void Step(IPathEngine<T> engine, int start, int count) => engine.AddInputGradientSum(GradientSum);
    }
}
