using System;
using System.Diagnostics;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>The MNIST-sized MLP with GELU activations, in float64: a smooth subject for the adaptive rule.</summary>
[Network(Precision.Float64)]
public sealed partial class GeluMnistMlp
{
    [Input(784)] public partial InputLayer Pixels { get; }
    [Dense(256), GELU] public partial Layer H1 { get; }
    [Dense(128), GELU] public partial Layer H2 { get; }
    [Dense(10)] public partial Layer Logits { get; }
}

/// <summary>The MNIST-sized MLP with tanh activations, in float64.</summary>
[Network(Precision.Float64)]
public sealed partial class TanhMnistMlp
{
    [Input(784)] public partial InputLayer Pixels { get; }
    [Dense(256), Tanh] public partial Layer H1 { get; }
    [Dense(128), Tanh] public partial Layer H2 { get; }
    [Dense(10)] public partial Layer Logits { get; }
}

/// <summary>The MNIST-sized MLP with a ReLU layer below a tanh layer, in float64: the adaptive rule's mixed subject.</summary>
[Network(Precision.Float64)]
public sealed partial class ReluTanhMnistMlp
{
    [Input(784)] public partial InputLayer Pixels { get; }
    [Dense(256), ReLU] public partial Layer H1 { get; }
    [Dense(128), Tanh] public partial Layer H2 { get; }
    [Dense(10)] public partial Layer Logits { get; }
}

/// <summary>
/// <c>--adaptive</c>: the adaptive rule's points, time per call, estimated and true error against the requested
/// tolerance (random weights scaled by <see cref="Gain"/>, inputs in [0, 1], float64). The true error is measured against
/// composite Gauss–Legendre on 64 panels of 32 points (between the ReLU breakpoints on the mixed network), as a sum
/// over features relative to <c>sum_i |attr_i|</c>, the quantity the tolerance bounds.
/// </summary>
internal static class AdaptiveRuleReport
{
    public static void Run()
    {
        var gelu = new GeluMnistMlp();
        Prepare(gelu, Gain);
        Report("GELU MLP 784-256-128-10", gelu, []);
        var tanh = new TanhMnistMlp();
        Prepare(tanh, Gain);
        Report("tanh MLP 784-256-128-10", tanh, []);
        var mixed = new ReluTanhMnistMlp();
        Prepare(mixed, Gain);
        Report("ReLU+tanh MLP 784-256-128-10", mixed, null);
    }

    /// <summary>The weights' scale over PyTorch's default initialisation: larger weights, a more curved path.</summary>
    private const double Gain = 8;

    private static void Prepare(INetwork<double> network, double gain)
    {
        network.Parameters.Randomize(new Random(1));
        foreach (Parameter<double> parameter in network.Parameters.Items)
        {
            for (int i = 0; i < parameter.Values.Length; i++)
            {
                parameter.Values[i] *= gain;
            }
        }

        network.ParametersChanged();
    }

    private static void Report(string name, INetwork<double> network, double[]? cuts)
    {
        var random = new Random(2);
        var input = new double[network.Info.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = random.NextDouble();
        }

        const int Target = 3;
        cuts ??= FirstLayerCuts(network, input);
        double[] reference = Reference(network, input, Target, cuts);
        Console.WriteLine($"{name} ({cuts.Length} first cuts)");
        foreach ((QuadratureRule rule, double tolerance, int points) in new[]
        {
            (QuadratureRule.GaussLegendre, 0, 50), (QuadratureRule.Adaptive, 1e-3, 0), (QuadratureRule.Adaptive, 1e-4, 0), (QuadratureRule.Adaptive, 1e-6, 0),
            (QuadratureRule.Adaptive, 1e-8, 0), (QuadratureRule.Adaptive, 1e-10, 0),
        })
        {
            var options = rule == QuadratureRule.Adaptive
                ? new IntegratedGradientsOptions { Rule = rule, Tolerance = tolerance }
                : new IntegratedGradientsOptions { Rule = rule, Points = points };
            var ig = new IntegratedGradients<double>(network, options);
            Attribution<double> result = ig.Attribute(input, Target);
            int calls = 0;
            var watch = Stopwatch.StartNew();
            while (watch.ElapsedMilliseconds < 1000 || calls < 3)
            {
                ig.Attribute(input, Target);
                calls++;
            }

            double size = 0;
            double error = 0;
            for (int i = 0; i < reference.Length; i++)
            {
                size += Math.Abs(result[i]);
                error += Math.Abs(result[i] - reference[i]);
            }

            string estimate = result.Error is { } e ? $"{e.FeatureSum() / size:E1}" : "-";
            string intervals = result.Error is { } f ? $"{f.Intervals}" : "-";
            Console.WriteLine(
                $"  {rule,-13} tol {(tolerance > 0 ? tolerance.ToString("E0") : "-"),6} {result.Points,6} points {intervals,4} intervals  {watch.Elapsed.TotalMilliseconds / calls,8:F2} ms" +
                $"  estimate {estimate,8}  true {error / size:E1}  converged {result.Error?.Converged.ToString() ?? "-"}");
        }
    }

    /// <summary>Where the first layer's ReLU pre-activations, affine in <c>a</c> from the zero baseline, cross zero: <c>z0 / (z0 - z1)</c> in (0, 1).</summary>
    private static double[] FirstLayerCuts(INetwork<double> network, double[] input)
    {
        var workspace = new Workspace<double>(network.Info, 2);
        input.CopyTo(workspace.Input(2).Slice(input.Length));
        network.ForwardFrom(network.Info.Input, workspace, 2);
        Layer first = network.Info.Layers[1];
        ReadOnlySpan<double> z = workspace.PreActivations(first, 2);
        var cuts = new System.Collections.Generic.List<double>();
        for (int j = 0; j < first.Size; j++)
        {
            double z0 = z[j];
            double z1 = z[first.Size + j];
            if ((z0 < 0) != (z1 < 0))
            {
                cuts.Add(z0 / (z0 - z1));
            }
        }

        cuts.Sort();
        return [.. cuts];
    }

    private static double[] Reference(INetwork<double> network, double[] input, int target, double[] cuts)
    {
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 32 });
        double[] edges = [0.0, .. cuts, 1.0];
        var sum = new double[input.Length];
        const int Panels = 64;
        var low = new double[input.Length];
        var high = new double[input.Length];
        for (int piece = 0; piece + 1 < edges.Length; piece++)
        {
            for (int panel = 0; panel < Panels; panel++)
            {
                // IG from x(a0) to x(a1) is integral over [a0, a1] of the path's gradient times (x - x'): a fixed rule per panel.
                double a0 = edges[piece] + ((edges[piece + 1] - edges[piece]) * panel / Panels);
                double a1 = edges[piece] + ((edges[piece + 1] - edges[piece]) * (panel + 1) / Panels);
                for (int i = 0; i < input.Length; i++)
                {
                    low[i] = a0 * input[i];
                    high[i] = a1 * input[i];
                }

                Attribution<double> part = ig.Attribute(high, low, target);
                for (int i = 0; i < input.Length; i++)
                {
                    // part_i = (a1 - a0) x_i * mean gradient; over the whole path the factor is x_i.
                    sum[i] += part[i];
                }
            }
        }

        return sum;
    }
}
