using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// The pieces of the straight path on which a piecewise-linear network is affine, checked against the generated
/// network itself (an independent code path: its own kernels, in its own passes): the activation pattern (the sign of
/// every ReLU pre-activation, the winner of every max-pool window) is the same everywhere inside a piece and differs
/// between neighbouring pieces, and Integrated Gradients summed piece by piece is complete to rounding.
/// </summary>
public sealed class PiecewiseLinearPathTests
{
    public static IEnumerable<object[]> Networks()
    {
        yield return [new PwlMlp(), 3];
        yield return [new PwlCnn(), 4];
        yield return [new Linear(), 5];
        yield return [new PwlGlobalPoolCnn(), 7];
        yield return [new PwlGeneralConvNet(), 8];
        yield return [new PwlConv1DNet(), 9];
    }

    /// <summary>The networks above and the 28x28 CNN, whose thousands of pieces include some a few ulps long (too short for a pattern check).</summary>
    public static IEnumerable<object[]> NetworksAndTheCnn() => Networks().Append([new FashionCnn64(), 6]);

    [Theory]
    [MemberData(nameof(Networks))]
    public void Patterns_AreConstantInsidePieces_AndChangeAtEveryBreakpoint(INetwork<double> network, int seed)
    {
        (double[] baseline, double[] input) = Prepare(network, seed);
        double[] breaks = PiecewiseLinearPath.Of(network).Breakpoints(baseline, input, maxPieces: 100_000, out bool complete);
        Assert.True(complete);
        Assert.Equal(0.0, breaks[0]);
        Assert.Equal(1.0, breaks[^1]);
        Assert.True(breaks.Zip(breaks.Skip(1)).All(p => p.First < p.Second), "breakpoints ascend strictly");
        if (network is not Linear)
        {
            Assert.True(breaks.Length > 3, $"a random path through {network.Info.Name} should cross several ReLUs; got {breaks.Length - 1} pieces");
        }

        string? previous = null;
        for (int p = 0; p + 1 < breaks.Length; p++)
        {
            double lo = breaks[p];
            double hi = breaks[p + 1];
            string[] patterns = [.. new[] { 0.02, 0.5, 0.98 }.Select(f => Pattern(network, baseline, input, lo + f * (hi - lo)))];
            Assert.True(patterns.Distinct().Count() == 1, $"piece {p} [{lo:R}, {hi:R}] is not one pattern");
            Assert.True(previous is null || previous != patterns[0], $"breakpoint {lo:R} separates two pieces of the same pattern");
            previous = patterns[0];
        }
    }

    [Theory]
    [MemberData(nameof(NetworksAndTheCnn))]
    public void IntegratedGradientsByPieces_AreComplete(INetwork<double> network, int seed)
    {
        (double[] baseline, double[] input) = Prepare(network, seed);
        double[] breaks = PiecewiseLinearPath.Of(network).Breakpoints(baseline, input, maxPieces: 100_000, out _);
        NetworkInfo info = network.Info;
        const int target = 1;
        var weights = new double[info.OutputLength];
        weights[target] = 1;

        // One gradient per piece, at its midpoint, weighted by the piece's length.
        var sum = new double[info.InputLength];
        for (int p = 0; p + 1 < breaks.Length; p++)
        {
            double middle = 0.5 * (breaks[p] + breaks[p + 1]);
            double[] point = [.. baseline.Select((b, i) => b + middle * (input[i] - b))];
            double[] gradient = NetworkHarness.BackwardGradient(network, point, 1, weights);
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += (breaks[p + 1] - breaks[p]) * gradient[i];
            }
        }

        double total = 0;
        for (int i = 0; i < sum.Length; i++)
        {
            total += (input[i] - baseline[i]) * sum[i];
        }

        double change = NetworkHarness.Forward(network, input)[target] - NetworkHarness.Forward(network, baseline)[target];
        Assert.True(Math.Abs(total - change) <= 1e-12 * Math.Max(1, Math.Abs(change)), $"sum {total:R} vs change {change:R}");

        // Gauss-Legendre with 50 points, the default, is far from complete on the same path.
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 50, Baseline = Baseline.Of<double>(baseline) });
        if (network is not Linear)
        {
            Assert.True(Math.Abs(ig.Attribute(input, target).Delta.Absolute) > 1e3 * Math.Abs(total - change));
        }
    }

    [Fact]
    public void SmoothActivation_IsRefusedNamingTheLayerAndTheRuleToUse()
    {
        var network = new ReluMlp();
        network.InitializeWeights(new Random(1));
        NotSupportedException error = Assert.Throws<NotSupportedException>(() => PiecewiseLinearPath.Of(network));
        Assert.Contains("'LogProbabilities'", error.Message);
        Assert.Contains("GaussLegendre", error.Message);
        Assert.False(PiecewiseLinearPath.Supports(network.Info, out string? reason));
        Assert.Contains("LogSoftmax", reason);
    }

    [Fact]
    public void PieceLimit_StopsRefiningAndSaysSo()
    {
        var network = new PwlCnn();
        (double[] baseline, double[] input) = Prepare(network, 4);
        double[] all = PiecewiseLinearPath.Of(network).Breakpoints(baseline, input, 100_000, out bool complete);
        Assert.True(complete);
        double[] some = PiecewiseLinearPath.Of(network).Breakpoints(baseline, input, 3, out bool allFound);
        Assert.False(allFound);
        Assert.True(some.Length < all.Length);
    }

    private static (double[] Baseline, double[] Input) Prepare(INetwork<double> network, int seed)
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        var random = new Random(seed + 50);
        return (NetworkHarness.RandomVector(random, network.Info.InputLength, 0.5), NetworkHarness.RandomVector(random, network.Info.InputLength, 2));
    }

    /// <summary>The activation pattern at <c>x' + a (x - x')</c>, as the generated network computes it.</summary>
    private static string Pattern(INetwork<double> network, double[] baseline, double[] input, double a)
    {
        NetworkInfo info = network.Info;
        var workspace = new Workspace<double>(info, 1);
        Span<double> x = workspace.Input(1);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = baseline[i] + a * (input[i] - baseline[i]);
        }

        network.ForwardFrom(info.Input, workspace, 1);
        var pattern = new System.Text.StringBuilder();
        foreach (Layer layer in info.Layers)
        {
            if (layer.Activation is ActivationKind.ReLU or ActivationKind.LeakyReLU)
            {
                foreach (double z in workspace.PreActivations(layer, 1))
                {
                    pattern.Append(z > 0 ? '+' : '-');
                }
            }

            if (layer.Kind == LayerKind.MaxPool2D)
            {
                ReadOnlySpan<double> below = workspace.Activations(info.Layers[layer.Index - 1], 1);
                TensorShape shape = layer.InputShape;
                for (int c = 0; c < shape.Channels; c++)
                {
                    for (int oh = 0; oh < layer.OutputShape.Height; oh++)
                    {
                        for (int ow = 0; ow < layer.OutputShape.Width; ow++)
                        {
                            int best = 0;
                            double max = double.NegativeInfinity;
                            for (int k = 0; k < layer.Kernel * layer.Kernel; k++)
                            {
                                int row = (oh * layer.Stride) + (k / layer.Kernel);
                                int column = (ow * layer.Stride) + (k % layer.Kernel);
                                double value = below[((c * shape.Height) + row) * shape.Width + column];
                                if (value > max)
                                {
                                    max = value;
                                    best = k;
                                }
                            }

                            pattern.Append((char)('0' + best));
                        }
                    }
                }
            }

            pattern.Append('|');
        }

        return pattern.ToString();
    }
}
