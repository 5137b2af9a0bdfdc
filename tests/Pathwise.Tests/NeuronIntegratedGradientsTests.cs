using System;
using System.Linq;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>Neuron Integrated Gradients against the brute-force per-point sums, completeness, and the affine closed form.</summary>
public sealed class NeuronIntegratedGradientsTests
{
    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void EveryLayer_EqualsBruteForce(QuadratureRule rule)
    {
        const int steps = 4;
        QuadratureNodes nodes = QuadratureNodes.Create(rule, steps);
        foreach (INetwork<double> network in EveryLayerKind(400))
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 401);
            var reference = new PathReference(network, input, baseline);
            for (int index = 1; index < info.Layers.Count; index++)
            {
                foreach (bool toInput in new[] { false, true })
                {
                    Layer layer = info.Layers[index];
                    Layer reported = toInput ? info.Layers[index - 1] : layer;
                    var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 3, AttributeToLayerInput = toInput };
                    var method = new NeuronIntegratedGradients<double>(network, layer, options);
                    foreach (int neuron in new[] { 0, reported.Size / 2, reported.Size - 1 }.Distinct())
                    {
                        string what = $"{info.Name}.{layer.Name} toInput={toInput} neuron {neuron} {rule}";
                        Attribution<double> actual = method.Attribute(input, neuron);
                        AssertClose(actual.Values, reference.NeuronIntegratedGradients(reported, neuron, nodes), 1e-9, what);

                        double atInput = reference.ActivationsAt(input, reported)[neuron];
                        double atBaseline = reference.ActivationsAt(baseline, reported)[neuron];
                        Assert.Equal(atInput, actual.Delta.OutputAtInput, 12);
                        Assert.Equal(atBaseline, actual.Delta.OutputAtBaseline, 12);
                        Assert.Equal(actual.Sum() - (atInput - atBaseline), actual.Delta.Absolute, 12);
                    }
                }
            }
        }
    }

    [Fact]
    public void TanhMlp_GaussLegendre32_IsCompleteTo1e6()
    {
        var network = Randomized(new TanhMlp(), 410);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 411);
        var reference = new PathReference(network, input, baseline);
        foreach (Layer layer in new[] { network.H1, network.H2, network.Out })
        {
            var method = new NeuronIntegratedGradients<double>(network, layer, new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 32, Baseline = Baseline.Of<double>(baseline) });
            double[] yInput = reference.ActivationsAt(input, layer);
            double[] yBaseline = reference.ActivationsAt(baseline, layer);
            for (int neuron = 0; neuron < layer.Size; neuron++)
            {
                Attribution<double> result = method.Attribute(input, neuron);
                double change = yInput[neuron] - yBaseline[neuron];
                double relative = Math.Abs(result.Sum() - change) / Math.Abs(change);
                Assert.True(relative < 1e-6, $"{layer.Name} neuron {neuron}: relative completeness error {relative:E2}");
                Assert.True(result.Delta.Relative < 1e-6);
            }
        }
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void AffineFirstLayer_IsExactlyWeightTimesDifference(QuadratureRule rule)
    {
        // y_j = w_j . x + b_j, so attr_i = w_ji (x_i - x'_i) for every rule and step count.
        var mlp = Randomized(new AffineFirstMlp(), 420);
        var cnn = Randomized(new EveryLayerCnn(), 421);
        foreach ((INetwork<double> network, Layer layer) in new (INetwork<double>, Layer)[] { (mlp, mlp.Z), (cnn, cnn.Conv) })
        {
            (double[] input, double[] baseline) = InputAndBaseline(network.Info, 422);
            double[] weight = network.Parameters.Items.Single(p => p.Name == layer.WeightName + ".weight").Values;
            int length = network.Info.InputLength;
            foreach (int steps in new[] { 2, 3, 5 })
            {
                var method = new NeuronIntegratedGradients<double>(network, layer, new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline) });
                for (int neuron = 0; neuron < layer.Size; neuron++)
                {
                    double[] row = layer.Kind == LayerKind.Conv2D ? PathReference.ConvolutionRow(weight, layer, neuron) : weight.AsSpan(neuron * length, length).ToArray();
                    var expected = new double[length];
                    for (int i = 0; i < length; i++)
                    {
                        expected[i] = row[i] * (input[i] - baseline[i]);
                    }

                    Attribution<double> result = method.Attribute(input, neuron);
                    AssertClose(result.Values, expected, 1e-13, $"{network.Info.Name}.{layer.Name} neuron {neuron} {rule} n={steps}");
                    Assert.True(result.Delta.Relative < 1e-12, $"{network.Info.Name}.{layer.Name} neuron {neuron}: relative delta {result.Delta.Relative:E2}");
                }
            }
        }
    }
}
