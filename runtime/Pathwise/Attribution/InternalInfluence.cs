using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Internal influence of every neuron of a layer (Leino et al.): <c>I_j = integral_0^1 dF/dy_j(x' + a (x - x')) da</c>,
/// the path-averaged gradient at the layer, from one backward pass per chunk of path points.
/// </summary>
/// <remarks>Safe to call from many threads at once: each call rents its workspace from a pool the instance owns.</remarks>
public sealed class InternalInfluence<T> : IAttributionMethod<T, LayerInfluence<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public InternalInfluence(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _host = CpuPathEngine<T>.Host(network, Options);
        _layer = _host.Plan.Resolve(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The internal influence of every neuron on output <paramref name="target"/>.</summary>
    public LayerInfluence<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Influence.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>
    /// The internal influence of every neuron on output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>I_j = integral_0^1 dF/dy_j(x' + a (x - x')) da</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerInfluence<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Influence.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <inheritdoc/>
    public LayerInfluence<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        LayerMath<T>.Influence.Batch(_host, _layer, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The internal influence of every neuron on each of several outputs of one input, in one pass: per chunk the path
    /// points run forward once, then one backward pass per target; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
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
}
