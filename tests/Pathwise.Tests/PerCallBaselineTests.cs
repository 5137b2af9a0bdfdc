using System;
using System.Threading;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>
/// The per-call baseline overloads of every method: a call's own baseline gives what the options' <c>Baseline.Of</c> of
/// it gives, it leaves no trace in later calls (which run from the options' baseline again), it is checked like the
/// input, and it meets independent truth (closed forms on an affine model, completeness against plain forward passes,
/// gradients from plain backward passes).
/// </summary>
public sealed class PerCallBaselineTests
{
    /// <summary>
    /// A per-call baseline and the same values given as <c>Baseline.Of</c> in the options take the same arithmetic on the
    /// same float64 numbers (the baseline is copied, or converted double to double, exactly), so they agree to
    /// rounding; 1e-12 relative to the largest value leaves room for any reordering.
    /// </summary>
    private const double SamePathTolerance = 1e-12;

    /// <summary>The options' own baseline in these tests: far enough from the per-call ones that mixing them up shows.</summary>
    private static readonly Baseline s_optionsBaseline = Baseline.Constant(0.3);

    public static TheoryData<int> Networks() => [0, 1, 2, 3, 4];

    private static LayerAttributionOptions LayerOptions(Baseline baseline) =>
        new() { Points = 12, InternalBatchSize = 5, Rule = QuadratureRule.GaussLegendre, Baseline = baseline };

    /// <summary>A layer in the middle of the network, hidden for every network of <see cref="LayerMethodFixtures.EveryLayerKind"/>.</summary>
    private static Layer Middle(INetwork<double> network) => network.Info.Layers[network.Info.Layers.Count / 2];

    [Theory]
    [MemberData(nameof(Networks))]
    public void IntegratedGradients_PerCallBaseline_EqualsOptionsBaseline_AndDoesNotLinger(int n)
    {
        INetwork<double> network = EveryLayerKind(700)[n];
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 710 + n);
        int target = network.Info.OutputLength - 1;
        IntegratedGradientsOptions options = LayerOptions(s_optionsBaseline);
        var method = new IntegratedGradients<double>(network, options);
        var withBaseline = new IntegratedGradients<double>(network, options with { Baseline = Baseline.Of<double>(baseline) });
        double[] optionsResult = Flat(new IntegratedGradients<double>(network, options).Attribute(input, target));

        double[] perCall = Flat(method.Attribute(input, baseline, target));
        AssertClose(perCall, Flat(withBaseline.Attribute(input, target)), SamePathTolerance, $"net {n} one-call form");
        AssertDiffers(perCall, optionsResult, $"net {n}");
        AssertClose(Flat(method.Attribute(input, target)), optionsResult, SamePathTolerance, $"net {n} next call");

        // The span form, then every other form that runs from the options' baseline.
        var attributions = new double[network.Info.InputLength];
        ConvergenceDelta delta = method.Attribute(input, baseline, target, attributions);
        AssertClose(Contention.Join(attributions, delta.Absolute, delta.OutputAtInput, delta.OutputAtBaseline), perCall, SamePathTolerance, $"net {n} span form");
        double[] coefficients = PathReference.OneHot(network.Info.OutputLength, target);
        AssertClose(Flat(method.Attribute(input, coefficients)), optionsResult, SamePathTolerance, $"net {n} weighted call after");
        method.Attribute(input, baseline, target, attributions);
        var rows = new double[network.Info.InputLength];
        var deltas = new ConvergenceDelta[1];
        method.AttributeTargets(input, [target], rows, deltas);
        AssertClose(Contention.Join(rows, deltas[0].Absolute, deltas[0].OutputAtInput, deltas[0].OutputAtBaseline), optionsResult, SamePathTolerance, $"net {n} targets after");
        method.Attribute(input, baseline, target, attributions);
        Attribution<double>[] batch = method.AttributeBatch(input, [target]);
        AssertClose(Flat(batch[0]), optionsResult, SamePathTolerance, $"net {n} batch after");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void LayerConductance_PerCallBaseline_EqualsOptionsBaseline_AndDoesNotLinger(int n)
    {
        INetwork<double> network = EveryLayerKind(720)[n];
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 730 + n);
        double[] coefficients = NetworkHarness.RandomVector(new Random(740 + n), network.Info.OutputLength);
        Layer layer = Middle(network);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var method = new LayerConductance<double>(network, layer, options);
        var withBaseline = new LayerConductance<double>(network, layer, options with { Baseline = Baseline.Of<double>(baseline) });
        var reference = new LayerConductance<double>(network, layer, options);

        AssertPerCall(
            $"net {n} target",
            () => Flat(method.Attribute(input, baseline, 1)),
            () => Flat(withBaseline.Attribute(input, 1)),
            () => Flat(method.Attribute(input, 1)),
            () => Flat(reference.Attribute(input, 1)));
        AssertPerCall(
            $"net {n} weighted",
            () => Flat(method.Attribute(input, baseline, coefficients)),
            () => Flat(withBaseline.Attribute(input, coefficients)),
            () => Flat(method.Attribute(input, coefficients)),
            () => Flat(reference.Attribute(input, coefficients)));
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void InternalInfluence_PerCallBaseline_EqualsOptionsBaseline_AndDoesNotLinger(int n)
    {
        INetwork<double> network = EveryLayerKind(750)[n];
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 760 + n);
        Layer layer = Middle(network);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var method = new InternalInfluence<double>(network, layer, options);
        var withBaseline = new InternalInfluence<double>(network, layer, options with { Baseline = Baseline.Of<double>(baseline) });
        var reference = new InternalInfluence<double>(network, layer, options);

        AssertPerCall(
            $"net {n}",
            () => Copy(method.Attribute(input, baseline, 0).Values),
            () => Copy(withBaseline.Attribute(input, 0).Values),
            () => Copy(method.Attribute(input, 0).Values),
            () => Copy(reference.Attribute(input, 0).Values));
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void NeuronConductance_PerCallBaseline_EqualsOptionsBaseline_AndDoesNotLinger(int n)
    {
        INetwork<double> network = EveryLayerKind(770)[n];
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 780 + n);
        Layer layer = Middle(network);
        int live = LiveNeuron(network, layer, input, baseline);
        int[] neurons = live == 0 ? [0] : [live, 0];
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var method = new NeuronConductance<double>(network, layer, options);
        var withBaseline = new NeuronConductance<double>(network, layer, options with { Baseline = Baseline.Of<double>(baseline) });
        var reference = new NeuronConductance<double>(network, layer, options);

        AssertPerCall(
            $"net {n} some neurons",
            () => Copy(method.Attribute(input, baseline, 1, neurons).Values),
            () => Copy(withBaseline.Attribute(input, 1, neurons).Values),
            () => Copy(method.Attribute(input, 1, neurons).Values),
            () => Copy(reference.Attribute(input, 1, neurons).Values));
        AssertPerCall(
            $"net {n} every neuron",
            () => Copy(method.Attribute(input, baseline, 0).Values),
            () => Copy(withBaseline.Attribute(input, 0).Values),
            () => Copy(method.Attribute(input, 0).Values),
            () => Copy(reference.Attribute(input, 0).Values));
        NeuronAttribution<double> rows = method.Attribute(input, baseline, 1, neurons);
        Assert.Equal(neurons.Length, rows.Neurons.Length);
        for (int r = 0; r < neurons.Length; r++)
        {
            Assert.Equal(neurons[r], rows.Neurons[r]);
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void NeuronIntegratedGradients_PerCallBaseline_EqualsOptionsBaseline_AndDoesNotLinger(int n)
    {
        INetwork<double> network = EveryLayerKind(790)[n];
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 800 + n);
        Layer layer = Middle(network);
        int neuron = LiveNeuron(network, layer, input, baseline);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var method = new NeuronIntegratedGradients<double>(network, layer, options);
        var withBaseline = new NeuronIntegratedGradients<double>(network, layer, options with { Baseline = Baseline.Of<double>(baseline) });
        var reference = new NeuronIntegratedGradients<double>(network, layer, options);

        AssertPerCall(
            $"net {n}",
            () => Flat(method.Attribute(input, baseline, neuron)),
            () => Flat(withBaseline.Attribute(input, neuron)),
            () => Flat(method.Attribute(input, neuron)),
            () => Flat(reference.Attribute(input, neuron)));
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void RegionToNeuron_PerCallBaseline_EqualsOptionsBaseline_AndDoesNotLinger(int n)
    {
        INetwork<double> network = EveryLayerKind(810)[n];
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 820 + n);
        bool[] region = Array.ConvertAll(NetworkHarness.RandomVector(new Random(830 + n), network.Info.InputLength), v => v > 0);
        Layer layer = Middle(network);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var method = new RegionToNeuron<double>(network, layer, options);
        var withBaseline = new RegionToNeuron<double>(network, layer, options with { Baseline = Baseline.Of<double>(baseline) });
        var reference = new RegionToNeuron<double>(network, layer, options);

        AssertPerCall(
            $"net {n}",
            () => Flat(method.Attribute(input, baseline, 1, region)),
            () => Flat(withBaseline.Attribute(input, 1, region)),
            () => Flat(method.Attribute(input, 1, region)),
            () => Flat(reference.Attribute(input, 1, region)));
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void InteriorGradients_PerCallBaseline_EqualsOptionsBaseline_AndDoesNotLinger(int n)
    {
        INetwork<double> network = EveryLayerKind(840)[n];
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 850 + n);
        var options = new InteriorGradientsOptions { Count = 7, Spacing = InteriorSpacing.Geometric, Baseline = s_optionsBaseline };
        var method = new InteriorGradients<double>(network, options);
        var withBaseline = new InteriorGradients<double>(network, options with { Baseline = Baseline.Of<double>(baseline) });
        var reference = new InteriorGradients<double>(network, options);

        AssertPerCall(
            $"net {n}",
            () => Flat(method.Attribute(input, baseline, 2)),
            () => Flat(withBaseline.Attribute(input, 2)),
            () => Flat(method.Attribute(input, 2)),
            () => Flat(reference.Attribute(input, 2)));
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void ExpectedGradients_PerCallBaselineSet_EqualsConstructorSet_AndDoesNotLinger(int n)
    {
        INetwork<double> network = EveryLayerKind(860)[n];
        int length = network.Info.InputLength;
        var random = new Random(870 + n);
        double[] input = NetworkHarness.RandomVector(random, length, 2);
        double[] ownSet = NetworkHarness.RandomVector(random, 3 * length, 0.5);
        double[] constructorSet = NetworkHarness.RandomVector(random, 2 * length, 0.5);
        var options = new IntegratedGradientsOptions { Points = 8, InternalBatchSize = 5 };
        var method = new ExpectedGradients<double>(network, constructorSet, options);
        var withSet = new ExpectedGradients<double>(network, ownSet, options);
        var reference = new ExpectedGradients<double>(network, constructorSet, options);

        AssertPerCall(
            $"net {n} exact",
            () => Flat(method.Attribute(input, ownSet, 1)),
            () => Flat(withSet.Attribute(input, 1)),
            () => Flat(method.Attribute(input, 1)),
            () => Flat(reference.Attribute(input, 1)));
        AssertPerCall(
            $"net {n} sampled",
            () => Flat(method.AttributeSampled(input, ownSet, 1, 5, seed: 3)),
            () => Flat(withSet.AttributeSampled(input, 1, 5, seed: 3)),
            () => Flat(method.AttributeSampled(input, 1, 5, seed: 3)),
            () => Flat(reference.AttributeSampled(input, 1, 5, seed: 3)));
        Assert.Equal(2, method.BaselineCount);
        Assert.Equal(3 * options.Points, method.Attribute(input, ownSet, 1).Points);
    }

    // Independent truth: an affine model's IG is w * (x - x') for every rule and point count, and its output layer's
    // conductance is the target's change F_t(x) - F_t(x') = w_t . (x - x') on the target neuron, zero elsewhere (the
    // tangent is exact and dF_t/dy_j is one-hot). Rounding only: 1e-14 as in the options-baseline test of IG.
    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void LinearModel_PerCallBaseline_IsExactlyWeightTimesDifference(QuadratureRule rule)
    {
        var network = Randomized(new Linear(), 880);
        var random = new Random(881);
        double[] input = NetworkHarness.RandomVector(random, 6, 3);
        double[] baseline = NetworkHarness.RandomVector(random, 6);
        double[] weight = network.Parameters.Items[0].Values;
        foreach (int points in new[] { 2, 7, 50 })
        {
            var options = new LayerAttributionOptions { Rule = rule, Points = points, InternalBatchSize = 3, Baseline = s_optionsBaseline };
            var ig = new IntegratedGradients<double>(network, options);
            var conductance = new LayerConductance<double>(network, network.Y, options);
            for (int target = 0; target < 3; target++)
            {
                Attribution<double> attribution = ig.Attribute(input, baseline, target);
                LayerAttribution<double> layer = conductance.Attribute(input, baseline, target);
                double change = 0;
                for (int i = 0; i < 6; i++)
                {
                    double expected = weight[target * 6 + i] * (input[i] - baseline[i]);
                    change += expected;
                    Assert.True(Math.Abs(attribution[i] - expected) <= 1e-14 * Math.Max(1, Math.Abs(expected)), $"{rule} n={points} IG {i}: {attribution[i]:R} vs {expected:R}");
                }

                for (int j = 0; j < 3; j++)
                {
                    double expected = j == target ? change : 0;
                    Assert.True(Math.Abs(layer[j] - expected) <= 1e-14 * Math.Max(1, Math.Abs(change)), $"{rule} n={points} conductance {j}: {layer[j]:R} vs {expected:R}");
                }

                Assert.True(attribution.Delta.Relative < 1e-13, $"{rule}: relative delta {attribution.Delta.Relative:E2}");
            }
        }
    }

    // Completeness with the per-call baseline, against F(x) - F(x') from plain forward passes: Gauss-Legendre with 32
    // points leaves well under 1e-6 of the change on this smooth network (as the options-baseline test asserts).
    [Fact]
    public void TanhMlp_PerCallBaseline_IsCompleteAgainstPlainForwardPasses()
    {
        var network = Randomized(new TanhMlp(), 890);
        var random = new Random(891);
        double[] input = NetworkHarness.RandomVector(random, 8, 2);
        double[] baseline = NetworkHarness.RandomVector(random, 8, 0.5);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 32, InternalBatchSize = 7, Baseline = s_optionsBaseline };
        var ig = new IntegratedGradients<double>(network, options);
        double[] atInput = NetworkHarness.Forward(network, input);
        double[] atBaseline = NetworkHarness.Forward(network, baseline);
        for (int target = 0; target < 3; target++)
        {
            double change = atInput[target] - atBaseline[target];
            Attribution<double> attribution = ig.Attribute(input, baseline, target);
            Assert.True(Math.Abs(attribution.Sum() - change) <= 1e-6 * Math.Abs(change), $"IG target {target}: sum {attribution.Sum():R} vs change {change:R}");
            Assert.Equal(atBaseline[target], attribution.Delta.OutputAtBaseline, 12);
            Assert.Equal(atInput[target], attribution.Delta.OutputAtInput, 12);

            foreach (Layer layer in new[] { network.H1, network.H2, network.Out })
            {
                LayerAttribution<double> conductance = new LayerConductance<double>(network, layer, options).Attribute(input, baseline, target);
                Assert.True(Math.Abs(conductance.Sum() - change) <= 1e-6 * Math.Abs(change), $"conductance {layer.Name} target {target}: sum {conductance.Sum():R} vs change {change:R}");
                Assert.Equal(atBaseline[target], DeltaOf(conductance.Delta).OutputAtBaseline, 12);
            }
        }

        // A neuron's IG is complete against its own change y_j(x) - y_j(x').
        var neuronGradients = new NeuronIntegratedGradients<double>(network, network.H2, options);
        double[] neuronAtInput = Activations(network, network.H2, input);
        double[] neuronAtBaseline = Activations(network, network.H2, baseline);
        for (int j = 0; j < network.H2.Size; j += 5)
        {
            double change = neuronAtInput[j] - neuronAtBaseline[j];
            Attribution<double> attribution = neuronGradients.Attribute(input, baseline, j);
            Assert.True(Math.Abs(attribution.Sum() - change) <= 1e-6 * Math.Max(Math.Abs(change), 1e-3), $"neuron {j}: sum {attribution.Sum():R} vs change {change:R}");
        }
    }

    // Interior gradients from the per-call baseline are the gradients of plain backward passes at x' + a_k (x - x'),
    // and the outputs those of plain forward passes: the same kernels on the same points, 1e-12.
    [Fact]
    public void InteriorGradients_PerCallBaseline_AreGradientsAtTheScaledInputs()
    {
        var network = Randomized(new ReluMlp(), 900);
        int length = network.Info.InputLength;
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 901);
        double[] alphas = [0.125, 0.5, 0.75, 1.0];
        var interior = new InteriorGradients<double>(network, new InteriorGradientsOptions { Alphas = alphas, Baseline = s_optionsBaseline });
        int target = 3;
        InteriorGradientsResult<double> result = interior.Attribute(input, baseline, target);
        double[] coefficients = PathReference.OneHot(network.Info.OutputLength, target);
        for (int k = 0; k < alphas.Length; k++)
        {
            var point = new double[length];
            for (int i = 0; i < length; i++)
            {
                point[i] = baseline[i] + alphas[k] * (input[i] - baseline[i]);
            }

            AssertClose(result.GradientAt(k), NetworkHarness.BackwardGradient(network, point, 1, coefficients), 1e-12, $"gradient at {alphas[k]}");
            Assert.Equal(NetworkHarness.Forward(network, point)[target], result.Outputs[k], 12);
        }

        Assert.Equal(NetworkHarness.Forward(network, baseline)[target], result.OutputAtBaseline, 12);
        Assert.Equal(NetworkHarness.Forward(network, input)[target], result.OutputAtInput, 12);
    }

    // Expected gradients over a per-call set is the mean of the per-call IGs over its rows (same points, another
    // summation: 1e-12), with completeness against the mean baseline output.
    [Fact]
    public void ExpectedGradients_PerCallSet_IsTheMeanOfPerCallIntegratedGradients()
    {
        var network = Randomized(new TanhMlp(), 910);
        int length = network.Info.InputLength;
        var random = new Random(911);
        double[] input = NetworkHarness.RandomVector(random, length, 2);
        double[] set = NetworkHarness.RandomVector(random, 4 * length, 0.5);
        var options = new IntegratedGradientsOptions { Points = 16 };
        var expected = new ExpectedGradients<double>(network, new double[length], options);
        var ig = new IntegratedGradients<double>(network, options);
        var mean = new double[length];
        double meanAtBaseline = 0;
        for (int b = 0; b < 4; b++)
        {
            Attribution<double> single = ig.Attribute(input, set.AsSpan(b * length, length), 2);
            for (int i = 0; i < length; i++)
            {
                mean[i] += single[i] / 4;
            }

            meanAtBaseline += NetworkHarness.Forward(network, set.AsSpan(b * length, length))[2] / 4;
        }

        Attribution<double> result = expected.Attribute(input, set, 2);
        AssertClose(result.Values, mean, 1e-12, "mean of IGs");
        Assert.Equal(meanAtBaseline, result.Delta.OutputAtBaseline, 12);
    }

    [Fact]
    public void BadBaseline_ThrowsNamingTheBaseline()
    {
        var network = Randomized(new ReluMlp(), 920);
        int length = network.Info.InputLength;
        double[] input = NetworkHarness.RandomVector(new Random(921), length);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var ig = new IntegratedGradients<double>(network, options);
        var conductance = new LayerConductance<double>(network, network.H1, options);
        var influence = new InternalInfluence<double>(network, network.H1, options);
        var neuronConductance = new NeuronConductance<double>(network, network.H1, options);
        var neuronGradients = new NeuronIntegratedGradients<double>(network, network.H1, options);
        var region = new RegionToNeuron<double>(network, network.H1, options);
        var interior = new InteriorGradients<double>(network, new InteriorGradientsOptions { Count = 3 });
        bool[] mask = new bool[length];
        double[] coefficients = new double[network.Info.OutputLength];
        var attributions = new double[length];

        var bad = new (string What, double[] Baseline, string Expected)[]
        {
            ("short", new double[length - 1], $"length {length}; got {length - 1}"),
            ("long", new double[length + 1], $"length {length}; got {length + 1}"),
            ("empty", [], $"length {length}; got 0"),
            ("NaN", WithValue(length, 2, double.NaN), "element 2 is NaN"),
            ("infinite", WithValue(length, length - 1, double.PositiveInfinity), $"element {length - 1} is"),
        };
        foreach ((string what, double[] baseline, string expected) in bad)
        {
            AssertNamesBaseline(what, expected, () => ig.Attribute(input, baseline, 0));
            AssertNamesBaseline(what, expected, () => ig.Attribute(input, baseline, 0, attributions));
            AssertNamesBaseline(what, expected, () => conductance.Attribute(input, baseline, 0));
            AssertNamesBaseline(what, expected, () => conductance.Attribute(input, baseline, coefficients));
            AssertNamesBaseline(what, expected, () => influence.Attribute(input, baseline, 0));
            AssertNamesBaseline(what, expected, () => neuronConductance.Attribute(input, baseline, 0));
            AssertNamesBaseline(what, expected, () => neuronConductance.Attribute(input, baseline, 0, [1]));
            AssertNamesBaseline(what, expected, () => neuronGradients.Attribute(input, baseline, 0));
            AssertNamesBaseline(what, expected, () => region.Attribute(input, baseline, 0, mask));
            AssertNamesBaseline(what, expected, () => interior.Attribute(input, baseline, 0));
        }
    }

    [Fact]
    public void BadBaselineSet_ThrowsNamingTheSet()
    {
        var network = Randomized(new ReluMlp(), 930);
        int length = network.Info.InputLength;
        double[] input = NetworkHarness.RandomVector(new Random(931), length);
        var method = new ExpectedGradients<double>(network, new double[length]);
        foreach ((double[] set, string expected) in new (double[], string)[]
        {
            ([], "got 0 values"),
            (new double[2 * length + 1], $"got {2 * length + 1} values"),
            (WithValue(2 * length, length + 1, double.NaN), $"element {length + 1} is NaN"),
        })
        {
            var exact = Assert.Throws<ArgumentException>(() => method.Attribute(input, set, 0));
            Assert.Equal("baselines", exact.ParamName);
            Assert.Contains(expected, exact.Message);
            var sampled = Assert.Throws<ArgumentException>(() => method.AttributeSampled(input, set, 0, 3, seed: 1));
            Assert.Equal("baselines", sampled.ParamName);
        }
    }

    // A call refused for any argument changes nothing: the next call runs from the options' baseline.
    [Fact]
    public void RefusedCall_LeavesTheOptionsBaseline()
    {
        var network = Randomized(new ReluMlp(), 940);
        int length = network.Info.InputLength;
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 941);
        double[] nanInput = WithValue(length, 0, double.NaN);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var ig = new IntegratedGradients<double>(network, options);
        var conductance = new LayerConductance<double>(network, network.H2, options);
        double[] expectedIg = Flat(new IntegratedGradients<double>(network, options).Attribute(input, 1));
        double[] expectedConductance = Flat(new LayerConductance<double>(network, network.H2, options).Attribute(input, 1));

        Assert.Equal("input", Assert.Throws<ArgumentException>(() => ig.Attribute(nanInput, baseline, 1)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ig.Attribute(input, baseline, 99));
        Assert.Equal("attributions", Assert.Throws<ArgumentException>(() => ig.Attribute(input, baseline, 1, new double[1])).ParamName);
        AssertClose(Flat(ig.Attribute(input, 1)), expectedIg, SamePathTolerance, "IG after refused calls");

        ig.Attribute(input, baseline, 1);
        Assert.Equal("baseline", Assert.Throws<ArgumentException>(() => ig.Attribute(input, WithValue(length, 1, double.NaN), 1)).ParamName);
        AssertClose(Flat(ig.Attribute(input, 1)), expectedIg, SamePathTolerance, "IG after a per-call baseline and a refused one");

        Assert.Equal("input", Assert.Throws<ArgumentException>(() => conductance.Attribute(nanInput, baseline, 1)).ParamName);
        Assert.Equal("outputCoefficients", Assert.Throws<ArgumentException>(() => conductance.Attribute(input, baseline, new double[2])).ParamName);
        AssertClose(Flat(conductance.Attribute(input, 1)), expectedConductance, SamePathTolerance, "conductance after refused calls");
    }

    // One method object shared by threads whose calls alternate between their own baselines and the options' one: a
    // per-call baseline must stay with its call, whichever pooled workspace the call rents.
    [Fact]
    public void SharedMethods_MixingPerCallAndOptionsBaselines_MatchSerialResults()
    {
        const int cases = 12;
        var network = Randomized(new EveryLayerCnn(), 950);
        var random = new Random(951);
        var inputs = new double[cases][];
        var baselines = new double[cases][];
        for (int c = 0; c < cases; c++)
        {
            inputs[c] = NetworkHarness.RandomVector(random, network.Info.InputLength, 2);
            baselines[c] = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.5);
        }

        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var ig = new IntegratedGradients<double>(network, options);
        Contention.AssertMatchesSerial("IG", cases, threads: 4, callsPerThread: 40, c =>
        {
            var attributions = new double[network.Info.InputLength];
            ConvergenceDelta delta = c % 2 == 0
                ? ig.Attribute(inputs[c], c % 4, attributions)
                : ig.Attribute(inputs[c], baselines[c], c % 4, attributions);
            return Contention.Join(attributions, delta.Absolute, delta.OutputAtInput, delta.OutputAtBaseline);
        });

        var conductance = new LayerConductance<double>(network, network.Hidden, options);
        Contention.AssertMatchesSerial("LayerConductance", cases, threads: 4, callsPerThread: 40, c =>
            Flat(c % 2 == 0 ? conductance.Attribute(inputs[c], c % 4) : conductance.Attribute(inputs[c], baselines[c], c % 4)));

        var neuronGradients = new NeuronIntegratedGradients<double>(network, network.Hidden, options);
        Contention.AssertMatchesSerial("NeuronIntegratedGradients", cases, threads: 4, callsPerThread: 40, c =>
            Flat(c % 2 == 0 ? neuronGradients.Attribute(inputs[c], c % 7) : neuronGradients.Attribute(inputs[c], baselines[c], c % 7)));
    }

    /// <summary>
    /// <paramref name="perCall"/> equals <paramref name="withOptions"/> (the same baseline given in the options) and differs
    /// from the options'-baseline result; the call after it, <paramref name="next"/>, equals that result, made by a
    /// method object that never saw a per-call baseline.
    /// </summary>
    private static void AssertPerCall(string what, Func<double[]> perCall, Func<double[]> withOptions, Func<double[]> next, Func<double[]> reference)
    {
        double[] expectedNext = reference();
        double[] own = perCall();
        AssertClose(own, withOptions(), SamePathTolerance, what + " per-call vs options");
        AssertDiffers(own, expectedNext, what);
        AssertClose(next(), expectedNext, SamePathTolerance, what + " next call");
        perCall();
        AssertClose(next(), expectedNext, SamePathTolerance, what + " next call again");
    }

    /// <summary>
    /// The per-call baseline matters: its result is a million times the agreement tolerance away from the options'
    /// baseline's result, so agreeing with the <c>Baseline.Of</c> result says which baseline the call ran from. (Some
    /// networks here barely depend on their input: ActivationZoo's saturated stack moves its outputs by 1e-4 relative.)
    /// </summary>
    private static void AssertDiffers(double[] perCall, double[] optionsBaseline, string what)
    {
        double error = Contention.RelativeError(perCall, optionsBaseline);
        Assert.True(error > 1e6 * SamePathTolerance, $"{what}: the per-call baseline's result is within {error:E2} of the options' baseline's");
    }

    /// <summary>The neuron of <paramref name="layer"/> that changes most between the two points (some neurons are constant: a dead ReLU, a padded border).</summary>
    private static int LiveNeuron(INetwork<double> network, Layer layer, double[] input, double[] baseline)
    {
        double[] atInput = Activations(network, layer, input);
        double[] atBaseline = Activations(network, layer, baseline);
        int best = 0;
        for (int j = 1; j < atInput.Length; j++)
        {
            if (Math.Abs(atInput[j] - atBaseline[j]) > Math.Abs(atInput[best] - atBaseline[best]))
            {
                best = j;
            }
        }

        return best;
    }

    private static void AssertNamesBaseline(string what, string expected, Action call)
    {
        var error = Assert.Throws<ArgumentException>(call);
        Assert.Equal("baseline", error.ParamName);
        Assert.Contains("baseline", error.Message);
        Assert.Contains(expected, error.Message);
        _ = what;
    }

    private static double[] WithValue(int length, int index, double value)
    {
        var values = new double[length];
        values[index] = value;
        return values;
    }

    private static double[] Activations(INetwork<double> network, Layer layer, double[] input)
    {
        var workspace = new Workspace<double>(network.Info, 1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Info.Input, workspace, 1);
        return workspace.Activations(layer, 1).ToArray();
    }

    /// <summary>The delta of a method that has one (a nullable or a plain value, whichever the result type holds).</summary>
    private static ConvergenceDelta DeltaOf(ConvergenceDelta? delta) => delta ?? throw new InvalidOperationException("Expected a convergence delta.");

    private static double[] Copy(ReadOnlySpan<double> values) => values.ToArray();

    private static double[] Flat(Attribution<double> attribution) =>
        Contention.Join(attribution.Values, attribution.Delta.Absolute, attribution.Delta.OutputAtInput, attribution.Delta.OutputAtBaseline);

    private static double[] Flat(LayerAttribution<double> attribution)
    {
        ConvergenceDelta delta = DeltaOf(attribution.Delta);
        return Contention.Join(attribution.Values, delta.Absolute, delta.OutputAtInput, delta.OutputAtBaseline);
    }

    private static double[] Flat(InteriorGradientsResult<double> result)
    {
        ReadOnlySpan<double> gradients = result.Gradients;
        ReadOnlySpan<double> outputs = result.Outputs;
        var joined = new double[gradients.Length + outputs.Length + 2];
        gradients.CopyTo(joined);
        outputs.CopyTo(joined.AsSpan(gradients.Length));
        joined[^2] = result.OutputAtBaseline;
        joined[^1] = result.OutputAtInput;
        return joined;
    }
}

/// <summary>
/// The per-call baseline overloads keep the allocation profile of the others: IG's span form allocates nothing once
/// warm, and every other form allocates only its result (measured as in <see cref="AllocationTests"/>, in its collection).
/// </summary>
[Collection(nameof(AllocationTests))]
public sealed class PerCallBaselineAllocationTests
{
    [Fact]
    public void IntegratedGradients_SpanFormWithBaseline_AllocatesNothingOnceWarm_AlternatingWithTheOptionsBaseline()
    {
        var network = Randomized(new EveryLayerCnn(), 960);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 961);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 12, InternalBatchSize = 5 });
        var attributions = new double[network.Info.InputLength];
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            ig.Attribute(input, baseline, 2, attributions);
            ig.Attribute(input, 1, attributions);
            ig.Attribute(input, baseline, 0, attributions);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round > 0)
            {
                Assert.Equal(0, allocated);
            }
        }
    }

    [Fact]
    public void PerCallBaselineForms_AllocateOnlyTheirResultOnceWarm()
    {
        // The result arrays and objects, and nothing the size of a workspace (tens of kilobytes here).
        const long overhead = 512;
        var network = Randomized(new EveryLayerCnn(), 970);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 971);
        int length = network.Info.InputLength;
        var options = new LayerAttributionOptions { Points = 12, InternalBatchSize = 5 };
        bool[] region = Array.ConvertAll(baseline, v => v > 0);
        double[] coefficients = NetworkHarness.RandomVector(new Random(972), network.Info.OutputLength);
        int[] neurons = [1, 4];
        var ig = new IntegratedGradients<double>(network, options);
        var conductance = new LayerConductance<double>(network, network.Conv2, options);
        var influence = new InternalInfluence<double>(network, network.Hidden, options);
        var neuronConductance = new NeuronConductance<double>(network, network.Hidden, options);
        var neuronGradients = new NeuronIntegratedGradients<double>(network, network.Conv, options);
        var regionToNeuron = new RegionToNeuron<double>(network, network.Hidden, options);
        var interior = new InteriorGradients<double>(network, new InteriorGradientsOptions { Count = 9 });

        AssertAllocatesOnly(length, () => ig.Attribute(input, baseline, 1));
        AssertAllocatesOnly(network.Conv2.Size, () => conductance.Attribute(input, baseline, 1));
        AssertAllocatesOnly(network.Conv2.Size, () => conductance.Attribute(input, baseline, coefficients));
        AssertAllocatesOnly(network.Hidden.Size, () => influence.Attribute(input, baseline, 1));
        AssertAllocatesOnly(neurons.Length * length + neurons.Length / 2, () => neuronConductance.Attribute(input, baseline, 1, neurons));
        AssertAllocatesOnly(length, () => neuronGradients.Attribute(input, baseline, 7));
        AssertAllocatesOnly(network.Hidden.Size, () => regionToNeuron.Attribute(input, baseline, 1, region));
        AssertAllocatesOnly(9 * length + 3 * 9, () => interior.Attribute(input, baseline, 1));

        void AssertAllocatesOnly(int resultDoubles, Func<object> call)
        {
            call();
            call();
            long before = GC.GetAllocatedBytesForCurrentThread();
            call();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.InRange(allocated, 8L * resultDoubles, 8L * resultDoubles + overhead);
        }
    }
}
