using System;
using System.Diagnostics;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>
/// <c>--startup</c>: how soon a fresh process reaches steady-state speed. From the first call, runs IG (50
/// Gauss–Legendre points) on the MLP 784-256-128-10 and on the tiny MLP back to back for two seconds, and prints
/// the time per call in the first 10, 50, 100, 250, 500, 1000 and 2000 ms against the median of the last 200 calls,
/// and when a 10-call window first came within 1.25x of that median. Run it as a 1-CPU container would
/// (<c>DOTNET_PROCESSOR_COUNT=1</c>), where the JIT's background tier-up has no core of its own. Issue target:
/// steady state within the first 100 ms of use.
/// </summary>
internal static class StartupLatency
{
    public static void Run()
    {
        Console.WriteLine($"processors seen by .NET: {Environment.ProcessorCount}; DOTNET_TieredCompilation={Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") ?? "(default)"}");
        Measure("MnistMlp 784-256-128-10", new MnistMlpIG());
        Measure("TinyMlp 8-16-12-3", new TinyMlpIG());
    }

    private static void Measure(string name, IntegratedGradientsBenchmark benchmark)
    {
        benchmark.Rule = QuadratureRule.GaussLegendre;
        benchmark.Setup();
        var ends = new double[1_000_000];
        var durations = new double[ends.Length];
        int calls = 0;
        long start = Stopwatch.GetTimestamp();
        double now = 0;
        while (now < 2000 && calls < ends.Length)
        {
            long before = Stopwatch.GetTimestamp();
            benchmark.Pathwise();
            long after = Stopwatch.GetTimestamp();
            durations[calls] = Stopwatch.GetElapsedTime(before, after).TotalMicroseconds;
            now = Stopwatch.GetElapsedTime(start, after).TotalMilliseconds;
            ends[calls++] = now;
        }

        benchmark.Cleanup();
        double steady = Statistics.Median(durations.AsSpan(Math.Max(0, calls - 200), Math.Min(200, calls)));
        Console.WriteLine($"{name}: {calls} calls in 2 s; steady state {steady:F1} us per call (median of the last 200)");
        Console.WriteLine($"  first call {durations[0] / 1000:F1} ms");
        int from = 0;
        foreach (double limit in new[] { 10.0, 50, 100, 250, 500, 1000, 2000 })
        {
            int to = from;
            while (to < calls && ends[to] <= limit)
            {
                to++;
            }

            if (to > from)
            {
                double mean = (ends[to - 1] - (from == 0 ? 0 : ends[from - 1])) * 1000 / (to - from);
                Console.WriteLine($"  up to {limit,5:F0} ms: {to - from,7} calls, {mean,9:F1} us per call ({mean / steady,5:F1}x steady)");
            }

            from = to;
        }

        for (int i = 0; i + 10 <= calls; i++)
        {
            double window = 0;
            for (int k = i; k < i + 10; k++)
            {
                window += durations[k];
            }

            if (window / 10 <= 1.25 * steady)
            {
                Console.WriteLine($"  within 1.25x of steady state from {ends[i] - durations[i] / 1000:F1} ms (call {i + 1})");
                return;
            }
        }

        Console.WriteLine("  never within 1.25x of steady state");
    }
}
