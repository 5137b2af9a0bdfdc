using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Total conductance of every neuron of a layer (Dhamdhere et al., arXiv 1807.09946; Captum's <c>LayerConductance</c>):
/// <c>Cond_j = integral_0^1 dF/dy_j(x(a)) * dy_j(x(a))/da da</c> along <c>x(a) = x' + a (x - x')</c>, i.e. along the
/// layer's image of the input path. Not <see cref="LayerIntegratedGradients{T}"/>, which follows the straight line
/// between the layer's activations at <c>x'</c> and <c>x</c> instead.
/// </summary>
/// <remarks>
/// Per path point, one forward pass carries the forward-mode tangent <c>dy/da = J_y (x - x')</c> and one
/// backward pass the gradient <c>dF/dy</c>, for all neurons at once; the integral is then the quadrature
/// rule's weighted sum of their product. Because the derivative <c>dy/da</c> is evaluated at each node
/// (not differenced between consecutive nodes), every rule's endpoints are right, and on a layer that is
/// linear in the input the result is exact for every rule. Completeness: <c>sum_j Cond_j = F(x) - F(x')</c>
/// up to the quadrature error, reported as <see cref="LayerAttribution{T}.Delta"/>. Safe to call from many
/// threads at once: each call rents its workspace from a pool the instance owns.
/// </remarks>
public sealed class LayerConductance<T> : IAttributionMethod<T, LayerAttribution<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public LayerConductance(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _host = CpuPathEngine<T>.Host(network, Options);
        _layer = _host.Plan.Resolve(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The conductance of every neuron for output <paramref name="target"/>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Conductance.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>The conductance of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Conductance.Attribute(_host, _layer, PathRequest<T>.ForWeights(input, outputCoefficients), cancellationToken);

    /// <summary>
    /// The conductance of every neuron for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>Cond_j = integral_0^1 dF/dy_j(x(a)) * dy_j(x(a))/da da</c>, <c>x(a) = x' + a (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Conductance.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <summary>
    /// The conductance of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>, along the path
    /// from this call's own <paramref name="baseline"/> <c>x'</c>: <c>x(a) = x' + a (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of its expected length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Conductance.Attribute(_host, _layer, PathRequest<T>.ForWeights(input, baseline, outputCoefficients), cancellationToken);

    /// <inheritdoc/>
    public LayerAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Conductance.Batch(_host, _layer, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The conductance of every neuron for each of several outputs of one input, in one pass: per chunk the path points
    /// run forward once (with the tangent <c>J_y (x - x')</c>), then one backward pass per target; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Conductance.Targets(_host, _layer, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// The conductance of every neuron for each of several outputs of one input, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass (see the form without a baseline); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Conductance.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, cancellationToken);
}
