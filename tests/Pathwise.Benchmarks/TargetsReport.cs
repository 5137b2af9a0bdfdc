using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Text;
using Pathwise;
using TorchSharp;

namespace Pathwise.Benchmarks;

/// <summary>
/// <c>--targets</c>: the speed targets of issue 14 measured in one process, no BenchmarkDotNet. IG with 50 Gauss–Legendre
/// points, float32, zero baseline, on the tiny MLP 8-16-12-3, the MLP 784-256-128-10 and the 28x28 CNN:
/// <list type="number">
/// <item>one input: Pathwise against plain TorchSharp (<see cref="TorchIntegratedGradients"/>);</item>
/// <item>64 inputs (target <c>m % outputs</c>): Pathwise's <c>AttributeBatch</c> (both cores) against TorchSharp's fastest
/// form, a loop of 64 single calls or <c>k</c> inputs' points stacked in one pass (<see cref="TorchStackedIntegratedGradients"/>,
/// <c>k</c> = 4, 8, 16, 64);</item>
/// <item>both first with glibc's allocator as the process was launched, then with its mmap use turned off in process
/// (<see cref="GlibcAllocator.TurnOffMmap"/>, one-way, hence that order), minor page faults per call printed for each;
/// TorchSharp each time on its default intra-op threads and on one; every ratio taken against TorchSharp's fastest;</item>
/// <item>the speed-up of one input's IG from one core to two: child processes of this program with and without
/// <c>DOTNET_PROCESSOR_COUNT=1</c> (the two-core split is off when .NET sees one processor), launched alternately.</item>
/// </list>
/// Every figure is the median of <see cref="Rounds"/> interleaved rounds, each the median of many calls, with the rounds'
/// range beside it, because the machine may be shared. Each side is checked against the other before it is timed.
/// </summary>
internal static class TargetsReport
{
    /// <summary>The hidden flag of the child processes that time Pathwise's one-input IG alone.</summary>
    public const string ThreadsChildFlag = "--targets-threads-child";

    private const int Points = 50;
    private const int Rounds = 5;
    private const int Launches = 3;
    private const int GatedInputs = 4;
    private const string ChildLine = "pathwise-one";

    private static readonly int[] Stacks = [4, 8, 16, 64];

    /// <summary>TorchSharp's intra-op threads as it comes, then 1 (TorchSharp at its best may be on one thread, on a shared two-core machine).</summary>
    private static readonly int[] TorchThreads = torch.get_num_threads() > 1 ? [torch.get_num_threads(), 1] : [1];
    private static readonly double[] s_durations = new double[1 << 18];

    public static void Run()
    {
        Console.WriteLine($"IG, {Points} Gauss–Legendre points, float32, zero baseline. .NET sees {Environment.ProcessorCount} processors; "
            + $"TorchSharp {torch.get_num_threads()} intra-op threads, {torch.get_num_interop_threads()} inter-op; load average {LoadAverage()}");
        string launched = Environment.GetEnvironmentVariable("MALLOC_MMAP_MAX_") is { } max
            ? $"as launched (MALLOC_MMAP_MAX_={max}, MALLOC_TRIM_THRESHOLD_={Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") ?? "unset"})"
            : "as it comes";
        Console.WriteLine($"Allocator, first phase: {launched}; second phase: mallopt(M_MMAP_MAX, 0) and mallopt(M_TRIM_THRESHOLD, {GlibcAllocator.TrimThreshold}) in process.");

        var benches = new List<Bench>();
        foreach (string name in TargetCase.Names)
        {
            var bench = new Bench(TargetCase.Create(name));
            Console.WriteLine("// " + bench.CheckAgreement());
            benches.Add(bench);
        }

        foreach (Bench bench in benches)
        {
            bench.WarmUpAll();
        }

        Console.WriteLine();
        Console.WriteLine($"Phase 1, allocator {launched}:");
        foreach (Bench bench in benches)
        {
            bench.Measure(0);
        }

        if (GlibcAllocator.Available)
        {
            GlibcAllocator.TurnOffMmap();
            Console.WriteLine();
            Console.WriteLine($"Phase 2, mmap off in process (load average {LoadAverage()}):");
            foreach (Bench bench in benches)
            {
                bench.Measure(1);
            }
        }
        else
        {
            Console.WriteLine("glibc's mallopt is not available here: no second phase.");
        }

        Console.WriteLine();
        Console.WriteLine($"Thread speed-up, Pathwise one input, {Launches} child processes each way, launched alternately:");
        Dictionary<string, (Series One, Series Two)> threads = ThreadSpeedUp(benches);

        Console.WriteLine();
        Console.WriteLine($"Summary, load average {LoadAverage()}. Times: medians of {Rounds} rounds (Pathwise: as it comes / no-mmap; TorchSharp: its fastest form and thread count).");
        Console.WriteLine($"A mode's ratio: median [range] over its rounds of TorchSharp / Pathwise timed in the same round. Ratio vs best: the smaller of the two.");
        Console.WriteLine();
        Console.WriteLine("| Network | Inputs | Pathwise | TorchSharp as it comes | TorchSharp no-mmap | Ratio as it comes | Ratio no-mmap | Ratio vs best | Target | Met |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (Bench bench in benches)
        {
            Console.WriteLine(bench.Row(batch: false));
            Console.WriteLine(bench.Row(batch: true));
        }

        Console.WriteLine();
        foreach (Bench bench in benches)
        {
            if (threads.TryGetValue(bench.Case.Name, out (Series One, Series Two) t))
            {
                var plan = new PathPlan<float>(bench.Case.Network.Info, Options());
                long bytes = plan.BytesPerPoint * Points;
                string split = PathSplit.Pays(plan, Points) ? "split over two cores" : "below the split's threshold, on one core either way";
                Console.WriteLine($"{bench.Case.Name}: 1 thread {Format(t.One.Median)}, 2 threads {Format(t.Two.Median)}, speed-up {t.One.Median / t.Two.Median:F2}x "
                    + $"(launches: 1 thread {Range(t.One)}, 2 threads {Range(t.Two)}; {bytes / 1024} KiB of workspace per call: {split})");
            }
        }

        foreach (Bench bench in benches)
        {
            bench.Dispose();
        }
    }

    /// <summary>The child side of <see cref="ThreadSpeedUp"/>: Pathwise's one-input IG per network, one line each.</summary>
    public static void RunThreadsChild()
    {
        Console.WriteLine($"processors {Environment.ProcessorCount}");
        foreach (string name in TargetCase.Names)
        {
            TargetCase target = TargetCase.Create(name);
            var ig = new IntegratedGradients<float>(target.Network, Options());
            var attributions = new float[target.Length];
            Action one = () => ig.Attribute(target.Input(0), target.Targets[0], attributions);
            WarmUp(one, 1000);
            var rounds = new double[Rounds];
            for (int r = 0; r < Rounds; r++)
            {
                rounds[r] = Time(one, 150, 5).Microseconds;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ChildLine}\t{target.Name}\t{new Series(rounds).Median:R}"));
        }
    }

    /// <summary>Launches this program as a child, <see cref="Launches"/> times with one processor and as many with the machine's, alternately.</summary>
    private static Dictionary<string, (Series One, Series Two)> ThreadSpeedUp(List<Bench> benches)
    {
        var one = new Dictionary<string, List<double>>();
        var two = new Dictionary<string, List<double>>();
        for (int launch = 0; launch < Launches; launch++)
        {
            foreach (bool single in new[] { true, false })
            {
                (int processors, Dictionary<string, double> times) = Child(single);
                Console.WriteLine($"  child {launch + 1}, DOTNET_PROCESSOR_COUNT={(single ? "1" : "unset")} ({processors} seen): "
                    + string.Join(", ", benches.ConvertAll(b => times.TryGetValue(b.Case.Name, out double t) ? $"{b.Case.Name} {Format(t)}" : $"{b.Case.Name} missing")));
                foreach ((string name, double time) in times)
                {
                    Dictionary<string, List<double>> into = single ? one : two;
                    if (!into.TryGetValue(name, out List<double>? list))
                    {
                        into[name] = list = [];
                    }

                    list.Add(time);
                }
            }
        }

        var result = new Dictionary<string, (Series, Series)>();
        foreach ((string name, List<double> times) in one)
        {
            if (two.TryGetValue(name, out List<double>? other))
            {
                result[name] = (new Series([.. times]), new Series([.. other]));
            }
        }

        return result;
    }

    private static (int Processors, Dictionary<string, double> Times) Child(bool singleProcessor)
    {
        // `dotnet run` starts the apphost; `dotnet Pathwise.Benchmarks.dll` starts the muxer, which needs the dll.
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("Expected the process path; got none.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        start.ArgumentList.Add(ThreadsChildFlag);
        if (singleProcessor)
        {
            start.Environment["DOTNET_PROCESSOR_COUNT"] = "1";
        }
        else
        {
            start.Environment.Remove("DOTNET_PROCESSOR_COUNT");
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The child process exited with {child.ExitCode}; it printed: {output}");
        }

        int processors = 0;
        var times = new Dictionary<string, double>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split('\t');
            if (parts.Length == 3 && parts[0] == ChildLine)
            {
                times[parts[1]] = double.Parse(parts[2], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("processors ", StringComparison.Ordinal))
            {
                processors = int.Parse(line.AsSpan("processors ".Length), CultureInfo.InvariantCulture);
            }
        }

        return (processors, times);
    }

    private static IntegratedGradientsOptions Options() => new() { Points = Points, Rule = QuadratureRule.GaussLegendre };

    /// <summary>Runs <paramref name="body"/> for <paramref name="milliseconds"/> (at least twice): tiered compilation reaches its optimized code.</summary>
    private static void WarmUp(Action body, double milliseconds)
    {
        long start = Stopwatch.GetTimestamp();
        int calls = 0;
        while (calls < 2 || Stopwatch.GetElapsedTime(start).TotalMilliseconds < milliseconds)
        {
            body();
            calls++;
        }
    }

    /// <summary>
    /// After 20 ms (at least one call) of settling, so caches are warm and the other side's worker threads idle, times
    /// <paramref name="body"/> call by call for <paramref name="budgetMilliseconds"/> and at least <paramref name="minimumCalls"/>
    /// calls; the median microseconds per call and the process's minor page faults per call.
    /// </summary>
    private static Timing Time(Action body, double budgetMilliseconds, int minimumCalls)
    {
        long settle = Stopwatch.GetTimestamp();
        do
        {
            body();
        }
        while (Stopwatch.GetElapsedTime(settle).TotalMilliseconds < 20);

        long faults = GlibcAllocator.MinorFaults();
        int calls = 0;
        long start = Stopwatch.GetTimestamp();
        long last = start;
        while (calls < s_durations.Length && (calls < minimumCalls || Stopwatch.GetElapsedTime(start, last).TotalMilliseconds < budgetMilliseconds))
        {
            body();
            long now = Stopwatch.GetTimestamp();
            s_durations[calls++] = Stopwatch.GetElapsedTime(last, now).TotalMicroseconds;
            last = now;
        }

        faults = GlibcAllocator.MinorFaults() - faults;
        Span<double> durations = s_durations.AsSpan(0, calls);
        durations.Sort();
        return new Timing(durations[calls / 2], (double)faults / calls);
    }

    private static string LoadAverage()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>Microseconds as µs below 1 ms, else as ms.</summary>
    private static string Format(double microseconds) =>
        microseconds < 1000
            ? string.Create(CultureInfo.InvariantCulture, $"{microseconds:F1} µs")
            : string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1000:F2} ms");

    private static string Range(Series series) => $"{Format(series.Min)}-{Format(series.Max)}";

    private static string Describe(Series series) => $"{Format(series.Median)} [{Range(series)}], {series.Faults:F0} faults/call";

    /// <summary>One timed block: the median call and the minor page faults per call.</summary>
    private readonly record struct Timing(double Microseconds, double Faults);

    /// <summary>A measurement's rounds: their median, range and mean page faults per call.</summary>
    private sealed class Series
    {
        public Series(double[] rounds, double faults = 0)
        {
            Rounds = rounds;
            Faults = faults;
            double[] sorted = (double[])rounds.Clone();
            Array.Sort(sorted);
            Median = Statistics.Median(sorted);
            Min = sorted[0];
            Max = sorted[^1];
        }

        public double[] Rounds { get; }

        public double Faults { get; }

        public double Median { get; }

        public double Min { get; }

        public double Max { get; }

        /// <summary>Both sets of rounds as one series (the same code under two allocator modes).</summary>
        public static Series Join(Series a, Series b) => new([.. a.Rounds, .. b.Rounds], (a.Faults + b.Faults) / 2);
    }

    /// <summary>A TorchSharp measurement: its label, the intra-op threads it runs with, the call.</summary>
    private readonly record struct Variant(string Form, int Threads, Action Run);

    /// <summary>The per-round medians and page faults of a list of TorchSharp variants, filled round by round.</summary>
    private sealed class RoundTimes
    {
        private readonly double[][] _times;
        private readonly double[] _faults;

        public RoundTimes(int variants)
        {
            _times = new double[variants][];
            for (int v = 0; v < variants; v++)
            {
                _times[v] = new double[TargetsReport.Rounds];
            }

            _faults = new double[variants];
        }

        /// <summary>Times every variant once for round <paramref name="round"/>, each with its own intra-op thread count.</summary>
        public void Time(List<Variant> variants, int round, double budgetMilliseconds, int minimumCalls)
        {
            for (int v = 0; v < variants.Count; v++)
            {
                torch.set_num_threads(variants[v].Threads);
                Timing t = TargetsReport.Time(variants[v].Run, budgetMilliseconds, minimumCalls);
                _times[v][round] = t.Microseconds;
                _faults[v] += t.Faults / TargetsReport.Rounds;
            }

            torch.set_num_threads(TorchThreads[0]);
        }

        public Dictionary<string, Series> Series(List<Variant> variants)
        {
            var series = new Dictionary<string, Series>();
            for (int v = 0; v < variants.Count; v++)
            {
                series[variants[v].Form] = new Series(_times[v], _faults[v]);
            }

            return series;
        }
    }

    /// <summary>One network's two sides, their inputs as tensors, and its measurements per allocator mode (0 as launched, 1 mmap off).</summary>
    private sealed class Bench : IDisposable
    {
        private readonly IntegratedGradients<float> _pathwise;
        private readonly TorchNetwork _network;
        private readonly TorchIntegratedGradients _torch;
        private readonly TorchStackedIntegratedGradients _stacked;
        private readonly torch.Tensor[] _singles;
        private readonly List<(int K, torch.Tensor[] Inputs, torch.Tensor[] Rows)> _stacks = [];
        private readonly float[] _attributions;
        private readonly float[] _batch;
        private readonly ConvergenceDelta[] _deltas = new ConvergenceDelta[TargetCase.Count];
        private readonly Series?[] _pathwiseOne = new Series?[2];
        private readonly Dictionary<string, Series>?[] _torchOne = new Dictionary<string, Series>?[2];
        private readonly Series?[] _pathwiseBatch = new Series?[2];
        private readonly Dictionary<string, Series>?[] _torchBatch = new Dictionary<string, Series>?[2];
        private readonly Action _one;
        private readonly Action _many;
        private readonly List<Variant> _torchSingles = [];
        private readonly List<Variant> _forms = [];

        public Bench(TargetCase target)
        {
            Case = target;
            int length = target.Length;
            _pathwise = new IntegratedGradients<float>(target.Network, Options());
            _network = target.CreateTorch();
            _torch = new TorchIntegratedGradients(_network, QuadratureRule.GaussLegendre, Points);
            _stacked = new TorchStackedIntegratedGradients(_network, QuadratureRule.GaussLegendre, Points);
            _attributions = new float[length];
            _batch = new float[TargetCase.Count * length];
            _singles = new torch.Tensor[TargetCase.Count];
            for (int m = 0; m < TargetCase.Count; m++)
            {
                _singles[m] = _torch.Input(target.Input(m).ToArray());
            }

            foreach (int k in Stacks)
            {
                int groups = TargetCase.Count / k;
                var inputs = new torch.Tensor[groups];
                var rows = new torch.Tensor[groups];
                for (int g = 0; g < groups; g++)
                {
                    inputs[g] = _stacked.Inputs(target.Inputs.AsSpan(g * k * length, k * length), k);
                    rows[g] = _stacked.RowTargets(target.Targets.AsSpan(g * k, k));
                }

                _stacks.Add((k, inputs, rows));
            }

            _one = () => _pathwise.Attribute(target.Input(0), target.Targets[0], _attributions);
            Action single = () => _torch.Attribute(_singles[0], target.Targets[0], _attributions);
            _many = () => _pathwise.AttributeBatch(target.Inputs, target.Targets, _batch, _deltas);
            Action loop = () =>
            {
                for (int m = 0; m < TargetCase.Count; m++)
                {
                    _torch.Attribute(_singles[m], target.Targets[m], _batch.AsSpan(m * length, length));
                }
            };
            foreach (int threads in TorchThreads)
            {
                string suffix = threads == 1 ? "1 thread" : $"{threads} threads";
                _torchSingles.Add(new Variant(suffix, threads, single));
                _forms.Add(new Variant($"loop of 64, {suffix}", threads, loop));
                foreach ((int k, torch.Tensor[] inputs, torch.Tensor[] rows) in _stacks)
                {
                    _forms.Add(new Variant($"stacked k={k}, {suffix}", threads, () =>
                    {
                        for (int g = 0; g < inputs.Length; g++)
                        {
                            _stacked.Attribute(inputs[g], rows[g], _batch.AsSpan(g * k * length, k * length));
                        }
                    }));
                }
            }
        }

        public TargetCase Case { get; }

        /// <summary>
        /// Throws unless TorchSharp and Pathwise agree: on one input (<see cref="Agreement.Check"/>), then Pathwise's batch
        /// against every TorchSharp form (the loop and each stacking) on the first <see cref="GatedInputs"/> inputs. On all 64
        /// inputs it reports each form's worst difference and how many inputs exceed the tolerance, without failing: a path
        /// point that lies on a ReLU or max-pooling kink within float32 rounding takes one side's gradient in one library
        /// and the other side's in the other (the CNN's input 27 at Gauss–Legendre node 50, where TorchSharp is 2.8e-3 of
        /// max |attr| from a float64 evaluation of the same weights and Pathwise 1.5e-7).
        /// </summary>
        public string CheckAgreement()
        {
            string single = Agreement.Check(Case.Name, _pathwise, _torch, Case.Input(0).ToArray(), _singles[0], Case.Targets[0]);
            int length = Case.Length;
            var pathwise = new float[TargetCase.Count * length];
            _pathwise.AttributeBatch(Case.Inputs, Case.Targets, pathwise, _deltas);
            var report = new StringBuilder(single);
            report.Append(CultureInfo.InvariantCulture, $"\n//   batch, Pathwise AttributeBatch against TorchSharp (gate: inputs 0-{GatedInputs - 1}; survey: all {TargetCase.Count}):");
            foreach ((string form, int threads, Action run) in _forms)
            {
                torch.set_num_threads(threads);
                Array.Clear(_batch);
                run();
                double worst = 0;
                int worstInput = 0;
                int beyond = 0;
                for (int m = 0; m < TargetCase.Count; m++)
                {
                    string name = $"{Case.Name} batch input {m}, {form}";
                    ReadOnlySpan<float> torchRow = _batch.AsSpan(m * length, length);
                    ReadOnlySpan<float> pathwiseRow = pathwise.AsSpan(m * length, length);
                    double relative = m < GatedInputs ? Agreement.Values(name, torchRow, pathwiseRow) : Agreement.Difference(name, torchRow, pathwiseRow).Relative;
                    beyond += relative > Agreement.Tolerance ? 1 : 0;
                    if (relative > worst)
                    {
                        worst = relative;
                        worstInput = m;
                    }
                }

                report.Append(CultureInfo.InvariantCulture, $" {form}: worst {worst:E2} (input {worstInput}), {beyond} beyond {Agreement.Tolerance:G2};");
            }

            torch.set_num_threads(TorchThreads[0]);

            return report.ToString();
        }

        /// <summary>Long enough for tiered compilation on the Pathwise side, and TorchSharp's first calls out of the way.</summary>
        public void WarmUpAll()
        {
            TargetsReport.WarmUp(_one, 1000);
            TargetsReport.WarmUp(_many, 500);
            foreach ((string _, int threads, Action run) in _torchSingles)
            {
                torch.set_num_threads(threads);
                TargetsReport.WarmUp(run, 300);
            }

            foreach ((string _, int threads, Action run) in _forms)
            {
                torch.set_num_threads(threads);
                TargetsReport.WarmUp(run, 50);
            }

            torch.set_num_threads(TorchThreads[0]);
        }

        /// <summary>Interleaved rounds of every measurement under allocator mode <paramref name="mode"/>; prints them.</summary>
        public void Measure(int mode)
        {
            var one = new double[Rounds];
            var many = new double[Rounds];
            double oneFaults = 0, manyFaults = 0;
            var torchOne = new RoundTimes(_torchSingles.Count);
            var torchMany = new RoundTimes(_forms.Count);
            for (int r = 0; r < Rounds; r++)
            {
                // Alternate which side goes first, so neither always runs on the other's warm (or cold) caches.
                for (int side = 0; side < 2; side++)
                {
                    if ((side + r) % 2 == 0)
                    {
                        Timing t = Time(_one, 150, 5);
                        one[r] = t.Microseconds;
                        oneFaults += t.Faults / Rounds;
                        t = Time(_many, 300, 3);
                        many[r] = t.Microseconds;
                        manyFaults += t.Faults / Rounds;
                    }
                    else
                    {
                        torchOne.Time(_torchSingles, r, 300, 5);
                        torchMany.Time(_forms, r, 200, 1);
                    }
                }
            }

            _pathwiseOne[mode] = new Series(one, oneFaults);
            _pathwiseBatch[mode] = new Series(many, manyFaults);
            _torchOne[mode] = torchOne.Series(_torchSingles);
            _torchBatch[mode] = torchMany.Series(_forms);
            Console.WriteLine($"  {Case.Name}, one input: Pathwise {Describe(_pathwiseOne[mode]!)}");
            foreach ((string form, Series series) in _torchOne[mode]!)
            {
                Console.WriteLine($"    TorchSharp {form,-22} {Describe(series)}; ratio {series.Median / _pathwiseOne[mode]!.Median:F1}x");
            }

            Console.WriteLine($"  {Case.Name}, {TargetCase.Count} inputs: Pathwise AttributeBatch {Describe(_pathwiseBatch[mode]!)}");
            foreach ((string form, Series series) in _torchBatch[mode]!)
            {
                Console.WriteLine($"    TorchSharp {form,-22} {Describe(series)}; ratio {series.Median / _pathwiseBatch[mode]!.Median:F1}x");
            }
        }

        /// <summary>
        /// The summary table's row for one input or for the batch. A mode's ratio is the median over its rounds of TorchSharp's
        /// time over Pathwise's in the same round (the two interleaved, so a change of load between the phases cancels); the
        /// ratio held against the target is the smaller of the two modes' ratios, TorchSharp at its best.
        /// </summary>
        public string Row(bool batch)
        {
            Series?[] pathwise = batch ? _pathwiseBatch : _pathwiseOne;
            var torchModes = new (string Label, Series Series)?[2];
            for (int mode = 0; mode < 2; mode++)
            {
                torchModes[mode] = Fastest(batch ? _torchBatch[mode] : _torchOne[mode]);
            }

            var ratios = new Series?[2];
            for (int mode = 0; mode < 2; mode++)
            {
                if (torchModes[mode] is { } torchMode && pathwise[mode] is { } pathwiseMode)
                {
                    var paired = new double[Rounds];
                    for (int r = 0; r < Rounds; r++)
                    {
                        paired[r] = torchMode.Series.Rounds[r] / pathwiseMode.Rounds[r];
                    }

                    ratios[mode] = new Series(paired);
                }
            }

            double ratio = Math.Min(ratios[0]!.Median, ratios[1]?.Median ?? double.PositiveInfinity);
            double? target = (Case.Name, batch) switch
            {
                ("TinyMlp 8-16-12-3", false) => 28,
                ("Mlp 784-256-128-10", false) => 5,
                ("Cnn 28x28", false) => 5,
                ("Cnn 28x28", true) => 8,
                _ => null,
            };
            string Cell((string Label, Series Series)? cell) =>
                cell is { } c ? $"{Format(c.Series.Median)} ({c.Label})" : "—";
            string Ratio(Series? series) => series is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r.Median:F1}x [{r.Min:F1}-{r.Max:F1}]") : "—";
            string met = target is { } goal ? ratio >= goal ? "met" : "not met" : "—";
            string pathwiseCell = pathwise[1] is { } second ? $"{Format(pathwise[0]!.Median)} / {Format(second.Median)}" : Format(pathwise[0]!.Median);
            return $"| {Case.Name} | {(batch ? TargetCase.Count : 1)} | {pathwiseCell} | {Cell(torchModes[0])} | {Cell(torchModes[1])} | {Ratio(ratios[0])} | {Ratio(ratios[1])} | "
                + string.Create(CultureInfo.InvariantCulture, $"{ratio:F1}x | {(target is { } g ? $">= {g:F0}x" : "—")} | {met} |");
        }

        public void Dispose()
        {
            foreach (torch.Tensor tensor in _singles)
            {
                tensor.Dispose();
            }

            foreach ((int _, torch.Tensor[] inputs, torch.Tensor[] rows) in _stacks)
            {
                foreach (torch.Tensor tensor in inputs)
                {
                    tensor.Dispose();
                }

                foreach (torch.Tensor tensor in rows)
                {
                    tensor.Dispose();
                }
            }

            _stacked.Dispose();
            _torch.Dispose();
            _network.Dispose();
        }

        private static (string Label, Series Series)? Fastest(Dictionary<string, Series>? forms)
        {
            if (forms is null)
            {
                return null;
            }

            (string Label, Series Series)? best = null;
            foreach ((string form, Series series) in forms)
            {
                if (best is null || series.Median < best.Value.Series.Median)
                {
                    best = (form, series);
                }
            }

            return best;
        }
    }
}
