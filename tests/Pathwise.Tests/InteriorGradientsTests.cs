using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>Interior gradients against plain backward passes at the scaled inputs, the outputs, saturation and the factors.</summary>
public sealed class InteriorGradientsTests
{
    [Fact]
    public void GradientsAndOutputs_EqualPlainPassesAtScaledInputs()
    {
        foreach (INetwork<double> network in (INetwork<double>[])[.. EveryLayerKind(700), Randomized(new TanhMlp(), 705)])
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 701);
            double[] alphas = [0.0, 0.1, 0.37, 0.5, 0.99, 1.0];
            var options = new InteriorGradientsOptions { Alphas = alphas, Baseline = Baseline.Of<double>(baseline) };
            var reference = new PathReference(network, input, baseline);
            for (int target = 0; target < info.OutputLength; target++)
            {
                double[] weights = PathReference.OneHot(info.OutputLength, target);
                InteriorGradientsResult<double> result = network.InteriorGradients(input, target, options);
                Assert.Equal(alphas, result.Alphas);
                Assert.Equal(info.Input.OutputShape, result.InputShape);
                double atBaseline = NetworkHarness.Scalar(network, baseline, weights);
                double atInput = NetworkHarness.Scalar(network, input, weights);
                Assert.Equal(atBaseline, result.OutputAtBaseline, 12);
                Assert.Equal(atInput, result.OutputAtInput, 12);
                for (int k = 0; k < alphas.Length; k++)
                {
                    double[] point = reference.PointAt(alphas[k]);
                    string what = $"{info.Name} target {target} alpha {alphas[k]}";
                    AssertClose(result.GradientAt(k), NetworkHarness.BackwardGradient(network, point, 1, weights), 1e-12, what);
                    double output = NetworkHarness.Scalar(network, point, weights);
                    Assert.Equal(output, result.Outputs[k], 12);
                    Assert.Equal((output - atBaseline) / (atInput - atBaseline), result.Saturation[k], 9);
                }

                Assert.Equal(0.0, result.Saturation[0], 12);
                Assert.Equal(1.0, result.Saturation[^1], 12);
            }
        }
    }

    [Fact]
    public void ManyFactors_SpanSeveralChunks()
    {
        var network = Randomized(new EveryLayerCnn(), 710);
        (double[] input, _) = InputAndBaseline(network.Info, 711);
        InteriorGradientsResult<double> result = network.InteriorGradients(input, 3, new InteriorGradientsOptions { Count = 150 });
        Assert.Equal(150, result.Alphas.Length);
        double[] weights = PathReference.OneHot(4, 3);
        var reference = new PathReference(network, input, new double[input.Length]);
        foreach (int k in new[] { 0, 63, 64, 65, 127, 128, 149 })
        {
            double[] point = reference.PointAt(result.Alphas[k]);
            AssertClose(result.GradientAt(k), NetworkHarness.BackwardGradient(network, point, 1, weights), 1e-12, $"factor {k}");
            Assert.Equal(NetworkHarness.Scalar(network, point, weights), result.Outputs[k], 12);
        }
    }

    [Fact]
    public void DefaultFactors_AreLinearOrGeometricAsDocumented()
    {
        double[] linear = new InteriorGradientsOptions { Count = 20 }.ResolveAlphas();
        Assert.Equal(20, linear.Length);
        for (int k = 0; k < 20; k++)
        {
            Assert.Equal((k + 1) / 20.0, linear[k], 15);
        }

        Assert.Equal(20, new InteriorGradientsOptions().ResolveAlphas().Length);

        double[] geometric = new InteriorGradientsOptions { Count = 7, Spacing = InteriorSpacing.Geometric }.ResolveAlphas();
        Assert.Equal(0.001, geometric[0], 15);
        Assert.Equal(1.0, geometric[^1], 15);
        double ratio = Math.Pow(1000.0, 1.0 / 6);
        for (int k = 1; k < geometric.Length; k++)
        {
            Assert.Equal(ratio, geometric[k] / geometric[k - 1], 12);
        }

        Assert.Equal([1.0], new InteriorGradientsOptions { Count = 1, Spacing = InteriorSpacing.Geometric }.ResolveAlphas());

        var network = Randomized(new TanhMlp(), 720);
        InteriorGradientsResult<double> result = network.InteriorGradients(new double[8] { 1, 2, 3, 4, -1, -2, -3, -4 }, 0, new InteriorGradientsOptions { Count = 7, Spacing = InteriorSpacing.Geometric });
        Assert.Equal(geometric, result.Alphas);

        // Given factors are copied, not aliased.
        double[] given = [0.25, 0.75];
        var options = new InteriorGradientsOptions { Alphas = given };
        double[] resolved = options.ResolveAlphas();
        resolved[0] = 0.5;
        Assert.Equal(0.25, given[0]);
    }

    [Fact]
    public void BadFactors_Throw()
    {
        var network = Randomized(new TanhMlp(), 730);
        foreach (double bad in new[] { -0.1, 1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var options = new InteriorGradientsOptions { Alphas = [0.5, bad] };
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => options.ResolveAlphas());
            Assert.Contains("[0, 1]", error.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => new InteriorGradients<double>(network, options));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new InteriorGradients<double>(network, new InteriorGradientsOptions { Count = 0 }));
        var method = new InteriorGradients<double>(network);
        Assert.Throws<ArgumentOutOfRangeException>(() => method.Attribute(new double[8], 3));
        Assert.Contains("length 8", Assert.Throws<ArgumentException>(() => method.Attribute(new double[9], 0)).Message);
    }
}
