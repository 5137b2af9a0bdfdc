using System;
using System.Threading;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>Integrated Gradients against closed forms, completeness, a brute-force definition, and bad input.</summary>
public sealed class IntegratedGradientsTests
{
    private static readonly QuadratureRule[] s_rules = LayerMethodFixtures.Rules;

    private static T Randomized<T>(T network, int seed) where T : INetwork<double>
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        return network;
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void LinearModel_IsExactlyWeightTimesDifference(QuadratureRule rule)
    {
        var network = Randomized(new Linear(), 1);
        var random = new Random(2);
        double[] input = NetworkHarness.RandomVector(random, 6, 3);
        double[] baseline = NetworkHarness.RandomVector(random, 6);
        foreach (int steps in new[] { 2, 7, 50 })
        {
            var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 3 });
            for (int target = 0; target < 3; target++)
            {
                Attribution<double> attribution = ig.Attribute(input, target);
                double[] weight = network.Parameters.Items[0].Values;
                for (int i = 0; i < 6; i++)
                {
                    double expected = weight[target * 6 + i] * (input[i] - baseline[i]);
                    Assert.True(Math.Abs(attribution[i] - expected) <= 1e-14 * Math.Max(1, Math.Abs(expected)), $"{rule} n={steps} i={i}: {attribution[i]:R} vs {expected:R}");
                }

                Assert.True(attribution.Delta.Relative < 1e-13, $"{rule}: relative delta {attribution.Delta.Relative:E2}");
            }
        }
    }

    [Fact]
    public void TanhMlp_GaussLegendre32_IsCompleteTo1e6()
    {
        var network = Randomized(new TanhMlp(), 3);
        var random = new Random(4);
        double[] input = NetworkHarness.RandomVector(random, 8, 2);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.GaussLegendre, Points = 32 });
        for (int target = 0; target < 3; target++)
        {
            Attribution<double> attribution = ig.Attribute(input, target);
            Assert.True(attribution.Delta.Relative < 1e-6, $"target {target}: relative delta {attribution.Delta.Relative:E2}");
            Assert.Equal(attribution.Delta.OutputAtInput - attribution.Delta.OutputAtBaseline + attribution.Delta.Absolute, attribution.Sum(), 12);
        }
    }

    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void RelativeDelta_FallsAsStepsGrow(QuadratureRule rule)
    {
        var network = Randomized(new TanhMlp(), 5);
        double[] input = NetworkHarness.RandomVector(new Random(6), 8, 2);
        double previous = double.PositiveInfinity;
        foreach (int steps in new[] { 2, 4, 8, 16 })
        {
            var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = rule, Points = steps });
            double delta = ig.Attribute(input, 0).Delta.Relative;
            Assert.True(delta < previous, $"{rule}: delta {delta:E2} at {steps} steps is not below {previous:E2}");
            previous = delta;
        }
    }

    [Theory]
    [InlineData(QuadratureRule.GaussLegendre, 20)]
    [InlineData(QuadratureRule.Trapezoid, 9)]
    [InlineData(QuadratureRule.RiemannLeft, 13)]
    public void FusedStraightPath_EqualsBruteForceDefinition(QuadratureRule rule, int steps)
    {
        foreach (INetwork<double> network in new INetwork<double>[] { Randomized(new ReluMlp(), 7), Randomized(new EveryLayerCnn(), 8), Randomized(new PoolFirst(), 9), Randomized(new ActivationZoo(), 10) })
        {
            NetworkInfo info = network.Info;
            var random = new Random(11);
            double[] input = NetworkHarness.RandomVector(random, info.InputLength, 2);
            double[] baseline = NetworkHarness.RandomVector(random, info.InputLength, 0.5);
            double[] outputCoefficients = NetworkHarness.RandomVector(random, info.OutputLength);
            var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = rule, Points = steps, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 4 });
            Attribution<double> fused = ig.Attribute(input, outputCoefficients);

            // Brute force: each point built on its own, a full backward per point, the sum written out.
            QuadratureNodes nodes = QuadratureNodes.Create(rule, steps);
            var expected = new double[info.InputLength];
            var point = new double[info.InputLength];
            for (int k = 0; k < steps; k++)
            {
                for (int i = 0; i < point.Length; i++)
                {
                    point[i] = baseline[i] + nodes.Alphas[k] * (input[i] - baseline[i]);
                }

                double[] gradient = NetworkHarness.BackwardGradient(network, point, 1, outputCoefficients);
                for (int i = 0; i < point.Length; i++)
                {
                    expected[i] += nodes.Coefficients[k] * gradient[i] * (input[i] - baseline[i]);
                }
            }

            double error = NetworkHarness.RelativeError(fused.Values, expected);
            Assert.True(error < 1e-12, $"{info.Name}: relative error {error:E2}");

            double change = NetworkHarness.Scalar(network, input, outputCoefficients) - NetworkHarness.Scalar(network, baseline, outputCoefficients);
            Assert.Equal(change, fused.Delta.OutputAtInput - fused.Delta.OutputAtBaseline, 12);
        }
    }

    [Fact]
    public void ConstantBaseline_EqualsTheSameTensorBaseline()
    {
        var network = Randomized(new TanhMlp(), 12);
        double[] input = NetworkHarness.RandomVector(new Random(13), 8);
        var constant = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Baseline = Baseline.Constant(0.25) });
        var tensor = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Baseline = Baseline.Of<double>(new double[8] { 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25 }) });
        LayerMethodFixtures.AssertClose(constant.Attribute(input, 1).Values, tensor.Attribute(input, 1).Values, 1e-12, "constant baseline");
    }

    [Fact]
    public void AttributeIntoSpan_AllocatesNothing()
    {
        var network = Randomized(new TanhMlp(), 14);
        double[] input = NetworkHarness.RandomVector(new Random(15), 8);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 50, InternalBatchSize = 16 });
        var attributions = new double[8];
        ig.Attribute(input, 0, attributions);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ig.Attribute(input, 2, attributions);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Batch_EqualsOneByOne()
    {
        var network = Randomized(new ReluMlp(), 16);
        var random = new Random(17);
        const int count = 9;
        double[] inputs = NetworkHarness.RandomVector(random, count * 10, 2);
        int[] targets = new int[count];
        for (int m = 0; m < count; m++)
        {
            targets[m] = m % 5;
        }

        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 24 });
        var attributions = new double[count * 10];
        var deltas = new ConvergenceDelta[count];
        ig.AttributeBatch(inputs, targets, attributions, deltas);
        Attribution<double>[] results = ig.AttributeBatch(inputs.AsSpan(), targets);
        Assert.Equal(count, results.Length);
        for (int m = 0; m < count; m++)
        {
            Attribution<double> single = ig.Attribute(inputs.AsSpan(m * 10, 10), targets[m]);
            LayerMethodFixtures.AssertClose(results[m].Values, single.Values, 1e-12, $"one-call batch input {m}");
            Assert.Equal(single.Delta.Absolute, results[m].Delta.Absolute, 12);
            LayerMethodFixtures.AssertClose(attributions.AsSpan(m * 10, 10), single.Values, 1e-12, $"batch input {m}");
            Assert.Equal(single.Delta.OutputAtInput, deltas[m].OutputAtInput, 12);
            Assert.Equal(single.Delta.OutputAtBaseline, deltas[m].OutputAtBaseline, 12);
            Assert.Equal(single.Delta.Absolute, deltas[m].Absolute, 12);
        }
    }

    [Fact]
    public void Float32_AgreesWithFloat64()
    {
        var wide = Randomized(new TinyMlp64(), 18);
        var narrow = new TinyMlp32();
        for (int p = 0; p < wide.Parameters.Items.Count; p++)
        {
            double[] source = wide.Parameters.Items[p].Values;
            float[] destination = narrow.Parameters.Items[p].Values;
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = (float)source[i];
            }
        }

        narrow.ParametersChanged();

        double[] input = NetworkHarness.RandomVector(new Random(19), 8, 2);
        float[] input32 = Array.ConvertAll(input, v => (float)v);
        Attribution<double> expected = new IntegratedGradients<double>(wide).Attribute(input, 1);
        Attribution<float> actual = new IntegratedGradients<float>(narrow).Attribute(input32, 1);
        double[] actualWide = Array.ConvertAll(actual.ToArray(), v => (double)v);

        // float32 carries ~7 digits; the weights were rounded to float, so agreement is to a few ulps of the largest value.
        Assert.True(NetworkHarness.RelativeError(actualWide, expected.Values) < 1e-5);
    }

    [Fact]
    public void BadInput_ThrowsNamingWhatWasExpected()
    {
        var network = Randomized(new TanhMlp(), 20);
        var ig = new IntegratedGradients<double>(network);
        var wrongLength = Assert.Throws<ArgumentException>(() => ig.Attribute(new double[7], 0));
        Assert.Contains("length 8", wrongLength.Message);
        Assert.Contains("got 7", wrongLength.Message);

        double[] nan = new double[8];
        nan[3] = double.NaN;
        var notFinite = Assert.Throws<ArgumentException>(() => ig.Attribute(nan, 0));
        Assert.Contains("element 3", notFinite.Message);

        double[] infinite = new double[8];
        infinite[5] = double.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => ig.Attribute(infinite, 0));

        var target = Assert.Throws<ArgumentOutOfRangeException>(() => ig.Attribute(new double[8], 3));
        Assert.Contains("[0, 3)", target.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<double>(network, new IntegratedGradientsOptions { InternalBatchSize = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Trapezoid, Points = 1 }));
        var baseline = Assert.Throws<ArgumentException>(() => new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Baseline = Baseline.Of<double>(new double[5]) }));
        Assert.Contains("length 8", baseline.Message);
        Assert.Throws<ArgumentException>(() => Baseline.Of<double>(new[] { 1.0, double.NaN }));
        Assert.Throws<ArgumentException>(() => Baseline.Constant(double.NegativeInfinity));
        Assert.Throws<ArgumentException>(() => ig.Attribute(new double[8], new double[2]));
    }

    [Fact]
    public void Cancellation_StopsBetweenBatches()
    {
        var network = Randomized(new TanhMlp(), 21);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 40, InternalBatchSize = 4 });
        using var source = new CancellationTokenSource();
        source.Cancel();
        Assert.Throws<OperationCanceledException>(() => ig.Attribute(new double[8], 0, source.Token));
    }
}
