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

/// <summary>
/// The mathematics of the layer methods whose chunk is one backward pass from the explained output to the layer and a
/// weighted reduction there, for both backends and every form (single call, batch, stacked batch, several targets):
/// layer conductance <c>Cond_j += sum_k c_k dF/dy_j(x_k) [J_y(x_k) (x - x')]_j</c> (<see cref="LayerMath{T}.Conductance"/>) and
/// internal influence <c>I_j += sum_k c_k dF/dy_j(x_k)</c> (<see cref="LayerMath{T}.Influence"/>). Immutable; one instance per method kind.
/// </summary>
internal sealed class LayerPathMath<T, TResult> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly bool _conductance;
    private readonly LayerResult<T, TResult> _result;

    public LayerPathMath(bool conductance, LayerResult<T, TResult> result)
    {
        _conductance = conductance;
        _result = result;
    }

    public TResult Attribute(PathHost<T> host, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        return Run(lease.Item, layer, request, cancellationToken);
    }

    /// <summary>Checks and begins <paramref name="request"/> on a rented engine and runs it: the code of every single call.</summary>
    public TResult Run(IPathEngine<T> engine, Layer layer, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        var steps = new Steps(layer, _conductance);
        PathSplit.Run(engine, ref steps, cancellationToken);
        return _result(layer, engine.Accumulated(steps.Values).ToArray(), PathRunner.ExplainedEndpoints(engine), engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.Values));
    }

    /// <summary>A batch (see <see cref="PathBatch"/>); stacked on a device that stacks.</summary>
    public TResult[] Batch(PathHost<T> host, Layer layer, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, IProgress<int>? progress, CancellationToken cancellationToken) =>
        PathBatch.Run(
            host,
            inputs,
            targets,
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) => Run(engine, layer, request, token),
            (engine, results, token) => Stacked(engine, layer, results, token),
            progress,
            cancellationToken);

    /// <summary>The examples stacked on <paramref name="engine"/>, in one chunk loop: one result each.</summary>
    public void Stacked(IStackedPathEngine<T> engine, Layer layer, Span<TResult> results, CancellationToken cancellationToken)
    {
        var steps = new Steps(layer, _conductance);
        PathRunner.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> all = engine.Accumulated(steps.Values);    // [examples, layer size]
        for (int m = 0; m < results.Length; m++)
        {
            results[m] = _result(layer, all.Slice(m * layer.Size, layer.Size).ToArray(), engine.Stack.ExplainedEndpoints(engine, m), engine.Plan.Points, engine.Plan.Rule, null);
        }
    }

    /// <summary>
    /// Several targets of one input in one pass: per chunk one forward pass (and for conductance one tangent), then per
    /// target a backward pass seeded with its one-hot and its reduction; each target's numbers are its single call's.
    /// </summary>
    public TResult[] Targets(PathHost<T> host, Layer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        var steps = new TargetSteps(layer, targets, _conductance);
        PathRunner.Run(engine, ref steps, cancellationToken);
        var results = new TResult[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            results[t] = _result(layer, engine.Accumulated(steps.First + t).ToArray(), PathTargets.Endpoints(engine, targets[t]), engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.First + t));
        }

        return results;
    }

    /// <summary>Per chunk, the backward pass from the call's weighting to the layer and the reduction into <see cref="Values"/>.</summary>
    private struct Steps(Layer layer, bool conductance) : IPathSteps<T>
    {
        public int Values;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine) => Values = engine.NewAccumulator(layer.Size);

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            engine.BackwardFromOutput(layer, throughInput: false);
            Reduce(engine, layer, conductance, Values);
        }
    }

    /// <summary>
    /// Per chunk, for each of several targets, a backward pass from that output to the layer and the reduction into the
    /// target's accumulator <c>First + t</c>; the forward pass (and, for conductance, the tangent) is shared by the targets.
    /// </summary>
    internal ref struct TargetSteps(Layer layer, ReadOnlySpan<int> targets, bool conductance) : IPathSteps<T>
    {
        private readonly ReadOnlySpan<int> _targets = targets;

        /// <summary>The first target's accumulator; target <c>t</c>'s is <c>First + t</c>.</summary>
        public int First;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine) => First = PathTargets.NewAccumulators(engine, _targets.Length, layer.Size);

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            for (int t = 0; t < _targets.Length; t++)
            {
                engine.BackwardFromOutput(layer, throughInput: false, _targets[t]);
                Reduce(engine, layer, conductance, First + t);
            }
        }
    }

    /// <summary>The conductance <c>sum_k c_k dF/dy_j [J_y (x - x')]_j</c> or the gradient sum <c>sum_k c_k dF/dy_j</c>, after the backward pass.</summary>
    private static void Reduce(IPathEngine<T> engine, Layer layer, bool conductance, int accumulator)
    {
        if (conductance)
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
        conductance: true,
        (layer, values, endpoints, points, rule, error) =>
            new LayerAttribution<T>(layer, values, ConvergenceDelta.From(PathSums.Sum<T>(values), endpoints.AtInput, endpoints.AtBaseline), points, rule) { Error = error });

    /// <summary>Internal influence: the path-integrated gradient at the layer, without a completeness target.</summary>
    public static LayerPathMath<T, LayerInfluence<T>> Influence { get; } = new(
        conductance: false,
        (layer, values, endpoints, points, rule, error) => new LayerInfluence<T>(layer, values, points, rule) { Error = error });
}
