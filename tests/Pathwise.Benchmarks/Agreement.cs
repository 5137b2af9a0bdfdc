using System;
using Pathwise;
using TorchSharp;

namespace Pathwise.Benchmarks;

/// <summary>The correctness gate run before any timing: both sides must give the same attributions.</summary>
public static class Agreement
{
    /// <summary>The allowed difference, relative to the largest attribution magnitude (float32).</summary>
    public const double Tolerance = 1e-3;

    /// <summary>
    /// Throws unless <c>max_i |pathwise_i - torch_i| &lt;= Tolerance * max_i |torch_i|</c>; returns a one-line summary.
    /// </summary>
    public static string Check(string name, IntegratedGradients<float> pathwise, TorchIntegratedGradients torch, float[] input, torch.Tensor torchInput, int target)
    {
        var expected = new float[input.Length];
        var actual = new float[input.Length];
        torch.Attribute(torchInput, target, expected);
        ConvergenceDelta delta = pathwise.Attribute(input, target, actual);

        (double worst, double scale, int worstIndex) = Worst(expected, actual);

        // The zero-allocation claim, on this thread, for a warm call (the MemoryDiagnoser runs in process, so
        // background allocations of the runtime can show up there as a few bytes per operation).
        long before = GC.GetAllocatedBytesForCurrentThread();
        pathwise.Attribute(input, target, actual);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        string summary = $"{name}: max |Pathwise - TorchSharp| = {worst:E2} at [{worstIndex}] ({worst / Math.Max(scale, double.Epsilon):E2} of max |attr| = {scale:E3}); Pathwise relative delta {delta.Relative:E2}; Pathwise allocated {allocated} B";
        if (!(scale > 0) || !(worst <= Tolerance * scale))
        {
            throw new InvalidOperationException(
                $"Correctness gate failed, {summary}; Pathwise {actual[worstIndex]:R} vs TorchSharp {expected[worstIndex]:R}.");
        }

        return summary;
    }

    /// <summary>
    /// Throws unless <c>max_i |pathwise_i - torch_i| &lt;= Tolerance * max_i |torch_i|</c> for two attributions already
    /// computed; returns that relative difference.
    /// </summary>
    public static double Values(string name, ReadOnlySpan<float> torch, ReadOnlySpan<float> pathwise)
    {
        (double relative, int index) = Difference(name, torch, pathwise);
        if (!(relative <= Tolerance))
        {
            throw new InvalidOperationException(
                $"Correctness gate failed, {name}: max |Pathwise - TorchSharp| = {relative:E2} of max |attr| at [{index}]; Pathwise {pathwise[index]:R} vs TorchSharp {torch[index]:R}.");
        }

        return relative;
    }

    /// <summary>
    /// <c>max_i |pathwise_i - torch_i| / max_i |torch_i|</c> and the <c>i</c> where it is reached (infinity when TorchSharp's
    /// attributions are all zero), without judging it.
    /// </summary>
    public static (double Relative, int Index) Difference(string name, ReadOnlySpan<float> torch, ReadOnlySpan<float> pathwise)
    {
        if (torch.Length != pathwise.Length)
        {
            throw new ArgumentException($"{name}: expected attributions of equal length; got {torch.Length} (TorchSharp) and {pathwise.Length} (Pathwise).");
        }

        (double worst, double scale, int worstIndex) = Worst(torch, pathwise);
        return (scale > 0 ? worst / scale : double.PositiveInfinity, worstIndex);
    }

    /// <summary><c>max_i |pathwise_i - torch_i|</c>, <c>max_i |torch_i|</c> and the first <c>i</c> where the former is reached.</summary>
    private static (double Worst, double Scale, int Index) Worst(ReadOnlySpan<float> torch, ReadOnlySpan<float> pathwise)
    {
        double scale = 0;
        double worst = 0;
        int worstIndex = 0;
        for (int i = 0; i < torch.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(torch[i]));
            double difference = Math.Abs((double)pathwise[i] - torch[i]);
            if (difference > worst)
            {
                worst = difference;
                worstIndex = i;
            }
        }

        return (worst, scale, worstIndex);
    }
}
