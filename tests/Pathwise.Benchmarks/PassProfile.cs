using System;
using System.Collections.Generic;
using System.Diagnostics;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>
/// <c>--profile</c>: where one Pathwise IG call (50 Gauss–Legendre points) spends its time, layer by layer, measured
/// on the network's own generated passes rather than on a replay of its kernels. A layer's forward time is the
/// difference of two partial passes, <c>ForwardFrom(below it) - ForwardFrom(it)</c>; its backward time
/// <c>BackwardFrom(output, below it) - BackwardFrom(output, it)</c>; the first layer's lines are the straight-path
/// passes (<c>ForwardPath</c>, <c>BackwardPathSum</c>) less the rest of the network. Each pass runs on one thread over
/// one internal batch (the network's automatic size) and is multiplied by the call's chunks; the whole call, timed as
/// the library runs it (both cores when it pays), is printed beside the sum, so their difference is what chunking,
/// the two-core split and the call's own work (checks, the endpoints' outputs, the delta) cost or save.
/// </summary>
internal static class PassProfile
{
    private const int Points = IntegratedGradientsBenchmark.Points;

    public static void Run()
    {
        Report("TinyMlp 8-16-12-3", new TinyMlpIG());
        Report("MnistMlp 784-256-128-10", new MnistMlpIG());
        Report("MnistCnn 28x28", new MnistCnnIG());
    }

    private static void Report(string name, IntegratedGradientsBenchmark benchmark)
    {
        benchmark.Rule = QuadratureRule.GaussLegendre;
        benchmark.Setup();
        double call = Microseconds(() => benchmark.Pathwise());
        double torch = Microseconds(() => benchmark.TorchSharp());
        benchmark.Cleanup();

        (INetwork<float> network, TorchNetwork torchNetwork, float[] input) = benchmark.CreateNetwork(seed: 1);
        torchNetwork.Dispose();
        int batch = PathPlan<float>.AutomaticBatch(network.Info);
        int chunks = (Points + batch - 1) / batch;
        IReadOnlyList<Layer> layers = network.Info.Layers;
        int top = layers.Count - 1;
        var workspace = new Workspace<float>(network.Info, batch + 2);
        float[] baseline = new float[input.Length];
        float[] alphas = new float[batch], coefficients = new float[batch];
        for (int k = 0; k < batch; k++)
        {
            alphas[k] = (k + 0.5f) / batch;
            coefficients[k] = 1f / batch;
        }

        float[] gradient = new float[input.Length];
        void SeedOutput() => SeedOutputOf(workspace);
        void SeedOutputOf(Workspace<float> workspace)
        {
            Span<float> seed = workspace.OutputGradient(batch);
            seed.Clear();
            for (int k = 0; k < batch; k++)
            {
                seed[k * network.Info.OutputLength] = 1;
            }
        }

        network.ForwardPath(baseline, input, alphas, workspace);
        SeedOutput();

        // forward[i]: ForwardFrom(layers[i]) runs the layers above i; backward[i]: BackwardFrom(top, layers[i]) the same downwards.
        var forward = new double[layers.Count];
        var backward = new double[layers.Count];
        for (int i = 1; i < top; i++)
        {
            Layer from = layers[i];
            forward[i] = Microseconds(() => network.ForwardFrom(from, workspace, batch));
            backward[i] = Microseconds(() => network.BackwardFrom(layers[top], from, workspace, batch));
        }

        double forwardPath = Microseconds(() => network.ForwardPath(baseline, input, alphas, workspace));
        double backwardPath = Microseconds(() => network.BackwardPathSum(coefficients, workspace, gradient));

        Console.WriteLine();
        Console.WriteLine($"{name}: Pathwise IG {call,8:F1} us per call (TorchSharp {torch:F1} us, {torch / call:F2}x); internal batch {batch}, {chunks} chunk(s) of one thread's passes:");
        Console.WriteLine($"  {"layer",-28} {"forward us",11} {"backward us",12} {"share",7}");
        double sum = 0;
        for (int i = 1; i <= top; i++)
        {
            // The first layer's lines hold the straight-path algebra: interpolation or the affine shortcut, the weighted sum.
            double f = i == 1 ? forwardPath - forward[1] : forward[i - 1] - forward[i];
            double b = i == 1 ? backwardPath - backward[1] : backward[i - 1] - backward[i];
            f *= chunks;
            b *= chunks;
            sum += f + b;
            Console.WriteLine($"  {Describe(layers[i]),-28} {f,11:F1} {b,12:F1} {100 * (f + b) / call,6:F1}%");
        }

        Console.WriteLine($"  {"sum of passes (one thread)",-28} {sum,24:F1} {100 * sum / call,6:F1}%");
        Console.WriteLine($"  {"whole call less the sum",-28} {call - sum,24:F1} {100 * (call - sum) / call,6:F1}%");

        // The table's passes ran in a plain workspace. IG runs them in one that serves the input gradient sum only, where a
        // network may fuse its first layers (PathPoolKernel): both, and the whole call on either plan, interleaved so the
        // machine's load falls on both alike; medians of five.
        var sumOnly = new Workspace<float>(network.Info, batch + 2, inputGradientSumOnly: true);
        var options = new IntegratedGradientsOptions { Points = Points, Rule = QuadratureRule.GaussLegendre };
        using PathHost<float> plainHost = CpuPathEngine<float>.Host(network, options);
        using PathHost<float> fusedHost = CpuPathEngine<float>.Host(network, options, inputGradientSumOnly: true);
        float[] attributions = new float[input.Length];
        void Passes(Workspace<float> w)
        {
            network.ForwardPath(baseline, input, alphas, w);
            SeedOutputOf(w);
            network.BackwardPathSum(coefficients, w, gradient);
        }

        void Call(PathHost<float> host)
        {
            using var lease = host.Borrow();
            IntegratedGradientsMath<float>.Run(lease.Item, PathRequest<float>.ForTarget(input, 0), attributions, default);
        }

        var times = new double[4][];
        for (int m = 0; m < 4; m++)
        {
            times[m] = new double[5];
        }

        for (int r = 0; r < 5; r++)
        {
            times[0][r] = Microseconds(() => Passes(workspace)) * chunks;
            times[1][r] = Microseconds(() => Passes(sumOnly)) * chunks;
            times[2][r] = Microseconds(() => Call(plainHost));
            times[3][r] = Microseconds(() => Call(fusedHost));
        }

        Console.WriteLine($"  {"path passes, plain workspace",-28} {Statistics.Median(times[0]),24:F1}   (x{chunks} chunks, one thread)");
        Console.WriteLine($"  {"path passes, sum-only (fused)",-28} {Statistics.Median(times[1]),24:F1}   ({Statistics.Median(times[1]) - Statistics.Median(times[0]):+0.0;-0.0} us)");
        Console.WriteLine($"  {"whole call, unfused plan",-28} {Statistics.Median(times[2]),24:F1}");
        Console.WriteLine($"  {"whole call, IG's plan (fused)",-28} {Statistics.Median(times[3]),24:F1}   ({Statistics.Median(times[3]) - Statistics.Median(times[2]):+0.0;-0.0} us)");
    }

    private static string Describe(Layer layer) =>
        layer.HasActivation ? $"{layer.Name} ({layer.Kind}, {layer.Activation})" : $"{layer.Name} ({layer.Kind})";

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
}
