using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>Neuron conductance against the brute-force per-neuron sums, its rows against total conductance, and the list form.</summary>
public sealed class NeuronConductanceTests
{
    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void WholeLayer_EqualsBruteForce_AndRowsSumToConductance(QuadratureRule rule)
    {
        const int steps = 3;
        QuadratureNodes nodes = QuadratureNodes.Create(rule, steps);
        foreach (INetwork<double> network in EveryLayerKind(200))
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 201);
            var reference = new PathReference(network, input, baseline);
            int length = info.InputLength;
            for (int index = 1; index < info.Layers.Count; index++)
            {
                foreach (bool toInput in new[] { false, true })
                {
                    Layer layer = info.Layers[index];
                    Layer reported = toInput ? info.Layers[index - 1] : layer;
                    int target = (index + 1) % info.OutputLength;
                    var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 2, AttributeToLayerInput = toInput };
                    string what = $"{info.Name}.{layer.Name} toInput={toInput} {rule}";

                    NeuronAttribution<double> actual = new NeuronConductance<double>(network, layer, options).Attribute(input, target);
                    Assert.Same(reported, actual.Layer);
                    Assert.Equal(reported.Size, actual.Neurons.Length);
                    int[] all = actual.Neurons.ToArray();
                    double[] expected = reference.NeuronConductance(reported, PathReference.OneHot(info.OutputLength, target), nodes, all);
                    AssertClose(actual.Values, expected, 1e-9, what);

                    // sum_i NC_ji = Cond_j, the method's own total conductance.
                    LayerAttribution<double> conductance = new LayerConductance<double>(network, layer, options).Attribute(input, target);
                    var rowSums = new double[reported.Size];
                    for (int j = 0; j < rowSums.Length; j++)
                    {
                        foreach (double value in actual.Row(j))
                        {
                            rowSums[j] += value;
                        }
                    }

                    AssertClose(rowSums, conductance.Values, 1e-9, what + " row sums vs conductance");
                    Assert.Equal(length, actual.InputShape.Length);
                }
            }
        }
    }

    [Fact]
    public void NeuronList_EqualsRowsOfWholeLayer()
    {
        foreach (INetwork<double> network in EveryLayerKind(210))
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 211);
            var options = new LayerAttributionOptions { Points = 6, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 4 };
            for (int index = 1; index < info.Layers.Count; index++)
            {
                Layer layer = info.Layers[index];
                var method = new NeuronConductance<double>(network, layer, options);
                NeuronAttribution<double> whole = method.Attribute(input, 0);
                int[] neurons = [layer.Size - 1, 0, layer.Size / 2, layer.Size - 1];
                NeuronAttribution<double> listed = method.Attribute(input, 0, neurons);
                Assert.Equal(neurons, listed.Neurons);
                for (int n = 0; n < neurons.Length; n++)
                {
                    AssertClose(listed.Row(n), whole.Row(neurons[n]), 1e-14, $"{info.Name}.{layer.Name} neuron {neurons[n]}");
                }

                // The one-call form: empty means every neuron.
                NeuronAttribution<double> viaExtension = network.NeuronConductance(layer, input, 0, ReadOnlySpan<int>.Empty, options);
                AssertClose(viaExtension.Values, whole.Values, 1e-14, $"{info.Name}.{layer.Name} extension");
                NeuronAttribution<double> none = method.Attribute(input, 0, ReadOnlySpan<int>.Empty);
                Assert.Equal(0, none.Values.Length);
            }
        }
    }

    [Fact]
    public void FashionCnn64_NeuronList_EqualsBruteForce()
    {
        var network = Randomized(new FashionCnn64(), 220);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 221);
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.RiemannMiddle, 3);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.RiemannMiddle, Points = 3, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 2 };
        var reference = new PathReference(network, input, baseline);
        foreach ((Layer layer, int[] neurons) in new (Layer, int[])[] { (network.Conv2, [0, 777, 3135]), (network.Hidden, [3, 40]) })
        {
            NeuronAttribution<double> actual = network.NeuronConductance(layer, input, 4, neurons, options);
            double[] expected = reference.NeuronConductance(layer, PathReference.OneHot(10, 4), nodes, neurons);
            AssertClose(actual.Values, expected, 1e-9, $"FashionCnn64.{layer.Name}");
        }
    }
}
