using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Internal influence on a torch device: <c>I_j = sum_k w_k dF/dy_j(x' + a_k (x - x'))</c>, the path-averaged
/// gradient at the layer. Same options, checks and results as <see cref="InternalInfluence{T}"/> (no delta).
/// </summary>
/// <remarks>
/// One forward and one reverse pass per internal batch of path points; the weighted gradients are summed on the
/// device and copied back once. Every native tensor of a call is released when it returns. Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchInternalInfluence<T> : IAttributionMethod<T, LayerInfluence<T>>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    public TorchInternalInfluence(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
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
    /// <remarks>Stacked on the device, as <see cref="TorchLayerConductance{T}.AttributeBatch"/>.</remarks>
    public LayerInfluence<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Influence.Batch(_host, _layer, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The internal influence of every neuron on each of several outputs of one input, in one pass: per chunk one forward
    /// pass, then one backward pass per target; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public LayerInfluence<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Influence.Targets(_host, _layer, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// The internal influence of every neuron on each of several outputs of one input, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerInfluence<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Influence.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, cancellationToken);

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _host.Dispose();

    /// <summary>The internal influence of every neuron on output <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public LayerInfluence<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Influence.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>
    /// The internal influence of every neuron on output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>I_j = sum_k w_k dF/dy_j(x' + a_k (x - x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerInfluence<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Influence.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);
}
