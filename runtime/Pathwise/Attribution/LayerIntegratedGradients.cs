using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Layer Integrated Gradients in the layer's activation space, as Captum's <c>LayerIntegratedGradients</c>: the
/// straight line between the layer's activations at the baseline and at the input, <c>y(a) = y(x') + a (y(x) - y(x'))</c>,
/// through the part of the network above the layer,
/// <c>LIG_j = (y_j(x) - y_j(x')) * integral_0^1 dF/dy_j(y(a)) da</c>.
/// </summary>
/// <remarks>
/// <para>
/// Not <see cref="LayerConductance{T}"/>: conductance follows the image of the input path, <c>y(x' + a (x - x'))</c>,
/// which is a curve in the layer's space whenever the layers below are nonlinear, and weighs <c>dF/dy</c> by
/// <c>dy/da</c> along it; this method replaces that curve by the chord between its ends, so only the layers above
/// are evaluated along the path. Both split <c>F(x) - F(x')</c>, and they agree when the layers below are affine.
/// </para>
/// <para>
/// Per path point one forward pass through the layers above and one backward pass down to the layer; the
/// quadrature rule weighs the gradients. Completeness: <c>sum_j LIG_j = F(x) - F(x')</c> up to the quadrature error,
/// reported as <see cref="LayerAttribution{T}.Delta"/>. With <see cref="QuadratureRule.Exact"/> the path is cut where a
/// layer above crosses a breakpoint (the layers below may be smooth). Where a max-pool window stays tied along the whole
/// line (two elements 0 at <c>x</c> and equal at a uniform baseline), the gradient goes to the first, as everywhere in
/// Pathwise. Safe to call from many threads at once: each call rents its workspace from a pool the instance owns.
/// </para>
/// </remarks>
public sealed class LayerIntegratedGradients<T> : IAttributionMethod<T, LayerAttribution<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    /// <exception cref="NotSupportedException">The exact rule was asked for and a layer above <paramref name="layer"/> has a smooth activation.</exception>
    public LayerIntegratedGradients(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        Options.Validate();
        ArgumentNullException.ThrowIfNull(network);
        var plan = new PathPlan<T>(network.Info, Options);
        _layer = plan.Resolve(layer, Options.AttributeToLayerInput);
        _host = CpuPathEngine<T>.Host(network, plan.WithOrigin(_layer).WithRule(Options, PiecewiseLinearPath.Source(network, _layer)));
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

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

    /// <inheritdoc/>
    public LayerAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        LayerMath<T>.LayerIntegratedGradients.Batch(_host, _layer, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The attribution of every neuron for each of several outputs of one input, in one pass: per chunk the layers above
    /// run forward once, then one backward pass per target; one result per target, in order.
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
}
