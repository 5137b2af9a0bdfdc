using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// The contribution of each neuron of a layer to the Integrated Gradients of a region <c>S</c> of input features,
/// on a torch device: <c>A_j(S) = sum_k w_k dF/dy_j(x_k) [J_y(x_k) ((x - x') 1_S)]_j</c>, with the delta against
/// <c>sum_{i in S} IG_i</c> from the same quadrature. Same options, checks and results as <see cref="RegionToNeuron{T}"/>.
/// </summary>
/// <remarks>
/// Per internal batch of path points: one forward pass, one reverse pass for <c>dF/dy</c> and <c>dF/dx</c> together,
/// and the exact tangent along the masked direction by two more reverse passes (see <c>TorchPathEngine.Tangent</c>).
/// Sums stay on the device until one copy at the end. Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchRegionToNeuron<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    public TorchRegionToNeuron(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
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

    /// <summary>Each neuron's share of the region's IG for output <paramref name="target"/>; <paramref name="region"/> marks the features of <c>S</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="input"/> a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Attribute(_host, _layer, region, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>
    /// Each neuron's share of the region's IG for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>A_j(S) = sum_k w_k dF/dy_j(x_k) [J_y(x_k) ((x - x') 1_S)]_j</c>,
    /// <c>x_k = x' + a_k (x - x')</c>; <paramref name="region"/> marks the features of <c>S</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">A span is not of the input length, or <paramref name="input"/> or <paramref name="baseline"/> holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Attribute(_host, _layer, region, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <summary>
    /// A batch: <paramref name="inputs"/> <c>[n, input length]</c>, output <c>targets[m]</c> of input <c>m</c>, one
    /// <paramref name="region"/> <c>S</c> for all, each from the options' baseline or from row <c>m</c> of <paramref name="baselines"/>:
    /// <c>A_mj(S) = integral_0^1 dF_t/dy_j(x_m(a)) [J_y(x_m(a)) ((x_m - x'_m) 1_S)]_j da</c>, <c>t = targets[m]</c>; one result per input, in order.
    /// </summary>
    /// <remarks>Stacked on the device, as <see cref="TorchIntegratedGradients{T}.AttributeBatch"/>: the inputs run in groups of <c>max(1, InternalBatchSize / chunk)</c>, each chunk's points of a group one tensor <c>[inputs * points, ...input]</c>, each input's tangent along its own masked direction <c>(x_m - x'_m) 1_S</c>.</remarks>
    /// <exception cref="ArgumentException"><paramref name="region"/> is not of the input length, the spans' lengths disagree, or a row holds a non-finite value (the error names the row).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index (the error names the row).</exception>
    public LayerAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<bool> region, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Batch(_host, _layer, inputs, targets, region, baselines, progress, cancellationToken);

    /// <summary>
    /// Each neuron's share of the region's IG for each of several outputs of one input, in one pass: per chunk the path
    /// points run forward once with the tangent along <c>(x - x') 1_S</c>, then one backward pass per target,
    /// <c>A_tj(S) = integral_0^1 dF_t/dy_j(x(a)) [J_y(x(a)) ((x - x') 1_S)]_j da</c>; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="region"/> or <paramref name="input"/> is not of the input length, or the input holds a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Targets(_host, _layer, input, default, ownBaseline: false, targets, region, cancellationToken);

    /// <summary>
    /// Each neuron's share of the region's IG for each of several outputs of one input, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass (see the form without a baseline); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException">A span is not of the input length, or <paramref name="input"/> or <paramref name="baseline"/> holds a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, region, cancellationToken);
}
