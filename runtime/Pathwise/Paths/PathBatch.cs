using System;
using System.Numerics;
using System.Threading;
using System.Threading.Tasks;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>A method's per-input code path on a rented engine: checks and begins <paramref name="request"/>, runs it, returns its result.</summary>
internal delegate TResult PathExample<T, TResult>(IPathEngine<T> engine, scoped in PathRequest<T> request, CancellationToken cancellationToken)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// A method's stacked code path: runs the examples begun on <paramref name="engine"/>'s <see cref="IStackedPathEngine{T}.Stack"/>
/// in one chunk loop and writes one result per example into <paramref name="results"/>.
/// </summary>
internal delegate void PathStackedExamples<T, TResult>(IStackedPathEngine<T> engine, Span<TResult> results, CancellationToken cancellationToken)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// The one batch runner of every path method, on either backend: <c>inputs[n, input length]</c>, a target per input and
/// the options' baseline or one per input, checked once, then run example by example through the method's per-input
/// code (<see cref="PathExample{T, TResult}"/>), or, on an engine that stacks examples, a group of examples per chunk
/// loop (<see cref="PathStackedExamples{T, TResult}"/>).
/// </summary>
/// <remarks>
/// On the CPU (<see cref="PathHost{T}.ParallelBatches"/>) the examples run in parallel over the machine's cores, each
/// worker on one engine rented from the pool single calls use; each example runs the very code of a single call on
/// its own engine, so a batch's results equal the single calls' bit for bit. A method whose every call already runs on
/// two cores (<see cref="PathSplit.SplitsEveryCall{T}"/>) asks for its examples in order instead, each a single call. On a device the examples run on one
/// engine in order (the device parallelises within a pass), stacked when the method and engine allow it.
/// </remarks>
internal static class PathBatch
{
    /// <summary>
    /// Checks a batch and returns its size <c>n</c>: <paramref name="inputs"/> a whole number <c>n</c> of inputs, one target
    /// per input, <paramref name="baselines"/> empty or <c>[n, input length]</c>; then per row, in the order of a single
    /// call's checks, its target, its input's and its baseline's finiteness, each error naming the row.
    /// </summary>
    public static int Check<T>(NetworkInfo info, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Check(info, inputs, targets, baselines, BatchIndices.Targets(info));

    /// <summary>
    /// <see cref="Check{T}(NetworkInfo, ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T})"/> with each input's index
    /// (<paramref name="targets"/>) checked and named as <paramref name="indices"/> says: an output or, for neuron methods, a neuron.
    /// </summary>
    public static int Check<T>(NetworkInfo info, ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines, BatchIndices indices)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = info.InputLength;
        if (inputs.Length % length != 0)
        {
            throw new ArgumentException($"Expected inputs as [n, {length}], a multiple of the input length {length}; got {inputs.Length} values.", nameof(inputs));
        }

        int count = inputs.Length / length;
        if (targets.Length != count)
        {
            throw new ArgumentException($"Expected one {indices.Noun} per input, {count}; got {targets.Length}.", indices.Name);
        }

        if (!baselines.IsEmpty && baselines.Length != inputs.Length)
        {
            throw new ArgumentException(
                $"Expected no baselines (the options' baseline for every input) or one per input, [{count}, {length}] = {inputs.Length} values; got {baselines.Length}.",
                nameof(baselines));
        }

        for (int m = 0; m < count; m++)
        {
            Guard.Index(targets[m], indices.Count, indices.Name, m);
            Guard.Finite(inputs.Slice(m * length, length), nameof(inputs), m);
            if (!baselines.IsEmpty)
            {
                Guard.Finite(baselines.Slice(m * length, length), nameof(baselines), m);
            }
        }

        return count;
    }

    /// <summary>
    /// Checks the batch, then runs it: one result per input, in order. <paramref name="progress"/> hears the number of
    /// inputs done after each input (each group, when stacked); cancellation is checked before each input and each chunk.
    /// With <paramref name="inOrder"/> the examples run one after another on one engine even on the CPU.
    /// </summary>
    public static TResult[] Run<T, TResult>(
        PathHost<T> host,
        ReadOnlySpan<T> inputs,
        ReadOnlySpan<int> targets,
        ReadOnlySpan<T> baselines,
        PathExample<T, TResult> example,
        PathStackedExamples<T, TResult>? stacked,
        IProgress<int>? progress,
        CancellationToken cancellationToken,
        bool inOrder = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(host, inputs, targets, BatchIndices.Targets(host.Info), baselines, example, stacked, progress, cancellationToken, inOrder);

    /// <summary>
    /// <see cref="Run{T, TResult}(PathHost{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, PathExample{T, TResult}, PathStackedExamples{T, TResult}?, IProgress{int}?, CancellationToken, bool)"/>
    /// with each input's index checked as <paramref name="indices"/> says; the index reaches <paramref name="example"/> as its request's
    /// <see cref="PathRequest{T}.Target"/> (a method whose index is not an output, as a neuron, re-begins with its own request).
    /// </summary>
    public static TResult[] Run<T, TResult>(
        PathHost<T> host,
        ReadOnlySpan<T> inputs,
        ReadOnlySpan<int> targets,
        BatchIndices indices,
        ReadOnlySpan<T> baselines,
        PathExample<T, TResult> example,
        PathStackedExamples<T, TResult>? stacked,
        IProgress<int>? progress,
        CancellationToken cancellationToken,
        bool inOrder = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = Check(host.Info, inputs, targets, baselines, indices);
        var results = new TResult[count];
        if (count == 0)
        {
            return results;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!host.ParallelBatches || inOrder)
        {
            using var lease = host.Borrow();
            if (stacked is not null && lease.Item is IStackedPathEngine<T> engine && engine.StackCapacity > 1)
            {
                RunStacked(engine, inputs, targets, indices, baselines, stacked, results, progress, cancellationToken);
            }
            else
            {
                for (int m = 0; m < count; m++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    results[m] = Example(lease.Item, inputs, targets, baselines, m, example, cancellationToken);
                    progress?.Report(m + 1);
                }
            }

            return results;
        }

        // The spans cannot enter the workers' lambda: copies, made once the batch is checked.
        T[] inputCopy = inputs.ToArray();
        int[] targetCopy = targets.ToArray();
        T[] baselineCopy = baselines.ToArray();
        int workers = Math.Min(Environment.ProcessorCount, count);
        int done = 0;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = workers };

        // Each worker rents one engine for all its inputs, from the pool single calls use.
        Parallel.For(0, workers, parallel, w =>
        {
            using var lease = host.Borrow();
            for (int m = w; m < count; m += workers)
            {
                results[m] = Example(lease.Item, inputCopy, targetCopy, baselineCopy, m, example, cancellationToken);
                progress?.Report(Interlocked.Increment(ref done));
            }
        });
        return results;
    }

    /// <summary>Example <paramref name="m"/> of a checked batch as a single call's request.</summary>
    private static TResult Example<T, TResult>(
        IPathEngine<T> engine,
        ReadOnlySpan<T> inputs,
        ReadOnlySpan<int> targets,
        ReadOnlySpan<T> baselines,
        int m,
        PathExample<T, TResult> example,
        CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = engine.Plan.Info.InputLength;
        ReadOnlySpan<T> input = inputs.Slice(m * length, length);
        return baselines.IsEmpty
            ? example(engine, PathRequest<T>.ForTarget(input, targets[m]), cancellationToken)
            : example(engine, PathRequest<T>.ForTarget(input, baselines.Slice(m * length, length), targets[m]), cancellationToken);
    }

    /// <summary>The checked batch in groups of at most <see cref="IStackedPathEngine{T}.StackCapacity"/> examples, one chunk loop per group.</summary>
    private static void RunStacked<T, TResult>(
        IStackedPathEngine<T> engine,
        ReadOnlySpan<T> inputs,
        ReadOnlySpan<int> targets,
        BatchIndices indices,
        ReadOnlySpan<T> baselines,
        PathStackedExamples<T, TResult> stacked,
        TResult[] results,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = engine.Plan.Info.InputLength;
        int count = targets.Length;
        for (int first = 0; first < count; first += engine.StackCapacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int group = Math.Min(engine.StackCapacity, count - first);
            engine.Stack.Begin(
                inputs.Slice(first * length, group * length),
                baselines.IsEmpty ? default : baselines.Slice(first * length, group * length),
                targets.Slice(first, group),
                indices.Outputs);
            stacked(engine, results.AsSpan(first, group), cancellationToken);
            progress?.Report(first + group);
        }
    }
}

/// <summary>
/// What a batch's per-input index is: <see cref="Count"/> its bound (<c>0 &lt;= index &lt; Count</c>), <see cref="Name"/> the
/// argument errors name, <see cref="Noun"/> one index in words, <see cref="Outputs"/> whether it is an output (else a neuron).
/// </summary>
internal readonly record struct BatchIndices(int Count, string Name, string Noun, bool Outputs)
{
    /// <summary>An output of the network per input, named <c>targets</c>.</summary>
    public static BatchIndices Targets(NetworkInfo info) => new(info.OutputLength, "targets", "target", true);

    /// <summary>A neuron of <paramref name="layer"/> per input, named <c>neurons</c>.</summary>
    public static BatchIndices Neurons(Layer layer) => new(layer.Size, "neurons", "neuron", false);
}

/// <summary>
/// An engine that runs the chunk loop over several examples at once: after <see cref="PathStack{T}.Begin"/> on
/// <see cref="Stack"/>, the next call (from <see cref="IPathEngine{T}.Open"/> to <see cref="IPathEngine{T}.Close"/>) stacks
/// each chunk's points of every example, <c>[examples * count, ...input]</c>, seeds each example's rows with its own output
/// weighting, and keeps each accumulator of length <c>L</c> as <c>[examples, L]</c> (read back as <c>examples * L</c> values).
/// <see cref="IPathEngine{T}.Endpoints"/> then holds <c>[2, examples, size]</c>: every baseline, then every input.
/// </summary>
/// <remarks>
/// Stacked, every operation runs on each example's own rows with its own direction, masked direction
/// (<see cref="PathStack{T}.SetRegion"/>) and weighting; the double sums are kept as <c>[examples]</c> and read back with
/// <see cref="Sums"/>; <see cref="IPathEngine{T}.AddNeuronInputGradientSum"/> takes <see cref="PathStack{T}.EachExample"/>
/// as the neuron to seed each example's own index (<see cref="PathStack{T}.Indices"/>). Only the operations that seed a
/// single target (<c>target &gt;= 0</c>) throw: several targets of one input are not stacked.
/// </remarks>
internal interface IStackedPathEngine<T> : IPathEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The most examples one chunk stacks.</summary>
    int StackCapacity { get; }

    /// <summary>The examples of the next call.</summary>
    PathStack<T> Stack { get; }

    /// <summary>A double accumulator's value for every example of the stacked call, <c>[examples]</c>, after <see cref="IPathEngine{T}.Finish"/>.</summary>
    ReadOnlySpan<double> Sums(int sum);
}

/// <summary>
/// The host arguments of a stacked call (see <see cref="IStackedPathEngine{T}"/>): the inputs, baselines, directions
/// and output weightings of up to a capacity of examples, checked by <see cref="PathBatch.Check{T}(NetworkInfo, ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T})"/> before they come.
/// </summary>
internal sealed class PathStack<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathPlan<T> _plan;
    private T[] _inputs = [];
    private T[] _baselines = [];
    private T[] _directions = [];
    private T[] _coefficients = [];
    private T[] _masked = [];
    private int[] _indices = [];

    public PathStack(PathPlan<T> plan) => _plan = plan;

    /// <summary>The neuron argument of <see cref="IPathEngine{T}.AddNeuronInputGradientSum"/> that seeds each example's own index.</summary>
    public const int EachExample = -1;

    /// <summary>Whether the call has a region (<see cref="SetRegion"/>); cleared by <see cref="Begin"/>.</summary>
    public bool HasRegion { get; private set; }

    /// <summary>Each example's masked direction <c>(x_m - x'_m) 1_S</c>, <c>[Count, input length]</c>, after <see cref="SetRegion"/>.</summary>
    public ReadOnlySpan<T> MaskedDirections => HasRegion ? _masked.AsSpan(0, Count * _plan.Info.InputLength) : default;

    /// <summary>Each example's index as the batch gave it: its target, or for a neuron method its neuron.</summary>
    public ReadOnlySpan<int> Indices => _indices.AsSpan(0, Count);

    /// <summary>The number of examples of the call begun last.</summary>
    public int Count { get; private set; }

    /// <summary>Whether the next call is stacked: set by <see cref="Begin"/>, cleared by the engine when the call opens.</summary>
    public bool Pending { get; set; }

    /// <summary>Whether the examples have their own baselines (else the options' one, shared).</summary>
    public bool OwnBaselines { get; private set; }

    /// <summary>The inputs, <c>[Count, input length]</c>.</summary>
    public ReadOnlySpan<T> Inputs => _inputs.AsSpan(0, Count * _plan.Info.InputLength);

    /// <summary>The examples' own baselines, <c>[Count, input length]</c>, when <see cref="OwnBaselines"/>.</summary>
    public ReadOnlySpan<T> Baselines => _baselines.AsSpan(0, OwnBaselines ? Count * _plan.Info.InputLength : 0);

    /// <summary>The output weightings (one-hot of each target), <c>[Count, output length]</c>.</summary>
    public ReadOnlySpan<T> OutputCoefficients => _coefficients.AsSpan(0, Count * _plan.Info.OutputLength);

    /// <summary>Example <paramref name="example"/>'s direction <c>x - x'</c>.</summary>
    public ReadOnlySpan<T> Direction(int example) => _directions.AsSpan(example * _plan.Info.InputLength, _plan.Info.InputLength);

    /// <summary>Example <paramref name="example"/>'s output weighting.</summary>
    public ReadOnlySpan<T> Coefficients(int example) => _coefficients.AsSpan(example * _plan.Info.OutputLength, _plan.Info.OutputLength);

    /// <summary>
    /// Stores checked examples for the next call: inputs <c>[n, input length]</c>, baselines empty or alike, n indices: outputs
    /// explained when <paramref name="explainsOutputs"/>, else neurons (output 0 standing in as the weighting, as a single neuron call does).
    /// </summary>
    public void Begin(ReadOnlySpan<T> inputs, ReadOnlySpan<T> baselines, ReadOnlySpan<int> targets, bool explainsOutputs = true)
    {
        int length = _plan.Info.InputLength;
        int outputs = _plan.Info.OutputLength;
        int count = targets.Length;
        Grow(ref _inputs, count * length);
        Grow(ref _baselines, count * length);
        Grow(ref _directions, count * length);
        Grow(ref _coefficients, count * outputs);
        if (_indices.Length < count)
        {
            _indices = new int[count];
        }

        targets.CopyTo(_indices);
        HasRegion = false;
        Count = count;
        OwnBaselines = !baselines.IsEmpty;
        inputs.CopyTo(_inputs);
        for (int m = 0; m < count; m++)
        {
            ReadOnlySpan<T> baseline = OwnBaselines ? baselines.Slice(m * length, length) : _plan.Baseline;
            baseline.CopyTo(_baselines.AsSpan(m * length, length));
            for (int i = 0; i < length; i++)
            {
                _directions[m * length + i] = inputs[m * length + i] - baseline[i];
            }

            Span<T> coefficients = _coefficients.AsSpan(m * outputs, outputs);
            coefficients.Clear();
            coefficients[explainsOutputs ? targets[m] : 0] = T.One;
        }

        Pending = true;
    }

    /// <summary>Sets every example's masked direction <c>(x_m - x'_m) 1_S</c> of <paramref name="region"/> (checked by the caller), after <see cref="Begin"/>.</summary>
    public void SetRegion(ReadOnlySpan<bool> region)
    {
        int length = _plan.Info.InputLength;
        Grow(ref _masked, Count * length);
        for (int m = 0; m < Count; m++)
        {
            for (int i = 0; i < length; i++)
            {
                _masked[m * length + i] = region[i] ? _directions[m * length + i] : T.Zero;
            }
        }

        HasRegion = true;
    }

    /// <summary>Example <paramref name="example"/>'s <c>(F(x'), F(x))</c> of its explained output, in double, from the engine's stacked endpoints.</summary>
    public (double AtBaseline, double AtInput) ExplainedEndpoints(IPathEngine<T> engine, int example)
    {
        int outputs = _plan.Info.OutputLength;
        ReadOnlySpan<T> endpoints = engine.Endpoints(_plan.Info.Output);
        ReadOnlySpan<T> weights = Coefficients(example);
        return (PathSums.Dot(endpoints.Slice(example * outputs, outputs), weights), PathSums.Dot(endpoints.Slice((Count + example) * outputs, outputs), weights));
    }

    private static void Grow(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[length];
        }
    }
}

/// <summary>
/// Several targets of one input in one pass, for every method that has the form: per chunk the path points run forward
/// once, then one backward pass per target seeded with that target's one-hot; one accumulator per target, made
/// consecutively, so target <c>t</c>'s is <c>first + t</c>.
/// </summary>
internal static class PathTargets
{
    /// <summary>Throws unless every target is an output index (the error names <c>targets</c>, as a single call names <c>target</c>).</summary>
    public static void Check(NetworkInfo info, ReadOnlySpan<int> targets)
    {
        foreach (int target in targets)
        {
            Guard.Index(target, info.OutputLength, nameof(targets));
        }
    }

    /// <summary>
    /// Begins <paramref name="engine"/>'s call for <paramref name="input"/> and <paramref name="baseline"/> (the call's target
    /// is the first of the targets, or 0 when there are none), after the targets are checked.
    /// </summary>
    public static void Begin<T>(IPathEngine<T> engine, ReadOnlySpan<int> targets, ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(engine.Plan.Info, targets);
        int first = targets.IsEmpty ? 0 : targets[0];
        engine.Call.Begin(ownBaseline ? PathRequest<T>.ForTarget(input, baseline, first) : PathRequest<T>.ForTarget(input, first));
    }

    /// <summary>
    /// <paramref name="count"/> zeroed accumulators of <paramref name="length"/> elements, one per target, made consecutively:
    /// returns the first's handle, so target <c>t</c>'s is <c>first + t</c> (0 when there are none).
    /// </summary>
    public static int NewAccumulators<T>(IPathEngine<T> engine, int count, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int first = 0;
        for (int t = 0; t < count; t++)
        {
            int handle = engine.NewAccumulator(length);
            first = t == 0 ? handle : first;
        }

        return first;
    }

    /// <summary>
    /// <see cref="NewAccumulators{T}(IPathEngine{T}, int, int)"/> whose values the method multiplies by <paramref name="scaleErrorsBy"/>
    /// (<c>x - x'</c>): with the adaptive rule, their error estimates are scaled alike (<see cref="PathCall{T}.ScaleErrors"/>).
    /// </summary>
    public static int NewAccumulators<T>(IPathEngine<T> engine, int count, int length, PathVector scaleErrorsBy)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int first = NewAccumulators(engine, count, length);
        for (int t = 0; t < count; t++)
        {
            engine.Call.ScaleErrors(first + t, scaleErrorsBy);
        }

        return first;
    }

    /// <summary><paramref name="count"/> zeroed double sums, one per target, made consecutively: returns the first's handle (0 when there are none).</summary>
    public static int NewSums<T>(IPathEngine<T> engine, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int first = 0;
        for (int t = 0; t < count; t++)
        {
            int handle = engine.NewSum();
            first = t == 0 ? handle : first;
        }

        return first;
    }

    /// <summary>Target <paramref name="target"/>'s <c>(F_target(x'), F_target(x))</c> in double, from the engine's endpoints.</summary>
    public static (double AtBaseline, double AtInput) Endpoints<T>(IPathEngine<T> engine, int target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> outputs = engine.Endpoints(engine.Plan.Info.Output);
        return (double.CreateChecked(outputs[target]), double.CreateChecked(outputs[engine.Plan.Info.OutputLength + target]));
    }
}
