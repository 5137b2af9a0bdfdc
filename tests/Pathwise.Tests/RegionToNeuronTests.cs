using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>Region-to-neuron attribution against the region's IG, neuron conductance over the region, and total conductance.</summary>
public sealed class RegionToNeuronTests
{
    private static bool[][] Masks(int length, int seed)
    {
        var random = new Random(seed);
        var masks = new bool[5][];
        for (int m = 0; m < masks.Length; m++)
        {
            masks[m] = new bool[length];
            for (int i = 0; i < length; i++)
            {
                // Sparse, half and dense random regions, then a single feature and the empty region.
                masks[m][i] = m switch { 0 => random.NextDouble() < 0.2, 1 => random.NextDouble() < 0.5, 2 => random.NextDouble() < 0.9, 3 => i == length / 3, _ => false };
            }
        }

        return masks;
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void SumOverNeurons_EqualsRegionIntegratedGradients(QuadratureRule rule)
    {
        const int steps = 5;
        foreach (INetwork<double> network in (INetwork<double>[])[.. EveryLayerKind(500), Randomized(new TanhMlp(), 505)])
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 501);
            var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 3 };
            int target = 1 % info.OutputLength;
            Attribution<double> ig = new IntegratedGradients<double>(network, options).Attribute(input, target);
            foreach (bool[] region in Masks(info.InputLength, 502))
            {
                double regionIg = 0;
                double scale = 1e-300;
                for (int i = 0; i < region.Length; i++)
                {
                    if (region[i])
                    {
                        regionIg += ig[i];
                        scale += Math.Abs(ig[i]);
                    }
                }

                // Every layer of a sequential network is crossed by every path.
                for (int index = 1; index < info.Layers.Count; index++)
                {
                    Layer layer = info.Layers[index];
                    LayerAttribution<double> result = network.RegionToNeuron(layer, input, target, region, options);
                    double error = Math.Abs(result.Sum() - regionIg) / scale;
                    Assert.True(error < 1e-9, $"{info.Name}.{layer.Name} {rule}: sum {result.Sum():R} vs region IG {regionIg:R} (error {error:E2})");
                    ConvergenceDelta delta = result.Delta;
                    Assert.Equal(regionIg, delta.OutputAtInput - delta.OutputAtBaseline, 12);
                    Assert.True(Math.Abs(delta.Absolute) / scale < 1e-9);
                }
            }
        }
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void EqualsNeuronConductanceOverRegion_AndBruteForce(QuadratureRule rule)
    {
        const int steps = 3;
        QuadratureNodes nodes = QuadratureNodes.Create(rule, steps);
        foreach (INetwork<double> network in EveryLayerKind(510))
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 511);
            var reference = new PathReference(network, input, baseline);
            int length = info.InputLength;
            int target = 2 % info.OutputLength;
            for (int index = 1; index < info.Layers.Count; index++)
            {
                foreach (bool toInput in new[] { false, true })
                {
                    Layer layer = info.Layers[index];
                    Layer reported = toInput ? info.Layers[index - 1] : layer;
                    var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 2, AttributeToLayerInput = toInput };
                    NeuronAttribution<double> neuronConductance = new NeuronConductance<double>(network, layer, options).Attribute(input, target);
                    var method = new RegionToNeuron<double>(network, layer, options);
                    foreach (bool[] region in Masks(length, 512 + index))
                    {
                        string what = $"{info.Name}.{layer.Name} toInput={toInput} {rule}";
                        LayerAttribution<double> result = method.Attribute(input, target, region);
                        Assert.Same(reported, result.Layer);
                        var expected = new double[reported.Size];
                        for (int j = 0; j < expected.Length; j++)
                        {
                            for (int i = 0; i < length; i++)
                            {
                                expected[j] += region[i] ? neuronConductance[j, i] : 0;
                            }
                        }

                        AssertClose(result.Values, expected, 1e-9, what + " vs neuron conductance over S");
                        AssertClose(result.Values, reference.RegionToNeuron(reported, PathReference.OneHot(info.OutputLength, target), nodes, region), 1e-9, what + " vs brute force");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void FullRegion_IsLayerConductance_EmptyRegionIsZero(QuadratureRule rule)
    {
        foreach (INetwork<double> network in EveryLayerKind(520))
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 521);
            var full = new bool[info.InputLength];
            full.AsSpan().Fill(true);
            var options = new LayerAttributionOptions { Rule = rule, Points = 7, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 3 };
            for (int index = 1; index < info.Layers.Count; index++)
            {
                Layer layer = info.Layers[index];
                LayerAttribution<double> region = network.RegionToNeuron(layer, input, 0, full, options);
                LayerAttribution<double> conductance = network.LayerConductance(layer, input, 0, options);
                AssertClose(region.Values, conductance.Values, 1e-12, $"{info.Name}.{layer.Name} {rule}");
                Assert.All(network.RegionToNeuron(layer, input, 0, new bool[info.InputLength], options).ToArray(), value => Assert.Equal(0.0, value));
            }
        }
    }
}
