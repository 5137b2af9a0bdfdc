using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace Pathwise.Tests;

/// <summary>A deep chain: ReLU and LeakyReLU dense layers, so a crossing's change runs through several full products both ways.</summary>
[Network(Precision.Float64)]
public sealed partial class DeepChain
{
    [Input(7)] public partial InputLayer X { get; }
    [Dense(11), ReLU] public partial Layer H1 { get; }
    [Dense(10), LeakyReLU(0.2)] public partial Layer H2 { get; }
    [Dense(9), ReLU] public partial Layer H3 { get; }
    [Dense(8), LeakyReLU(0.05)] public partial Layer H4 { get; }
    [Dense(4)] public partial Layer Out { get; }
}

/// <summary>
/// A chain with a dense layer without activation, a BatchNorm with a ReLU, an activation-only member and a kink on the
/// output itself: one-element changes through a diagonal and a view, dense ones through a layer that cannot break.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class NormedChain
{
    [Input(2, 3, 2)] public partial InputLayer X { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(10)] public partial Layer Z { get; }
    [BatchNorm, ReLU] public partial Layer Norm { get; }
    [Dense(9)] public partial Layer Mix { get; }
    [LeakyReLU(0.3)] public partial Layer Leaky { get; }
    [Dense(6), ReLU] public partial Layer H { get; }
    [Dense(3), ReLU] public partial Layer Out { get; }
}

/// <summary>One hidden layer: every crossing is known at once and the sweep only counts them.</summary>
[Network(Precision.Float64)]
public sealed partial class ShallowChain
{
    [Input(5)] public partial InputLayer X { get; }
    [Dense(12), ReLU] public partial Layer H { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>
/// The exact rule's sweep (<see cref="ChainSweep"/>) on chains of dense layers, which Integrated Gradients now takes instead
/// of a gradient per piece: equal to a brute-force reference (the layer-by-layer breakpoints, one plain backward pass per
/// piece at its midpoint) and to the route the exact rule takes on other networks (<see cref="PiecewiseLinearPath.WithoutChain"/>:
/// the same path integrated piece by piece by the engine), with the same pieces, complete to rounding, in float64 and
/// float32, on the edge cases of the sweep: neurons on zero at the baseline, no crossing at all, coincident crossings.
/// </summary>
public sealed class ChainSweepTests
{
    public static IEnumerable<object[]> Chains()
    {
        yield return [new DeepChain(), 31, 0.5];
        yield return [new NormedChain(), 32, 0.5];
        yield return [new ShallowChain(), 33, 0.5];
        yield return [new PwlMlp(), 34, 0.5];
        yield return [new TinyMlp64(), 35, 0.0];
        yield return [new DeepChain(), 36, 0.0];
    }

    [Theory]
    [MemberData(nameof(Chains))]
    public void IntegratedGradients_EqualTheReference_AndThePiecewiseRoute(INetwork<double> network, int seed, double baselineScale)
    {
        Randomize(network, seed);
        var random = new Random(seed + 100);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 3);
        double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, baselineScale);
        Assert.NotNull(PiecewiseLinearPath.Of(network).Chain);
        for (int target = 0; target < network.Info.OutputLength; target++)
        {
            AssertSweepIsExact(network, baseline, input, target, minimumPieces: 4);
        }
    }

    [Fact]
    public void NeuronsOnZeroAtTheBaseline_TakeTheSideTheyLeaveTo()
    {
        // A zero baseline and zero biases in half the first layer: those lines pass through zero at a = 0.
        var network = Randomize(new DeepChain(), 40);
        double[] bias = Values(network, "h1.bias");
        for (int j = 0; j < bias.Length; j += 2)
        {
            bias[j] = 0;
        }

        network.ParametersChanged();
        double[] input = NetworkHarness.RandomVector(new Random(41), network.Info.InputLength, 3);
        AssertSweepIsExact(network, new double[input.Length], input, 1, minimumPieces: 3);
    }

    [Fact]
    public void NoCrossingAtAll_IsOnePiece()
    {
        // Zero biases and a zero baseline: every pre-activation is a z(0) = 0 line, a s, so none changes side on (0, 1].
        var network = Randomize(new DeepChain(), 42);
        foreach (Parameter<double> parameter in network.Parameters.Items.Where(p => p.Name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            Array.Clear(parameter.Values);
        }

        network.ParametersChanged();
        double[] input = NetworkHarness.RandomVector(new Random(43), network.Info.InputLength, 3);
        double[] baseline = new double[input.Length];
        Attribution<double> result = AssertSweepIsExact(network, baseline, input, 2, minimumPieces: 1);
        Assert.Equal(1, result.Points);

        // One piece: IG is (x - x') times the gradient anywhere inside it (F is linear along the path).
        var weights = PathReference.OneHot(network.Info.OutputLength, 2);
        double[] gradient = NetworkHarness.BackwardGradient(network, [.. input.Select(v => 0.5 * v)], 1, weights);
        for (int i = 0; i < input.Length; i++)
        {
            Assert.True(Math.Abs(result[i] - (input[i] * gradient[i])) <= 1e-13 * Math.Max(1, Math.Abs(input[i] * gradient[i])), $"feature {i}");
        }

        // A network without any kink is a chain too, and also one piece.
        var linear = Randomize(new Linear(), 44);
        double[] point = NetworkHarness.RandomVector(new Random(45), 6, 2);
        Attribution<double> affine = AssertSweepIsExact(linear, NetworkHarness.RandomVector(new Random(46), 6, 1), point, 0, minimumPieces: 1);
        Assert.Equal(1, affine.Points);
    }

    [Theory]
    [InlineData(47, false)]
    [InlineData(48, true)]
    public void CoincidentCrossings_FromDuplicatedNeurons_AreOneBreakpoint(int seed, bool secondLayer)
    {
        // Two neurons with the same weight row and bias cross zero at the same a (their outgoing weights differ).
        var network = Randomize(new DeepChain(), seed);
        string layer = secondLayer ? "h2" : "h1";
        int inputs = secondLayer ? 11 : 7;
        double[] weight = Values(network, layer + ".weight");
        double[] bias = Values(network, layer + ".bias");
        foreach ((int from, int to) in new[] { (0, 3), (1, 5), (1, 6) })
        {
            Array.Copy(weight, from * inputs, weight, to * inputs, inputs);
            bias[to] = bias[from];
        }

        network.ParametersChanged();
        var random = new Random(seed + 1);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 3);
        double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.5);
        for (int target = 0; target < 4; target++)
        {
            AssertSweepIsExact(network, baseline, input, target, minimumPieces: 3);
        }

        // The duplicates did cross on the path: more events than breakpoints inside it.
        var sweep = new ChainSweep();
        Assert.True(sweep.Run<double>(PiecewiseLinearPath.Of(network).Chain!, baseline, input, 100_000));
        Assert.True(sweep.Events > sweep.Pieces - 1, $"{sweep.Events} events, {sweep.Pieces} pieces");
    }

    [Theory]
    [InlineData(49)]
    [InlineData(59)]
    public void CoincidentCrossings_AcrossLayers_AreOneBreakpoint(int seed)
    {
        // Second-layer neurons that read one first-layer neuron only, with no bias: z2_j = w relu(z1_k) reaches zero exactly
        // when z1_k does, so each crossing of k changes j's side at the same a (j sits on zero as its line changes).
        var network = Randomize(new DeepChain(), seed);
        double[] weight = Values(network, "h2.weight");
        double[] bias = Values(network, "h2.bias");
        foreach ((int j, int k, double w) in new[] { (0, 2, 1.5), (3, 4, -0.7), (5, 2, 0.9), (7, 6, 2.0) })
        {
            Array.Clear(weight, j * 11, 11);
            weight[(j * 11) + k] = w;
            bias[j] = 0;
        }

        network.ParametersChanged();
        var random = new Random(seed + 1);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 3);
        double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.5);
        for (int target = 0; target < 4; target++)
        {
            AssertSweepIsExact(network, baseline, input, target, minimumPieces: 3);
        }

        var sweep = new ChainSweep();
        Assert.True(sweep.Run<double>(PiecewiseLinearPath.Of(network).Chain!, baseline, input, 100_000));
        Assert.True(sweep.Events > sweep.Pieces - 1, $"{sweep.Events} events, {sweep.Pieces} pieces");
    }

    [Fact]
    public void Float32Chain_IsCompleteToFloat32Rounding_AndAgreesWithItsFloat64Twin()
    {
        var network = new TinyMlp32();
        network.InitializeWeights(new Random(50));
        var twin = new TinyMlp64();
        for (int p = 0; p < network.Parameters.Items.Count; p++)
        {
            float[] values = network.Parameters.Items[p].Values;
            for (int i = 0; i < values.Length; i++)
            {
                twin.Parameters.Items[p].Values[i] = values[i];
            }
        }

        twin.ParametersChanged();
        Assert.NotNull(PiecewiseLinearPath.Of(network).Chain!.Stages[0].NarrowColumns);
        float[] input = [.. NetworkHarness.RandomVector(new Random(51), 8, 3).Select(v => (float)v)];
        var ig = new IntegratedGradients<float>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact });
        var ig64 = new IntegratedGradients<double>(twin, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact });
        for (int target = 0; target < 3; target++)
        {
            Attribution<float> exact = ig.Attribute(input, target);
            Assert.Equal(QuadratureRule.Exact, exact.Rule);
            Assert.True(Math.Abs(exact.Delta.Relative) < 1e-5, $"target {target}: relative delta {exact.Delta.Relative:E2}");

            // The float32 path in float64 is the float64 twin's path: the same pieces, the values rounded once to float32.
            Attribution<double> wide = ig64.Attribute([.. input.Select(v => (double)v)], target);
            Assert.Equal(wide.Points, exact.Points);
            double scale = wide.Values.ToArray().Max(Math.Abs);
            for (int i = 0; i < input.Length; i++)
            {
                Assert.True(Math.Abs(exact[i] - wide[i]) <= 1e-6 * scale, $"target {target}, feature {i}: {exact[i]:R} vs {wide[i]:R}");
            }
        }
    }

    [Fact]
    public void TooManyPieces_FallBackToGaussLegendre_OnAChainToo()
    {
        var network = Randomize(new DeepChain(), 52);
        var random = new Random(53);
        double[] input = NetworkHarness.RandomVector(random, 7, 3);
        double[] baseline = NetworkHarness.RandomVector(random, 7, 0.5);
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, MaxPieces = 3, Points = 24, Baseline = Baseline.Of<double>(baseline) };
        Attribution<double> limited = new IntegratedGradients<double>(network, options).Attribute(input, 0);
        Assert.Equal(QuadratureRule.GaussLegendre, limited.Rule);
        Assert.Equal(24, limited.Points);
        Attribution<double> gaussLegendre = new IntegratedGradients<double>(network, options with { Rule = QuadratureRule.GaussLegendre }).Attribute(input, 0);
        Assert.Equal(gaussLegendre.ToArray(), limited.ToArray());

        // The limit is on pieces, as the layer-by-layer search counts them: exactly enough pieces is still exact.
        int pieces = PiecewiseLinearPath.Of(network).Breakpoints(baseline, input, 100_000, out _).Length - 1;
        Assert.True(pieces > 3);
        Assert.Equal(QuadratureRule.Exact, new IntegratedGradients<double>(network, options with { MaxPieces = pieces }).Attribute(input, 0).Rule);
        Assert.Equal(QuadratureRule.GaussLegendre, new IntegratedGradients<double>(network, options with { MaxPieces = pieces - 1 }).Attribute(input, 0).Rule);
    }

    [Fact]
    public void SeveralTargets_AndBatches_EqualSingleCalls()
    {
        var network = Randomize(new DeepChain(), 54);
        var random = new Random(55);
        double[] input = NetworkHarness.RandomVector(random, 7, 3);
        double[] other = NetworkHarness.RandomVector(random, 7, 3);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, Baseline = Baseline.Constant(0.1) });
        int[] targets = [2, 0, 3];
        Attribution<double>[] several = ig.AttributeTargets(input, targets);
        Attribution<double>[] batch = ig.AttributeBatch([.. input, .. other], [1, 3]);
        for (int t = 0; t < targets.Length; t++)
        {
            // The same code path per target: equal, not close.
            Attribution<double> single = ig.Attribute(input, targets[t]);
            Assert.Equal(single.ToArray(), several[t].ToArray());
            Assert.Equal(single.Delta, several[t].Delta);
            Assert.Equal(single.Points, several[t].Points);
        }

        Assert.Equal(ig.Attribute(input, 1).ToArray(), batch[0].ToArray());
        Assert.Equal(ig.Attribute(other, 3).ToArray(), batch[1].ToArray());
    }

    [Fact]
    public void SharedAcrossThreads_MatchesSingleThreaded()
    {
        var network = Randomize(new DeepChain(), 56);
        var random = new Random(57);
        double[][] inputs = [.. Enumerable.Range(0, 12).Select(_ => NetworkHarness.RandomVector(random, 7, 3))];
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, Baseline = Baseline.Constant(-0.2) });
        Contention.AssertMatchesSerial("exact IG on a chain", inputs.Length, 4, 40, c =>
        {
            var values = new double[7];
            ConvergenceDelta delta = ig.Attribute(inputs[c], c % 4, values);
            return Contention.Join(values, delta.Absolute, delta.OutputAtInput, delta.OutputAtBaseline);
        });
    }

    [Fact]
    public void SweepBreakpoints_AreTheLayerByLayerBreakpoints()
    {
        foreach ((INetwork<double> network, int seed) in new (INetwork<double>, int)[] { (new DeepChain(), 60), (new NormedChain(), 61), (new PwlMlp(), 62) })
        {
            Randomize(network, seed);
            var random = new Random(seed + 1);
            double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 3);
            double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.5);
            PiecewiseLinearPath path = PiecewiseLinearPath.Of(network);
            double[] expected = path.Breakpoints(baseline, input, 100_000, out bool complete);
            Assert.True(complete);
            var sweep = new ChainSweep();
            Assert.True(sweep.Run<double>(path.Chain!, baseline, input, 100_000));
            double[] actual = sweep.Breakpoints.ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int b = 0; b < expected.Length; b++)
            {
                Assert.True(Math.Abs(actual[b] - expected[b]) <= 1e-12, $"{network.Info.Name} breakpoint {b}: {actual[b]:R} vs {expected[b]:R}");
            }

            // The piece limit stops the sweep as it stops the search.
            Assert.False(sweep.Run<double>(path.Chain!, baseline, input, expected.Length - 2));
            Assert.True(sweep.Run<double>(path.Chain!, baseline, input, expected.Length - 1));
        }
    }

    [Fact]
    public void NetworksThatAreNotChains_KeepThePiecewiseRoute()
    {
        Assert.Null(PiecewiseLinearPath.Of(Randomize(new PwlCnn(), 63)).Chain);
        Assert.Null(PiecewiseLinearPath.Of(Randomize(new PwlGlobalPoolCnn(), 64)).Chain);
        Assert.Null(PiecewiseLinearPath.Of(Randomize(new DeepChain(), 65), prefix: true).Chain);
    }

    /// <summary>
    /// Exact IG of <paramref name="target"/> on <paramref name="network"/> (a chain: the sweep) against the brute-force
    /// reference and the piecewise route: values within 1e-12 of the largest, the same pieces, complete to 1e-10.
    /// </summary>
    private static Attribution<double> AssertSweepIsExact(INetwork<double> network, double[] baseline, double[] input, int target, int minimumPieces)
    {
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, Baseline = Baseline.Of<double>(baseline) };
        Attribution<double> swept = new IntegratedGradients<double>(network, options).Attribute(input, target);
        Assert.Equal(QuadratureRule.Exact, swept.Rule);

        // The reference: the layer-by-layer breakpoints, one plain forward and backward pass at each piece's midpoint.
        double[] breaks = PiecewiseLinearPath.Of(network).Breakpoints(baseline, input, 100_000, out bool complete);
        Assert.True(complete);
        Assert.Equal(breaks.Length - 1, swept.Points);
        Assert.True(swept.Points >= minimumPieces, $"{network.Info.Name}: {swept.Points} pieces, expected at least {minimumPieces}");
        double[] weights = PathReference.OneHot(network.Info.OutputLength, target);
        var sum = new double[input.Length];
        for (int p = 0; p + 1 < breaks.Length; p++)
        {
            double middle = 0.5 * (breaks[p] + breaks[p + 1]);
            double[] gradient = NetworkHarness.BackwardGradient(network, [.. baseline.Select((b, i) => b + (middle * (input[i] - b)))], 1, weights);
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += (breaks[p + 1] - breaks[p]) * gradient[i];
            }
        }

        double[] reference = [.. sum.Select((g, i) => g * (input[i] - baseline[i]))];
        AssertClose(swept.Values, reference, 1e-12, $"{network.Info.Name} target {target} against the reference");

        // The route other networks take, on the same path: the engine's gradient at each piece's midpoint.
        PathPlan<double> plan = new PathPlan<double>(network.Info, options).WithRule(options, prefix => PiecewiseLinearPath.Of(network, prefix: prefix).WithoutChain());
        Attribution<double> piecewise = IntegratedGradientsMath<double>.Attribute(CpuPathEngine<double>.Host(network, plan), PathRequest<double>.ForTarget(input, target), default);
        Assert.Equal(QuadratureRule.Exact, piecewise.Rule);
        Assert.Equal(piecewise.Points, swept.Points);
        AssertClose(swept.Values, piecewise.Values, 1e-12, $"{network.Info.Name} target {target} against the piecewise route");

        // Complete: F(x) - F(x') from the generated network's own passes.
        double change = NetworkHarness.Forward(network, input)[target] - NetworkHarness.Forward(network, baseline)[target];
        double total = swept.Values.ToArray().Sum();
        Assert.True(Math.Abs(total - change) <= 1e-10 * Math.Max(Math.Abs(change), 1e-3), $"{network.Info.Name}: sum {total:R} vs change {change:R}");
        Assert.True(Math.Abs(swept.Delta.OutputAtInput - NetworkHarness.Forward(network, input)[target]) <= 1e-12 * Math.Max(1, Math.Abs(change)));
        Assert.True(Math.Abs(swept.Delta.Relative) < 1e-10 || Math.Abs(swept.Delta.Absolute) < 1e-13, $"{network.Info.Name}: delta {swept.Delta.Absolute:E2}");
        return swept;
    }

    /// <summary><c>max_i |actual_i - expected_i| &lt;= tolerance max_i |expected_i|</c>.</summary>
    private static void AssertClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        double error = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            error = Math.Max(error, Math.Abs(actual[i] - expected[i]));
        }

        Assert.True(error <= tolerance * scale, $"{what}: largest error {error:E2}, {error / scale:E2} of the largest value");
    }

    private static T Randomize<T>(T network, int seed) where T : INetwork<double>
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        return network;
    }

    private static double[] Values(INetwork<double> network, string name) => network.Parameters.Items.First(p => p.Name == name).Values;
}
