using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// Neuron conductance (Dhamdhere et al., arXiv 1807.09946): the flow through neuron <c>y_j</c> to each input
/// feature, <c>NC_ji = (x_i - x'_i) * integral_0^1 dF/dy_j * dy_j/dx_i da</c>.
/// </summary>
/// <remarks>
/// Per chunk of path points: one forward and one backward pass give <c>dF/dy</c> for every neuron; then one
/// backward pass from the layer per requested neuron, seeded with <c>dF/dy_j</c> at each point, gives that
/// neuron's row for every input feature at once — never one pass per input feature. Summed over features,
/// a row is the neuron's total conductance. Safe to call from many threads at once: each call rents its
/// workspace from a pool the instance owns.
/// </remarks>
public sealed class NeuronConductance<T> : IAttributionMethod<T, NeuronAttribution<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for neurons of <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public NeuronConductance(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _host = CpuPathEngine<T>.Host(network, Options);
        _layer = _host.Plan.Resolve(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>Every neuron of the layer, for output <paramref name="target"/>: a <c>[layer size, input length]</c> matrix.</summary>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        Attribute(input, target, NeuronConductanceMath<T>.AllNeurons(_layer), cancellationToken);

    /// <summary>
    /// Every neuron of the layer, for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>NC_ji = (x_i - x'_i) * integral_0^1 dF/dy_j * dy_j/dx_i (x' + a (x - x')) da</c>,
    /// a <c>[layer size, input length]</c> matrix.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        Attribute(input, baseline, target, NeuronConductanceMath<T>.AllNeurons(_layer), cancellationToken);

    /// <summary>The given <paramref name="neurons"/> (flat indices into the layer), for output <paramref name="target"/>.</summary>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<int> neurons, CancellationToken cancellationToken = default)
    {
        NeuronConductanceMath<T>.CheckNeurons(_layer, neurons);
        return NeuronConductanceMath<T>.Attribute(_host, _layer, neurons, PathRequest<T>.ForTarget(input, target), cancellationToken);
    }

    /// <summary>
    /// The given <paramref name="neurons"/> (flat indices into the layer), for output <paramref name="target"/>, along the
    /// path from this call's own <paramref name="baseline"/> <c>x'</c>:
    /// <c>NC_ji = (x_i - x'_i) * integral_0^1 dF/dy_j * dy_j/dx_i (x' + a (x - x')) da</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, ReadOnlySpan<int> neurons, CancellationToken cancellationToken = default)
    {
        NeuronConductanceMath<T>.CheckNeurons(_layer, neurons);
        return NeuronConductanceMath<T>.Attribute(_host, _layer, neurons, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>Every neuron of the layer, as <see cref="Attribute(ReadOnlySpan{T}, int, CancellationToken)"/>.</remarks>
    public NeuronAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        NeuronConductanceMath<T>.Batch(_host, _layer, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// Every neuron of the layer for each of several outputs of one input, in one pass: per chunk the path points run forward
    /// once, then per target one backward pass for <c>dF_t/dy</c> and one from the layer per neuron,
    /// <c>NC_tji = (x_i - x'_i) * integral_0^1 dF_t/dy_j * dy_j/dx_i da</c>; one <c>[layer size, input length]</c> result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    public NeuronAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        NeuronConductanceMath<T>.Targets(_host, _layer, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// Every neuron of the layer for each of several outputs of one input, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass (see the form without a baseline); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        NeuronConductanceMath<T>.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, cancellationToken);
}

/// <summary>
/// Neuron conductance's mathematics, for both backends: per chunk one backward pass for <c>dF/dy</c>, then one
/// backward pass from the layer per requested neuron seeded with <c>dF/dy_j</c>,
/// <c>row_j += sum_k c_k dF/dy_j(x_k) dy_j/dx(x_k)</c>; then <c>NC_ji = (x_i - x'_i) row_ji</c>.
/// </summary>
internal static class NeuronConductanceMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Throws unless every neuron is a flat index into <paramref name="layer"/>; checked before the call's arguments.</summary>
    public static void CheckNeurons(Layer layer, ReadOnlySpan<int> neurons)
    {
        foreach (int neuron in neurons)
        {
            Guard.Index(neuron, layer.Size, nameof(neurons));
        }
    }

    /// <summary><c>0 .. layer size</c>.</summary>
    public static int[] AllNeurons(Layer layer)
    {
        var all = new int[layer.Size];
        for (int j = 0; j < all.Length; j++)
        {
            all[j] = j;
        }

        return all;
    }

    public static NeuronAttribution<T> Attribute(PathHost<T> host, Layer layer, ReadOnlySpan<int> neurons, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        return Run(lease.Item, layer, neurons, request, cancellationToken);
    }

    /// <summary>A batch (see <see cref="PathBatch"/>), every neuron per input; stacked on a device that stacks.</summary>
    public static NeuronAttribution<T>[] Batch(PathHost<T> host, Layer layer, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        int[] neurons = AllNeurons(layer);
        return PathBatch.Run(
            host,
            inputs,
            targets,
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) => Run(engine, layer, neurons, request, token),
            (engine, results, token) => Stacked(engine, layer, neurons, results, token),
            progress,
            cancellationToken);
    }

    /// <summary>The examples stacked on <paramref name="engine"/>, in one chunk loop (each neuron's backward pass seeds every example's rows at once): one result each.</summary>
    public static void Stacked(IStackedPathEngine<T> engine, Layer layer, int[] neurons, Span<NeuronAttribution<T>> results, CancellationToken cancellationToken)
    {
        int length = engine.Plan.Info.InputLength;
        int elements = Guard.Elements(neurons.Length, length, nameof(neurons));
        var steps = new Steps(layer, neurons, elements);
        PathRunner.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> all = engine.Accumulated(steps.Rows);                                          // [examples, neurons * L]
        for (int m = 0; m < results.Length; m++)
        {
            results[m] = Result(engine.Plan, layer, neurons, engine.Stack.Direction(m), all.Slice(m * elements, elements), engine.Plan.Points, engine.Plan.Rule, null);
        }
    }

    /// <summary><c>NC_ji = (x_i - x'_i) row_ji</c> for every neuron's row of <paramref name="rows"/>, into a new result with the adaptive rule's <paramref name="error"/> (or none).</summary>
    private static NeuronAttribution<T> Result(PathPlan<T> plan, Layer layer, ReadOnlySpan<int> neurons, ReadOnlySpan<T> direction, ReadOnlySpan<T> rows, int points, QuadratureRule rule, QuadratureError? error)
    {
        int length = plan.Info.InputLength;
        var values = new T[rows.Length];
        for (int n = 0; n < neurons.Length; n++)
        {
            PathRunner.ScaleByDirection<T>(direction, rows.Slice(n * length, length), values.AsSpan(n * length, length));
        }

        return new NeuronAttribution<T>(layer, neurons.ToArray(), plan.Info.Input.OutputShape, values, points, rule) { Error = error };
    }

    /// <summary>
    /// Every neuron for each of several targets of one input, in one pass: per chunk the path points run forward once, then
    /// per target one backward pass from its output for <c>dF_t/dy</c> and one backward pass from the layer per neuron seeded
    /// with it, in the order of a single call's chunk; each target's numbers are its single call's.
    /// </summary>
    public static NeuronAttribution<T>[] Targets(PathHost<T> host, Layer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        int[] neurons = AllNeurons(layer);
        int length = host.Info.InputLength;
        int elements = Guard.Elements(neurons.Length, length, nameof(neurons));
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        var steps = new TargetSteps(layer, neurons, targets, elements);
        PathRunner.Run(engine, ref steps, cancellationToken);
        var results = new NeuronAttribution<T>[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            results[t] = Result(engine.Plan, layer, neurons, engine.Call.Direction, engine.Accumulated(steps.First + t), engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.First + t));
        }

        return results;
    }

    /// <summary>Checks and begins <paramref name="request"/> on a rented engine and runs it: the code of every single call.</summary>
    public static NeuronAttribution<T> Run(IPathEngine<T> engine, Layer layer, ReadOnlySpan<int> neurons, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        int elements = Guard.Elements(neurons.Length, engine.Plan.Info.InputLength, nameof(neurons));
        engine.Call.Begin(request);
        var steps = new Steps(layer, neurons, elements);
        PathRunner.Run(engine, ref steps, cancellationToken);
        return Result(engine.Plan, layer, neurons, engine.Call.Direction, engine.Accumulated(steps.Rows), engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.Rows));
    }

    /// <summary>Per chunk, per target: the backward pass from its output, then its neurons' passes into the target's accumulator <c>First + t</c>.</summary>
    private ref struct TargetSteps(Layer layer, ReadOnlySpan<int> neurons, ReadOnlySpan<int> targets, int elements) : IPathSteps<T>
    {
        private readonly ReadOnlySpan<int> _neurons = neurons;
        private readonly ReadOnlySpan<int> _targets = targets;

        /// <summary>The first target's accumulator; target <c>t</c>'s is <c>First + t</c>.</summary>
        public int First;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine) => First = PathTargets.NewAccumulators(engine, _targets.Length, elements, PathVector.Direction);

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            if (_neurons.Length == 0)
            {
                return;
            }

            int length = engine.Plan.Info.InputLength;
            for (int t = 0; t < _targets.Length; t++)
            {
                engine.BackwardFromOutput(layer, throughInput: false, _targets[t]);
                for (int n = 0; n < _neurons.Length; n++)
                {
                    engine.AddNeuronInputGradientSum(layer, _neurons[n], NeuronSeed.OutputGradient, First + t, n * length);
                }
            }
        }
    }

    private ref struct Steps(Layer layer, ReadOnlySpan<int> neurons, int elements) : IPathSteps<T>
    {
        private readonly ReadOnlySpan<int> _neurons = neurons;

        public int Rows;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine)
        {
            Rows = engine.NewAccumulator(elements);
            engine.Call.ScaleErrors(Rows, PathVector.Direction);
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            if (_neurons.Length == 0)
            {
                return;
            }

            int length = engine.Plan.Info.InputLength;
            engine.BackwardFromOutput(layer, throughInput: false);
            for (int n = 0; n < _neurons.Length; n++)
            {
                engine.AddNeuronInputGradientSum(layer, _neurons[n], NeuronSeed.OutputGradient, Rows, n * length);
            }
        }
    }
}
