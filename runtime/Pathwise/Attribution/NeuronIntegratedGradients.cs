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
        IPathEngine<T> engine = lease.Item;

        // No output is explained; output 0 stands in so the input and baseline get the common checks.
        engine.Call.Begin(ownBaseline ? PathRequest<T>.ForTarget(input, baseline, 0) : PathRequest<T>.ForTarget(input, 0));
        var steps = new Steps(layer, neuron);
        PathSplit.Run(engine, ref steps, cancellationToken);
        var values = new T[host.Info.InputLength];
        double sum = PathRunner.ScaleByDirection<T>(engine.Call.Direction, engine.Accumulated(steps.GradientSum), values);
        ReadOnlySpan<T> endpoints = engine.Endpoints(layer);
        var delta = ConvergenceDelta.From(sum, double.CreateChecked(endpoints[layer.Size + neuron]), double.CreateChecked(endpoints[neuron]));
        return new Attribution<T>(values, host.Info.Input.OutputShape, delta, engine.Call.Points, engine.Call.Rule);
    }

    private struct Steps(Layer layer, int neuron) : IPathSteps<T>
    {
        public int GradientSum;

        public readonly Layer? EndpointLayer => layer;

        public void Start(IPathEngine<T> engine) => GradientSum = engine.NewAccumulator(engine.Plan.Info.InputLength);

        public readonly void Step(IPathEngine<T> engine, int start, int count) =>
            engine.AddNeuronInputGradientSum(layer, neuron, NeuronSeed.One, GradientSum, 0);
    }
}
