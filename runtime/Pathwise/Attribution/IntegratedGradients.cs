using System;
using System.Numerics;
using System.Runtime.CompilerServices;
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
        _host = CpuPathEngine<T>.Host(network, options, inputGradientSumOnly: true); // its steps read only AddInputGradientSum and the outputs
        _info = _host.Info;
        Options = options;
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>The plan every call runs (for tests: it reads the input gradient sum only).</summary>
    internal PathPlan<T> Plan => _host.Plan;

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
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        Targets(input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// Attributes several outputs of one input at once, along the path from this call's own <paramref name="baseline"/>
    /// <c>x'</c>: <c>result[t]_i = (x_i - x'_i) * integral_0^1 dF_targets[t]/dx_i(x' + a (x - x')) da</c>, the path points run
    /// forward once per chunk and only the backward pass repeated per target; one new result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        Targets(input, baseline, ownBaseline: true, targets, cancellationToken);

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
        using var lease = _host.Borrow();
        IntegratedGradientsMath<T>.RunTargets(lease.Item, input, default, ownBaseline: false, targets, attributions, deltas, cancellationToken);
    }

    /// <summary>
    /// Attributes many inputs, <c>inputs[m, input length]</c>, each for its own target, in parallel over
    /// the machine's cores (one input after another when each call runs on two cores already); writes <c>attributions[m, input length]</c> and one delta per input. Each input's path starts
    /// at the options' baseline when <paramref name="baselines"/> is empty, else at its own row of it, <c>[m, input length]</c>.
    /// <paramref name="progress"/>, when given, hears the number of inputs done after each one.
    /// </summary>
    public void AttributeBatch(ReadOnlyMemory<T> inputs, ReadOnlyMemory<int> targets, Memory<T> attributions, Memory<ConvergenceDelta> deltas, ReadOnlyMemory<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        int length = _info.InputLength;
        int count = targets.Length;
        int elements = Guard.Elements(count, length, nameof(targets));
        Guard.Length(inputs.Span, elements, nameof(inputs));
        Guard.Length<T>(attributions.Span, elements, nameof(attributions));
        Guard.Length<ConvergenceDelta>(deltas.Span, count, nameof(deltas));
        PathBatch.Check(_info, inputs.Span, targets.Span, baselines.Span);

        // Each worker rents one engine for all its inputs, from the pool single calls use; when every call splits over two
        // cores already, one worker takes the inputs in order.
        int workers = PathSplit.SplitsEveryCall(_host.Plan) ? 1 : Math.Min(Environment.ProcessorCount, Math.Max(1, count));
        int done = 0;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = workers };
        Parallel.For(0, workers, parallel, w =>
        {
            using var lease = _host.Borrow();
            for (int m = w; m < count; m += workers)
            {
                ReadOnlySpan<T> input = inputs.Span.Slice(m * length, length);
                deltas.Span[m] = IntegratedGradientsMath<T>.Run(
                    lease.Item,
                    baselines.IsEmpty ? PathRequest<T>.ForTarget(input, targets.Span[m]) : PathRequest<T>.ForTarget(input, baselines.Span.Slice(m * length, length), targets.Span[m]),
                    attributions.Span.Slice(m * length, length),
                    cancellationToken);
                progress?.Report(Interlocked.Increment(ref done));
            }
        });
    }

    /// <inheritdoc/>
    public Attribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        PathBatch.Run(_host, inputs, targets, baselines, IntegratedGradientsMath<T>.Example, null, progress, cancellationToken, inOrder: PathSplit.SplitsEveryCall(_host.Plan));

    private Attribution<T>[] Targets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        using var lease = _host.Borrow();
        return IntegratedGradientsMath<T>.Targets(lease.Item, input, baseline, ownBaseline, targets, cancellationToken);
    }

    private ConvergenceDelta Attribute(scoped in PathRequest<T> request, Span<T> attributions, CancellationToken cancellationToken)
    {
        Guard.Length<T>(attributions, _info.InputLength, nameof(attributions));
        using var lease = _host.Borrow();
        return IntegratedGradientsMath<T>.Run(lease.Item, request, attributions, cancellationToken);
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
        // The call's one accumulator, handle 0 (Steps.GradientSum).
        return new Attribution<T>(values, host.Info.Input.OutputShape, delta, lease.Item.Call.Points, lease.Item.Call.Rule) { Error = lease.Item.Call.Adaptive?.Error(0) };
    }

    /// <summary>Checks the request and attributes into <paramref name="attributions"/> on a rented engine.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ConvergenceDelta Run(IPathEngine<T> engine, scoped in PathRequest<T> request, Span<T> attributions, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        if (engine.Call.Sweep is { } sweep)
        {
            return Swept(sweep, engine.Call.OutputCoefficients, attributions, cancellationToken);
        }

        var steps = default(Steps);
        PathSplit.Run(engine, ref steps, cancellationToken);
        double sum = PathRunner.ScaleByDirection<T>(engine.Call.Direction, engine.Accumulated(steps.GradientSum), attributions);
        (double atBaseline, double atInput) = PathRunner.ExplainedEndpoints(engine);
        return ConvergenceDelta.From(sum, atInput, atBaseline);
    }

    /// <summary>One input of a batch on a rented engine: the code of a single call, into a new result.</summary>
    public static Attribution<T> Example(IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        PathPlan<T> plan = engine.Plan;
        var values = new T[plan.Info.InputLength];
        ConvergenceDelta delta = Run(engine, request, values, cancellationToken);
        // The call's one accumulator, handle 0 (Steps.GradientSum).
        return new Attribution<T>(values, plan.Info.Input.OutputShape, delta, engine.Call.Points, engine.Call.Rule) { Error = engine.Call.Adaptive?.Error(0) };
    }

    /// <summary>The examples stacked on <paramref name="engine"/>, in one chunk loop: one result each.</summary>
    public static void Stacked(IStackedPathEngine<T> engine, Span<Attribution<T>> results, CancellationToken cancellationToken)
    {
        var steps = default(Steps);
        PathRunner.Run(engine, ref steps, cancellationToken);
        PathPlan<T> plan = engine.Plan;
        PathStack<T> stack = engine.Stack;
        int length = plan.Info.InputLength;
        ReadOnlySpan<T> sums = engine.Accumulated(steps.GradientSum);
        for (int m = 0; m < results.Length; m++)
        {
            var values = new T[length];
            double sum = PathRunner.ScaleByDirection<T>(stack.Direction(m), sums.Slice(m * length, length), values);
            (double atBaseline, double atInput) = stack.ExplainedEndpoints(engine, m);
            results[m] = new Attribution<T>(values, plan.Info.Input.OutputShape, ConvergenceDelta.From(sum, atInput, atBaseline), plan.Points, plan.Rule);
        }
    }

    /// <summary>Several targets of one input, one new result each (see <see cref="RunTargets"/>).</summary>
    public static Attribution<T>[] Targets(IPathEngine<T> engine, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        PathPlan<T> plan = engine.Plan;
        int length = plan.Info.InputLength;
        var values = new T[Guard.Elements(targets.Length, length, nameof(targets))];
        var deltas = new ConvergenceDelta[targets.Length];
        RunTargets(engine, input, baseline, ownBaseline, targets, values, deltas, cancellationToken);
        var results = new Attribution<T>[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            results[t] = new Attribution<T>(values.AsSpan(t * length, length).ToArray(), plan.Info.Input.OutputShape, deltas[t], engine.Call.Points, engine.Call.Rule)
            {
                Error = engine.Call.Adaptive?.Error(t), // TargetSteps: target t's accumulator is handle t (First = 0)
            };
        }

        return results;
    }

    /// <summary>
    /// Several targets of one input in one pass: per chunk the points run forward once, then one backward pass per
    /// target into that target's accumulator; writes <c>attributions[t, input length]</c> and one delta per target. Each
    /// target's numbers are those of its single call (the same seed, passes and sums).
    /// </summary>
    public static void RunTargets(IPathEngine<T> engine, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, Span<T> attributions, Span<ConvergenceDelta> deltas, CancellationToken cancellationToken)
    {
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        if (engine.Call.Sweep is { } sweep)
        {
            // The call's weighting is each target's one-hot in turn, then the first's again, as Begin left it.
            int inputs = engine.Plan.Info.InputLength;
            T[] weights = engine.Call.OutputCoefficients;
            for (int t = 0; t < targets.Length; t++)
            {
                weights.AsSpan().Clear();
                weights[targets[t]] = T.One;
                deltas[t] = Swept(sweep, weights, attributions.Slice(t * inputs, inputs), cancellationToken);
            }

            if (!targets.IsEmpty)
            {
                weights.AsSpan().Clear();
                weights[targets[0]] = T.One;
            }

            return;
        }

        var steps = new TargetSteps(targets);
        PathRunner.Run(engine, ref steps, cancellationToken);
        int length = engine.Plan.Info.InputLength;
        for (int t = 0; t < targets.Length; t++)
        {
            Span<T> row = attributions.Slice(t * length, length);
            double sum = PathRunner.ScaleByDirection<T>(engine.Call.Direction, engine.Accumulated(steps.First + t), row);
            (double atBaseline, double atInput) = PathTargets.Endpoints(engine, targets[t]);
            deltas[t] = ConvergenceDelta.From(sum, atInput, atBaseline);
        }
    }

    /// <summary>
    /// The exact rule on a chain of dense layers (<see cref="PathCall{T}.Sweep"/>): the gradient's path integral from the
    /// sweep's events, no path points; <c>attr_i = (x_i - x'_i) integral_i</c> and the delta against a float64 forward pass at the ends.
    /// </summary>
    private static ConvergenceDelta Swept(ChainSweep sweep, ReadOnlySpan<T> outputCoefficients, Span<T> attributions, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        (double sum, double atBaseline, double atInput) = sweep.IntegratedGradients(outputCoefficients, attributions);
        return ConvergenceDelta.From(sum, atInput, atBaseline);
    }

    /// <summary>Per chunk, one backward pass per target into that target's accumulator: the forward pass is shared.</summary>
    internal ref struct TargetSteps(ReadOnlySpan<int> targets) : IPathSteps<T>
    {
        private readonly ReadOnlySpan<int> _targets = targets;

        public int First;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine) => First = PathTargets.NewAccumulators(engine, _targets.Length, engine.Plan.Info.InputLength, PathVector.Direction);

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            for (int t = 0; t < _targets.Length; t++)
            {
                engine.AddInputGradientSum(First + t, _targets[t]);
            }
        }
    }

    /// <summary><c>g += sum_k c_k dF/dx(x_k)</c> per chunk.</summary>
    internal struct Steps : IPathSteps<T>
    {
        public int GradientSum;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine)
        {
            GradientSum = engine.NewAccumulator(engine.Plan.Info.InputLength);
            engine.Call.ScaleErrors(GradientSum, PathVector.Direction);
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count) => engine.AddInputGradientSum(GradientSum);
    }
}
