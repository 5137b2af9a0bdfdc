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
        LayerConductanceMath<T>.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>The conductance of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        LayerConductanceMath<T>.Attribute(_host, _layer, PathRequest<T>.ForWeights(input, outputCoefficients), cancellationToken);

    /// <summary>
    /// The conductance of every neuron for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>Cond_j = integral_0^1 dF/dy_j(x(a)) * dy_j(x(a))/da da</c>, <c>x(a) = x' + a (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        LayerConductanceMath<T>.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <summary>
    /// The conductance of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>, along the path
    /// from this call's own <paramref name="baseline"/> <c>x'</c>: <c>x(a) = x' + a (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of its expected length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        LayerConductanceMath<T>.Attribute(_host, _layer, PathRequest<T>.ForWeights(input, baseline, outputCoefficients), cancellationToken);

    /// <inheritdoc/>
    public LayerAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        LayerConductanceMath<T>.Batch(_host, _layer, inputs, targets, baselines, stacked: false, progress, cancellationToken);

    /// <summary>
    /// The conductance of every neuron for each of several outputs of one input, in one pass: per chunk the path points
    /// run forward once (with the tangent <c>J_y (x - x')</c>), then one backward pass per target; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerConductanceMath<T>.Targets(_host, _layer, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// The conductance of every neuron for each of several outputs of one input, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass (see the form without a baseline); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerConductanceMath<T>.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, cancellationToken);
}

/// <summary>
/// Layer conductance's mathematics, for both backends: per chunk one backward pass for <c>dF/dy</c> and the
/// tangent <c>J_y (x - x')</c>, <c>Cond_j += sum_k c_k dF/dy_j(x_k) [J_y(x_k) (x - x')]_j</c>; the delta against the endpoints.
/// </summary>
internal static class LayerConductanceMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static LayerAttribution<T> Attribute(PathHost<T> host, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        return Run(lease.Item, layer, request, cancellationToken);
    }

    /// <summary>Checks and begins <paramref name="request"/> on a rented engine and runs it: the code of every single call.</summary>
    public static LayerAttribution<T> Run(IPathEngine<T> engine, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        var steps = new Steps(layer);
        PathSplit.Run(engine, ref steps, cancellationToken);
        T[] conductance = engine.Accumulated(steps.Conductance).ToArray();
        (double atBaseline, double atInput) = PathRunner.ExplainedEndpoints(engine);
        return new LayerAttribution<T>(layer, conductance, ConvergenceDelta.From(PathSums.Sum<T>(conductance), atInput, atBaseline), engine.Call.Points, engine.Call.Rule)
        {
            Error = engine.Call.Adaptive?.Error(steps.Conductance),
        };
    }

    /// <summary>A batch (see <see cref="PathBatch"/>); stacked on a device that stacks when <paramref name="stacked"/>.</summary>
    public static LayerAttribution<T>[] Batch(PathHost<T> host, Layer layer, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, bool stacked, IProgress<int>? progress, CancellationToken cancellationToken) =>
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
    public static void Stacked(IStackedPathEngine<T> engine, Layer layer, Span<LayerAttribution<T>> results, CancellationToken cancellationToken)
    {
        var steps = new Steps(layer);
        PathRunner.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> all = engine.Accumulated(steps.Conductance);
        for (int m = 0; m < results.Length; m++)
        {
            T[] conductance = all.Slice(m * layer.Size, layer.Size).ToArray();
            (double atBaseline, double atInput) = engine.Stack.ExplainedEndpoints(engine, m);
            results[m] = new LayerAttribution<T>(layer, conductance, ConvergenceDelta.From(PathSums.Sum<T>(conductance), atInput, atBaseline), engine.Plan.Points, engine.Plan.Rule);
        }
    }

    /// <summary>
    /// Several targets of one input in one pass: per chunk one forward pass, then per target a backward pass seeded with
    /// its one-hot and its weighted product with the chunk's tangent (computed once); each target's numbers are its single call's.
    /// </summary>
    public static LayerAttribution<T>[] Targets(PathHost<T> host, Layer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        var steps = new TargetSteps<T>(layer, targets, conductance: true);
        PathRunner.Run(engine, ref steps, cancellationToken);
        var results = new LayerAttribution<T>[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            T[] conductance = engine.Accumulated(steps.First + t).ToArray();
            (double atBaseline, double atInput) = PathTargets.Endpoints(engine, targets[t]);
            results[t] = new LayerAttribution<T>(layer, conductance, ConvergenceDelta.From(PathSums.Sum<T>(conductance), atInput, atBaseline), engine.Call.Points, engine.Call.Rule)
            {
                Error = engine.Call.Adaptive?.Error(steps.First + t),
            };
        }

        return results;
    }

    private struct Steps(Layer layer) : IPathSteps<T>
    {
        public int Conductance;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine) => Conductance = engine.NewAccumulator(layer.Size);

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            engine.BackwardFromOutput(layer, throughInput: false);
            engine.AddConductance(layer, PathVector.Direction, Conductance);
        }
    }
}

/// <summary>
/// Per chunk, for each of several targets, a backward pass from that output to a layer and its weighted reduction into
/// the target's accumulator: the conductance <c>sum_k c_k dF_t/dy_j [J_y (x - x')]_j</c> or the gradient sum <c>sum_k c_k dF_t/dy_j</c>.
/// The forward pass (and, for conductance, the tangent) is shared by the targets.
/// </summary>
internal ref struct TargetSteps<T>(Layer layer, ReadOnlySpan<int> targets, bool conductance) : IPathSteps<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ReadOnlySpan<int> _targets = targets;

    /// <summary>The first target's accumulator; target <c>t</c>'s is <c>First + t</c>.</summary>
    public int First;

    public readonly Layer? EndpointLayer => null;

    public void Start(IPathEngine<T> engine)
    {
        for (int t = 0; t < _targets.Length; t++)
        {
            int handle = engine.NewAccumulator(layer.Size);
            First = t == 0 ? handle : First;
        }
    }

    public readonly void Step(IPathEngine<T> engine, int start, int count)
    {
        for (int t = 0; t < _targets.Length; t++)
        {
            engine.BackwardFromOutput(layer, throughInput: false, _targets[t]);
            if (conductance)
            {
                engine.AddConductance(layer, PathVector.Direction, First + t);
            }
            else
            {
                engine.AddLayerGradientSum(layer, First + t);
            }
        }
    }
}
