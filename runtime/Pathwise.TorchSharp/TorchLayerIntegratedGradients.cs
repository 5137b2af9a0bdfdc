using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Layer Integrated Gradients in the layer's activation space on a torch device, as Captum's
/// <c>LayerIntegratedGradients</c>: <c>LIG_j = (y_j(x) - y_j(x')) sum_k w_k dF/dy_j(y(a_k))</c> along
/// <c>y(a) = y(x') + a (y(x) - y(x'))</c> through the layers above the layer, with the convergence delta
/// <c>sum_j LIG_j - (F(x) - F(x'))</c>. Same options, checks and results as <see cref="LayerIntegratedGradients{T}"/>.
/// </summary>
/// <remarks>
/// Per call, one forward pass of <c>x'</c> and <c>x</c> for the layer's ends; per internal batch of path points, one
/// forward pass through the layers above the layer and one reverse pass for <c>dF/dy</c>; the weighted sums stay on the
/// device and come back once. Every native tensor of a call is released when it returns. Safe to call from many
/// threads at once (see <see cref="TorchLayerConductance{T}"/>); dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchLayerIntegratedGradients<T> : IAttributionMethod<T, LayerAttribution<T>>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    /// <exception cref="NotSupportedException">The exact rule was asked for and a layer above <paramref name="layer"/> has a smooth activation.</exception>
    public TorchLayerIntegratedGradients(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        Options = options ?? new LayerAttributionOptions();
        Options.Validate();
        var plan = new PathPlan<T>(network.Info, Options);
        _layer = plan.Resolve(layer, Options.AttributeToLayerInput);
        Layer origin = _layer;
        plan = plan.WithOrigin(origin).WithRule(Options, prefix => PiecewiseLinearPath.Of(network.Info, TorchPathEngine<T>.HostTensors(network), origin, prefix));
        _host = TorchPathEngine<T>.Host(network, plan);
        Device = network.Device;
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device { get; }

    /// <inheritdoc/>
    /// <remarks>Example by example on the device: each example's path has its own ends in the layer's space.</remarks>
    public LayerAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        LayerMath<T>.LayerIntegratedGradients.Batch(_host, _layer, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The attribution of every neuron for each of several outputs of one input, in one pass: per chunk one forward
    /// pass through the layers above, then one backward pass per target; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerMath<T>.LayerIntegratedGradients.Targets(_host, _layer, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// The attribution of every neuron for each of several outputs of one input, along the line from the layer's
    /// activations at this call's own <paramref name="baseline"/>, in one pass; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerMath<T>.LayerIntegratedGradients.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, cancellationToken);

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _host.Dispose();

    /// <summary>The attribution of every neuron of the layer for output <paramref name="target"/>: <c>(y_j(x) - y_j(x')) integral_0^1 dF/dy_j da</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        LayerMath<T>.LayerIntegratedGradients.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>The attribution of every neuron of the layer for the weighted output <c>sum_j outputCoefficients[j] F_j</c>.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        LayerMath<T>.LayerIntegratedGradients.Attribute(_host, _layer, PathRequest<T>.ForWeights(input, outputCoefficients), cancellationToken);

    /// <summary>
    /// The attribution of every neuron for output <paramref name="target"/>, along the line from the layer's activations
    /// at this call's own <paramref name="baseline"/> <c>x'</c>: <c>y(a) = y(x') + a (y(x) - y(x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        LayerMath<T>.LayerIntegratedGradients.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <summary>
    /// The attribution of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>, along the line from
    /// the layer's activations at this call's own <paramref name="baseline"/> <c>x'</c>: <c>y(a) = y(x') + a (y(x) - y(x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of its expected length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        LayerMath<T>.LayerIntegratedGradients.Attribute(_host, _layer, PathRequest<T>.ForWeights(input, baseline, outputCoefficients), cancellationToken);
}
