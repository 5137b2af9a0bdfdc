using System;
using System.Diagnostics;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>
/// <c>--exact</c>: what the exact rule costs and buys on the benchmark networks (random weights, inputs in [0, 1]):
/// the number of pieces of the path, the time per call, and the relative completeness delta, against Gauss–Legendre
/// with 50 and 400 points. A Stopwatch over repeated calls, not BenchmarkDotNet: the point is the trade-off.
/// </summary>
internal static class ExactRuleReport
{
    public static void Run()
    {
        var mlp = new MnistMlp();
        mlp.InitializeWeights(new Random(1));
        Report("MLP 784-256-128-10", mlp);
        var cnn = new MnistCnn();
        cnn.InitializeWeights(new Random(1));
        Report("CNN 28x28", cnn);
    }

    private static void Report(string name, INetwork<float> network)
    {
        var random = new Random(2);
        var input = new float[network.Info.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = random.NextSingle();
        }

        Console.WriteLine(name);
        foreach ((QuadratureRule rule, int points) in new[] { (QuadratureRule.GaussLegendre, 50), (QuadratureRule.GaussLegendre, 400), (QuadratureRule.Exact, 50) })
        {
            var ig = new IntegratedGradients<float>(network, new IntegratedGradientsOptions { Rule = rule, Points = points, MaxPieces = 100_000 });
            Attribution<float> result = ig.Attribute(input, 3);
            int calls = 0;
            var watch = Stopwatch.StartNew();
            while (watch.ElapsedMilliseconds < 1000 || calls < 3)
            {
                ig.Attribute(input, 3);
                calls++;
            }

            Console.WriteLine($"  {result.Rule,-13} {result.Points,6} points  {watch.Elapsed.TotalMilliseconds / calls,9:F3} ms per call  relative delta {Math.Abs(result.Delta.Relative):E2}");
        }
    }
}
