using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>Internal influence against the brute-force path average of the layer gradient, and closed forms.</summary>
public sealed class InternalInfluenceTests
{
    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void EveryLayer_EqualsBruteForce(QuadratureRule rule)
    {
        const int steps = 5;
        QuadratureNodes nodes = QuadratureNodes.Create(rule, steps);
        foreach (INetwork<double> network in EveryLayerKind(300))
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 301);
            var reference = new PathReference(network, input, baseline);
            for (int index = 1; index < info.Layers.Count; index++)
            {
                foreach (bool toInput in new[] { false, true })
                {
                    Layer layer = info.Layers[index];
                    Layer reported = toInput ? info.Layers[index - 1] : layer;
                    int target = index % info.OutputLength;
                    var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 2, AttributeToLayerInput = toInput };
                    LayerInfluence<double> actual = new InternalInfluence<double>(network, layer, options).Attribute(input, target);
                    Assert.Same(reported, actual.Layer);
                    double[] expected = reference.InternalInfluence(reported, PathReference.OneHot(info.OutputLength, target), nodes);
                    AssertClose(actual.Values, expected, 1e-9, $"{info.Name}.{layer.Name} toInput={toInput} {rule}");
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
    public void LinearModel_IsTheConstantGradient(QuadratureRule rule)
    {
        var network = Randomized(new Linear(), 310);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 311);
        double[] weight = network.Parameters.Items[0].Values;
        foreach (int steps in new[] { 2, 3, 5 })
        {
            var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline) };
            for (int target = 0; target < 3; target++)
            {
                // At the output: dF/dy = e_target. At its input: the weight row W[target, :].
                AssertClose(network.InternalInfluence(network.Y, input, target, options).Values, PathReference.OneHot(3, target), 1e-14, $"{rule} n={steps} output");
                LayerInfluence<double> atInput = network.InternalInfluence(network.Y, input, target, options with { AttributeToLayerInput = true });
                AssertClose(atInput.Values, weight.AsSpan(target * 6, 6), 1e-14, $"{rule} n={steps} input");
            }
        }
    }
}
