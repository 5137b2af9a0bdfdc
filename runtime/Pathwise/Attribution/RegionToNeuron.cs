using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// The contribution of each neuron of a layer to the Integrated Gradients of a region <c>S</c> of input
/// features (arXiv 2202.11912): <c>A_j(S) = integral_0^1 dF/dy_j(x(a)) [J_y(x(a)) ((x - x') 1_S)]_j da</c>.
/// </summary>
/// <remarks>
/// Per chunk of path points: one forward pass carrying the forward-mode tangent along the masked
/// direction <c>(x - x') 1_S</c>, one backward pass, for all neurons at once. For a layer that every path
/// crosses, <c>sum_j A_j(S) = sum_{i in S} IG_i</c> exactly (the same quadrature); the difference is
/// reported as <see cref="LayerAttribution{T}.Delta"/>, whose "output change" is the region's IG. Safe to call
/// from many threads at once: each call rents its workspace from a pool the instance owns.
/// </remarks>
public sealed class RegionToNeuron<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public RegionToNeuron(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _host = CpuPathEngine<T>.Host(network, Options);
        _layer = _host.Plan.Resolve(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>Each neuron's share of the region's IG for output <paramref name="target"/>; <paramref name="region"/> marks the features of <c>S</c>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Attribute(_host, _layer, region, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>
    /// Each neuron's share of the region's IG for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>A_j(S) = integral_0^1 dF/dy_j(x(a)) [J_y(x(a)) ((x - x') 1_S)]_j da</c>,
    /// <c>x(a) = x' + a (x - x')</c>; <paramref name="region"/> marks the features of <c>S</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of the input length, or <paramref name="input"/> or <paramref name="baseline"/> holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Attribute(_host, _layer, region, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <summary>
    /// A batch: <paramref name="inputs"/> <c>[n, input length]</c>, output <c>targets[m]</c> of input <c>m</c>, one
    /// <paramref name="region"/> <c>S</c> for all, each from the options' baseline or from row <c>m</c> of <paramref name="baselines"/>:
    /// <c>A_mj(S) = integral_0^1 dF_t/dy_j(x_m(a)) [J_y(x_m(a)) ((x_m - x'_m) 1_S)]_j da</c>, <c>t = targets[m]</c>; one result per input, in order.
    /// </summary>
    /// <remarks>Each input runs the code of a single call, so on the CPU a batch's results equal the single calls' bit for bit.</remarks>
    /// <exception cref="ArgumentException"><paramref name="region"/> is not of the input length, the spans' lengths disagree, or a row holds a non-finite value (the error names the row).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index (the error names the row).</exception>
    public LayerAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<bool> region, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Batch(_host, _layer, inputs, targets, region, baselines, progress, cancellationToken);

    /// <summary>
    /// Each neuron's share of the region's IG for each of several outputs of one input, in one pass: per chunk the path
    /// points run forward once with the tangent along <c>(x - x') 1_S</c>, then one backward pass per target,
    /// <c>A_tj(S) = integral_0^1 dF_t/dy_j(x(a)) [J_y(x(a)) ((x - x') 1_S)]_j da</c>; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="region"/> or <paramref name="input"/> is not of the input length, or the input holds a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Targets(_host, _layer, input, default, ownBaseline: false, targets, region, cancellationToken);

    /// <summary>
    /// Each neuron's share of the region's IG for each of several outputs of one input, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass (see the form without a baseline); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException">A span is not of the input length, or <paramref name="input"/> or <paramref name="baseline"/> holds a non-finite value.</exception>
    public LayerAttribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default) =>
        RegionToNeuronMath<T>.Targets(_host, _layer, input, baseline, ownBaseline: true, targets, region, cancellationToken);
}

/// <summary>
/// Region-to-neuron's mathematics, for both backends: per chunk one backward pass for <c>dF/dy</c> and <c>dF/dx</c>
/// and the tangent along the masked direction <c>m = (x - x') 1_S</c>:
/// <c>A_j += sum_k c_k dF/dy_j(x_k) [J_y(x_k) m]_j</c> and the region's IG <c>sum_k c_k dF/dx(x_k) . m</c> in double.
/// </summary>
internal static class RegionToNeuronMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static LayerAttribution<T> Attribute(PathHost<T> host, Layer layer, ReadOnlySpan<bool> region, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        Guard.Length(region, host.Info.InputLength, nameof(region));
        using var lease = host.Borrow();
        return Run(lease.Item, layer, region, request, cancellationToken);
    }

    /// <summary>
    /// A batch (see <see cref="PathBatch"/>), one region for every input, checked once first; stacked on a device that
    /// stacks, each example with its own masked direction.
    /// </summary>
    public static LayerAttribution<T>[] Batch(PathHost<T> host, Layer layer, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<bool> region, ReadOnlySpan<T> baselines, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        Guard.Length(region, host.Info.InputLength, nameof(region));
        bool[] mask = region.ToArray();
        return PathBatch.Run(
            host,
            inputs,
            targets,
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) => Run(engine, layer, mask, request, token),
            (engine, results, token) => Stacked(engine, layer, mask, results, token),
            progress,
            cancellationToken);
    }

    /// <summary>The examples stacked on <paramref name="engine"/>, each with its masked direction of <paramref name="region"/>, in one chunk loop: one result each.</summary>
    public static void Stacked(IStackedPathEngine<T> engine, Layer layer, ReadOnlySpan<bool> region, Span<LayerAttribution<T>> results, CancellationToken cancellationToken)
    {
        engine.Stack.SetRegion(region);
        var steps = new Steps(layer);
        PathRunner.Run(engine, ref steps, cancellationToken);
        ReadOnlySpan<T> all = engine.Accumulated(steps.Contributions);                  // [examples, layer size]
        ReadOnlySpan<double> regions = engine.Sums(steps.RegionIntegratedGradients);    // [examples]
        for (int m = 0; m < results.Length; m++)
        {
            results[m] = Result(layer, all.Slice(m * layer.Size, layer.Size), regions[m], engine.Plan.Points, engine.Plan.Rule, null);
        }
    }

    /// <summary>The shares into a new result, their delta against the region's IG <paramref name="regionIntegratedGradients"/>, with the adaptive rule's <paramref name="error"/> (or none).</summary>
    private static LayerAttribution<T> Result(Layer layer, ReadOnlySpan<T> shares, double regionIntegratedGradients, int points, QuadratureRule rule, QuadratureError? error)
    {
        T[] contributions = shares.ToArray();
        return new LayerAttribution<T>(layer, contributions, ConvergenceDelta.From(PathSums.Sum<T>(contributions), regionIntegratedGradients, 0), points, rule) { Error = error };
    }

    /// <summary>
    /// Several targets of one input in one pass: per chunk one forward pass and one tangent along the masked direction,
    /// then per target a backward pass from its output through the input, in the order of a single call's chunk; each
    /// target's numbers are its single call's.
    /// </summary>
    public static LayerAttribution<T>[] Targets(PathHost<T> host, Layer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<int> targets, ReadOnlySpan<bool> region, CancellationToken cancellationToken)
    {
        Guard.Length(region, host.Info.InputLength, nameof(region));
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        PathTargets.Begin(engine, targets, input, baseline, ownBaseline);
        engine.Call.SetRegion(region);
        var steps = new TargetSteps(layer, targets);
        PathRunner.Run(engine, ref steps, cancellationToken);
        var results = new LayerAttribution<T>[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            results[t] = Result(layer, engine.Accumulated(steps.First + t), engine.Sum(steps.FirstSum + t), engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.First + t));
        }

        return results;
    }

    /// <summary>Begins <paramref name="request"/> with the checked <paramref name="region"/> on a rented engine and runs it: the code of every single call.</summary>
    public static LayerAttribution<T> Run(IPathEngine<T> engine, Layer layer, ReadOnlySpan<bool> region, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    {
        engine.Call.Begin(request);
        engine.Call.SetRegion(region);
        var steps = new Steps(layer);
        PathSplit.Run(engine, ref steps, cancellationToken);
        return Result(layer, engine.Accumulated(steps.Contributions), engine.Sum(steps.RegionIntegratedGradients), engine.Call.Points, engine.Call.Rule, engine.Call.Adaptive?.Error(steps.Contributions));
    }

    /// <summary>Per chunk, per target: the backward pass from its output through the input, its region's IG and its shares (the tangent shared).</summary>
    private ref struct TargetSteps(Layer layer, ReadOnlySpan<int> targets) : IPathSteps<T>
    {
        private readonly ReadOnlySpan<int> _targets = targets;

        /// <summary>The first target's accumulator and sum; target <c>t</c>'s are <c>First + t</c> and <c>FirstSum + t</c>.</summary>
        public int First;
        public int FirstSum;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine)
        {
            First = PathTargets.NewAccumulators(engine, _targets.Length, layer.Size);
            FirstSum = PathTargets.NewSums(engine, _targets.Length);
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            for (int t = 0; t < _targets.Length; t++)
            {
                engine.BackwardFromOutput(layer, throughInput: true, _targets[t]);
                engine.AddInputGradientDot(PathVector.MaskedDirection, FirstSum + t);
                engine.AddConductance(layer, PathVector.MaskedDirection, First + t);
            }
        }
    }

    private struct Steps(Layer layer) : IPathSteps<T>
    {
        public int Contributions;
        public int RegionIntegratedGradients;

        public readonly Layer? EndpointLayer => null;

        public void Start(IPathEngine<T> engine)
        {
            Contributions = engine.NewAccumulator(layer.Size);
            RegionIntegratedGradients = engine.NewSum();
        }

        public readonly void Step(IPathEngine<T> engine, int start, int count)
        {
            engine.BackwardFromOutput(layer, throughInput: true);
            engine.AddInputGradientDot(PathVector.MaskedDirection, RegionIntegratedGradients);
            engine.AddConductance(layer, PathVector.MaskedDirection, Contributions);
        }
    }
}
