using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Integrated Gradients of one neuron's value on a torch device:
/// <c>attr_i = (x_i - x'_i) sum_k w_k dy_j/dx_i(x' + a_k (x - x'))</c>, with completeness against
/// <c>y_j(x) - y_j(x')</c>. Same options, checks and results as <see cref="NeuronIntegratedGradients{T}"/>.
/// </summary>
/// <remarks>
/// One forward pass to the layer and one reverse pass of <c>sum_k w_k y_j(x_k)</c> per internal batch of path
/// points; the gradients are summed on the device and copied back once with the endpoint activations.
/// Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchNeuronIntegratedGradients<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    public TorchNeuronIntegratedGradients(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        PathPlan<T> plan = TorchPathEngine<T>.NewPlan(network, Options);
        _layer = plan.Resolve(layer, Options.AttributeToLayerInput);
        _host = TorchPathEngine<T>.Host(network, plan);
        Device = network.Device;
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device { get; }

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _host.Dispose();

    /// <summary>Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="neuron"/> is not a neuron of the layer.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int neuron, CancellationToken cancellationToken = default) =>
        NeuronIntegratedGradientsMath<T>.Attribute(_host, _layer, neuron, input, default, ownBaseline: false, cancellationToken);

    /// <summary>
    /// Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature, along the path from
    /// this call's own <paramref name="baseline"/> <c>x'</c>: <c>attr_i = (x_i - x'_i) sum_k w_k dy_j/dx_i(x' + a_k (x - x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="neuron"/> is not a neuron of the layer.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int neuron, CancellationToken cancellationToken = default) =>
        NeuronIntegratedGradientsMath<T>.Attribute(_host, _layer, neuron, input, baseline, ownBaseline: true, cancellationToken);

    /// <summary>
    /// A batch: <paramref name="inputs"/> <c>[n, input length]</c>, neuron <c>neurons[m]</c> (a flat index into the layer) of
    /// input <c>m</c>, each from the options' baseline or from row <c>m</c> of <paramref name="baselines"/> <c>[n, input length]</c>:
    /// <c>attr_mi = (x_mi - x'_mi) * integral_0^1 dy_j/dx_i(x'_m + a (x_m - x'_m)) da</c>, <c>j = neurons[m]</c>; one result per input, in order.
    /// </summary>
    /// <remarks>Stacked on the device, as <see cref="TorchIntegratedGradients{T}.AttributeBatch"/>: the inputs run in groups of <c>max(1, InternalBatchSize / chunk)</c>, each chunk's points of a group one tensor <c>[inputs * points, ...input]</c>, one reverse pass per chunk seeding each input's rows at its own neuron.</remarks>
    /// <exception cref="ArgumentException">The spans' lengths disagree, or a row holds a non-finite value (the error names the row).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A neuron is not a neuron of the layer (the error names the row).</exception>
    public Attribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> neurons, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        NeuronIntegratedGradientsMath<T>.Batch(_host, _layer, inputs, neurons, baselines, progress, cancellationToken);
}
