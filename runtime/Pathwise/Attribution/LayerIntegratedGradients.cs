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
        LayerIntegratedGradientsMath<T>.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>The attribution of every neuron of the layer for the weighted output <c>sum_j outputCoefficients[j] F_j</c>.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        LayerIntegratedGradientsMath<T>.Attribute(_host, _layer, PathRequest<T>.ForWeights(input, outputCoefficients), cancellationToken);

    /// <summary>
    /// The attribution of every neuron for output <paramref name="target"/>, along the line from the layer's activations
    /// at this call's own <paramref name="baseline"/> <c>x'</c>: <c>y(a) = y(x') + a (y(x) - y(x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        LayerIntegratedGradientsMath<T>.Attribute(_host, _layer, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <summary>
    /// The attribution of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>, along the line from
    /// the layer's activations at this call's own <paramref name="baseline"/> <c>x'</c>: <c>y(a) = y(x') + a (y(x) - y(x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of its expected length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        LayerIntegratedGradientsMath<T>.Attribute(_host, _layer, PathRequest<T>.ForWeights(input, baseline, outputCoefficients), cancellationToken);

    /// <inheritdoc/>
    public LayerAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        LayerIntegratedGradientsMath<T>.Batch(_host, _layer, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The attribution of every neuron for each of several outputs of one input, in one pass: per chunk the layers above
    /// run forward once, then one backward pass per target; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerIntegratedGradientsMath<T>.Targets(_host, _layer, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// The attribution of every neuron for each of several outputs of one input, along the line from the layer's
    /// activations at this call's own <paramref name="baseline"/>, in one pass; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        LayerIntegratedGradientsMath<T>.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, cancellationToken);
}

/// <summary>
/// Layer Integrated Gradients' mathematics, for both backends, on a plan whose path runs in the layer's activation space
/// (<see cref="PathPlan{T}.Origin"/>): the call's ends <c>y(x')</c>, <c>y(x)</c> first, then per chunk one backward pass to
/// the layer, <c>G_j += sum_k c_k dF/dy_j(y(a_k))</c>; finally <c>LIG_j = (y_j(x) - y_j(x')) G_j</c> and the delta against
/// the endpoints.
/// </summary>
internal static class LayerIntegratedGradientsMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static LayerAttribution<T> Attribute(PathHost<T> host, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        return Run(lease.Item, layer, request, cancellationToken);
    }

    /// <summary>Checks and begins <paramref name="request"/> on a rented engine, finds the layer's ends and runs the path: the code of every single call.</summary>
    public static LayerAttribution<T> Run(IPathEngine<T> engine, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        engine.BeginLayerPath();
        var steps = new Steps(layer);
        PathSplit.Run(engine, ref steps, cancellationToken);
        (double atBaseline, double atInput) = PathRunner.ExplainedEndpoints(engine);
        return Result(engine, layer, engine.Accumulated(steps.Gradients), atBaseline, atInput, engine.Call.Adaptive?.Error(steps.Gradients));
    }

    /// <summary>A batch (see <see cref="PathBatch"/>), example by example: each example's path has its own ends in the layer's space.</summary>
    public static LayerAttribution<T>[] Batch(PathHost<T> host, Layer layer, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, IProgress<int>? progress, CancellationToken cancellationToken) =>
        PathBatch.Run(
            host,
            inputs,
            targets,
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) => Run(engine, layer, request, token),
            null,
            progress,
            cancellationToken);

    /// <summary>
    /// Several targets of one input in one pass: the layer's ends once, per chunk one forward pass through the layers above,
    /// then per target a backward pass seeded with its one-hot; each target's numbers are its single call's.
    /// </summary>
    public static LayerAttribution<T>[] Targets(PathHost<T> host, Layer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        engine.BeginLayerPath();
        var steps = new LayerPathMath<T, LayerAttribution<T>>.TargetSteps(layer, targets, conductance: false);
        PathRunner.Run(engine, ref steps, cancellationToken);
        var results = new LayerAttribution<T>[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            (double atBaseline, double atInput) = PathTargets.Endpoints(engine, targets[t]);
            results[t] = Result(engine, layer, engine.Accumulated(steps.First + t), atBaseline, atInput);
        }

        return results;
    }

    /// <summary><c>LIG_j = (y_j(x) - y_j(x')) G_j</c> from the gradient sums <paramref name="gradients"/>, with the delta against <c>F(x) - F(x')</c>.</summary>
    private static LayerAttribution<T> Result(IPathEngine<T> engine, Layer layer, ReadOnlySpan<T> gradients, double atBaseline, double atInput, QuadratureError? error = null)
    {
        var values = new T[layer.Size];
        // On the input layer the path is the input's own (Integrated Gradients).
        ReadOnlySpan<T> direction = engine.Plan.InLayerSpace ? engine.Call.LayerDirection : engine.Call.Direction;
        double sum = PathRunner.ScaleByDirection<T>(direction, gradients, values);
        return new LayerAttribution<T>(layer, values, ConvergenceDelta.From(sum, atInput, atBaseline), engine.Call.Points, engine.Call.Rule) { Error = error };
    }

    private struct Steps(Layer layer) : IPathSteps<T>
    {
        public int Gradients;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine)
        {
            Gradients = engine.NewAccumulator(layer.Size);
            // The values are (y(x) - y(x')) G: the adaptive rule weighs and reports G's errors alike.
            engine.Call.ScaleErrors(Gradients, engine.Plan.InLayerSpace ? PathVector.LayerDirection : PathVector.Direction);
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            engine.BackwardFromOutput(layer, throughInput: false);
            engine.AddLayerGradientSum(layer, Gradients);
        }
    }
}
