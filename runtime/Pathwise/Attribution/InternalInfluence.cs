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
        InternalInfluenceMath<T>.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>
    /// The internal influence of every neuron on output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>I_j = integral_0^1 dF/dy_j(x' + a (x - x')) da</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerInfluence<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        InternalInfluenceMath<T>.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);
}

/// <summary>Internal influence's mathematics, for both backends: per chunk one backward pass, <c>I_j += sum_k c_k dF/dy_j(x_k)</c>.</summary>
internal static class InternalInfluenceMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static LayerInfluence<T> Attribute(PathHost<T> host, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        engine.Call.Begin(request);
        var steps = new Steps(layer);
        PathRunner.Run(engine, ref steps, cancellationToken);
        return new LayerInfluence<T>(layer, engine.Accumulated(steps.Influence).ToArray(), host.Plan.Points);
    }

    private struct Steps(Layer layer) : IPathSteps<T>
    {
        public int Influence;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine) => Influence = engine.NewAccumulator(layer.Size);

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            engine.BackwardFromOutput(layer, throughInput: false);
            engine.AddLayerGradientSum(layer, Influence);
        }
    }
}
