using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// Attribution against a distribution of baselines (arXiv 2202.11912; also known as expected gradients):
/// <c>E_{x' ~ D}[IG(x; x')]</c>, exact over a given set of baselines or estimated from baselines drawn with
/// a seeded generator (the same seed gives the same result). Completeness is against
/// <c>F(x) - E_D[F(x')]</c> over the baselines used.
/// </summary>
/// <remarks>
/// The baseline set is the constructor's, or, as Captum's <c>GradientShap</c> takes it, each call's own (the overloads
/// with a <c>baselines</c> argument); a call's own set is used by that call only.
/// Safe to call from many threads at once: each call rents its buffer from a pool the instance owns and runs on
/// the thread-safe <see cref="IntegratedGradients{T}"/>, so a warm call allocates only its result.
/// </remarks>
public sealed class ExpectedGradients<T> : IAttributionMethod<T, Attribution<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly T[] _baselines;

    /// <summary>Prepares the method with the baseline set <paramref name="baselines"/>, <c>[count, input length]</c>.</summary>
    public ExpectedGradients(INetwork<T> network, ReadOnlySpan<T> baselines, IntegratedGradientsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ExpectedGradientsMath<T>.CheckSet(baselines, network.Info.InputLength);
        _baselines = baselines.ToArray();
        Options = options ?? new IntegratedGradientsOptions();
        _host = CpuPathEngine<T>.Host(network, Options, inputGradientSumOnly: true); // IntegratedGradientsMath steps only
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>The number of baselines in the set.</summary>
    public int BaselineCount => _baselines.Length / _host.Info.InputLength;

    /// <summary>The exact expectation over the baseline set, each baseline weighted equally.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        ExpectedGradientsMath<T>.Exact(_host, input, _baselines, target, cancellationToken);

    /// <summary>
    /// The exact expectation over this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>,
    /// instead of the constructor's: <c>(1/count) sum_b IG(x; x'_b)</c>, each baseline weighted equally.
    /// </summary>
    /// <exception cref="ArgumentException">The set is empty, not a whole number of inputs, or holds a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, CancellationToken cancellationToken = default)
    {
        ExpectedGradientsMath<T>.CheckSet(baselines, _host.Info.InputLength);
        return ExpectedGradientsMath<T>.Exact(_host, input, baselines, target, cancellationToken);
    }

    /// <summary>An estimate from <paramref name="samples"/> baselines drawn uniformly, with replacement, by a generator seeded with <paramref name="seed"/>.</summary>
    public Attribution<T> AttributeSampled(ReadOnlySpan<T> input, int target, int samples, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        return ExpectedGradientsMath<T>.Sampled(_host, input, _baselines, target, samples, seed, cancellationToken);
    }

    /// <summary>
    /// An estimate from <paramref name="samples"/> baselines drawn uniformly, with replacement, by a generator seeded with
    /// <paramref name="seed"/>, from this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>:
    /// <c>(1/samples) sum_s IG(x; x'_{b_s})</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The set is empty, not a whole number of inputs, or holds a non-finite value.</exception>
    public Attribution<T> AttributeSampled(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, int samples, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        ExpectedGradientsMath<T>.CheckSet(baselines, _host.Info.InputLength);
        return ExpectedGradientsMath<T>.Sampled(_host, input, baselines, target, samples, seed, cancellationToken);
    }

    /// <summary>
    /// The exact expectation over the baseline set for each of several outputs of one input:
    /// <c>result[t] = (1/count) sum_b IG_targets[t](x; x'_b)</c>, each baseline's path points run forward once per chunk and
    /// only the backward pass repeated per target; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        ExpectedGradientsMath<T>.Targets(_host, input, _baselines, targets, cancellationToken);

    /// <summary>
    /// The exact expectation over this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>, for each
    /// of several outputs of one input, in one pass per baseline (see the form without a set); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException">The set is empty, not a whole number of inputs, or holds a non-finite value; or <paramref name="input"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default)
    {
        ExpectedGradientsMath<T>.CheckSet(baselines, _host.Info.InputLength);
        return ExpectedGradientsMath<T>.Targets(_host, input, baselines, targets, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With <paramref name="baselines"/> empty, each input's expectation is over the constructor's set; with a row per
    /// input, over the set of that one baseline, as <see cref="Attribute(ReadOnlySpan{T}, ReadOnlySpan{T}, int, CancellationToken)"/>
    /// with one row (i.e. Integrated Gradients from it).
    /// </remarks>
    public Attribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        ExpectedGradientsMath<T>.Batch(_host, _baselines, inputs, targets, baselines, progress, cancellationToken);
}

/// <summary>
/// Expected gradients' mathematics, for both backends: one Integrated Gradients run per drawn baseline on one rented
/// engine, the attributions summed in <typeparamref name="T"/> and scaled by <c>1/draws</c>; completeness against
/// <c>F(x)</c> less the mean of <c>F(x'_b)</c> over the draws.
/// </summary>
internal static class ExpectedGradientsMath<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Throws unless <paramref name="baselines"/> is one or more finite inputs of <paramref name="length"/> features.</summary>
    public static void CheckSet(ReadOnlySpan<T> baselines, int length)
    {
        if (baselines.Length == 0 || baselines.Length % length != 0)
        {
            throw new ArgumentException($"Expected one or more baselines of length {length}; got {baselines.Length} values.", nameof(baselines));
        }

        Guard.Finite(baselines, nameof(baselines));
    }

    /// <summary>The exact expectation over every row of <paramref name="baselines"/>.</summary>
    public static Attribution<T> Exact(PathHost<T> host, ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, CancellationToken cancellationToken)
    {
        using var lease = host.Borrow();
        return Exact(lease.Item, input, baselines, target, cancellationToken);
    }

    /// <summary>The exact expectation over every row of <paramref name="baselines"/>, on a rented engine: the code of every single call.</summary>
    public static Attribution<T> Exact(IPathEngine<T> engine, ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, CancellationToken cancellationToken)
    {
        int length = engine.Plan.Info.InputLength;
        int count = baselines.Length / length;
        var values = new T[length];
        var sums = default(Sums);
        for (int b = 0; b < count; b++)
        {
            Add(engine, input, baselines.Slice(b * length, length), target, values, ref sums, cancellationToken);
        }

        return Finish(engine.Plan, values, sums, count);
    }

    /// <summary>
    /// A batch (see <see cref="PathBatch"/>): each input's exact expectation over <paramref name="set"/>, or over its own row of
    /// <paramref name="baselines"/> as a set of one; on a device that stacks, every (input, baseline) pair is one stacked example.
    /// </summary>
    public static Attribution<T>[] Batch(PathHost<T> host, T[] set, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, IProgress<int>? progress, CancellationToken cancellationToken) =>
        PathBatch.Run(
            host,
            inputs,
            targets,
            baselines,
            (IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken token) =>
                Exact(engine, request.Input, request.OwnBaseline ? request.Baseline : set, request.Target, token),
            (engine, results, token) => Stacked(engine, set, results, token),
            progress,
            cancellationToken);

    /// <summary>
    /// The inputs stacked on <paramref name="engine"/>, each with its set (<paramref name="set"/>, or its own baseline): the
    /// pairs <c>p = m * setSize + b</c> of input <c>m</c> and baseline <c>b</c> run as Integrated Gradients examples, a stack
    /// of pairs per chunk loop, each input's runs summed in the order of its single call.
    /// </summary>
    public static void Stacked(IStackedPathEngine<T> engine, T[] set, Span<Attribution<T>> results, CancellationToken cancellationToken)
    {
        PathStack<T> stack = engine.Stack;
        int length = engine.Plan.Info.InputLength;
        int count = stack.Count;
        bool own = stack.OwnBaselines;
        int perInput = own ? 1 : set.Length / length;

        // The stack is begun again per group of pairs: the inputs' rows are copied out first.
        int pairs = count * perInput;
        var inputs = new T[Guard.Elements(pairs, length, "baselines")];
        var baselines = new T[inputs.Length];
        var targets = new int[pairs];
        for (int p = 0; p < pairs; p++)
        {
            int m = p / perInput;
            stack.Inputs.Slice(m * length, length).CopyTo(inputs.AsSpan(p * length, length));
            (own ? stack.Baselines.Slice(m * length, length) : set.AsSpan((p % perInput) * length, length)).CopyTo(baselines.AsSpan(p * length, length));
            targets[p] = stack.Indices[m];
        }

        var values = new T[count * length];
        var sums = new Sums[count];
        for (int first = 0; first < pairs; first += engine.StackCapacity)
        {
            int group = Math.Min(engine.StackCapacity, pairs - first);
            stack.Begin(inputs.AsSpan(first * length, group * length), baselines.AsSpan(first * length, group * length), targets.AsSpan(first, group));
            var steps = default(IntegratedGradientsMath<T>.Steps);
            PathRunner.Run(engine, ref steps, cancellationToken);
            ReadOnlySpan<T> all = engine.Accumulated(steps.GradientSum);    // [group, L]
            for (int g = 0; g < group; g++)
            {
                int m = (first + g) / perInput;
                Accumulate(stack.Direction(g), all.Slice(g * length, length), stack.ExplainedEndpoints(engine, g), engine.Plan.Points, false, null, 0, values.AsSpan(m * length, length), ref sums[m]);
            }
        }

        for (int m = 0; m < count; m++)
        {
            results[m] = Finish(engine.Plan, values.AsSpan(m * length, length).ToArray(), sums[m], perInput);
        }
    }

    /// <summary>The estimate from <paramref name="samples"/> rows drawn by <c>new Random(seed).Next(count)</c>.</summary>
    public static Attribution<T> Sampled(PathHost<T> host, ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, int samples, int seed, CancellationToken cancellationToken)
    {
        int length = host.Info.InputLength;
        int count = baselines.Length / length;
        var random = new Random(seed);
        var values = new T[length];
        var sums = default(Sums);
        using var lease = host.Borrow();
        for (int s = 0; s < samples; s++)
        {
            Add(lease.Item, input, baselines.Slice(random.Next(count) * length, length), target, values, ref sums, cancellationToken);
        }

        return Finish(host.Plan, values, sums, samples);
    }

    /// <summary>
    /// Several targets of one input, each the exact expectation over every row of <paramref name="baselines"/>: per baseline
    /// one Integrated Gradients run whose chunks run forward once and backward once per target; one result per target, in order.
    /// </summary>
    public static Attribution<T>[] Targets(PathHost<T> host, ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
    {
        int length = host.Info.InputLength;
        int count = baselines.Length / length;
        var values = new T[Guard.Elements(targets.Length, length, nameof(targets))];
        var sums = new Sums[targets.Length];
        using var lease = host.Borrow();
        IPathEngine<T> engine = lease.Item;
        for (int b = 0; b < count; b++)
        {
            PathTargets.Begin(engine, targets, input, baselines.Slice(b * length, length), ownBaseline: true);
            var steps = new IntegratedGradientsMath<T>.TargetSteps(targets);
            PathRunner.Run(engine, ref steps, cancellationToken);
            for (int t = 0; t < targets.Length; t++)
            {
                Accumulate(engine.Call.Direction, engine.Accumulated(steps.First + t), PathTargets.Endpoints(engine, targets[t]), engine.Call.Points, engine.Call.Rule != engine.Plan.Rule, engine.Call.Adaptive, steps.First + t, values.AsSpan(t * length, length), ref sums[t]);
            }
        }

        var results = new Attribution<T>[targets.Length];
        for (int t = 0; t < results.Length; t++)
        {
            results[t] = Finish(engine.Plan, values.AsSpan(t * length, length).ToArray(), sums[t], count);
        }

        return results;
    }

    private static void Add(IPathEngine<T> engine, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, Span<T> values, ref Sums sums, CancellationToken cancellationToken)
    {
        engine.Call.Begin(PathRequest<T>.ForTarget(input, baseline, target));
        var steps = default(IntegratedGradientsMath<T>.Steps);
        PathSplit.Run(engine, ref steps, cancellationToken);
        Accumulate(engine.Call.Direction, engine.Accumulated(steps.GradientSum), PathRunner.ExplainedEndpoints(engine), engine.Call.Points, engine.Call.Rule != engine.Plan.Rule, engine.Call.Adaptive, steps.GradientSum, values, ref sums);
    }

    /// <summary>
    /// <c>values += (x - x') g</c> in <typeparamref name="T"/> for one baseline's gradient sum <c>g</c>; its endpoints, its
    /// <paramref name="points"/>, whether its exact path <paramref name="fellBack"/> to Gauss–Legendre and, with the adaptive
    /// rule, the error estimates of accumulator <paramref name="handle"/> into <paramref name="sums"/>.
    /// </summary>
    private static void Accumulate(ReadOnlySpan<T> direction, ReadOnlySpan<T> gradientSum, (double AtBaseline, double AtInput) endpoints, int points, bool fellBack, AdaptiveCall<T>? adaptive, int handle, Span<T> values, ref Sums sums)
    {
        for (int i = 0; i < values.Length; i++)
        {
            T attribution = direction[i] * gradientSum[i];
            values[i] += attribution;
        }

        sums.AtBaseline += endpoints.AtBaseline;
        sums.AtInput = endpoints.AtInput;
        sums.Points += points;
        sums.FellBack |= fellBack;
        if (adaptive is not null)
        {
            // Each baseline's estimates add (the mean divides them at the end).
            sums.Errors ??= new double[values.Length];
            ReadOnlySpan<double> errors = adaptive.Errors(handle);
            for (int i = 0; i < errors.Length; i++)
            {
                sums.Errors[i] += errors[i];
            }

            sums.TotalError += adaptive.TotalError(handle);
            sums.Intervals += adaptive.Intervals;
            sums.Unconverged |= !adaptive.Converged;
            sums.Tolerance = adaptive.Tolerance;
        }
    }

    private static Attribution<T> Finish(PathPlan<T> plan, T[] values, Sums sums, int count)
    {
        T scale = T.One / T.CreateChecked(count);
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(values, scale, values);
        var delta = ConvergenceDelta.From(PathSums.Sum<T>(values), sums.AtInput, sums.AtBaseline / count);
        QuadratureError? error = null;
        if (sums.Errors is { } errors)
        {
            for (int i = 0; i < errors.Length; i++)
            {
                errors[i] /= count;
            }

            error = new QuadratureError(sums.TotalError / count, errors, !sums.Unconverged, sums.Tolerance, sums.Points, sums.Intervals, true);
        }

        return new Attribution<T>(values, plan.Info.Input.OutputShape, delta, sums.Points, sums.FellBack ? QuadratureRule.GaussLegendre : plan.Rule) { Error = error };
    }

    private struct Sums
    {
        public double AtBaseline;
        public double AtInput;
        public int Points;
        public bool FellBack;

        // With the adaptive rule: the baselines' estimates, summed.
        public double[]? Errors;
        public double TotalError;
        public int Intervals;
        public bool Unconverged;
        public double Tolerance;
    }
}
