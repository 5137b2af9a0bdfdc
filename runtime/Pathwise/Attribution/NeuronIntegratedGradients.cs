using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// Integrated Gradients of one neuron's value <c>y_j</c> with respect to the input:
/// <c>attr_i = (x_i - x'_i) * integral_0^1 dy_j/dx_i(x' + a (x - x')) da</c>; completeness against
/// <c>y_j(x) - y_j(x')</c>.
/// </summary>
/// <remarks>Safe to call from many threads at once: each call rents its workspace from a pool the instance owns.</remarks>
public sealed class NeuronIntegratedGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for neurons of <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public NeuronIntegratedGradients(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _host = CpuPathEngine<T>.Host(network, Options);
        _layer = _host.Plan.Resolve(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int neuron, CancellationToken cancellationToken = default) =>
        NeuronIntegratedGradientsMath<T>.Attribute(_host, _layer, neuron, input, default, ownBaseline: false, cancellationToken);

    /// <summary>
    /// Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature, along the path from
    /// this call's own <paramref name="baseline"/> <c>x'</c>: <c>attr_i = (x_i - x'_i) * integral_0^1 dy_j/dx_i(x' + a (x - x')) da</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int neuron, CancellationToken cancellationToken = default) =>
        NeuronIntegratedGradientsMath<T>.Attribute(_host, _layer, neuron, input, baseline, ownBaseline: true, cancellationToken);

    /// <summary>
    /// A batch: <paramref name="inputs"/> <c>[n, input length]</c>, neuron <c>neurons[m]</c> (a flat index into the layer) of
    /// input <c>m</c>, each from the options' baseline or from row <c>m</c> of <paramref name="baselines"/> <c>[n, input length]</c>:
    /// <c>attr_mi = (x_mi - x'_mi) * integral_0^1 dy_j/dx_i(x'_m + a (x_m - x'_m)) da</c>, <c>j = neurons[m]</c>; one result per input, in order.
    /// </summary>
    /// <remarks>Each input runs the code of a single call, so on the CPU a batch's results equal the single calls' bit for bit.</remarks>
    /// <exception cref="ArgumentException">The spans' lengths disagree, or a row holds a non-finite value (the error names the row).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A neuron is not a neuron of the layer (the error names the row).</exception>
    public Attribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> neurons, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        NeuronIntegratedGradientsMath<T>.Batch(_host, _layer, inputs, neurons, baselines, progress, cancellationToken);
}

/// <summary>
/// Neuron Integrated Gradients' mathematics, for both backends: per chunk one backward pass from the layer seeded with
/// 1 at neuron <c>j</c>, <c>g += sum_k c_k dy_j/dx(x_k)</c>; then <c>attr_i = (x_i - x'_i) g_i</c>, complete against <c>y_j(x) - y_j(x')</c>.
/// </summary>
internal static class NeuronIntegratedGradientsMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static Attribution<T> Attribute(PathHost<T> host, Layer layer, int neuron, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, CancellationToken cancellationToken)
    {
        Guard.Index(neuron, layer.Size, nameof(neuron));
        using var lease = host.Borrow();

        // No output is explained; output 0 stands in so the input and baseline get the common checks.
        return Run(lease.Item, layer, neuron, ownBaseline ? PathRequest<T>.ForTarget(input, baseline, 0) : PathRequest<T>.ForTarget(input, 0), cancellationToken);
    }

    /// <summary>
    /// A batch (see <see cref="PathBatch"/>), one neuron per input (checked and named as <c>neurons</c>); stacked on a device
    /// that stacks, each example's rows seeded at its own neuron.
    /// </summary>
    public static Attribution<T>[] Batch(PathHost<T> host, Layer layer, ReadOnlySpan<T> inputs, ReadOnlySpan<int> neurons, ReadOnlySpan<T> baselines, IProgress<int>? progress, CancellationToken cancellationToken) =>
        PathBatch.Run(
            host,
            inputs,
            neurons,
            BatchIndices.Neurons(layer),
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) =>
                Run(engine, layer, request.Target, request.OwnBaseline ? PathRequest<T>.ForTarget(request.Input, request.Baseline, 0) : PathRequest<T>.ForTarget(request.Input, 0), token),
            (engine, results, token) => Stacked(engine, layer, results, token),
            progress,
            cancellationToken);

    /// <summary>The examples stacked on <paramref name="engine"/>, each with its own neuron (<see cref="PathStack{T}.Indices"/>), in one chunk loop: one result each.</summary>
    public static void Stacked(IStackedPathEngine<T> engine, Layer layer, Span<Attribution<T>> results, CancellationToken cancellationToken)
    {
        var steps = new Steps(layer, PathStack<T>.EachExample);
        PathRunner.Run(engine, ref steps, cancellationToken);
        PathStack<T> stack = engine.Stack;
        int length = engine.Plan.Info.InputLength;
        ReadOnlySpan<T> all = engine.Accumulated(steps.GradientSum);    // [examples, L]
        ReadOnlySpan<T> endpoints = engine.Endpoints(layer);            // [2, examples, layer size]
        for (int m = 0; m < results.Length; m++)
        {
            int neuron = stack.Indices[m];
            results[m] = Result(engine.Plan, stack.Direction(m), all.Slice(m * length, length), endpoints[m * layer.Size + neuron], endpoints[(stack.Count + m) * layer.Size + neuron], engine.Plan.Points, engine.Plan.Rule, null);
        }
    }

    /// <summary>Begins <paramref name="request"/> (output 0 standing in) on a rented engine and runs neuron <paramref name="neuron"/>: the code of every single call.</summary>
    public static Attribution<T> Run(IPathEngine<T> engine, Layer layer, int neuron, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        var steps = new Steps(layer, neuron);
        PathSplit.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> endpoints = engine.Endpoints(layer);
        return Result(engine.Plan, engine.Call.Direction, engine.Accumulated(steps.GradientSum), endpoints[neuron], endpoints[layer.Size + neuron], engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.GradientSum));
    }

    /// <summary><c>attr_i = (x_i - x'_i) g_i</c> into a new result, complete against <c>y_j(x) - y_j(x')</c>, with the adaptive rule's <paramref name="error"/> (or none).</summary>
    private static Attribution<T> Result(PathPlan<T> plan, ReadOnlySpan<T> direction, ReadOnlySpan<T> gradientSum, T atBaseline, T atInput, int points, QuadratureRule rule, QuadratureError? error)
    {
        var values = new T[plan.Info.InputLength];
        double sum = PathRunner.ScaleByDirection<T>(direction, gradientSum, values);
        var delta = ConvergenceDelta.From(sum, double.CreateChecked(atInput), double.CreateChecked(atBaseline));
        return new Attribution<T>(values, plan.Info.Input.OutputShape, delta, points, rule) { Error = error };
    }

    private struct Steps(Layer layer, int neuron) : IPathSteps<T>
    {
        public int GradientSum;

        public readonly Layer? EndpointLayer => layer;

        public void Start(IPathEngine<T> engine)
        {
            GradientSum = engine.NewAccumulator(engine.Plan.Info.InputLength);
            engine.Call.ScaleErrors(GradientSum, PathVector.Direction);
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count) =>
            engine.AddNeuronInputGradientSum(layer, neuron, NeuronSeed.One, GradientSum, 0);
    }
}
