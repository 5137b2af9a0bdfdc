using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Pathwise;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise.Benchmarks;

/// <summary>
/// <c>--profile</c>: where one Pathwise IG call (50 points) spends its time. Each kernel call the generated passes
/// make is replayed alone on one thread, as one batch of the 50 points (the forward with the two endpoint rows that
/// ride along the last chunk), on scratch buffers, and timed with a Stopwatch; the split is printed next to the
/// measured time of the whole call, which runs as the library runs it (the automatic internal batch, and both cores
/// when the call is large enough), so the "rest" line also holds what chunking and the split cost or save.
/// </summary>
internal static class KernelProfile
{
    private const int Points = IntegratedGradientsBenchmark.Points;

    // The forward pass carries the endpoints a = 0 and a = 1 as two extra rows; the backward runs the points only.
    private const int Rows = Points + 2;

    public static void Run()
    {
        Report("TinyMlp 8-16-12-3", new TinyMlpIG(), Mlp([8, 16, 12, 3]));
        Report("MnistMlp 784-256-128-10", new MnistMlpIG(), Mlp([784, 256, 128, 10]));
        Report("MnistCnn 28x28", new MnistCnnIG(), Cnn());
    }

    private static void Report(string name, IntegratedGradientsBenchmark benchmark, List<(string Group, int Calls, Action Body)> plan)
    {
        benchmark.Rule = QuadratureRule.GaussLegendre;
        benchmark.Setup();
        double total = Microseconds(() => benchmark.Pathwise());
        double torch = Microseconds(() => benchmark.TorchSharp());
        benchmark.Cleanup();

        var groups = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string group, int calls, Action body) in plan)
        {
            groups[group] = groups.GetValueOrDefault(group) + calls * Microseconds(body);
        }

        double kernels = groups.Values.Sum();
        Console.WriteLine();
        Console.WriteLine($"{name}: Pathwise IG {total,9:F1} us (TorchSharp {torch:F1} us, ratio {total / torch:F3}); kernel calls replayed alone sum to {kernels:F1} us");
        foreach ((string group, double us) in groups.OrderByDescending(g => g.Value))
        {
            Console.WriteLine($"  {group,-34} {us,9:F1} us  {100 * us / total,5:F1} %");
        }

        Console.WriteLine($"  {"(rest: guards, copies, overhead)",-34} {total - kernels,9:F1} us  {100 * (total - kernels) / total,5:F1} %");
    }

    /// <summary>Mean microseconds per call of <paramref name="body"/>, over at least 200 ms after a 300 ms warm-up.</summary>
    private static double Microseconds(Action body)
    {
        // Long enough a warm-up for tiered compilation to reach its optimized code.
        var warmup = Stopwatch.StartNew();
        while (warmup.ElapsedMilliseconds < 300)
        {
            body();
        }

        long calls = 0;
        var watch = Stopwatch.StartNew();
        while (watch.ElapsedMilliseconds < 200)
        {
            for (int i = 0; i < 10; i++)
            {
                body();
            }

            calls += 10;
        }

        return watch.Elapsed.TotalMicroseconds / calls;
    }

    private static float[] Buffer(int length, int seed = 7)
    {
        var random = new Random(seed + length);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.NextSingle() * 2 - 1;
        }

        return values;
    }

    /// <summary>The calls of ForwardPath (with the two endpoint rows) and BackwardPathSum for a ReLU MLP.</summary>
    private static List<(string, int, Action)> Mlp(int[] sizes)
    {
        var plan = new List<(string, int, Action)>();
        int inputs = sizes[0];
        float[] alphas = Buffer(Points), rowAlphas = Buffer(Rows);
        float[] x = Buffer(inputs);
        float[] points = new float[Rows * inputs];
        plan.Add(("PathKernel.Interpolate (inputs)", 1, () => PathKernel.Interpolate<float>(x, x, rowAlphas, points)));

        int first = sizes[1];
        float[] w1 = Buffer(first * inputs), b1 = Buffer(first), start = new float[first];
        plan.Add(("DenseKernel.Forward", 2, () => DenseKernel.Forward<float>(x, w1, b1, start, 1, inputs, first)));
        float[] z1 = new float[Rows * first];
        plan.Add(("PathKernel.Interpolate (layer 1)", 1, () => PathKernel.Interpolate<float>(start, start, rowAlphas, z1)));
        plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLU<float>(z1, z1.AsSpan())));
        for (int l = 2; l < sizes.Length; l++)
        {
            int n = sizes[l - 1], m = sizes[l];
            float[] xs = Buffer(Rows * n), w = Buffer(m * n), b = Buffer(m), y = new float[Rows * m], dx = new float[Points * n];
            plan.Add(("DenseKernel.Forward", 1, () => DenseKernel.Forward<float>(xs, w, b, y, Rows, n, m)));
            plan.Add(("DenseKernel.BackwardInput", 1, () => DenseKernel.BackwardInput<float>(y.AsSpan(0, Points * m), w, dx, Points, n, m)));
            plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLUBackward<float>(xs.AsSpan(0, Points * n), dx, dx)));
            if (l < sizes.Length - 1)
            {
                plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLU<float>(y, y.AsSpan())));
            }
        }

        float[] weighted = new float[first], gradient = new float[inputs];
        plan.Add(("PathKernel.WeightedRowSum", 1, () => PathKernel.WeightedRowSum<float>(z1.AsSpan(0, Points * first), alphas, weighted)));
        plan.Add(("DenseKernel.BackwardInput", 1, () => DenseKernel.BackwardInput<float>(weighted, w1, gradient, 1, inputs, first)));
        return plan;
    }

    /// <summary>The calls of ForwardPath (with the two endpoint rows) and BackwardPathSum for <see cref="MnistCnn"/>.</summary>
    private static List<(string, int, Action)> Cnn()
    {
        var plan = new List<(string, int, Action)>();
        var conv1 = new Conv2DShape(1, 28, 28, 8, 3, 1, 1);
        var pool1 = new Pool2DShape(8, 28, 28, 2, 2);
        var conv2 = new Conv2DShape(8, 14, 14, 16, 3, 1, 1);
        var pool2 = new Pool2DShape(16, 14, 14, 2, 2);
        float[] alphas = Buffer(Points), rowAlphas = Buffer(Rows);

        float[] x = Buffer(784), points = new float[Rows * 784];
        plan.Add(("PathKernel.Interpolate", 1, () => PathKernel.Interpolate<float>(x, x, rowAlphas, points)));
        float[] w1 = Buffer(conv1.WeightLength), b1 = Buffer(8), start = new float[conv1.OutputLength];
        plan.Add(("Conv2DKernel.Forward conv1 (1 row)", 2, () => Conv2DKernel.Forward<float>(x, w1, b1, start, 1, conv1)));
        float[] z1 = new float[Rows * conv1.OutputLength], y1 = Buffer(Rows * conv1.OutputLength);
        plan.Add(("PathKernel.Interpolate", 1, () => PathKernel.Interpolate<float>(start, start, rowAlphas, z1)));
        plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLU<float>(z1, y1)));
        float[] p1 = new float[Rows * 8 * 14 * 14];
        plan.Add(("Pool2DKernel.MaxForward", 1, () => Pool2DKernel.MaxForward<float>(y1, p1, Rows, pool1)));
        float[] w2 = Buffer(conv2.WeightLength), b2 = Buffer(16), z2 = new float[Rows * conv2.OutputLength], y2 = Buffer(Rows * conv2.OutputLength);
        plan.Add(("Conv2DKernel.Forward conv2", 1, () => Conv2DKernel.Forward<float>(p1, w2, b2, z2, Rows, conv2)));
        plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLU<float>(z2, y2)));
        float[] p2 = new float[Rows * 784];
        plan.Add(("Pool2DKernel.MaxForward", 1, () => Pool2DKernel.MaxForward<float>(y2, p2, Rows, pool2)));
        float[] w3 = Buffer(64 * 784), b3 = Buffer(64), h = new float[Rows * 64];
        plan.Add(("DenseKernel.Forward", 1, () => DenseKernel.Forward<float>(p2, w3, b3, h, Rows, 784, 64)));
        plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLU<float>(h, h.AsSpan())));
        float[] w4 = Buffer(10 * 64), b4 = Buffer(10), logits = new float[Rows * 10];
        plan.Add(("DenseKernel.Forward", 1, () => DenseKernel.Forward<float>(h, w4, b4, logits, Rows, 64, 10)));

        // Backward, output to input.
        float[] dh = new float[Points * 64], dp2 = new float[Points * 784], dy2 = new float[Points * conv2.OutputLength], dp1 = new float[Points * 8 * 14 * 14], dy1 = new float[Points * conv1.OutputLength];
        plan.Add(("DenseKernel.BackwardInput", 1, () => DenseKernel.BackwardInput<float>(logits.AsSpan(0, Points * 10), w4, dh, Points, 64, 10)));
        plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLUBackward<float>(h.AsSpan(0, Points * 64), dh, dh)));
        plan.Add(("DenseKernel.BackwardInput", 1, () => DenseKernel.BackwardInput<float>(dh, w3, dp2, Points, 784, 64)));
        plan.Add(("Pool2DKernel.MaxBackward", 1, () => Pool2DKernel.MaxBackward<float>(y2.AsSpan(0, dy2.Length), dp2, dy2, Points, pool2)));
        plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLUBackward<float>(z2.AsSpan(0, dy2.Length), dy2, dy2)));
        plan.Add(("Conv2DKernel.BackwardInput conv2", 1, () => Conv2DKernel.BackwardInput<float>(dy2, w2, dp1, Points, conv2)));
        plan.Add(("Pool2DKernel.MaxBackward", 1, () => Pool2DKernel.MaxBackward<float>(y1.AsSpan(0, dy1.Length), dp1, dy1, Points, pool1)));
        plan.Add(("ReLU / ReLUBackward", 1, () => ActivationKernel.ReLUBackward<float>(z1.AsSpan(0, dy1.Length), dy1, dy1)));
        float[] weighted = new float[conv1.OutputLength], gradient = new float[784];
        plan.Add(("PathKernel.WeightedRowSum", 1, () => PathKernel.WeightedRowSum<float>(dy1, alphas, weighted)));
        plan.Add(("Conv2DKernel.BackwardInput conv1 (1 row)", 1, () => Conv2DKernel.BackwardInput<float>(weighted, w1, gradient, 1, conv1)));

        return plan;
    }
}
