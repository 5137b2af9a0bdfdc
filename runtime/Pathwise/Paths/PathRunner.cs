using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Pathwise;

/// <summary>A path method's per-chunk mathematics over an engine, run by <see cref="PathRunner"/>.</summary>
internal interface IPathSteps<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The layer whose endpoint activations the method reads (besides the output's), or null.</summary>
    Layer? EndpointLayer { get; }

    /// <summary>
    /// Makes the method's accumulators, before the first chunk (with the adaptive rule, before each interval's pass).
    /// An accumulator whose values the method multiplies elementwise by <c>x - x'</c> (or the region's masked direction)
    /// is registered with <see cref="PathCall{T}.ScaleErrors"/>, so the adaptive rule weighs its errors as the result does;
    /// the method then reads its estimates with <c>engine.Call.Adaptive?.Error(handle)</c>. Nothing else is needed for a
    /// method to take every rule.
    /// </summary>
    void Start(IPathEngine<T> engine);

    /// <summary>The method's work on the chunk of <paramref name="count"/> points from <paramref name="start"/>, after its forward pass.</summary>
    void Step(IPathEngine<T> engine, int start, int count);
}

/// <summary>The one chunk loop of every path method, on either backend, and the reductions that close a call.</summary>
internal static class PathRunner
{
    /// <summary>
    /// Runs one call on <paramref name="engine"/>, whose <see cref="IPathEngine{T}.Call"/> is begun: opens it, lets
    /// <paramref name="steps"/> make its accumulators, walks the plan's chunks (checking for cancellation before
    /// each), finishes, and closes the call however it ends. Read the results from the engine afterwards. With the
    /// adaptive rule, the same over each interval's points until the tolerance is met (<see cref="AdaptiveCall{T}.Run"/>):
    /// the engine's results are then the intervals' sums, and <see cref="PathCall{T}.Adaptive"/> holds the error estimates.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T, TSteps>(IPathEngine<T> engine, scoped ref TSteps steps, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSteps : IPathSteps<T>, allows ref struct
    {
        if (engine.Call.Adaptive is not null)
        {
            AdaptiveCall<T>.Run(engine, ref steps, cancellationToken);
            return;
        }

        RunRange(engine, ref steps, 0, engine.Call.Points, cancellationToken);
    }

    /// <summary>
    /// <see cref="Run"/> over the points <c>from .. to</c> only, in chunks of at most the plan's capacity: one half of a
    /// split call (<see cref="PathSplit"/>). The half that ends at the call's last point carries the endpoints.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunRange<T, TSteps>(IPathEngine<T> engine, scoped ref TSteps steps, int from, int to, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSteps : IPathSteps<T>, allows ref struct
    {
        PathPlan<T> plan = engine.Plan;
        engine.Open();
        try
        {
            steps.Start(engine);
            for (int start = from; start < to; start += plan.ChunkCapacity)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = engine.Forward(start, plan.ChunkSize(start, to));
                steps.Step(engine, start, count);
            }

            engine.Finish(steps.EndpointLayer);
        }
        finally
        {
            engine.Close();
        }
    }

    /// <summary><c>(F(x'), F(x))</c> of the explained weighting, in double, from the engine's endpoints.</summary>
    public static (double AtBaseline, double AtInput) ExplainedEndpoints<T>(IPathEngine<T> engine)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> outputs = engine.Endpoints(engine.Plan.Info.Output);
        ReadOnlySpan<T> weights = engine.Call.OutputCoefficients;
        int length = weights.Length;
        return (PathSums.Dot(outputs.Slice(0, length), weights), PathSums.Dot(outputs.Slice(length, length), weights));
    }

    /// <summary><c>attributions[i] = (x_i - x'_i) * sums[i]</c> in <typeparamref name="T"/>; returns their sum in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double ScaleByDirection<T>(ReadOnlySpan<T> direction, ReadOnlySpan<T> sums, Span<T> attributions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        for (int i = 0; i < attributions.Length; i++)
        {
            attributions[i] = direction[i] * sums[i];
            sum += double.CreateChecked(attributions[i]);
        }

        return sum;
    }
}

/// <summary>Sums in double precision, as every method reports them.</summary>
internal static class PathSums
{
    /// <summary><c>sum_i x_i y_i</c> in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += double.CreateChecked(x[i]) * double.CreateChecked(y[i]);
        }

        return sum;
    }

    /// <summary><c>sum_i values_i</c> in double.</summary>
    public static double Sum<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T value in values)
        {
            sum += double.CreateChecked(value);
        }

        return sum;
    }
}
