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

    /// <inheritdoc/>
    public LayerInfluence<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        InternalInfluenceMath<T>.Batch(_host, _layer, inputs, targets, baselines, stacked: false, progress, cancellationToken);

    /// <summary>
    /// The internal influence of every neuron on each of several outputs of one input, in one pass: per chunk the path
    /// points run forward once, then one backward pass per target; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    public LayerInfluence<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        InternalInfluenceMath<T>.Targets(_host, _layer, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// The internal influence of every neuron on each of several outputs of one input, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerInfluence<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        InternalInfluenceMath<T>.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, cancellationToken);
}

/// <summary>Internal influence's mathematics, for both backends: per chunk one backward pass, <c>I_j += sum_k c_k dF/dy_j(x_k)</c>.</summary>
internal static class InternalInfluenceMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static LayerInfluence<T> Attribute(PathHost<T> host, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        return Run(lease.Item, layer, request, cancellationToken);
    }

    /// <summary>Checks and begins <paramref name="request"/> on a rented engine and runs it: the code of every single call.</summary>
    public static LayerInfluence<T> Run(IPathEngine<T> engine, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        var steps = new Steps(layer);
        PathSplit.Run(engine, ref steps, cancellationToken);
        return new LayerInfluence<T>(layer, engine.Accumulated(steps.Influence).ToArray(), engine.Call.Points, engine.Call.Rule)
        {
            Error = engine.Call.Adaptive?.Error(steps.Influence),
        };
    }

    /// <summary>A batch (see <see cref="PathBatch"/>); stacked on a device that stacks when <paramref name="stacked"/>.</summary>
    public static LayerInfluence<T>[] Batch(PathHost<T> host, Layer layer, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, bool stacked, IProgress<int>? progress, CancellationToken cancellationToken) =>
        PathBatch.Run(
            host,
            inputs,
            targets,
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) => Run(engine, layer, request, token),
            stacked ? (engine, results, token) => Stacked(engine, layer, results, token) : null,
            progress,
            cancellationToken);

    /// <summary>The examples stacked on <paramref name="engine"/>, in one chunk loop: one result each.</summary>
    public static void Stacked(IStackedPathEngine<T> engine, Layer layer, Span<LayerInfluence<T>> results, CancellationToken cancellationToken)
    {
        var steps = new Steps(layer);
        PathRunner.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> all = engine.Accumulated(steps.Influence);
        for (int m = 0; m < results.Length; m++)
        {
            results[m] = new LayerInfluence<T>(layer, all.Slice(m * layer.Size, layer.Size).ToArray(), engine.Plan.Points, engine.Plan.Rule);
        }
    }

    /// <summary>Several targets of one input in one pass: per chunk one forward pass, then a backward pass per target.</summary>
    public static LayerInfluence<T>[] Targets(PathHost<T> host, Layer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        var steps = new TargetSteps<T>(layer, targets, conductance: false);
        PathRunner.Run(engine, ref steps, cancellationToken);
        var results = new LayerInfluence<T>[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            results[t] = new LayerInfluence<T>(layer, engine.Accumulated(steps.First + t).ToArray(), engine.Call.Points, engine.Call.Rule)
            {
                Error = engine.Call.Adaptive?.Error(steps.First + t),
            };
        }

        return results;
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
