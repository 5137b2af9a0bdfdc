using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary><see cref="IntegratedGradients{T}.AttributeTargets"/> against one <c>Attribute</c> call per target.</summary>
public sealed class AttributeTargetsTests
{
    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void EqualsSeparateCalls(QuadratureRule rule)
    {
        foreach (INetwork<double> network in (INetwork<double>[])[.. EveryLayerKind(800), Randomized(new TanhMlp(), 805), Randomized(new Linear(), 806)])
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 801);
            int length = info.InputLength;
            int last = info.OutputLength - 1;
            int[] targets = [last, 0, last, 1 % info.OutputLength];
            var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = rule, Points = 7, InternalBatchSize = 3, Baseline = Baseline.Of<double>(baseline) });

            // A call against another baseline first: the batch must go back to the options' baseline.
            ig.Attribute(input, new double[length], 0, new double[length]);
            var attributions = new double[targets.Length * length];
            attributions.AsSpan().Fill(double.NaN);
            var deltas = new ConvergenceDelta[targets.Length];
            ig.AttributeTargets(input, targets, attributions, deltas);
            Attribution<double>[] results = ig.AttributeTargets(input, targets);
            Assert.Equal(targets.Length, results.Length);
            for (int t = 0; t < targets.Length; t++)
            {
                Attribution<double> single = ig.Attribute(input, targets[t]);
                string what = $"{info.Name} {rule} target {targets[t]}";
                AssertClose(attributions.AsSpan(t * length, length), single.Values, 1e-12, what);
                AssertClose(results[t].Values, single.Values, 1e-12, what + " (one-call form)");
                Assert.Equal(deltas[t].Absolute, results[t].Delta.Absolute, 12);
                Assert.Equal(single.Points, results[t].Points);
                Assert.Equal(single.Delta.OutputAtInput, deltas[t].OutputAtInput, 12);
                Assert.Equal(single.Delta.OutputAtBaseline, deltas[t].OutputAtBaseline, 12);
                Assert.Equal(single.Delta.Absolute, deltas[t].Absolute, 12);
                Assert.True(Math.Abs(single.Delta.Relative - deltas[t].Relative) <= 1e-9 * Math.Max(1, single.Delta.Relative), $"{what}: relative delta {deltas[t].Relative:E3} vs {single.Delta.Relative:E3}");
            }
        }
    }

    [Fact]
    public void NoTargets_WritesNothing_BadTargetsThrow()
    {
        var network = Randomized(new ReluMlp(), 810);
        var ig = new IntegratedGradients<double>(network);
        double[] input = NetworkHarness.RandomVector(new Random(811), 10);
        ig.AttributeTargets(input, ReadOnlySpan<int>.Empty, Span<double>.Empty, Span<ConvergenceDelta>.Empty);

        var target = Assert.Throws<ArgumentOutOfRangeException>(() => ig.AttributeTargets(input, [0, 5], new double[20], new ConvergenceDelta[2]));
        Assert.Contains("[0, 5)", target.Message);
        Assert.Contains("length 20", Assert.Throws<ArgumentException>(() => ig.AttributeTargets(input, [0, 1], new double[19], new ConvergenceDelta[2])).Message);
        Assert.Contains("length 2", Assert.Throws<ArgumentException>(() => ig.AttributeTargets(input, [0, 1], new double[20], new ConvergenceDelta[1])).Message);
        Assert.Contains("length 10", Assert.Throws<ArgumentException>(() => ig.AttributeTargets(new double[9], [0], new double[10], new ConvergenceDelta[1])).Message);
    }
}
