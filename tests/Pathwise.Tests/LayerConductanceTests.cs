using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>Total conductance against the brute-force sum, completeness, and closed forms on affine layers.</summary>
public sealed class LayerConductanceTests
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
        foreach (INetwork<double> network in EveryLayerKind(100))
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 101);
            double[] outputCoefficients = NetworkHarness.RandomVector(new Random(102), info.OutputLength);
            var reference = new PathReference(network, input, baseline);
            for (int index = 1; index < info.Layers.Count; index++)
            {
                foreach (bool toInput in new[] { false, true })
                {
                    Layer layer = info.Layers[index];
                    Layer reported = toInput ? info.Layers[index - 1] : layer;
                    var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 3, AttributeToLayerInput = toInput };
                    var method = new LayerConductance<double>(network, layer, options);
                    string what = $"{info.Name}.{layer.Name} toInput={toInput} {rule}";

                    LayerAttribution<double> weighted = method.Attribute(input, outputCoefficients);
                    Assert.Same(reported, weighted.Layer);
                    Assert.Equal(steps, weighted.Points);
                    AssertClose(weighted.Values, reference.Conductance(reported, outputCoefficients, nodes), 1e-9, what + " weighted");

                    int target = index % info.OutputLength;
                    LayerAttribution<double> targeted = method.Attribute(input, target);
                    AssertClose(targeted.Values, reference.Conductance(reported, PathReference.OneHot(info.OutputLength, target), nodes), 1e-9, what + $" target {target}");

                    double change = NetworkHarness.Scalar(network, input, outputCoefficients) - NetworkHarness.Scalar(network, baseline, outputCoefficients);
                    ConvergenceDelta delta = weighted.Delta;
                    Assert.Equal(change, delta.OutputAtInput - delta.OutputAtBaseline, 12);
                    Assert.Equal(weighted.Sum() - change, delta.Absolute, 12);
                }
            }
        }
    }

    [Fact]
    public void FashionCnn64_HiddenLayer_EqualsBruteForce()
    {
        var network = Randomized(new FashionCnn64(), 110);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 111);
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, 3);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 3, Baseline = Baseline.Of<double>(baseline) };
        LayerAttribution<double> actual = network.LayerConductance(network.Hidden, input, 7, options);
        double[] expected = new PathReference(network, input, baseline).Conductance(network.Hidden, PathReference.OneHot(10, 7), nodes);
        AssertClose(actual.Values, expected, 1e-9, "FashionCnn64.Hidden");
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void Completeness_DeltaFallsAsStepsGrow(QuadratureRule rule)
    {
        var network = Randomized(new TanhMlp(), 120);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 121);
        foreach (Layer layer in new[] { network.H1, network.H2 })
        {
            double previous = double.PositiveInfinity;
            foreach (int steps in new[] { 2, 4, 8, 16 })
            {
                var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline) };
                LayerAttribution<double> result = network.LayerConductance(layer, input, 1, options);
                ConvergenceDelta delta = result.Delta;
                Assert.True(delta.Relative < previous, $"{layer.Name} {rule}: delta {delta.Relative:E2} at {steps} steps is not below {previous:E2}");
                previous = delta.Relative;
            }
        }
    }

    [Fact]
    public void TanhMlp_GaussLegendre32_IsCompleteTo1e6()
    {
        var network = Randomized(new TanhMlp(), 130);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 131);
        foreach (Layer layer in new[] { network.H1, network.H2, network.Out })
        {
            foreach (bool toInput in new[] { false, true })
            {
                var options = new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 32, Baseline = Baseline.Of<double>(baseline), AttributeToLayerInput = toInput };
                for (int target = 0; target < 3; target++)
                {
                    LayerAttribution<double> result = network.LayerConductance(layer, input, target, options);
                    double[] outputCoefficients = PathReference.OneHot(3, target);
                    double change = NetworkHarness.Scalar(network, input, outputCoefficients) - NetworkHarness.Scalar(network, baseline, outputCoefficients);
                    double relative = Math.Abs(result.Sum() - change) / Math.Abs(change);
                    Assert.True(relative < 1e-6, $"{layer.Name} toInput={toInput} target {target}: relative completeness error {relative:E2}");
                    Assert.True(result.Delta.Relative < 1e-6);
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
    public void LinearModel_IsExactClosedForm(QuadratureRule rule)
    {
        var network = Randomized(new Linear(), 140);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 141);
        double[] yInput = NetworkHarness.Forward(network, input);
        double[] yBaseline = NetworkHarness.Forward(network, baseline);
        double[] weight = network.Parameters.Items[0].Values;
        double[] outputCoefficients = NetworkHarness.RandomVector(new Random(142), 3);
        foreach (int steps in new[] { 2, 3, 5 })
        {
            var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline) };

            // Layer = output: Cond_j = dF/dy_j * (y_j(x) - y_j(x')), with dF/dy_j = outputCoefficients[j].
            LayerAttribution<double> weighted = new LayerConductance<double>(network, network.Y, options).Attribute(input, outputCoefficients);
            var expected = new double[3];
            for (int j = 0; j < 3; j++)
            {
                expected[j] = outputCoefficients[j] * (yInput[j] - yBaseline[j]);
            }

            AssertClose(weighted.Values, expected, 1e-13, $"{rule} n={steps} weighted");
            Assert.True(weighted.Delta.Relative < 1e-13, $"{rule} n={steps}: relative delta {weighted.Delta.Relative:E2}");

            // Layer input = the network input: Cond_i = W[t, i] (x_i - x'_i).
            var toInput = new LayerConductance<double>(network, network.Y, options with { AttributeToLayerInput = true });
            for (int target = 0; target < 3; target++)
            {
                LayerAttribution<double> result = toInput.Attribute(input, target);
                var row = new double[6];
                for (int i = 0; i < 6; i++)
                {
                    row[i] = weight[target * 6 + i] * (input[i] - baseline[i]);
                }

                AssertClose(result.Values, row, 1e-13, $"{rule} n={steps} input target {target}");
            }
        }
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void AffineNetwork_EveryLayer_IsExactForFewSteps(QuadratureRule rule)
    {
        // Every layer is affine in the input and the network after it is linear: dF/dy_j is a constant and
        // dy_j/da = y_j(x) - y_j(x'), so Cond_j = dF/dy_j (y_j(x) - y_j(x')) and the sum is F(x) - F(x') exactly.
        var network = Randomized(new LinearCnn(), 150);
        NetworkInfo info = network.Info;
        (double[] input, double[] baseline) = InputAndBaseline(info, 151);
        double[] outputCoefficients = NetworkHarness.RandomVector(new Random(152), info.OutputLength);
        var reference = new PathReference(network, input, baseline);
        double change = NetworkHarness.Scalar(network, input, outputCoefficients) - NetworkHarness.Scalar(network, baseline, outputCoefficients);
        for (int index = 0; index < info.Layers.Count; index++)
        {
            Layer layer = info.Layers[index];
            double[] yInput = reference.ActivationsAt(input, layer);
            double[] yBaseline = reference.ActivationsAt(baseline, layer);
            reference.MoveTo(reference.PointAt(0.3));
            double[] gradient = reference.LayerGradient(layer, outputCoefficients);
            var expected = new double[layer.Size];
            for (int j = 0; j < expected.Length; j++)
            {
                expected[j] = gradient[j] * (yInput[j] - yBaseline[j]);
            }

            foreach (int steps in new[] { 2, 3, 5 })
            {
                // The input layer is reached through the first layer's input.
                Layer asked = index == 0 ? info.Layers[1] : layer;
                var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), AttributeToLayerInput = index == 0, InternalBatchSize = 2 };
                LayerAttribution<double> result = new LayerConductance<double>(network, asked, options).Attribute(input, outputCoefficients);
                AssertClose(result.Values, expected, 1e-12, $"{layer.Name} {rule} n={steps}");
                double relative = Math.Abs(result.Sum() - change) / Math.Abs(change);
                Assert.True(relative < 1e-12, $"{layer.Name} {rule} n={steps}: sum {result.Sum():R} vs F(x) - F(x') {change:R}");
            }
        }
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void LayerAffineInInput_IsInfluenceTimesChange(QuadratureRule rule)
    {
        // With y affine in x, dy_j/da = y_j(x) - y_j(x') at every node, so Cond_j = I_j (y_j(x) - y_j(x'))
        // for every rule and step count, however nonlinear the network after the layer is.
        var mlp = Randomized(new AffineFirstMlp(), 160);
        var cnn = Randomized(new EveryLayerCnn(), 161);
        foreach ((INetwork<double> network, Layer layer) in new (INetwork<double>, Layer)[] { (mlp, mlp.Z), (cnn, cnn.Conv) })
        {
            (double[] input, double[] baseline) = InputAndBaseline(network.Info, 162);
            var reference = new PathReference(network, input, baseline);
            double[] yInput = reference.ActivationsAt(input, layer);
            double[] yBaseline = reference.ActivationsAt(baseline, layer);
            foreach (int steps in new[] { 2, 3, 5 })
            {
                var options = new LayerAttributionOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline) };
                LayerAttribution<double> conductance = network.LayerConductance(layer, input, 1, options);
                LayerInfluence<double> influence = network.InternalInfluence(layer, input, 1, options);
                var expected = new double[layer.Size];
                for (int j = 0; j < expected.Length; j++)
                {
                    expected[j] = influence[j] * (yInput[j] - yBaseline[j]);
                }

                AssertClose(conductance.Values, expected, 1e-12, $"{network.Info.Name}.{layer.Name} {rule} n={steps}");
            }
        }
    }

    [Fact]
    public void GaussLegendre5_LinearLayer_HasNoTelescopingError()
    {
        // A telescoping estimate, sum_k dF/dy(x_k) (y(x_{k+1}) - y(x_k)) over the Gauss-Legendre nodes, only
        // covers alpha in [a_1, a_n] and misses about 9% of the change; the conductance must not.
        var network = Randomized(new Linear(), 170);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 171);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 5, Baseline = Baseline.Of<double>(baseline) };
        LayerAttribution<double> result = network.LayerConductance(network.Y, input, 2, options);
        double[] outputCoefficients = PathReference.OneHot(3, 2);
        double change = NetworkHarness.Scalar(network, input, outputCoefficients) - NetworkHarness.Scalar(network, baseline, outputCoefficients);

        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, 5);
        var reference = new PathReference(network, input, baseline);
        double telescoped = 0;
        for (int k = 0; k + 1 < nodes.Count; k++)
        {
            double[] here = reference.ActivationsAt(reference.PointAt(nodes.Alphas[k]), network.Y);
            double[] next = reference.ActivationsAt(reference.PointAt(nodes.Alphas[k + 1]), network.Y);
            telescoped += next[2] - here[2];
        }

        Assert.True(Math.Abs(telescoped - change) > 0.05 * Math.Abs(change), "the telescoping estimate should be visibly wrong");
        Assert.True(Math.Abs(result.Sum() - change) <= 1e-13 * Math.Abs(change), $"conductance sum {result.Sum():R} vs change {change:R}");
        Assert.Equal(change, result[2], 13);
    }
}
