using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Pathwise.Tests;

/// <summary>A GELU MLP in float64, smooth everywhere: a subject of the adaptive rule.</summary>
[Network(Precision.Float64)]
public sealed partial class GeluMlp
{
    [Input(10)] public partial InputLayer X { get; }
    [Dense(16), GELU] public partial Layer H1 { get; }
    [Dense(12), GELU] public partial Layer H2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>A wider tanh MLP in float64.</summary>
[Network(Precision.Float64)]
public sealed partial class WideTanhMlp
{
    [Input(12)] public partial InputLayer X { get; }
    [Dense(24), Tanh] public partial Layer H1 { get; }
    [Dense(16), Tanh] public partial Layer H2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>The float32 twin of <see cref="TanhMlp"/>.</summary>
[Network]
public sealed partial class TanhMlp32
{
    [Input(8)] public partial InputLayer X { get; }
    [Dense(16), Tanh] public partial Layer H1 { get; }
    [Dense(12), Tanh] public partial Layer H2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>Piecewise-linear layers below smooth ones: the adaptive rule cuts at the ReLU breakpoints first.</summary>
[Network(Precision.Float64)]
public sealed partial class ReluTanhMlp
{
    [Input(10)] public partial InputLayer X { get; }
    [Dense(16), ReLU] public partial Layer H1 { get; }
    [Dense(12), LeakyReLU(0.1)] public partial Layer H2 { get; }
    [Dense(10), Tanh] public partial Layer H3 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>
/// <see cref="QuadratureRule.Adaptive"/> through the public methods, against references computed independently with
/// the generated network's own passes: composite Gauss–Legendre with many points (cut at the ReLU breakpoints on the
/// mixed network, found here by scalar bisection of each first-layer pre-activation). The rule meets its tolerance on
/// tanh and GELU networks, reports its points, and its per-feature estimates cover the true error.
/// </summary>
public sealed class AdaptiveRuleTests
{
    public static IEnumerable<object[]> SmoothNetworks()
    {
        yield return [new WideTanhMlp(), 21];
        yield return [new GeluMlp(), 22];
        yield return [new TanhMlp(), 23];
    }

    public static IEnumerable<object[]> AllNetworks()
    {
        yield return [new WideTanhMlp(), 31];
        yield return [new GeluMlp(), 32];
        yield return [new ReluTanhMlp(), 33];
    }

    [Theory]
    [MemberData(nameof(SmoothNetworks))]
    public void IntegratedGradients_MeetTheTolerance_AndReportThePoints(INetwork<double> network, int seed)
    {
        Prepare(network, seed, gain: 3);
        foreach (double tolerance in new[] { 1e-4, 1e-7, 1e-10 })
        {
            for (int trial = 0; trial < 3; trial++)
            {
                (double[] baseline, double[] input) = Path(network, seed * 100 + trial);
                var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Adaptive, Tolerance = tolerance, Baseline = Baseline.Of<double>(baseline) };
                Attribution<double> result = new IntegratedGradients<double>(network, options).Attribute(input, trial % 3);
                Assert.Equal(QuadratureRule.Adaptive, result.Rule);
                QuadratureError error = Assert.IsType<QuadratureError>(result.Error);
                Assert.True(error.Converged, $"tolerance {tolerance:E0}: did not converge in {result.Points} points");
                Assert.Equal(result.Points, error.Points);
                Assert.Equal(0, result.Points % 22);
                Assert.Equal(22 * (2 * error.Intervals - 1), result.Points); // one first interval, each halving adds two

                double[] reference = Reference(network, baseline, input, trial % 3, []);
                double trueError = reference.Select((r, i) => Math.Abs(result[i] - r)).Sum();
                double size = result.ToArray().Select(Math.Abs).Sum();
                Assert.True(error.FeatureSum() <= tolerance * size, $"estimate {error.FeatureSum():E2} over {tolerance:E0} * {size:E2}");
                Assert.True(trueError <= tolerance * size, $"tolerance {tolerance:E0}: true error {trueError:E2} over {tolerance * size:E2}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllNetworks))]
    public void PerFeatureEstimates_CoverTheTrueError_ForAtLeast99Percent(INetwork<double> network, int seed)
    {
        Prepare(network, seed, gain: 3);
        int covered = 0;
        int features = 0;
        int totalsCovered = 0;
        int totals = 0;
        foreach (double tolerance in new[] { 1e-3, 1e-5, 1e-7 })
        {
            for (int trial = 0; trial < 6; trial++)
            {
                (double[] baseline, double[] input) = Path(network, seed * 100 + trial);
                var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Adaptive, Tolerance = tolerance, Baseline = Baseline.Of<double>(baseline) };
                Attribution<double> result = new IntegratedGradients<double>(network, options).Attribute(input, trial % 3);
                QuadratureError error = result.Error!;
                double[] cuts = network is ReluTanhMlp ? FirstLayerBreakpoints(network, baseline, input) : [];
                double[] reference = Reference(network, baseline, input, trial % 3, cuts);
                for (int i = 0; i < reference.Length; i++)
                {
                    features++;
                    covered += Math.Abs(result[i] - reference[i]) <= error.Features[i] ? 1 : 0;
                }

                totals++;
                totalsCovered += Math.Abs(result.Sum() - reference.Sum()) <= error.Total ? 1 : 0;
            }
        }

        Assert.True(covered >= 0.99 * features, $"{covered} of {features} features covered");
        Assert.True(totalsCovered >= 0.99 * totals, $"{totalsCovered} of {totals} totals covered");
    }

    [Fact]
    public void MixedNetwork_StartsFromTheReluBreakpoints()
    {
        var network = new ReluTanhMlp();
        Prepare(network, 41, gain: 3);
        (double[] baseline, double[] input) = Path(network, 4100);
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Adaptive, Tolerance = 1e-8, Baseline = Baseline.Of<double>(baseline) };
        Attribution<double> result = new IntegratedGradients<double>(network, options).Attribute(input, 0);
        QuadratureError error = result.Error!;
        Assert.True(error.Converged);

        // At least the first layer's breakpoints cut the path: more first intervals than a smooth path's one.
        int firstLayerCuts = FirstLayerBreakpoints(network, baseline, input).Length;
        Assert.True(firstLayerCuts > 0);
        Assert.True(error.Intervals > firstLayerCuts, $"{error.Intervals} intervals, {firstLayerCuts} first-layer breakpoints");
        double[] reference = Reference(network, baseline, input, 0, FirstLayerBreakpoints(network, baseline, input));
        double trueError = reference.Select((r, i) => Math.Abs(result[i] - r)).Sum();
        Assert.True(trueError <= 1e-8 * result.ToArray().Select(Math.Abs).Sum(), $"true error {trueError:E2}");
    }

    [Fact]
    public void TooFewPoints_StopAndSayTheCallDidNotConverge()
    {
        var network = new WideTanhMlp();
        Prepare(network, 51, gain: 4);
        (double[] baseline, double[] input) = Path(network, 5100);
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Adaptive, Tolerance = 1e-12, MaxPoints = 22, Baseline = Baseline.Of<double>(baseline) };
        Attribution<double> result = new IntegratedGradients<double>(network, options).Attribute(input, 0);
        Assert.Equal(22, result.Points);
        Assert.False(result.Error!.Converged);
        Assert.Equal(1, result.Error.Intervals);

        // Room to refine: the same call converges.
        Attribution<double> again = new IntegratedGradients<double>(network, options with { MaxPoints = 10_000 }).Attribute(input, 0);
        Assert.True(again.Error!.Converged);
        Assert.True(again.Points > 22);
    }

    [Fact]
    public void PiecewiseLinearNetwork_IsIntegratedExactly_AndSaysSo()
    {
        var network = new PwlMlp();
        Prepare(network, 61, gain: 1);
        (double[] baseline, double[] input) = Path(network, 6100);
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Adaptive, Baseline = Baseline.Of<double>(baseline) };
        Attribution<double> adaptive = new IntegratedGradients<double>(network, options).Attribute(input, 1);
        Attribution<double> exact = new IntegratedGradients<double>(network, options with { Rule = QuadratureRule.Exact }).Attribute(input, 1);
        Assert.Equal(QuadratureRule.Exact, adaptive.Rule);
        Assert.Null(adaptive.Error);
        Assert.Equal(exact.Points, adaptive.Points);
        Assert.Equal(exact.ToArray(), adaptive.ToArray());
    }

    [Fact]
    public void Float32Network_ConvergesToFloat32Tolerances_WithEstimatesCoveringItsRounding()
    {
        // The float32 network's weights, widened exactly into its float64 twin: the twin's integral is the truth.
        var twin = new TanhMlp();
        Prepare(twin, 81, gain: 3);
        var network = new TanhMlp32();
        for (int p = 0; p < twin.Parameters.Items.Count; p++)
        {
            Parameter<double> wide = twin.Parameters.Items[p];
            Parameter<float> narrow = network.Parameters.Items[p];
            for (int i = 0; i < wide.Values.Length; i++)
            {
                narrow.Values[i] = (float)wide.Values[i];
                wide.Values[i] = narrow.Values[i];
            }
        }

        twin.ParametersChanged();
        network.ParametersChanged();
        int covered = 0;
        int features = 0;
        foreach (double tolerance in new[] { 1e-3, 1e-5, 1e-6 })
        {
            for (int trial = 0; trial < 6; trial++)
            {
                (double[] baseline, double[] input) = Path(twin, 8100 + trial);
                baseline = [.. baseline.Select(v => (double)(float)v)];
                input = [.. input.Select(v => (double)(float)v)];
                var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Adaptive, Tolerance = tolerance, Baseline = Baseline.Of<float>([.. baseline.Select(v => (float)v)]) };
                Attribution<float> result = new IntegratedGradients<float>(network, options).Attribute([.. input.Select(v => (float)v)], trial % 3);
                Assert.True(result.Error!.Converged, $"tolerance {tolerance:E0}: {result.Points} points");
                double[] reference = Reference(twin, baseline, input, trial % 3, []);
                for (int i = 0; i < reference.Length; i++)
                {
                    features++;
                    covered += Math.Abs(result[i] - reference[i]) <= result.Error.Features[i] ? 1 : 0;
                }
            }
        }

        Assert.True(covered >= 0.99 * features, $"{covered} of {features} features covered");
    }

    [Fact]
    public void GaussKronrodNodes_AreExactToTheirDegrees_AndNested()
    {
        var kAlphas = new double[15];
        var kWeights = new double[15];
        var gAlphas = new double[7];
        var gWeights = new double[7];
        const double Low = 0.25;
        const double High = 0.75;
        GaussKronrod.Kronrod<double>(Low, High, kAlphas, kWeights);
        GaussKronrod.Gauss<double>(Low, High, gAlphas, gWeights);
        for (int degree = 0; degree <= 22; degree++)
        {
            // integral_lo^hi x^d dx in closed form: K15 is exact to degree 22, G7 to degree 13.
            double exact = (Math.Pow(High, degree + 1) - Math.Pow(Low, degree + 1)) / (degree + 1);
            double kronrod = kAlphas.Select((a, k) => kWeights[k] * Math.Pow(a, degree)).Sum();
            Assert.True(Math.Abs(kronrod - exact) <= 2e-15 * exact, $"K15, degree {degree}: {kronrod - exact:E2}");
            if (degree <= 13)
            {
                double gauss = gAlphas.Select((a, k) => gWeights[k] * Math.Pow(a, degree)).Sum();
                Assert.True(Math.Abs(gauss - exact) <= 2e-15 * exact, $"G7, degree {degree}: {gauss - exact:E2}");
            }
        }

        // A function no polynomial of low degree fits tells the rules apart: K15 far closer to exp(8x)'s integral than G7.
        double expExact = (Math.Exp(8 * High) - Math.Exp(8 * Low)) / 8;
        double expKronrod = kAlphas.Select((a, k) => kWeights[k] * Math.Exp(8 * a)).Sum();
        double expGauss = gAlphas.Select((a, k) => gWeights[k] * Math.Exp(8 * a)).Sum();
        Assert.True(Math.Abs(expKronrod - expExact) < 1e-3 * Math.Abs(expGauss - expExact), $"K15 {expKronrod - expExact:E2}, G7 {expGauss - expExact:E2}");

        // Ascending, inside the interval, and the Gauss points are Kronrod points 1, 3, ..., 13.
        Assert.True(kAlphas.Zip(kAlphas.Skip(1)).All(p => p.First < p.Second) && kAlphas[0] > Low && kAlphas[^1] < High);
        Assert.Equal(gAlphas, Enumerable.Range(0, 7).Select(k => kAlphas[(2 * k) + 1]));
    }

    [Fact]
    public void BadSettings_AreRefusedNamingThem()
    {
        var network = new TanhMlp();
        network.InitializeWeights(new Random(2));
        var adaptive = new IntegratedGradientsOptions { Rule = QuadratureRule.Adaptive };
        Assert.Contains("Tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<double>(network, adaptive with { Tolerance = 0 })).Message);
        Assert.Contains("Tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<double>(network, adaptive with { Tolerance = double.NaN })).Message);
        Assert.Contains("MaxPoints", Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<double>(network, adaptive with { MaxPoints = 21 })).Message);
        Assert.Throws<ArgumentException>(() => QuadratureNodes.Create(QuadratureRule.Adaptive, 10));

        // The exact rule's refusal of a smooth network points here.
        Assert.Contains("Adaptive", Assert.Throws<NotSupportedException>(() => new IntegratedGradients<double>(network, adaptive with { Rule = QuadratureRule.Exact })).Message);
    }

    [Fact]
    public void FixedRules_ReportNoError()
    {
        var network = new TanhMlp();
        Prepare(network, 71, gain: 1);
        (double[] _, double[] input) = Path(network, 7100);
        Assert.Null(new IntegratedGradients<double>(network).Attribute(input, 0).Error);
    }

    [Theory]
    [MemberData(nameof(SmoothNetworks))]
    public void EveryPathMethod_TakesTheRule_WithHonestEstimates(INetwork<double> network, int seed)
    {
        Prepare(network, seed, gain: 3);
        (double[] baseline, double[] input) = Path(network, seed * 100 + 7);
        const double Tolerance = 1e-8;
        var adaptive = new LayerAttributionOptions { Rule = QuadratureRule.Adaptive, Tolerance = Tolerance, Baseline = Baseline.Of<double>(baseline) };

        // The reference: Gauss–Legendre on 1,000 points, exact to rounding on these analytic integrands.
        LayerAttributionOptions fine = adaptive with { Rule = QuadratureRule.GaussLegendre, Points = 1000 };
        var coverage = new Coverage();
        foreach (Layer layer in network.Info.Layers.Skip(1))
        {
            LayerAttribution<double> conductance = new LayerConductance<double>(network, layer, adaptive).Attribute(input, 1);
            coverage.Check(conductance.Rule, conductance.Points, conductance.Error, conductance.Values, new LayerConductance<double>(network, layer, fine).Attribute(input, 1).Values, Tolerance);

            // Layer Integrated Gradients runs its path in the layer's own activation space: its estimates scale by y(x) - y(x').
            // Where every layer above it is piecewise linear the rule is the exact one, and says so.
            LayerAttribution<double> layerIg = new LayerIntegratedGradients<double>(network, layer, adaptive).Attribute(input, 1);
            double[] layerIgReference = new LayerIntegratedGradients<double>(network, layer, fine).Attribute(input, 1).ToArray();
            if (PiecewiseLinearPath.Supports(network.Info, layer, out _))
            {
                Assert.Equal(QuadratureRule.Exact, layerIg.Rule);
                Assert.Null(layerIg.Error);
                double scale = layerIgReference.Sum(Math.Abs);
                Assert.All(layerIg.ToArray().Zip(layerIgReference), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-12 * scale, $"{pair.First} vs {pair.Second}"));
            }
            else
            {
                coverage.Check(layerIg.Rule, layerIg.Points, layerIg.Error, layerIg.Values, layerIgReference, Tolerance);
            }

            LayerInfluence<double> influence = new InternalInfluence<double>(network, layer, adaptive).Attribute(input, 2);
            coverage.Check(influence.Rule, influence.Points, influence.Error, influence.Values, new InternalInfluence<double>(network, layer, fine).Attribute(input, 2).Values, Tolerance);

            int neuron = layer.Size / 3;
            Attribution<double> neuronIg = new NeuronIntegratedGradients<double>(network, layer, adaptive).Attribute(input, neuron);
            coverage.Check(neuronIg.Rule, neuronIg.Points, neuronIg.Error, neuronIg.Values, new NeuronIntegratedGradients<double>(network, layer, fine).Attribute(input, neuron).Values, Tolerance);

            int[] neurons = [0, layer.Size - 1];
            NeuronAttribution<double> neuronConductance = new NeuronConductance<double>(network, layer, adaptive).Attribute(input, 0, neurons);
            coverage.Check(neuronConductance.Rule, neuronConductance.Points, neuronConductance.Error, neuronConductance.Values, new NeuronConductance<double>(network, layer, fine).Attribute(input, 0, neurons).Values, Tolerance);

            bool[] region = [.. Enumerable.Range(0, network.Info.InputLength).Select(i => i % 3 != 1)];
            LayerAttribution<double> share = new RegionToNeuron<double>(network, layer, adaptive).Attribute(input, 1, region);
            coverage.Check(share.Rule, share.Points, share.Error, share.Values, new RegionToNeuron<double>(network, layer, fine).Attribute(input, 1, region).Values, tolerance: null);
        }

        // Several targets of one input share the intervals; each result has its own estimates.
        Attribution<double>[] targets = new IntegratedGradients<double>(network, adaptive).AttributeTargets(input, [0, 2]);
        Attribution<double>[] fineTargets = new IntegratedGradients<double>(network, fine).AttributeTargets(input, [0, 2]);
        for (int t = 0; t < 2; t++)
        {
            coverage.Check(targets[t].Rule, targets[t].Points, targets[t].Error, targets[t].Values, fineTargets[t].Values, tolerance: null);
        }

        // Layer Integrated Gradients' targets on the first hidden layer (smooth layers above it): estimates scaled by y(x) - y(x').
        Layer first = network.Info.Layers[1];
        Assert.False(PiecewiseLinearPath.Supports(network.Info, first, out _));
        LayerAttribution<double>[] layerTargets = new LayerIntegratedGradients<double>(network, first, adaptive).AttributeTargets(input, [0, 2]);
        LayerAttribution<double>[] fineLayerTargets = new LayerIntegratedGradients<double>(network, first, fine).AttributeTargets(input, [0, 2]);
        for (int t = 0; t < 2; t++)
        {
            coverage.Check(layerTargets[t].Rule, layerTargets[t].Points, layerTargets[t].Error, layerTargets[t].Values, fineLayerTargets[t].Values, tolerance: null);
        }

        // Expected gradients over three baselines: the mean of three adaptive paths, the mean of their estimates.
        double[] set = [.. baseline, .. Path(network, seed * 100 + 8).Input.Select(v => v / 2), .. Path(network, seed * 100 + 9).Baseline];
        Attribution<double> expected = new ExpectedGradients<double>(network, set, adaptive).Attribute(input, 1);
        coverage.Check(expected.Rule, expected.Points, expected.Error, expected.Values, new ExpectedGradients<double>(network, set, fine).Attribute(input, 1).Values, Tolerance);

        Assert.True(coverage.Covered >= 0.99 * coverage.Features, $"{coverage.Covered} of {coverage.Features} values covered");
    }

    /// <summary>Counts the values whose true error is within their estimate, after checking each result's rule, points and tolerance.</summary>
    private sealed class Coverage
    {
        public int Covered { get; private set; }

        public int Features { get; private set; }

        public void Check(QuadratureRule rule, int points, QuadratureError? error, ReadOnlySpan<double> values, ReadOnlySpan<double> reference, double? tolerance)
        {
            Assert.Equal(QuadratureRule.Adaptive, rule);
            Assert.NotNull(error);
            Assert.True(error.Converged);
            Assert.Equal(values.Length, error.Features.Length);
            Assert.True(points >= 22 && points % 22 == 0, $"{points} points");
            double trueError = 0;
            double size = 0;
            for (int i = 0; i < values.Length; i++)
            {
                double difference = Math.Abs(values[i] - reference[i]);
                Features++;
                Covered += difference <= error.Features[i] ? 1 : 0;
                trueError += difference;
                size += Math.Abs(values[i]);
            }

            if (tolerance is { } relative)
            {
                Assert.True(trueError <= relative * size, $"true error {trueError:E2} over {relative:E0} * {size:E2}");
            }
        }
    }

    internal static void Prepare(INetwork<double> network, int seed, double gain)
    {
        network.Parameters.Randomize(new Random(seed));
        foreach (Parameter<double> parameter in network.Parameters.Items)
        {
            for (int i = 0; i < parameter.Values.Length; i++)
            {
                parameter.Values[i] *= gain;
            }
        }

        network.ParametersChanged();
    }

    internal static (double[] Baseline, double[] Input) Path(INetwork<double> network, int seed)
    {
        var random = new Random(seed);
        return (NetworkHarness.RandomVector(random, network.Info.InputLength, 0.5), NetworkHarness.RandomVector(random, network.Info.InputLength, 2));
    }

    /// <summary>
    /// IG of output <paramref name="target"/> by composite Gauss–Legendre: each piece between <paramref name="cuts"/>
    /// (and 0 and 1) split into 32 panels of 20 points, with the generated backward pass.
    /// </summary>
    internal static double[] Reference(INetwork<double> network, double[] baseline, double[] input, int target, double[] cuts)
    {
        var weights = new double[network.Info.OutputLength];
        weights[target] = 1;
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, 20);
        double[] edges = [0.0, .. cuts.Order(), 1.0];
        int length = input.Length;
        var sum = new double[length];
        var compensation = new double[length];
        const int Panels = 32;
        var points = new double[nodes.Count * length];
        for (int piece = 0; piece + 1 < edges.Length; piece++)
        {
            for (int panel = 0; panel < Panels; panel++)
            {
                double low = edges[piece] + ((edges[piece + 1] - edges[piece]) * panel / Panels);
                double high = edges[piece] + ((edges[piece + 1] - edges[piece]) * (panel + 1) / Panels);
                for (int k = 0; k < nodes.Count; k++)
                {
                    double a = low + ((high - low) * nodes.Alphas[k]);
                    for (int i = 0; i < length; i++)
                    {
                        points[(k * length) + i] = baseline[i] + (a * (input[i] - baseline[i]));
                    }
                }

                double[] gradients = NetworkHarness.BackwardGradient(network, points, nodes.Count, weights);
                for (int k = 0; k < nodes.Count; k++)
                {
                    for (int i = 0; i < length; i++)
                    {
                        // Neumaier's compensated sum: the reference's own rounding stays far below the rule's.
                        double term = (high - low) * nodes.Coefficients[k] * gradients[(k * length) + i];
                        double next = sum[i] + term;
                        compensation[i] += Math.Abs(sum[i]) >= Math.Abs(term) ? (sum[i] - next) + term : (term - next) + sum[i];
                        sum[i] = next;
                    }
                }
            }
        }

        return [.. sum.Select((g, i) => (g + compensation[i]) * (input[i] - baseline[i]))];
    }

    /// <summary>
    /// The breakpoints of the mixed network's two piecewise-linear layers, by scalar bisection: each neuron's
    /// pre-activation along the path, sampled on a fine grid with the generated forward pass, every sign change bisected to rounding.
    /// </summary>
    internal static double[] FirstLayerBreakpoints(INetwork<double> network, double[] baseline, double[] input)
    {
        var found = new List<double>();
        Layer[] layers = [network.Info.Layers[1], network.Info.Layers[2]];
        const int Grid = 4000;
        foreach (Layer layer in layers)
        {
            double[] previous = PreActivations(network, layer, baseline, input, 0);
            double previousA = 0;
            for (int step = 1; step <= Grid; step++)
            {
                double a = (double)step / Grid;
                double[] current = PreActivations(network, layer, baseline, input, a);
                for (int j = 0; j < current.Length; j++)
                {
                    if (Math.Sign(previous[j]) != Math.Sign(current[j]) && previous[j] != 0 && current[j] != 0)
                    {
                        double low = previousA;
                        double high = a;
                        bool lowNegative = previous[j] < 0;
                        for (int bisection = 0; bisection < 60; bisection++)
                        {
                            double middle = 0.5 * (low + high);
                            bool middleNegative = PreActivations(network, layer, baseline, input, middle)[j] < 0;
                            (low, high) = middleNegative == lowNegative ? (middle, high) : (low, middle);
                        }

                        found.Add(0.5 * (low + high));
                    }
                }

                previous = current;
                previousA = a;
            }
        }

        return [.. found.Order()];
    }

    private static double[] PreActivations(INetwork<double> network, Layer layer, double[] baseline, double[] input, double a)
    {
        var workspace = new Workspace<double>(network.Info, 1);
        Span<double> x = workspace.Input(1);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = baseline[i] + (a * (input[i] - baseline[i]));
        }

        network.ForwardFrom(network.Info.Input, workspace, 1);
        return workspace.PreActivations(layer, 1).ToArray();
    }
}
