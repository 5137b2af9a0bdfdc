using System;
using System.Collections.Concurrent;
using System.Threading;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// Calls one shared method object from several threads at once and compares every result with the result of the
/// same case computed on one thread beforehand. A case always takes the same code path, so a result either agrees
/// with its single-threaded twin to rounding noise or was corrupted by another thread.
/// </summary>
public static class Contention
{
    /// <summary>The relative agreement asked of a result computed under contention (same path, same inputs).</summary>
    public const double Tolerance = 1e-12;

    /// <summary>
    /// Computes <c>call(c)</c> for every case <c>c &lt; cases</c> on this thread, then releases <paramref name="threads"/>
    /// threads together, each making <paramref name="callsPerThread"/> calls that walk the cases from its own offset,
    /// so threads meet on the same and on different cases. Fails with the number of results that differ from the
    /// single-threaded ones; rethrows what a thread threw.
    /// </summary>
    public static void AssertMatchesSerial(string what, int cases, int threads, int callsPerThread, Func<int, double[]> call)
    {
        var expected = new double[cases][];
        for (int c = 0; c < cases; c++)
        {
            expected[c] = call(c);
        }

        int wrong = 0;
        var errors = new ConcurrentQueue<Exception>();
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int offset = 3 * t;
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    for (int i = 0; i < callsPerThread; i++)
                    {
                        int c = (offset + i) % cases;
                        if (!(RelativeError(call(c), expected[c]) <= Tolerance))
                        {
                            Interlocked.Increment(ref wrong);
                        }
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            });
            workers[t].Start();
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        if (!errors.IsEmpty)
        {
            throw new AggregateException($"{what}: a thread threw.", errors);
        }

        Assert.True(wrong == 0, $"{what}: {wrong} of {threads * callsPerThread} results computed under contention differ from the single-threaded ones.");
    }

    /// <summary><c>max_i |a_i - b_i| / max(max_i |b_i|, 1e-300)</c>; infinite when the lengths differ, NaN when a value is NaN.</summary>
    public static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length)
        {
            return double.PositiveInfinity;
        }

        double difference = 0;
        double scale = 1e-300;
        for (int i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        return difference / scale;
    }

    /// <summary>The values followed by the extra numbers, as one vector to compare.</summary>
    public static double[] Join(ReadOnlySpan<double> values, params double[] extra)
    {
        var joined = new double[values.Length + extra.Length];
        values.CopyTo(joined);
        extra.CopyTo(joined, values.Length);
        return joined;
    }
}
