using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>Expected gradients against the mean of Integrated Gradients per baseline, seeded sampling, and completeness.</summary>
public sealed class ExpectedGradientsTests
{
    private const int BaselineCount = 5;

    private static double[] Baselines(NetworkInfo info, int seed) => NetworkHarness.RandomVector(new Random(seed), BaselineCount * info.InputLength, 0.5);

    /// <summary>The mean of separately computed IG attributions against the given baselines (by index).</summary>
    private static double[] MeanIntegratedGradients(INetwork<double> network, double[] input, double[] baselines, int[] indices, int target, IntegratedGradientsOptions options)
    {
        int length = network.Info.InputLength;
        var mean = new double[length];
        foreach (int b in indices)
        {
            var ig = new IntegratedGradients<double>(network, options with { Baseline = Baseline.Of<double>(baselines.AsSpan(b * length, length)) });
            Attribution<double> attribution = ig.Attribute(input, target);
            for (int i = 0; i < length; i++)
            {
                mean[i] += attribution[i] / indices.Length;
            }
        }

        return mean;
    }

    private static double MeanOutput(INetwork<double> network, double[] baselines, int[] indices, int target)
    {
        int length = network.Info.InputLength;
        double[] weights = PathReference.OneHot(network.Info.OutputLength, target);
        double sum = 0;
        foreach (int b in indices)
        {
            sum += NetworkHarness.Scalar(network, baselines.AsSpan(b * length, length), weights);
        }

        return sum / indices.Length;
    }

    [Theory]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    [InlineData(QuadratureRule.RiemannRight)]
    public void Exact_EqualsMeanOfIntegratedGradients(QuadratureRule rule)
    {
        foreach (INetwork<double> network in EveryLayerKind(600))
        {
            NetworkInfo info = network.Info;
            double[] baselines = Baselines(info, 601);
            double[] input = NetworkHarness.RandomVector(new Random(602), info.InputLength, 2);
            var options = new IntegratedGradientsOptions { Rule = rule, Points = 9, InternalBatchSize = 4, Baseline = Baseline.Constant(0.7) };
            var method = new ExpectedGradients<double>(network, baselines, options);
            Assert.Equal(BaselineCount, method.BaselineCount);
            int[] all = [0, 1, 2, 3, 4];
            for (int target = 0; target < info.OutputLength; target++)
            {
                Attribution<double> actual = method.Attribute(input, target);
                AssertClose(actual.Values, MeanIntegratedGradients(network, input, baselines, all, target, options), 1e-12, $"{info.Name} {rule} target {target}");

                double atInput = NetworkHarness.Scalar(network, input, PathReference.OneHot(info.OutputLength, target));
                double meanAtBaseline = MeanOutput(network, baselines, all, target);
                Assert.Equal(atInput, actual.Delta.OutputAtInput, 12);
                Assert.Equal(meanAtBaseline, actual.Delta.OutputAtBaseline, 12);
                Assert.Equal(actual.Sum() - (atInput - meanAtBaseline), actual.Delta.Absolute, 12);
            }
        }
    }

    [Fact]
    public void Sampled_IsTheMeanOverTheSeededDraws()
    {
        foreach (INetwork<double> network in EveryLayerKind(610))
        {
            NetworkInfo info = network.Info;
            double[] baselines = Baselines(info, 611);
            double[] input = NetworkHarness.RandomVector(new Random(612), info.InputLength, 2);
            var options = new IntegratedGradientsOptions { Points = 8 };
            var method = new ExpectedGradients<double>(network, baselines, options);
            const int samples = 7;
            const int seed = 613;

            Attribution<double> first = method.AttributeSampled(input, 0, samples, seed);
            Attribution<double> second = method.AttributeSampled(input, 0, samples, seed);
            Assert.Equal(first.Values, second.Values);
            Assert.Equal(first.Delta, second.Delta);

            Attribution<double> other = method.AttributeSampled(input, 0, samples, seed + 1);
            Assert.NotEqual(first.ToArray(), other.ToArray());

            var random = new Random(seed);
            var drawn = new int[samples];
            for (int s = 0; s < samples; s++)
            {
                drawn[s] = random.Next(BaselineCount);
            }

            AssertClose(first.Values, MeanIntegratedGradients(network, input, baselines, drawn, 0, options), 1e-12, $"{info.Name} sampled");
            Assert.Equal(MeanOutput(network, baselines, drawn, 0), first.Delta.OutputAtBaseline, 12);
        }
    }

    [Fact]
    public void Sampled_ApproachesExactWithManySamples()
    {
        var network = Randomized(new TanhMlp(), 620);
        double[] baselines = Baselines(network.Info, 621);
        double[] input = NetworkHarness.RandomVector(new Random(622), 8, 2);
        var method = new ExpectedGradients<double>(network, baselines, new IntegratedGradientsOptions { Points = 8 });
        Attribution<double> exact = method.Attribute(input, 2);
        double few = NetworkHarness.RelativeError(method.AttributeSampled(input, 2, 5, 623).Values, exact.Values);
        double many = NetworkHarness.RelativeError(method.AttributeSampled(input, 2, 5000, 623).Values, exact.Values);
        Assert.True(many < few, $"5000 samples ({many:E2}) should beat 5 ({few:E2})");
        Assert.True(many < 0.05, $"5000 samples: relative error {many:E2}");
    }

    [Fact]
    public void TanhMlp_GaussLegendre32_IsCompleteAgainstMeanBaselineOutput()
    {
        var network = Randomized(new TanhMlp(), 630);
        double[] baselines = Baselines(network.Info, 631);
        double[] input = NetworkHarness.RandomVector(new Random(632), 8, 2);
        var method = new ExpectedGradients<double>(network, baselines, new IntegratedGradientsOptions { Rule = QuadratureRule.GaussLegendre, Points = 32 });
        for (int target = 0; target < 3; target++)
        {
            Attribution<double> result = method.Attribute(input, target);
            double change = NetworkHarness.Scalar(network, input, PathReference.OneHot(3, target)) - MeanOutput(network, baselines, [0, 1, 2, 3, 4], target);
            double relative = Math.Abs(result.Sum() - change) / Math.Abs(change);
            Assert.True(relative < 1e-6, $"target {target}: relative completeness error {relative:E2}");
            Assert.True(result.Delta.Relative < 1e-6);
        }
    }

    [Fact]
    public void BadInput_ThrowsNamingWhatWasExpected()
    {
        var network = Randomized(new TanhMlp(), 640);
        var wrong = Assert.Throws<ArgumentException>(() => new ExpectedGradients<double>(network, new double[12]));
        Assert.Contains("length 8", wrong.Message);
        Assert.Contains("got 12", wrong.Message);
        Assert.Throws<ArgumentException>(() => new ExpectedGradients<double>(network, ReadOnlySpan<double>.Empty));
        var nan = new double[16];
        nan[9] = double.NaN;
        Assert.Contains("element 9", Assert.Throws<ArgumentException>(() => new ExpectedGradients<double>(network, nan)).Message);

        var method = new ExpectedGradients<double>(network, new double[16]);
        Assert.Throws<ArgumentOutOfRangeException>(() => method.AttributeSampled(new double[8], 0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => method.Attribute(new double[8], 3));
        Assert.Contains("length 8", Assert.Throws<ArgumentException>(() => method.Attribute(new double[7], 0)).Message);
    }
}
