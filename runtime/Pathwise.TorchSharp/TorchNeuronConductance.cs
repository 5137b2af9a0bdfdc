using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Neuron conductance on a torch device: <c>NC_ji = (x_i - x'_i) sum_k w_k dF/dy_j(x_k) dy_j/dx_i(x_k)</c> at the
/// quadrature points <c>x_k = x' + a_k (x - x')</c>. Same options, checks and results as <see cref="NeuronConductance{T}"/>.
/// </summary>
/// <remarks>
/// Per internal batch of path points: one forward pass, one reverse pass for <c>dF/dy</c> at every neuron, then
/// one reverse pass per requested neuron <c>j</c> of <c>sum_k w_k dF/dy_j(x_k) y_j(x_k)</c> (the first gradient
/// held constant) over the retained graph, which gives that neuron's row for every input feature at once — never
/// one pass per input feature. The rows are summed on the device and copied back once. Safe to call from many
/// threads at once: each call builds its own tensors and autograd graph, reads the shared device tensors without
/// writing them (nor their <c>.grad</c>), and TorchSharp's dispose scopes and grad mode are per thread; dispose the
/// instance only once no call is running.
/// </remarks>
public sealed class TorchNeuronConductance<T> : IAttributionMethod<T, NeuronAttribution<T>>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    public TorchNeuronConductance(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
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

    /// <inheritdoc/>
    /// <remarks>Every neuron of the layer per input. Stacked on the device, as <see cref="TorchIntegratedGradients{T}.AttributeBatch"/>: the inputs run in groups of <c>max(1, InternalBatchSize / chunk)</c>, each chunk's points of a group one tensor <c>[inputs * points, ...input]</c>, each neuron's reverse pass run once for the whole group.</remarks>
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

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _host.Dispose();

    /// <summary>Every neuron of the layer, for output <paramref name="target"/>: a <c>[layer size, input length]</c> matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        Attribute(input, target, NeuronConductanceMath<T>.AllNeurons(_layer), cancellationToken);

    /// <summary>
    /// Every neuron of the layer, for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>NC_ji = (x_i - x'_i) sum_k w_k dF/dy_j(x_k) dy_j/dx_i(x_k)</c>,
    /// <c>x_k = x' + a_k (x - x')</c>, a <c>[layer size, input length]</c> matrix.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        Attribute(input, baseline, target, NeuronConductanceMath<T>.AllNeurons(_layer), cancellationToken);

    /// <summary>The given <paramref name="neurons"/> (flat indices into the layer), for output <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A neuron is not in the layer, or <paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<int> neurons, CancellationToken cancellationToken = default)
    {
        NeuronConductanceMath<T>.CheckNeurons(_layer, neurons);
        return NeuronConductanceMath<T>.Attribute(_host, _layer, neurons, PathRequest<T>.ForTarget(input, target), cancellationToken);
    }

    /// <summary>
    /// The given <paramref name="neurons"/> (flat indices into the layer), for output <paramref name="target"/>, along the
    /// path from this call's own <paramref name="baseline"/> <c>x'</c>:
    /// <c>NC_ji = (x_i - x'_i) sum_k w_k dF/dy_j(x_k) dy_j/dx_i(x_k)</c>, <c>x_k = x' + a_k (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A neuron is not in the layer, or <paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, ReadOnlySpan<int> neurons, CancellationToken cancellationToken = default)
    {
        NeuronConductanceMath<T>.CheckNeurons(_layer, neurons);
        return NeuronConductanceMath<T>.Attribute(_host, _layer, neurons, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);
    }
}
