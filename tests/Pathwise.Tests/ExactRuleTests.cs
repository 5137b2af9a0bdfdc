using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// <see cref="QuadratureRule.Exact"/> through the public methods: complete to rounding where fixed rules are not, equal
/// to IG summed piece by piece with the generated network's own passes, bounded by <c>MaxPieces</c> with a fallback the
/// result reports, and refused on smooth networks.
/// </summary>
public sealed class ExactRuleTests
{
    private static readonly IntegratedGradientsOptions Exact = new() { Rule = QuadratureRule.Exact };

    public static IEnumerable<object[]> Networks()
    {
        yield return [new PwlMlp(), 11];
        yield return [new PwlCnn(), 12];
        yield return [new PwlGlobalPoolCnn(), 13];
        yield return [new ResidualCnn(), 14];
        yield return [new PwlGraph(), 15];
        yield return [new ProjectionCnn(), 16];
        yield return [new PwlGeneralConvNet(), 17];
        yield return [new PwlConv1DNet(), 18];
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void IntegratedGradients_AreComplete_AndEqualTheSumByPieces(INetwork<double> network, int seed)
    {
        (double[] baseline, double[] input) = Prepare(network, seed);
        var ig = new IntegratedGradients<double>(network, Exact with { Baseline = Baseline.Of<double>(baseline) });
        Attribution<double> exact = ig.Attribute(input, 1);
        Assert.Equal(QuadratureRule.Exact, exact.Rule);
        double[] breaks = PiecewiseLinearPath.Of(network).Breakpoints(baseline, input, 100_000, out _);
        Assert.Equal(breaks.Length - 1, exact.Points);
        Assert.True(exact.Points > 2);
        Assert.True(Math.Abs(exact.Delta.Relative) < 1e-12, $"relative delta {exact.Delta.Relative:E2}");

        // Independently: one gradient per piece from the generated network's passes.
        double[] reference = ByPieces(network, baseline, input, breaks, 1);
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.True(Math.Abs(exact[i] - reference[i]) <= 1e-12 * Math.Max(1, Math.Abs(reference[i])), $"feature {i}: {exact[i]:R} vs {reference[i]:R}");
        }

        // The default rule leaves a delta many orders larger on the same path.
        Attribution<double> fixedRule = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Baseline = Baseline.Of<double>(baseline) }).Attribute(input, 1);
        Assert.True(Math.Abs(fixedRule.Delta.Relative) > 1e3 * Math.Abs(exact.Delta.Relative) + 1e-10);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void HiddenLayerMethods_AreCompleteToRounding(INetwork<double> network, int seed)
    {
        (double[] baseline, double[] input) = Prepare(network, seed);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.Exact, Baseline = Baseline.Of<double>(baseline) };
        // In a graph, only at a layer every path passes through does conductance sum to the output's change (GraphTests
        // checks that the neuron methods refuse the others).
        foreach (Layer layer in network.Info.Layers.Skip(1).Where(network.Info.Separates))
        {
            LayerAttribution<double> conductance = new LayerConductance<double>(network, layer, options).Attribute(input, 0);
            Assert.Equal(QuadratureRule.Exact, conductance.Rule);
            Assert.True(Math.Abs(conductance.Delta.Relative) < 1e-11, $"{layer.Name}: conductance delta {conductance.Delta.Relative:E2}");

            int neuron = layer.Size / 2;
            Attribution<double> neuronIg = new NeuronIntegratedGradients<double>(network, layer, options).Attribute(input, neuron);
            double change = Math.Abs(neuronIg.Delta.OutputAtInput - neuronIg.Delta.OutputAtBaseline);
            Assert.True(Math.Abs(neuronIg.Delta.Absolute) <= 1e-11 * Math.Max(1, change), $"{layer.Name}: neuron IG delta {neuronIg.Delta.Absolute:E2}");

            bool[] region = [.. Enumerable.Range(0, network.Info.InputLength).Select(i => i % 3 == 0)];
            LayerAttribution<double> share = new RegionToNeuron<double>(network, layer, options).Attribute(input, 0, region);
            Assert.True(Math.Abs(share.Delta.Absolute) <= 1e-11 * Math.Max(1, Math.Abs(share.Delta.OutputAtInput)), $"{layer.Name}: region delta {share.Delta.Absolute:E2}");
        }
    }

    [Fact]
    public void TooManyPieces_FallBackToGaussLegendre_AndSaySo()
    {
        var network = new PwlCnn();
        (double[] baseline, double[] input) = Prepare(network, 12);
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, MaxPieces = 2, Points = 24, Baseline = Baseline.Of<double>(baseline) };
        Attribution<double> limited = new IntegratedGradients<double>(network, options).Attribute(input, 0);
        Assert.Equal(QuadratureRule.GaussLegendre, limited.Rule);
        Assert.Equal(24, limited.Points);
        Attribution<double> gaussLegendre = new IntegratedGradients<double>(network, options with { Rule = QuadratureRule.GaussLegendre }).Attribute(input, 0);
        Assert.Equal(gaussLegendre.ToArray(), limited.ToArray());

        // With room for its pieces, the same path is exact.
        Attribution<double> again = new IntegratedGradients<double>(network, options with { MaxPieces = 100_000 }).Attribute(input, 0);
        Assert.Equal(QuadratureRule.Exact, again.Rule);
    }

    [Fact]
    public void SmoothNetwork_IsRefusedNamingTheLayer()
    {
        var network = new TanhMlp();
        network.InitializeWeights(new Random(2));
        NotSupportedException error = Assert.Throws<NotSupportedException>(() => new IntegratedGradients<double>(network, Exact));
        Assert.Contains("'H1'", error.Message);
        Assert.Contains("GaussLegendre", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<double>(network, Exact with { MaxPieces = 0 }));
    }

    [Fact]
    public void Float32Network_IsExactToFloat32Rounding_WithBreakpointsInFloat64()
    {
        var network = new TinyMlp32();
        network.InitializeWeights(new Random(5));
        float[] input = [.. NetworkHarness.RandomVector(new Random(6), 8, 2).Select(v => (float)v)];
        Attribution<float> exact = new IntegratedGradients<float>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact }).Attribute(input, 2);
        Assert.Equal(QuadratureRule.Exact, exact.Rule);

        // Each piece's gradient is exact in float32; summing ~10 pieces of ~10 products leaves a few float32 ulps.
        Assert.True(Math.Abs(exact.Delta.Relative) < 1e-5, $"relative delta {exact.Delta.Relative:E2}");
    }

    private static (double[] Baseline, double[] Input) Prepare(INetwork<double> network, int seed)
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        var random = new Random(seed + 50);
        return (NetworkHarness.RandomVector(random, network.Info.InputLength, 0.5), NetworkHarness.RandomVector(random, network.Info.InputLength, 2));
    }

    private static double[] ByPieces(INetwork<double> network, double[] baseline, double[] input, double[] breaks, int target)
    {
        var weights = new double[network.Info.OutputLength];
        weights[target] = 1;
        var sum = new double[input.Length];
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

        return [.. sum.Select((g, i) => g * (input[i] - baseline[i]))];
    }
}
