using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>
/// <c>AttributeTargets</c> against one <c>Attribute</c> call per target: Integrated Gradients' span and result forms, and
/// every <see cref="IAttributionMethod{T, TResult}"/> through the interface, from the options' baseline and from a call's own.
/// </summary>
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
    public void EveryMethod_ThroughTheInterface_EqualsSeparateCalls()
    {
        foreach (INetwork<double> network in (INetwork<double>[])[Randomized(new ReluMlp(), 820), Randomized(new EveryLayerCnn(), 821), Randomized(new TanhMlp(), 822)])
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 823);
            int last = info.OutputLength - 1;
            int[] targets = [last, 0, last, 1 % info.OutputLength];
            Layer layer = info.Layers[info.Layers.Count / 2];
            var options = new LayerAttributionOptions { Points = 7, InternalBatchSize = 3, Baseline = Baseline.Constant(0.1) };
            double[] set = [.. NetworkHarness.RandomVector(new Random(824), 2 * info.InputLength, 0.5)];
            string name = info.Name;
            Check(name + " IG", new IntegratedGradients<double>(network, options), r => r.Values.ToArray(), r => Delta(r.Delta));
            Check(name + " conductance", new LayerConductance<double>(network, layer, options), r => r.Values.ToArray(), r => Delta(r.Delta));
            Check(name + " influence", new InternalInfluence<double>(network, layer, options), r => r.Values.ToArray(), r => []);
            Check(name + " neuron conductance", new NeuronConductance<double>(network, layer, options), r => r.Values.ToArray(), r => []);
            Check(name + " interior", new InteriorGradients<double>(network, new InteriorGradientsOptions { Count = 70, Baseline = Baseline.Constant(0.1) }), r => r.Gradients.ToArray(), r => [r.OutputAtBaseline, r.OutputAtInput, .. r.Outputs]);
            Check(name + " expected", new ExpectedGradients<double>(network, set, options), r => r.Values.ToArray(), r => [.. Delta(r.Delta), r.Points]);

            // Through the interface only: the forms a caller switching methods or backends relies on.
            void Check<TResult>(string what, IAttributionMethod<double, TResult> method, Func<TResult, double[]> values, Func<TResult, double[]> scalars)
            {
                TResult[] fromOptions = method.AttributeTargets(input, targets);
                TResult[] fromOwn = method.AttributeTargets(input, baseline, targets);
                Assert.Equal(targets.Length, fromOptions.Length);
                Assert.Equal(targets.Length, fromOwn.Length);
                Assert.Empty(method.AttributeTargets(input, ReadOnlySpan<int>.Empty));
                for (int t = 0; t < targets.Length; t++)
                {
                    Same(method.Attribute(input, targets[t]), fromOptions[t], $"{what} target {targets[t]}");
                    Same(method.Attribute(input, baseline, targets[t]), fromOwn[t], $"{what} target {targets[t]}, own baseline");
                }

                Assert.Throws<ArgumentOutOfRangeException>("targets", () => method.AttributeTargets(input, [0, info.OutputLength]));
                Assert.Throws<ArgumentException>("input", () => method.AttributeTargets(new double[info.InputLength + 1], [0]));

                void Same(TResult expected, TResult actual, string label)
                {
                    // Another order of the same passes and sums (a target's seed instead of the call's weighting, no split): close, not equal.
                    AssertClose(values(actual), values(expected), 1e-12, label);
                    double[] e = scalars(expected);
                    double[] a = scalars(actual);
                    Assert.Equal(e.Length, a.Length);
                    for (int i = 0; i < e.Length; i++)
                    {
                        Assert.True(Math.Abs(e[i] - a[i]) <= 1e-12 * Math.Max(1, Math.Abs(e[i])), $"{label} scalar {i}: {a[i]} vs {e[i]}");
                    }
                }
            }
        }

        static double[] Delta(ConvergenceDelta delta) => [delta.Absolute, delta.OutputAtInput, delta.OutputAtBaseline];
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
