using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using FashionMnist;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>
/// <c>--exact</c>, second part: the exact rule against the fixed rules on the trained Fashion-MNIST models of
/// <c>samples/Models</c>, on the first test images of <c>samples/Models/fashion-mnist-slice</c> (pixels in [0, 1], zero
/// baseline, the predicted class as target).
/// </summary>
/// <remarks>
/// <para>
/// Table 1, in float64 (so that a relative delta of 1e-6 is not hidden by float32 rounding): for each fixed rule the
/// points it needs for a relative completeness delta <c>|sum IG - (F(x) - F(x'))| / |F(x) - F(x')|</c> of 1e-3 and of
/// 1e-6, and the time of a call with that many points, against the exact rule's pieces and time. The delta is not
/// monotone in the points (it can cross zero by luck), so "needs" is: double the points until the delta is below the
/// tolerance at two successive powers of two, then bisect (to 1/32) below the first of them for the fewest points that
/// meet it; at most <see cref="MaxPoints"/> on the MLP, <see cref="MaxCnnPoints"/> on the CNN.
/// </para>
/// <para>
/// Table 2, in float32 (the models' own precision): the issue's target, Exact IG at most twice a 32-point
/// Gauss–Legendre IG when it has at most 256 pieces. The two run interleaved in rounds within one process, and the
/// medians are compared, because the machine may be shared. On the MLP (a <see cref="DenseChain"/>) the exact call is
/// split into its sweep (<see cref="ChainSweep.Run{T}"/>) and its integral (<see cref="ChainSweep.GradientIntegral{T}"/>),
/// and the route the exact rule takes on other networks is timed on the same path for comparison (by pieces:
/// <see cref="PiecewiseLinearPath.WithoutChain"/>, a gradient per piece), with its layer-by-layer breakpoint search alone
/// (<c>PiecewiseLinearPath.Breakpoints</c>).
/// </para>
/// </remarks>
internal static class FashionExactReport
{
    /// <summary>The most points the search for a fixed rule's count tries on the MLP.</summary>
    public const int MaxPoints = 1 << 16;

    /// <summary>The most points on the CNN, whose points cost about 20 times the MLP's.</summary>
    public const int MaxCnnPoints = 1 << 14;

    private static readonly QuadratureRule[] FixedRules =
        [QuadratureRule.RiemannLeft, QuadratureRule.RiemannRight, QuadratureRule.RiemannMiddle, QuadratureRule.Trapezoid, QuadratureRule.GaussLegendre];

    /// <summary>Runs the float32 ratio table on <paramref name="images"/> images and, when <paramref name="float64Table"/>, the float64 table (the CNN on <paramref name="cnnImages"/> of them).</summary>
    public static void Run(int images, bool float64Table, int cnnImages, bool ratioTable = true, bool mlpOnly = false)
    {
        string models = FindModels();
        float[][] pixels = ReadImages(Path.Combine(models, "fashion-mnist-slice", "t10k-images-idx3-ubyte.gz"), images);
        Console.WriteLine($"Fashion models from {models}, {images} test images, zero baseline, target = predicted class; {Environment.ProcessorCount} cores.");
        string mlpPath = Path.Combine(models, "fashion-mlp.safetensors");
        string cnnPath = Path.Combine(models, "fashion-cnn.safetensors");
        if (ratioTable)
        {
            Ratio("Fashion MLP 784-256-128-10", FashionMlp.Load(mlpPath), pixels);
            if (!mlpOnly)
            {
                Ratio("Fashion CNN", FashionCnn.Load(cnnPath), pixels);
            }
        }

        if (float64Table)
        {
            PointsNeeded("Fashion MLP 784-256-128-10", FashionMlp64.Load(mlpPath), pixels, MaxPoints);
            PointsNeeded("Fashion CNN", FashionCnn64.Load(cnnPath), pixels[..Math.Min(cnnImages, pixels.Length)], MaxCnnPoints);
        }
    }

    private static void Ratio(string name, INetwork<float> network, float[][] pixels)
    {
        PiecewiseLinearPath path = PiecewiseLinearPath.Of(network);
        DenseChain? chain = path.Chain;
        Console.WriteLine();
        Console.WriteLine($"{name}, float32: exact IG against 32-point Gauss-Legendre IG (interleaved rounds: median, and fastest round)");
        Console.WriteLine(chain is null
            ? "  not a chain: exact IG by pieces (layer-by-layer breakpoints, a gradient per piece); search = the breakpoints alone"
            : "  a chain: exact IG by the sweep = its events (sweep) + the integral replayed from them; by pieces = the route other networks take");
        Console.WriteLine("  image  pieces  exact ms  GL32 ms  ratio  sweep ms  integral ms  search ms  by pieces ms  | fastest round: exact  GL32  ratio  | fastest call: exact  GL32  ratio  | exact delta  GL32 delta");
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, MaxPieces = 100_000 };
        var exact = new IntegratedGradients<float>(network, options);
        var gl32 = new IntegratedGradients<float>(network, new IntegratedGradientsOptions { Points = 32 });
        PiecewiseLinearPath general = path.WithoutChain();
        PathHost<float> byPieces = CpuPathEngine<float>.Host(network, new PathPlan<float>(network.Info, options).WithRule(options, _ => general));
        var zero = new double[network.Info.InputLength];
        var zeros = new float[network.Info.InputLength];
        var sweep = new ChainSweep();

        // Warm-up, so the first image's rounds do not run code the JIT has not optimised yet.
        int first = Predicted(network, pixels[0]);
        for (var warm = Stopwatch.StartNew(); warm.ElapsedMilliseconds < 1000;)
        {
            exact.Attribute(pixels[0], first);
            gl32.Attribute(pixels[0], first);
        }

        var integral = new double[network.Info.InputLength];
        for (int m = 0; m < pixels.Length; m++)
        {
            float[] input = pixels[m];
            int target = Predicted(network, input);
            var weights = new float[network.Info.OutputLength];
            weights[target] = 1;
            Attribution<float> exactResult = exact.Attribute(input, target);
            Attribution<float> glResult = gl32.Attribute(input, target);
            double[] wide = [.. input.Select(v => (double)v)];
            var actions = new List<Action>
            {
                () => exact.Attribute(input, target),
                () => gl32.Attribute(input, target),
                () => path.Breakpoints(zero, wide, 100_000, out _),
            };
            if (chain is not null)
            {
                sweep.Run<float>(chain, zeros, input, 100_000);
                actions.Add(() => IntegratedGradientsMath<float>.Attribute(byPieces, PathRequest<float>.ForTarget(input, target), default));
                actions.Add(() => sweep.Run<float>(chain, zeros, input, 100_000));
                actions.Add(() => sweep.GradientIntegral<float>(weights, integral));
            }

            (double[] times, double[] fastest, double[] best) = Interleaved([.. actions]);
            string chainTimes = chain is null ? $"{"-",8}  {"-",11}  {times[2],9:F3}  {"(= exact)",12}" : $"{times[4],8:F3}  {times[5],11:F3}  {times[2],9:F3}  {times[3],12:F3}";
            Console.WriteLine(
                $"  {m,5}  {exactResult.Points,6}  {times[0],8:F3}  {times[1],7:F3}  {times[0] / times[1],5:F2}  {chainTimes}  " +
                $"| {fastest[0],20:F3}  {fastest[1],4:F3}  {fastest[0] / fastest[1],5:F2}  | {best[0],19:F3}  {best[1],4:F3}  {best[0] / best[1],5:F2}  " +
                $"| {Math.Abs(exactResult.Delta.Relative),11:E1}  {Math.Abs(glResult.Delta.Relative),10:E1}");
        }
    }

    /// <summary>
    /// <c>--agreement</c>: on the float64 MLP, exact IG by the chain sweep against the same path integrated piece by piece by
    /// the engine (<see cref="PiecewiseLinearPath.WithoutChain"/>): pieces, the largest difference relative to the largest
    /// attribution, and both deltas.
    /// </summary>
    public static void Agreement(int images)
    {
        string models = FindModels();
        float[][] pixels = ReadImages(Path.Combine(models, "fashion-mnist-slice", "t10k-images-idx3-ubyte.gz"), images);
        FashionMlp64 network = FashionMlp64.Load(Path.Combine(models, "fashion-mlp.safetensors"));
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, MaxPieces = 100_000 };
        var swept = new IntegratedGradients<double>(network, options);
        PiecewiseLinearPath general = PiecewiseLinearPath.Of(network).WithoutChain();
        PathPlan<double> plan = new PathPlan<double>(network.Info, options).WithRule(options, _ => general);
        PathHost<double> byPieces = CpuPathEngine<double>.Host(network, plan);
        Console.WriteLine("Fashion MLP, float64: exact IG by the sweep against by pieces (the engine's gradient per piece)");
        Console.WriteLine("  image  pieces (sweep, by pieces)  max |difference| / max |attribution|  delta: sweep, by pieces");
        for (int m = 0; m < pixels.Length; m++)
        {
            double[] input = [.. pixels[m].Select(v => (double)v)];
            int target = Predicted(network, input);
            Attribution<double> a = swept.Attribute(input, target);
            Attribution<double> b = IntegratedGradientsMath<double>.Attribute(byPieces, PathRequest<double>.ForTarget(input, target), default);
            double scale = 0;
            double error = 0;
            for (int i = 0; i < input.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(b[i]));
                error = Math.Max(error, Math.Abs(a[i] - b[i]));
            }

            Console.WriteLine($"  {m,5}  {a.Points,6}, {b.Points,6}  {error / scale,36:E1}  {Math.Abs(a.Delta.Relative):E1}, {Math.Abs(b.Delta.Relative):E1}");
        }
    }

    private static void PointsNeeded(string name, INetwork<double> network, float[][] pixels, int maxPoints)
    {
        Console.WriteLine();
        Console.WriteLine($"{name}, float64: points each fixed rule needs for a relative delta of 1e-3 and 1e-6 (time per call), against the exact rule");
        Console.WriteLine($"  image  rule            1e-3: points       ms   1e-6: points        ms");
        for (int m = 0; m < pixels.Length; m++)
        {
            double[] input = [.. pixels[m].Select(v => (double)v)];
            int target = Predicted(network, input);
            var exact = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, MaxPieces = 100_000 });
            Attribution<double> exactResult = exact.Attribute(input, target);
            double exactTime = TimePerCall(() => exact.Attribute(input, target));
            Console.WriteLine($"  {m,5}  {"Exact",-14}  {exactResult.Points,8} pieces {exactTime,8:F2}   delta {Math.Abs(exactResult.Delta.Relative):E1}");
            foreach (QuadratureRule rule in FixedRules)
            {
                var cells = new List<string>();
                foreach (double tolerance in new[] { 1e-3, 1e-6 })
                {
                    int? points = Needed(network, input, target, rule, tolerance, maxPoints);
                    if (points is int n)
                    {
                        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = rule, Points = n });
                        cells.Add($"{n,12}  {TimePerCall(() => ig.Attribute(input, target)),8:F2}");
                    }
                    else
                    {
                        cells.Add($"{"> " + maxPoints,12}  {"-",8}");
                    }
                }

                Console.WriteLine($"  {m,5}  {rule,-14}  {cells[0]}  {cells[1]}");
            }
        }
    }

    /// <summary>The fewest points (see the remarks) at which <paramref name="rule"/> meets <paramref name="tolerance"/>, or null past <paramref name="maxPoints"/>.</summary>
    private static int? Needed(INetwork<double> network, double[] input, int target, QuadratureRule rule, double tolerance, int maxPoints)
    {
        var cache = new Dictionary<int, double>();
        double Delta(int points)
        {
            if (!cache.TryGetValue(points, out double delta))
            {
                var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = rule, Points = points });
                delta = Math.Abs(ig.Attribute(input, target).Delta.Relative);
                cache[points] = delta;
            }

            return delta;
        }

        int high = 2;
        while (!(Delta(high) <= tolerance && (2 * high > maxPoints || Delta(2 * high) <= tolerance)))
        {
            high *= 2;
            if (high > maxPoints)
            {
                return null;
            }
        }

        int low = high / 2; // does not meet it, or high is the first power tried
        if (low < 2 || Delta(low) <= tolerance)
        {
            return high == 2 && Delta(1) <= tolerance && rule != QuadratureRule.Trapezoid ? 1 : high;
        }

        while (high - low > Math.Max(1, low / 32))
        {
            int middle = low + ((high - low) / 2);
            if (Delta(middle) <= tolerance)
            {
                high = middle;
            }
            else
            {
                low = middle;
            }
        }

        return high;
    }

    /// <summary>Milliseconds per call: repeated for at least 300 ms (and 3 calls) after one warm-up call.</summary>
    private static double TimePerCall(Action call)
    {
        call();
        int calls = 0;
        var watch = Stopwatch.StartNew();
        while (watch.ElapsedMilliseconds < 300 || calls < 3)
        {
            call();
            calls++;
        }

        return watch.Elapsed.TotalMilliseconds / calls;
    }

    /// <summary>
    /// The median and the minimum over 9 rounds of each action's milliseconds per call, and its fastest single call; in
    /// each round every action runs in turn for about 60 ms, so a change in the machine's load reaches all of them alike
    /// (the fastest round, and more so the fastest call, is the closest to an idle machine).
    /// </summary>
    private static (double[] Median, double[] Fastest, double[] Best) Interleaved(params Action[] actions)
    {
        var repeats = new int[actions.Length];
        for (int a = 0; a < actions.Length; a++)
        {
            actions[a]();
            var watch = Stopwatch.StartNew();
            actions[a]();
            repeats[a] = Math.Max(1, (int)(60 / Math.Max(watch.Elapsed.TotalMilliseconds, 1e-3)));
        }

        const int rounds = 9;
        var samples = new double[actions.Length][];
        var best = new double[actions.Length];
        for (int a = 0; a < actions.Length; a++)
        {
            samples[a] = new double[rounds];
            best[a] = double.PositiveInfinity;
        }

        for (int r = 0; r < rounds; r++)
        {
            for (int a = 0; a < actions.Length; a++)
            {
                long start = Stopwatch.GetTimestamp();
                long previous = start;
                for (int i = 0; i < repeats[a]; i++)
                {
                    actions[a]();
                    long now = Stopwatch.GetTimestamp();
                    best[a] = Math.Min(best[a], (now - previous) * 1e3 / Stopwatch.Frequency);
                    previous = now;
                }

                samples[a][r] = (previous - start) * 1e3 / Stopwatch.Frequency / repeats[a];
            }
        }

        return ([.. samples.Select(s => s.Order().ElementAt(rounds / 2))], [.. samples.Select(s => s.Min())], best);
    }

    private static int Predicted<T>(INetwork<T> network, T[] input) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var workspace = new Workspace<T>(network.Info, 1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Info.Input, workspace, 1);
        ReadOnlySpan<T> output = workspace.Output(1);
        int best = 0;
        for (int j = 1; j < output.Length; j++)
        {
            best = output[j] > output[best] ? j : best;
        }

        return best;
    }

    /// <summary>The first <paramref name="count"/> images of a gzip IDX file of 28x28 unsigned bytes, scaled to [0, 1].</summary>
    private static float[][] ReadImages(string path, int count)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        byte[] data = memory.ToArray();
        int available = (data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7];
        if (data[2] != 0x08 || data[3] != 3 || count > available)
        {
            throw new InvalidDataException($"Expected an IDX file of at least {count} unsigned-byte images in {path}.");
        }

        const int header = 16;
        const int size = 28 * 28;
        var images = new float[count][];
        for (int m = 0; m < count; m++)
        {
            images[m] = [.. data.AsSpan(header + (m * size), size).ToArray().Select(b => b / 255f)];
        }

        return images;
    }

    /// <summary><c>samples/Models</c>, found from the working directory or the binaries upwards.</summary>
    private static string FindModels()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
            {
                string candidate = Path.Combine(directory.FullName, "samples", "Models");
                if (File.Exists(Path.Combine(candidate, "fashion-mlp.safetensors")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("Expected samples/Models (with fashion-mlp.safetensors) above the working directory or the binaries.");
    }
}
