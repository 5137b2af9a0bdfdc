using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// One layer method's result from a path's values at the layer, <c>[layer size]</c> (a new array the result may keep), the
/// explained output's endpoints <c>(F(x'), F(x))</c> and, with the adaptive rule, the values' error estimates.
/// </summary>
internal delegate TResult LayerResult<T, TResult>(Layer layer, T[] values, (double AtBaseline, double AtInput) endpoints, int points, QuadratureRule rule, QuadratureError? error)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>What a <see cref="LayerPathMath{T, TResult}"/> accumulates at the layer and how its path runs.</summary>
internal enum LayerPathKind
{
    /// <summary>Layer conductance: <c>sum_k c_k dF/dy_j(x_k) [J_y(x_k) (x - x')]_j</c>, along the input's path.</summary>
    Conductance,

    /// <summary>Internal influence: the gradient sum <c>sum_k c_k dF/dy_j(x_k)</c>, along the input's path.</summary>
    Influence,

    /// <summary>
    /// Layer Integrated Gradients: the gradient sum <c>G_j</c> along the line in the layer's activation space
    /// (<see cref="IPathEngine{T}.BeginLayerPath"/>), reported as <c>(y_j(x) - y_j(x')) G_j</c>.
    /// </summary>
    LayerIntegratedGradients,
}

/// <summary>
/// The mathematics of the layer methods whose chunk is one backward pass from the explained output to the layer and a
/// weighted reduction there, for both backends and every form (single call, batch, stacked batch, several targets):
/// layer conductance <c>Cond_j += sum_k c_k dF/dy_j(x_k) [J_y(x_k) (x - x')]_j</c> (<see cref="LayerMath{T}.Conductance"/>),
/// internal influence <c>I_j += sum_k c_k dF/dy_j(x_k)</c> (<see cref="LayerMath{T}.Influence"/>) and Layer Integrated
/// Gradients <c>LIG_j = (y_j(x) - y_j(x')) sum_k c_k dF/dy_j(y(a_k))</c> on a path in the layer's own activation space
/// (<see cref="LayerMath{T}.LayerIntegratedGradients"/>). Immutable; one instance per method kind.
/// </summary>
internal sealed class LayerPathMath<T, TResult> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LayerPathKind _kind;
    private readonly LayerResult<T, TResult> _result;

    public LayerPathMath(LayerPathKind kind, LayerResult<T, TResult> result)
    {
        _kind = kind;
        _result = result;
    }

    public TResult Attribute(PathHost<T> host, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        return Run(lease.Item, layer, request, cancellationToken);
    }

    /// <summary>
    /// Checks and begins <paramref name="request"/> on a rented engine (for Layer Integrated Gradients, then the layer's
    /// ends) and runs it: the code of every single call.
    /// </summary>
    public TResult Run(IPathEngine<T> engine, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        BeginLayerPath(engine);
        var steps = new Steps(layer, _kind);
        PathSplit.Run(engine, ref steps, cancellationToken);
        return _result(layer, ResultValues(engine, engine.Accumulated(steps.Values)), PathRunner.ExplainedEndpoints(engine), engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.Values));
    }

    /// <summary>
    /// A batch (see <see cref="PathBatch"/>); stacked on a device that stacks, except Layer Integrated Gradients, which runs
    /// example by example: each example's path has its own ends in the layer's space.
    /// </summary>
    public TResult[] Batch(PathHost<T> host, Layer layer, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, IProgress<int>? progress, CancellationToken cancellationToken) =>
        PathBatch.Run(
            host,
            inputs,
            targets,
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) => Run(engine, layer, request, token),
            _kind == LayerPathKind.LayerIntegratedGradients ? null : (engine, results, token) => Stacked(engine, layer, results, token),
            progress,
            cancellationToken);

    /// <summary>The examples stacked on <paramref name="engine"/>, in one chunk loop: one result each.</summary>
    public void Stacked(IStackedPathEngine<T> engine, Layer layer, Span<TResult> results, CancellationToken cancellationToken)
    {
        var steps = new Steps(layer, _kind);
        PathRunner.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> all = engine.Accumulated(steps.Values);    // [examples, layer size]
        for (int m = 0; m < results.Length; m++)
        {
            results[m] = _result(layer, all.Slice(m * layer.Size, layer.Size).ToArray(), engine.Stack.ExplainedEndpoints(engine, m), engine.Plan.Points, engine.Plan.Rule, null);
        }
    }

    /// <summary>
    /// Several targets of one input in one pass (for Layer Integrated Gradients, after the layer's ends once): per chunk one
    /// forward pass (and for conductance one tangent), then per target a backward pass seeded with its one-hot and its
    /// reduction; each target's numbers are its single call's.
    /// </summary>
    public TResult[] Targets(PathHost<T> host, Layer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        BeginLayerPath(engine);
        var steps = new TargetSteps(layer, targets, _kind);
        PathRunner.Run(engine, ref steps, cancellationToken);
        var results = new TResult[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            results[t] = _result(layer, ResultValues(engine, engine.Accumulated(steps.First + t)), PathTargets.Endpoints(engine, targets[t]), engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.First + t));
        }

        return results;
    }

    /// <summary>
    /// The result's values from the accumulated <paramref name="accumulated"/>: a copy, or for Layer Integrated Gradients
    /// <c>(y_j(x) - y_j(x')) G_j</c> (on the input layer, where the path is the input's own, <c>(x - x')_j G_j</c>).
    /// </summary>
    private T[] ResultValues(IPathEngine<T> engine, ReadOnlySpan<T> accumulated)
    {
        if (_kind != LayerPathKind.LayerIntegratedGradients)
        {
            return accumulated.ToArray();
        }

        var values = new T[accumulated.Length];
        PathRunner.ScaleByDirection<T>(engine.Plan.InLayerSpace ? engine.Call.LayerDirection : engine.Call.Direction, accumulated, values);
        return values;
    }

    /// <summary>For Layer Integrated Gradients, the call's ends in the layer's space (a no-op for input-space plans).</summary>
    private void BeginLayerPath(IPathEngine<T> engine)
    {
        if (_kind == LayerPathKind.LayerIntegratedGradients)
        {
            engine.BeginLayerPath();
        }
    }

    /// <summary>Layer Integrated Gradients' values scale <c>G</c> by the path's direction: <c>y(x) - y(x')</c>, or <c>x - x'</c> on the input layer.</summary>
    private static PathVector ErrorScale(IPathEngine<T> engine) => engine.Plan.InLayerSpace ? PathVector.LayerDirection : PathVector.Direction;

    /// <summary>Per chunk, the backward pass from the call's weighting to the layer and the reduction into <see cref="Values"/>.</summary>
    private struct Steps(Layer layer, LayerPathKind kind) : IPathSteps<T>
    {
        public int Values;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine)
        {
            Values = engine.NewAccumulator(layer.Size);
            if (kind == LayerPathKind.LayerIntegratedGradients)
            {
                // The values are (y(x) - y(x')) G: the adaptive rule weighs and reports G's errors alike.
                engine.Call.ScaleErrors(Values, ErrorScale(engine));
            }
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            engine.BackwardFromOutput(layer, throughInput: false);
            Reduce(engine, layer, kind, Values);
        }
    }

    /// <summary>
    /// Per chunk, for each of several targets, a backward pass from that output to the layer and the reduction into the
    /// target's accumulator <c>First + t</c>; the forward pass (and, for conductance, the tangent) is shared by the targets.
    /// </summary>
    private ref struct TargetSteps(Layer layer, ReadOnlySpan<int> targets, LayerPathKind kind) : IPathSteps<T>
    {
        private readonly ReadOnlySpan<int> _targets = targets;

        /// <summary>The first target's accumulator; target <c>t</c>'s is <c>First + t</c>.</summary>
        public int First;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine) => First = kind == LayerPathKind.LayerIntegratedGradients
            ? PathTargets.NewAccumulators(engine, _targets.Length, layer.Size, ErrorScale(engine))
            : PathTargets.NewAccumulators(engine, _targets.Length, layer.Size);

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            for (int t = 0; t < _targets.Length; t++)
            {
                engine.BackwardFromOutput(layer, throughInput: false, _targets[t]);
                Reduce(engine, layer, kind, First + t);
            }
        }
    }

    /// <summary>The conductance <c>sum_k c_k dF/dy_j [J_y (x - x')]_j</c> or the gradient sum <c>sum_k c_k dF/dy_j</c>, after the backward pass.</summary>
    private static void Reduce(IPathEngine<T> engine, Layer layer, LayerPathKind kind, int accumulator)
    {
        if (kind == LayerPathKind.Conductance)
        {
            engine.AddConductance(layer, PathVector.Direction, accumulator);
        }
        else
        {
            engine.AddLayerGradientSum(layer, accumulator);
        }
    }
}

/// <summary>The layer methods written in <see cref="LayerPathMath{T, TResult}"/>, one instance each.</summary>
internal static class LayerMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Layer conductance: the product with the tangent along <c>x - x'</c>; complete against <c>F(x) - F(x')</c>.</summary>
    public static LayerPathMath<T, LayerAttribution<T>> Conductance { get; } = new(
        LayerPathKind.Conductance,
        (layer, values, endpoints, points, rule, error) =>
            new LayerAttribution<T>(layer, values, ConvergenceDelta.From(PathSums.Sum<T>(values), endpoints.AtInput, endpoints.AtBaseline), points, rule) { Error = error });

    /// <summary>Internal influence: the path-integrated gradient at the layer, without a completeness target.</summary>
    public static LayerPathMath<T, LayerInfluence<T>> Influence { get; } = new(
        LayerPathKind.Influence,
        (layer, values, endpoints, points, rule, error) => new LayerInfluence<T>(layer, values, points, rule) { Error = error });

    /// <summary>
    /// Layer Integrated Gradients: the gradient sum along the line in the layer's activation space, times <c>y(x) - y(x')</c>;
    /// complete against <c>F(x) - F(x')</c>.
    /// </summary>
    public static LayerPathMath<T, LayerAttribution<T>> LayerIntegratedGradients { get; } = new(
        LayerPathKind.LayerIntegratedGradients,
        (layer, values, endpoints, points, rule, error) =>
            new LayerAttribution<T>(layer, values, ConvergenceDelta.From(PathSums.Sum<T>(values), endpoints.AtInput, endpoints.AtBaseline), points, rule) { Error = error });
}
