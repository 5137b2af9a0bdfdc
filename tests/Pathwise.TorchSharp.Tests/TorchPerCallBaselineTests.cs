using System;
using Pathwise;
using Pathwise.Tests;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// The per-call baseline overloads of every method on the torch device: against the CPU's per-call result (float64,
/// 1e-9 relative to the largest value, the bound of the other cross-checks: same points, weights and exact
/// derivatives, another summation order), against the same device method given the baseline in its options, and
/// followed by a call that must run from the options' baseline again; bad baselines throw the CPU's exceptions; no
/// tensor outlives a call.
/// </summary>
public class TorchPerCallBaselineTests
{
    private const double Float64Tolerance = 1e-9;

    /// <summary>
    /// Two device method objects given the same baseline, one per call and one in its options, build the same tensors
    /// from the same doubles and run the same operations; 1e-12 leaves room for libtorch picking another kernel blocking.
    /// </summary>
    private const double SamePathTolerance = 1e-12;

    private static readonly Baseline s_optionsBaseline = Baseline.Constant(0.3);

    public static TheoryData<string> Networks()
    {
        var data = new TheoryData<string>();
        foreach (string name in Subjects.Float64)
        {
            data.Add(name);
        }

        return data;
    }

    private static LayerAttributionOptions LayerOptions(Baseline baseline) =>
        new() { Points = 6, InternalBatchSize = 4, Rule = QuadratureRule.GaussLegendre, Baseline = baseline };

    [Theory]
    [MemberData(nameof(Networks))]
    public void IntegratedGradients_PerCallBaseline_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        (double[] input, double[] baseline) = InputAndBaseline(subject, 51);
        int target = subject.Info.OutputLength - 1;
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var cpu = new IntegratedGradients<double>(subject.Network, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchIntegratedGradients<double>(module, options);
        using var withBaseline = new TorchIntegratedGradients<double>(module, options with { Baseline = Baseline.Of<double>(baseline) });

        Attribution<double> perCall = method.Attribute(input, baseline, target);
        Same(cpu.Attribute(input, baseline, target), perCall, Float64Tolerance, name + " per call");
        Same(withBaseline.Attribute(input, target), perCall, SamePathTolerance, name + " per call vs options");
        Same(cpu.Attribute(input, target), method.Attribute(input, target), Float64Tolerance, name + " next call");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void LayerConductance_PerCallBaseline_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        (double[] input, double[] baseline) = InputAndBaseline(subject, 53);
        double[] coefficients = subject.RandomPoints(1, seed: 54).AsSpan(0, subject.Info.OutputLength).ToArray();
        Layer layer = Middle(subject);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var cpu = new LayerConductance<double>(subject.Network, layer, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchLayerConductance<double>(module, layer, options);
        using var withBaseline = new TorchLayerConductance<double>(module, layer, options with { Baseline = Baseline.Of<double>(baseline) });

        LayerAttribution<double> perCall = method.Attribute(input, baseline, 1);
        Same(cpu.Attribute(input, baseline, 1), perCall, Float64Tolerance, name + " per call");
        Same(withBaseline.Attribute(input, 1), perCall, SamePathTolerance, name + " per call vs options");
        Same(cpu.Attribute(input, 1), method.Attribute(input, 1), Float64Tolerance, name + " next call");

        LayerAttribution<double> weighted = method.Attribute(input, baseline, coefficients);
        Same(cpu.Attribute(input, baseline, coefficients), weighted, Float64Tolerance, name + " weighted per call");
        Same(withBaseline.Attribute(input, coefficients), weighted, SamePathTolerance, name + " weighted per call vs options");
        Same(cpu.Attribute(input, coefficients), method.Attribute(input, coefficients), Float64Tolerance, name + " weighted next call");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void InternalInfluence_PerCallBaseline_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        (double[] input, double[] baseline) = InputAndBaseline(subject, 55);
        Layer layer = Middle(subject);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var cpu = new InternalInfluence<double>(subject.Network, layer, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchInternalInfluence<double>(module, layer, options);
        using var withBaseline = new TorchInternalInfluence<double>(module, layer, options with { Baseline = Baseline.Of<double>(baseline) });

        var perCall = method.Attribute(input, baseline, 0);
        Close.All<double>(cpu.Attribute(input, baseline, 0).Values, perCall.Values, Float64Tolerance, name + " per call");
        Close.All<double>(withBaseline.Attribute(input, 0).Values, perCall.Values, SamePathTolerance, name + " per call vs options");
        Close.All<double>(cpu.Attribute(input, 0).Values, method.Attribute(input, 0).Values, Float64Tolerance, name + " next call");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void NeuronConductance_PerCallBaseline_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        (double[] input, double[] baseline) = InputAndBaseline(subject, 57);
        Layer layer = Middle(subject);
        int live = LiveNeuron(subject, layer, input, baseline);
        int[] neurons = live == 0 ? [0] : [live, 0];
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var cpu = new NeuronConductance<double>(subject.Network, layer, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchNeuronConductance<double>(module, layer, options);
        using var withBaseline = new TorchNeuronConductance<double>(module, layer, options with { Baseline = Baseline.Of<double>(baseline) });

        NeuronAttribution<double> perCall = method.Attribute(input, baseline, 1, neurons);
        Close.All<double>(cpu.Attribute(input, baseline, 1, neurons).Values, perCall.Values, Float64Tolerance, name + " per call");
        Close.All<double>(withBaseline.Attribute(input, 1, neurons).Values, perCall.Values, SamePathTolerance, name + " per call vs options");
        Close.All<double>(cpu.Attribute(input, 1, neurons).Values, method.Attribute(input, 1, neurons).Values, Float64Tolerance, name + " next call");

        // Every neuron: one reverse pass per neuron, so only on the narrow layers.
        if (layer.Size <= 64)
        {
            Close.All<double>(cpu.Attribute(input, baseline, 1).Values, method.Attribute(input, baseline, 1).Values, Float64Tolerance, name + " every neuron per call");
            Close.All<double>(cpu.Attribute(input, 1).Values, method.Attribute(input, 1).Values, Float64Tolerance, name + " every neuron next call");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void NeuronIntegratedGradients_PerCallBaseline_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        (double[] input, double[] baseline) = InputAndBaseline(subject, 59);
        Layer layer = Middle(subject);
        int neuron = LiveNeuron(subject, layer, input, baseline);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var cpu = new NeuronIntegratedGradients<double>(subject.Network, layer, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchNeuronIntegratedGradients<double>(module, layer, options);
        using var withBaseline = new TorchNeuronIntegratedGradients<double>(module, layer, options with { Baseline = Baseline.Of<double>(baseline) });

        Attribution<double> perCall = method.Attribute(input, baseline, neuron);
        Same(cpu.Attribute(input, baseline, neuron), perCall, Float64Tolerance, name + " per call");
        Same(withBaseline.Attribute(input, neuron), perCall, SamePathTolerance, name + " per call vs options");
        Same(cpu.Attribute(input, neuron), method.Attribute(input, neuron), Float64Tolerance, name + " next call");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void RegionToNeuron_PerCallBaseline_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        (double[] input, double[] baseline) = InputAndBaseline(subject, 61);
        bool[] region = Array.ConvertAll(subject.RandomPoints(1, seed: 62), v => v > 0);
        Layer layer = Middle(subject);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        var cpu = new RegionToNeuron<double>(subject.Network, layer, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchRegionToNeuron<double>(module, layer, options);
        using var withBaseline = new TorchRegionToNeuron<double>(module, layer, options with { Baseline = Baseline.Of<double>(baseline) });

        LayerAttribution<double> perCall = method.Attribute(input, baseline, 1, region);
        Same(cpu.Attribute(input, baseline, 1, region), perCall, Float64Tolerance, name + " per call");
        Same(withBaseline.Attribute(input, 1, region), perCall, SamePathTolerance, name + " per call vs options");
        Same(cpu.Attribute(input, 1, region), method.Attribute(input, 1, region), Float64Tolerance, name + " next call");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void InteriorGradients_PerCallBaseline_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        (double[] input, double[] baseline) = InputAndBaseline(subject, 63);
        var options = new InteriorGradientsOptions { Count = 5, Spacing = InteriorSpacing.Geometric, Baseline = s_optionsBaseline };
        var cpu = new InteriorGradients<double>(subject.Network, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchInteriorGradients<double>(module, options);
        using var withBaseline = new TorchInteriorGradients<double>(module, options with { Baseline = Baseline.Of<double>(baseline) });

        InteriorGradientsResult<double> perCall = method.Attribute(input, baseline, 2);
        Same(cpu.Attribute(input, baseline, 2), perCall, Float64Tolerance, name + " per call");
        Same(withBaseline.Attribute(input, 2), perCall, SamePathTolerance, name + " per call vs options");
        Same(cpu.Attribute(input, 2), method.Attribute(input, 2), Float64Tolerance, name + " next call");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void ExpectedGradients_PerCallBaselineSet_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 65);
        double[] ownSet = subject.RandomPoints(3, seed: 66, scale: 0.5);
        double[] constructorSet = subject.RandomPoints(2, seed: 67, scale: 0.5);
        // Points 5 in chunks of 3: chunks straddle baselines.
        var options = new IntegratedGradientsOptions { Points = 5, InternalBatchSize = 3 };
        var cpu = new ExpectedGradients<double>(subject.Network, constructorSet, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchExpectedGradients<double>(module, constructorSet, options);
        using var withSet = new TorchExpectedGradients<double>(module, ownSet, options);

        Attribution<double> exact = method.Attribute(input, ownSet, 2);
        Same(cpu.Attribute(input, ownSet, 2), exact, Float64Tolerance, name + " exact per call");
        Same(withSet.Attribute(input, 2), exact, SamePathTolerance, name + " exact per call vs constructor");
        Same(cpu.Attribute(input, 2), method.Attribute(input, 2), Float64Tolerance, name + " exact next call");

        // Seven draws out of three baselines repeat some; the same seed must give the same draws.
        Attribution<double> sampled = method.AttributeSampled(input, ownSet, 2, 7, seed: 5);
        Same(cpu.AttributeSampled(input, ownSet, 2, 7, seed: 5), sampled, Float64Tolerance, name + " sampled per call");
        Same(withSet.AttributeSampled(input, 2, 7, seed: 5), sampled, SamePathTolerance, name + " sampled per call vs constructor");
        Same(cpu.AttributeSampled(input, 2, 7, seed: 5), method.AttributeSampled(input, 2, 7, seed: 5), Float64Tolerance, name + " sampled next call");
    }

    [Fact]
    public void BadBaselines_ThrowTheCpuExceptions()
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        int length = subject.Info.InputLength;
        double[] input = subject.RandomPoints(1, seed: 71);
        Layer layer = subject.Info.Layers[1];
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        var cpuIg = new IntegratedGradients<double>(subject.Network, options);
        using var ig = new TorchIntegratedGradients<double>(module, options);
        var cpuConductance = new LayerConductance<double>(subject.Network, layer, options);
        using var conductance = new TorchLayerConductance<double>(module, layer, options);
        var cpuInfluence = new InternalInfluence<double>(subject.Network, layer, options);
        using var influence = new TorchInternalInfluence<double>(module, layer, options);
        var cpuNeuronConductance = new NeuronConductance<double>(subject.Network, layer, options);
        using var neuronConductance = new TorchNeuronConductance<double>(module, layer, options);
        var cpuNeuronIg = new NeuronIntegratedGradients<double>(subject.Network, layer, options);
        using var neuronIg = new TorchNeuronIntegratedGradients<double>(module, layer, options);
        var cpuRegion = new RegionToNeuron<double>(subject.Network, layer, options);
        using var region = new TorchRegionToNeuron<double>(module, layer, options);
        var cpuInterior = new InteriorGradients<double>(subject.Network);
        using var interior = new TorchInteriorGradients<double>(module);
        var cpuExpected = new ExpectedGradients<double>(subject.Network, new double[length], options);
        using var expected = new TorchExpectedGradients<double>(module, new double[length], options);
        bool[] mask = new bool[length];
        double[] coefficients = new double[subject.Info.OutputLength];

        double[] nan = new double[length];
        nan[2] = double.NaN;
        double[] infinite = new double[length];
        infinite[length - 1] = double.NegativeInfinity;
        foreach (double[] bad in new[] { new double[length - 1], new double[length + 1], nan, infinite })
        {
            AssertSameError(() => cpuIg.Attribute(input, bad, 0), () => ig.Attribute(input, bad, 0), "baseline");
            AssertSameError(() => cpuConductance.Attribute(input, bad, 0), () => conductance.Attribute(input, bad, 0), "baseline");
            AssertSameError(() => cpuConductance.Attribute(input, bad, coefficients), () => conductance.Attribute(input, bad, coefficients), "baseline");
            AssertSameError(() => cpuInfluence.Attribute(input, bad, 0), () => influence.Attribute(input, bad, 0), "baseline");
            AssertSameError(() => cpuNeuronConductance.Attribute(input, bad, 0, [1]), () => neuronConductance.Attribute(input, bad, 0, [1]), "baseline");
            AssertSameError(() => cpuNeuronConductance.Attribute(input, bad, 0), () => neuronConductance.Attribute(input, bad, 0), "baseline");
            AssertSameError(() => cpuNeuronIg.Attribute(input, bad, 0), () => neuronIg.Attribute(input, bad, 0), "baseline");
            AssertSameError(() => cpuRegion.Attribute(input, bad, 0, mask), () => region.Attribute(input, bad, 0, mask), "baseline");
            AssertSameError(() => cpuInterior.Attribute(input, bad, 0), () => interior.Attribute(input, bad, 0), "baseline");
        }

        double[] nanSet = new double[2 * length];
        nanSet[length + 3] = double.NaN;
        foreach (double[] bad in new double[][] { [], new double[2 * length - 1], nanSet })
        {
            AssertSameError(() => cpuExpected.Attribute(input, bad, 0), () => expected.Attribute(input, bad, 0), "baselines");
            AssertSameError(() => cpuExpected.AttributeSampled(input, bad, 0, 3, seed: 1), () => expected.AttributeSampled(input, bad, 0, 3, seed: 1), "baselines");
        }

        // The other arguments are still checked first, in the CPU's order.
        double[] baseline = new double[length];
        AssertSameError(() => cpuIg.Attribute(input, baseline, 9), () => ig.Attribute(input, baseline, 9), "target");
        AssertSameError(() => cpuIg.Attribute(nan, nan, 0), () => ig.Attribute(nan, nan, 0), "input");
        AssertSameError(() => cpuConductance.Attribute(input, baseline, new double[2]), () => conductance.Attribute(input, baseline, new double[2]), "outputCoefficients");
        AssertSameError(() => cpuRegion.Attribute(input, nan, 0, mask.AsSpan(1)), () => region.Attribute(input, nan, 0, mask.AsSpan(1)), "region");
        AssertSameError(() => cpuNeuronIg.Attribute(input, nan, 99), () => neuronIg.Attribute(input, nan, 99), "neuron");
    }

    [Fact]
    public void PerCallBaselineCalls_LeaveNoLiveTensors()
    {
        Subject<double> subject = Subjects.Create64(nameof(EveryLayerCnn));
        (double[] input, double[] baseline) = InputAndBaseline(subject, 73);
        int length = subject.Info.InputLength;
        double[] set = subject.RandomPoints(2, seed: 74, scale: 0.5);
        bool[] region = Array.ConvertAll(baseline, v => v > 0);
        double[] coefficients = new double[subject.Info.OutputLength];
        coefficients[1] = 1;
        Layer layer = Middle(subject);
        LayerAttributionOptions options = LayerOptions(s_optionsBaseline);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module, options);
        using var conductance = new TorchLayerConductance<double>(module, layer, options);
        using var influence = new TorchInternalInfluence<double>(module, layer, options);
        using var neuronConductance = new TorchNeuronConductance<double>(module, layer, options);
        using var neuronIg = new TorchNeuronIntegratedGradients<double>(module, layer, options);
        using var regionMethod = new TorchRegionToNeuron<double>(module, layer, options);
        using var interior = new TorchInteriorGradients<double>(module, new InteriorGradientsOptions { Count = 4 });
        using var expected = new TorchExpectedGradients<double>(module, new double[length], options);
        Action[] calls =
        [
            () => ig.Attribute(input, baseline, 0),
            () => conductance.Attribute(input, baseline, 0),
            () => conductance.Attribute(input, baseline, coefficients),
            () => influence.Attribute(input, baseline, 0),
            () => neuronConductance.Attribute(input, baseline, 0, [0, 2]),
            () => neuronIg.Attribute(input, baseline, 1),
            () => regionMethod.Attribute(input, baseline, 0, region),
            () => interior.Attribute(input, baseline, 0),
            () => expected.Attribute(input, set, 0),
            () => expected.AttributeSampled(input, set, 0, 3, seed: 2),
        ];

        foreach (Action call in calls)
        {
            call();
        }

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (Tensor probe = zeros(1))
        {
            Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount); // the counter is live
        }

        foreach (Action call in calls)
        {
            call();
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
    }

    /// <summary>An input in [-1.5, 1.5] and a baseline in [-0.5, 0.5], far from the options' constant 0.3 baseline.</summary>
    private static (double[] Input, double[] Baseline) InputAndBaseline(Subject<double> subject, int seed) =>
        (subject.RandomPoints(1, seed), subject.RandomPoints(1, seed + 1000, scale: 0.5));

    /// <summary>A layer in the middle of the network: hidden for every network of <see cref="Subjects.Float64"/> but Linear (its output).</summary>
    private static Layer Middle(Subject<double> subject) => subject.Info.Layers[Math.Max(1, subject.Info.Layers.Count / 2)];

    /// <summary>The neuron of <paramref name="layer"/> that changes most between the two points (some are constant: a dead ReLU, a padded border).</summary>
    private static int LiveNeuron(Subject<double> subject, Layer layer, double[] input, double[] baseline)
    {
        var workspace = new Workspace<double>(subject.Info, 2);
        input.CopyTo(workspace.Input(2));
        baseline.CopyTo(workspace.Input(2).Slice(subject.Info.InputLength));
        subject.Network.ForwardFrom(subject.Info.Input, workspace, 2);
        ReadOnlySpan<double> activations = workspace.Activations(layer, 2);
        int best = 0;
        for (int j = 1; j < layer.Size; j++)
        {
            if (Math.Abs(activations[j] - activations[layer.Size + j]) > Math.Abs(activations[best] - activations[layer.Size + best]))
            {
                best = j;
            }
        }

        return best;
    }

    private static void Same(Attribution<double> expected, Attribution<double> actual, double relative, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Points, actual.Points);
        Close.All<double>(expected.Values, actual.Values, relative, what + " values");
        SameDelta(expected.Delta, actual.Delta, relative, MaxAbs(expected.Values), what);
    }

    private static void Same(LayerAttribution<double> expected, LayerAttribution<double> actual, double relative, string what)
    {
        Assert.Same(expected.Layer, actual.Layer);
        Assert.Equal(expected.Points, actual.Points);
        Close.All<double>(expected.Values, actual.Values, relative, what + " values");
        SameDelta(DeltaOf(expected.Delta), DeltaOf(actual.Delta), relative, MaxAbs(expected.Values), what);
    }

    private static void Same(InteriorGradientsResult<double> expected, InteriorGradientsResult<double> actual, double relative, string what)
    {
        Assert.Equal(expected.InputShape, actual.InputShape);
        Assert.Equal(expected.Alphas.Length, actual.Alphas.Length);
        Close.All<double>(expected.Gradients, actual.Gradients, relative, what + " gradients");
        Close.All<double>(expected.Outputs, actual.Outputs, Math.Max(relative, 1e-12), what + " outputs");
        double scale = Math.Max(Math.Abs(expected.OutputAtInput), Math.Abs(expected.OutputAtBaseline));
        Close.Value(expected.OutputAtBaseline, actual.OutputAtBaseline, Math.Max(relative, 1e-12), scale, what + " F(x')");
        Close.Value(expected.OutputAtInput, actual.OutputAtInput, Math.Max(relative, 1e-12), scale, what + " F(x)");
    }

    // The endpoints come from plain forward passes (1e-12 in float64, as in the other cross-checks); the delta, a
    // difference of sums, is compared relative to the larger of the output change and the largest value.
    private static void SameDelta(ConvergenceDelta expected, ConvergenceDelta actual, double relative, double valueScale, string what)
    {
        double outputScale = Math.Max(Math.Abs(expected.OutputAtInput), Math.Abs(expected.OutputAtBaseline));
        double endpointTolerance = Math.Max(relative, 1e-12);
        Close.Value(expected.OutputAtInput, actual.OutputAtInput, endpointTolerance, outputScale, what + " output at input");
        Close.Value(expected.OutputAtBaseline, actual.OutputAtBaseline, endpointTolerance, outputScale, what + " output at baseline");
        double change = expected.OutputAtInput - expected.OutputAtBaseline;
        Close.Value(expected.Absolute, actual.Absolute, relative, Math.Max(Math.Max(Math.Abs(change), valueScale), outputScale), what + " absolute delta");
    }

    /// <summary>The delta of a method that has one (a nullable or a plain value, whichever the result type holds).</summary>
    private static ConvergenceDelta DeltaOf(ConvergenceDelta? delta) => delta ?? throw new InvalidOperationException("Expected a convergence delta.");

    private static double MaxAbs(ReadOnlySpan<double> values)
    {
        double max = 0;
        foreach (double value in values)
        {
            max = Math.Max(max, Math.Abs(value));
        }

        return max;
    }

    private static void AssertSameError(Action cpu, Action torch, string parameter)
    {
        ArgumentException expected = Assert.ThrowsAny<ArgumentException>(cpu);
        ArgumentException actual = Assert.ThrowsAny<ArgumentException>(torch);
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Message, actual.Message);
        Assert.Equal(parameter, expected.ParamName);
        Assert.Equal(parameter, actual.ParamName);
    }
}
