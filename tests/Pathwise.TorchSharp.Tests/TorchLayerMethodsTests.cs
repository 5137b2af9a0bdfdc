using System;
using System.Linq;
using System.Threading;
using Pathwise;
using Pathwise.Tests;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// Every hidden-layer method on the torch device against its CPU counterpart. Float64 bound 1e-9 relative to the
/// largest expected value: both sides use the same path points and quadrature weights and exact derivatives
/// (reverse mode, and an exact forward-mode tangent by two reverse passes on the device), so they differ only in
/// summation order (measured: values within 1.3e-14 of each other relative to the largest; relative deltas and
/// saturations, which divide by a small output change, within 7e-13).
/// </summary>
public class TorchLayerMethodsTests
{
    private const double Float64Tolerance = 1e-9;
    private const double Float32Tolerance = 5e-6;

    public static TheoryData<string, QuadratureRule> NetworksAndRules() => TorchIntegratedGradientsTests.NetworksAndRules();

    public static TheoryData<string, bool> NetworksBothWays()
    {
        var data = new TheoryData<string, bool>();
        foreach (string name in Subjects.Float64)
        {
            data.Add(name, false);
            data.Add(name, true);
        }

        return data;
    }

    // Every layer of every network, every rule; InternalBatchSize 3 < Points 5 splits the path into chunks.
    [Theory]
    [MemberData(nameof(NetworksAndRules))]
    public void LayerConductance_EveryLayer_MatchesCpu(string name, QuadratureRule rule)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 31);
        int target = subject.Info.OutputLength - 1;
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        foreach (Layer layer in subject.Info.Layers)
        {
            foreach (bool toLayerInput in layer.Index == 0 ? [false] : new[] { false, true })
            {
                var options = new LayerAttributionOptions { Points = 5, Rule = rule, InternalBatchSize = 3, AttributeToLayerInput = toLayerInput };
                LayerAttribution<double> expected = new LayerConductance<double>(subject.Network, layer, options).Attribute(input, target);
                using var method = new TorchLayerConductance<double>(module, layer, options);
                AssertSame(expected, method.Attribute(input, target), Float64Tolerance, $"{name} {rule} {layer.Name} toInput={toLayerInput}");
            }
        }
    }

    [Theory]
    [InlineData(nameof(EveryLayerCnn))]
    [InlineData(nameof(ActivationZoo))]
    public void LayerConductance_WithOutputWeightsAndConstantBaseline_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 41);
        double[] outputCoefficients = Enumerable.Range(0, subject.Info.OutputLength).Select(j => 0.5 - 0.3 * j).ToArray();
        var options = new LayerAttributionOptions { Points = 12, Baseline = Baseline.Constant(-0.25), InternalBatchSize = 5 };
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        foreach (Layer layer in subject.Info.Layers)
        {
            LayerAttribution<double> expected = new LayerConductance<double>(subject.Network, layer, options).Attribute(input, outputCoefficients);
            using var method = new TorchLayerConductance<double>(module, layer, options);
            AssertSame(expected, method.Attribute(input, outputCoefficients), Float64Tolerance, $"{name} {layer.Name} weighted");
        }
    }

    [Theory]
    [MemberData(nameof(NetworksBothWays))]
    public void InternalInfluence_EveryLayer_MatchesCpu(string name, bool toLayerInput)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 32);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        foreach (Layer layer in Layers(subject, toLayerInput))
        {
            LayerAttributionOptions options = Options(toLayerInput);
            LayerInfluence<double> expected = new InternalInfluence<double>(subject.Network, layer, options).Attribute(input, 0);
            using var method = new TorchInternalInfluence<double>(module, layer, options);
            AssertSame(expected, method.Attribute(input, 0), Float64Tolerance, $"{name} {layer.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(NetworksBothWays))]
    public void NeuronIntegratedGradients_EveryLayer_MatchesCpu(string name, bool toLayerInput)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 33);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        foreach (Layer layer in Layers(subject, toLayerInput))
        {
            LayerAttributionOptions options = Options(toLayerInput);
            using var method = new TorchNeuronIntegratedGradients<double>(module, layer, options);
            var cpu = new NeuronIntegratedGradients<double>(subject.Network, layer, options);
            int size = (toLayerInput ? subject.Info.Layers[layer.Index - 1] : layer).Size;
            foreach (int neuron in new[] { 0, size / 2, size - 1 }.Distinct())
            {
                AssertSame(cpu.Attribute(input, neuron), method.Attribute(input, neuron), Float64Tolerance, $"{name} {layer.Name} neuron {neuron}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(NetworksBothWays))]
    public void NeuronConductance_EveryLayer_MatchesCpu(string name, bool toLayerInput)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 34);
        int target = subject.Info.OutputLength / 2;
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        foreach (Layer layer in Layers(subject, toLayerInput))
        {
            LayerAttributionOptions options = Options(toLayerInput);
            int size = (toLayerInput ? subject.Info.Layers[layer.Index - 1] : layer).Size;
            int[] neurons = new[] { size - 1, 0, size / 3, size / 3 }.ToArray(); // out of order, one repeated
            NeuronAttribution<double> expected = new NeuronConductance<double>(subject.Network, layer, options).Attribute(input, target, neurons);
            using var method = new TorchNeuronConductance<double>(module, layer, options);
            AssertSame(expected, method.Attribute(input, target, neurons), Float64Tolerance, $"{name} {layer.Name}");
        }
    }

    [Fact]
    public void NeuronConductance_AllNeurons_MatchesCpuAndSumsToConductance()
    {
        Subject<double> subject = Subjects.Create64(nameof(EveryLayerCnn));
        Layer layer = subject.Info.Layers.First(l => l.Name == "Hidden");
        var options = new LayerAttributionOptions { Points = 7, Rule = QuadratureRule.RiemannMiddle, InternalBatchSize = 3 };
        double[] input = subject.RandomPoints(1, seed: 35);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchNeuronConductance<double>(module, layer, options);
        NeuronAttribution<double> actual = method.Attribute(input, 2);
        AssertSame(new NeuronConductance<double>(subject.Network, layer, options).Attribute(input, 2), actual, Float64Tolerance, "all neurons");

        // A row summed over the input features is that neuron's total conductance.
        using var conductance = new TorchLayerConductance<double>(module, layer, options);
        LayerAttribution<double> total = conductance.Attribute(input, 2);
        double[] rowSums = Enumerable.Range(0, layer.Size).Select(j => actual.Row(j).ToArray().Sum()).ToArray();
        Close.All<double>(total.Values, rowSums, 1e-9, "row sums");

        Assert.Equal(0, method.Attribute(input, 2, ReadOnlySpan<int>.Empty).Values.Length);
    }

    [Theory]
    [MemberData(nameof(NetworksBothWays))]
    public void RegionToNeuron_EveryLayer_MatchesCpu(string name, bool toLayerInput)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 36);
        bool[] region = Enumerable.Range(0, subject.Info.InputLength).Select(i => i % 3 != 1).ToArray();
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        foreach (Layer layer in Layers(subject, toLayerInput))
        {
            LayerAttributionOptions options = Options(toLayerInput);
            LayerAttribution<double> expected = new RegionToNeuron<double>(subject.Network, layer, options).Attribute(input, 1, region);
            using var method = new TorchRegionToNeuron<double>(module, layer, options);
            AssertSame(expected, method.Attribute(input, 1, region), Float64Tolerance, $"{name} {layer.Name}");
        }
    }

    [Theory]
    [InlineData(nameof(EveryLayerCnn))]
    [InlineData(nameof(ActivationZoo))]
    [InlineData(nameof(PoolFirst))]
    public void InteriorGradients_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 37);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        InteriorGradientsOptions[] settings =
        [
            new() { Alphas = [0, 0.1, 0.5, 0.5, 1] },
            new() { Count = 70, Spacing = InteriorSpacing.Geometric, Baseline = Baseline.Constant(0.3) }, // two chunks of at most 64
            new() { Count = 1 },
        ];
        foreach (InteriorGradientsOptions options in settings)
        {
            InteriorGradientsResult<double> expected = new InteriorGradients<double>(subject.Network, options).Attribute(input, 1);
            using var method = new TorchInteriorGradients<double>(module, options);
            InteriorGradientsResult<double> actual = method.Attribute(input, 1);

            Assert.Equal(expected.Alphas, actual.Alphas);
            Assert.Equal(expected.InputShape, actual.InputShape);
            Close.All<double>(expected.Gradients, actual.Gradients, Float64Tolerance, name + " gradients");
            Close.All<double>(expected.Outputs, actual.Outputs, 1e-12, name + " outputs");
            double scale = Math.Max(Math.Abs(expected.OutputAtInput), Math.Abs(expected.OutputAtBaseline));
            Close.Value(expected.OutputAtBaseline, actual.OutputAtBaseline, 1e-12, scale, name + " F(x')");
            Close.Value(expected.OutputAtInput, actual.OutputAtInput, 1e-12, scale, name + " F(x)");
            Close.All<double>(expected.Saturation, actual.Saturation, Float64Tolerance, name + " saturation");
        }
    }

    [Theory]
    [InlineData(nameof(EveryLayerCnn))]
    [InlineData(nameof(ReluMlp))]
    [InlineData(nameof(PoolFirst))]
    public void ExpectedGradients_ExactAndSampled_MatchCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 38);
        double[] baselines = subject.RandomPoints(4, seed: 39, scale: 0.5);
        // Points 5 in chunks of 3: chunks straddle baselines.
        var options = new IntegratedGradientsOptions { Points = 5, Rule = QuadratureRule.GaussLegendre, InternalBatchSize = 3 };
        var cpu = new ExpectedGradients<double>(subject.Network, baselines, options);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchExpectedGradients<double>(module, baselines, options);

        Assert.Equal(cpu.BaselineCount, method.BaselineCount);
        AssertSame(cpu.Attribute(input, 2), method.Attribute(input, 2), Float64Tolerance, name + " exact");
        // Seven draws out of four baselines repeat some; the same seed must give the same draws.
        AssertSame(cpu.AttributeSampled(input, 2, 7, seed: 5), method.AttributeSampled(input, 2, 7, seed: 5), Float64Tolerance, name + " sampled");
        AssertSame(cpu.AttributeSampled(input, 0, 1, seed: 9), method.AttributeSampled(input, 0, 1, seed: 9), Float64Tolerance, name + " one draw");
    }

    [Theory]
    [MemberData(nameof(TorchNetworkTests.Float64Networks), MemberType = typeof(TorchNetworkTests))]
    public void ForwardAll_GivesEveryLayersActivations(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        const int count = 3;
        double[] points = subject.RandomPoints(count, seed: 12);
        var workspace = new Workspace<double>(subject.Info, count);
        points.CopyTo(workspace.Input(count));
        subject.Network.ForwardFrom(subject.Info.Input, workspace, count);

        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var scope = NewDisposeScope();
        Tensor[] activations = module.ForwardAll(module.InputTensor(points, count).flatten(1));
        Assert.Equal(subject.Info.Layers.Count, activations.Length);
        foreach (Layer layer in subject.Info.Layers)
        {
            Tensor activation = activations[layer.Index];
            Assert.Equal(count * layer.Size, activation.numel());
            Assert.Equal(count, activation.shape[0]);
            Assert.Equal(layer.OutputShape.Rank + 1, activation.dim()); // [count, ...shape]: 2, 3 (sequences) or 4 dims
            Close.All<double>(workspace.Activations(layer, count).ToArray(), activation.contiguous().data<double>().ToArray(), 1e-12, $"{name} {layer.Name}");
        }

        // forward and ForwardAll are separate calls into libtorch: its kernels may pick another blocking for another
        // input layout or alignment, so they agree to rounding (measured: 1 ulp), not bit for bit.
        Close.All<double>(module.call(module.InputTensor(points, count)).data<double>().ToArray(), activations[^1].data<double>().ToArray(), 1e-12, name + " forward");
        Assert.Throws<ArgumentException>(() => module.ForwardAll(zeros(2, 5, dtype: ScalarType.Float64)));
    }

    // Float32: each side rounds after every operation (u = 6e-8) through 7 layers, the tangent comes from two reverse
    // passes on the device against one forward-mode pass on the CPU, and the path sums run in another order
    // (measured: at most 5.4e-7 relative to the largest value, interior gradients; 3.2e-7 for neuron conductance;
    // deltas within 1e-7 of the output scale). 5e-6 leaves a margin of ten; a wrong derivative misses by far more.
    [Fact]
    public void LayerMethods_MatchCpu_Float32()
    {
        Subject<float> subject = Subjects.CreateSmallCnn32();
        float[] input = subject.RandomPoints(1, seed: 13);
        bool[] region = Enumerable.Range(0, subject.Info.InputLength).Select(i => i % 2 == 0).ToArray();
        using var module = new TorchNetwork<float>(subject.Info, subject.Parameters);
        foreach (Layer layer in subject.Info.Layers.Skip(1))
        {
            var options = new LayerAttributionOptions { Points = 12, Rule = QuadratureRule.Trapezoid, InternalBatchSize = 5 };
            using var conductance = new TorchLayerConductance<float>(module, layer, options);
            AssertSame(new LayerConductance<float>(subject.Network, layer, options).Attribute(input, 1), conductance.Attribute(input, 1), Float32Tolerance, "float32 conductance " + layer.Name);
            using var influence = new TorchInternalInfluence<float>(module, layer, options);
            AssertSame(new InternalInfluence<float>(subject.Network, layer, options).Attribute(input, 1), influence.Attribute(input, 1), Float32Tolerance, "float32 influence " + layer.Name);
            using var regionMethod = new TorchRegionToNeuron<float>(module, layer, options);
            AssertSame(new RegionToNeuron<float>(subject.Network, layer, options).Attribute(input, 1, region), regionMethod.Attribute(input, 1, region), Float32Tolerance, "float32 region " + layer.Name);
            int[] neurons = [0, layer.Size - 1];
            using var neuronConductance = new TorchNeuronConductance<float>(module, layer, options);
            AssertSame(new NeuronConductance<float>(subject.Network, layer, options).Attribute(input, 1, neurons), neuronConductance.Attribute(input, 1, neurons), Float32Tolerance, "float32 neuron conductance " + layer.Name);
            using var neuronIg = new TorchNeuronIntegratedGradients<float>(module, layer, options);
            AssertSame(new NeuronIntegratedGradients<float>(subject.Network, layer, options).Attribute(input, 1), neuronIg.Attribute(input, 1), Float32Tolerance, "float32 neuron IG " + layer.Name);
        }

        float[] baselines = subject.RandomPoints(3, seed: 14, scale: 0.5);
        var egOptions = new IntegratedGradientsOptions { Points = 8, InternalBatchSize = 5 };
        using var expected = new TorchExpectedGradients<float>(module, baselines, egOptions);
        AssertSame(new ExpectedGradients<float>(subject.Network, baselines, egOptions).AttributeSampled(input, 0, 4, 3), expected.AttributeSampled(input, 0, 4, 3), Float32Tolerance, "float32 expected gradients");
        using var interior = new TorchInteriorGradients<float>(module);
        InteriorGradientsResult<float> cpuInterior = new InteriorGradients<float>(subject.Network).Attribute(input, 2);
        Close.All<float>(cpuInterior.Gradients, interior.Attribute(input, 2).Gradients, Float32Tolerance, "float32 interior gradients");
    }

    [Fact]
    public void InvalidArguments_ThrowTheCpuExceptions()
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        Subject<double> other = Subjects.Create64(nameof(Linear));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        Layer hidden = subject.Info.Layers[2];
        Layer input = subject.Info.Input;
        double[] good = subject.RandomPoints(1, seed: 1);
        double[] nan = (double[])good.Clone();
        nan[3] = double.NaN;
        bool[] region = new bool[subject.Info.InputLength];
        var toInput = new LayerAttributionOptions { AttributeToLayerInput = true };
        var badRule = new LayerAttributionOptions { Points = 1, Rule = QuadratureRule.Trapezoid };
        var badBatch = new LayerAttributionOptions { InternalBatchSize = -1 };
        var badBaseline = new LayerAttributionOptions { Baseline = Baseline.Of<double>(new double[3]) };

        // Construction: the layer and the options.
        foreach (LayerAttributionOptions options in new[] { badRule, badBatch, badBaseline })
        {
            AssertSameError<ArgumentException>(() => new LayerConductance<double>(subject.Network, hidden, options), () => new TorchLayerConductance<double>(module, hidden, options));
            AssertSameError<ArgumentException>(() => new NeuronConductance<double>(subject.Network, hidden, options), () => new TorchNeuronConductance<double>(module, hidden, options));
        }

        AssertSameError<ArgumentException>(() => new LayerConductance<double>(subject.Network, other.Info.Layers[1], null), () => new TorchLayerConductance<double>(module, other.Info.Layers[1]));
        AssertSameError<ArgumentNullException>(() => new InternalInfluence<double>(subject.Network, null!, null), () => new TorchInternalInfluence<double>(module, null!));
        AssertSameError<ArgumentException>(() => new RegionToNeuron<double>(subject.Network, input, toInput), () => new TorchRegionToNeuron<double>(module, input, toInput));
        AssertSameError<ArgumentException>(() => new NeuronIntegratedGradients<double>(subject.Network, input, toInput), () => new TorchNeuronIntegratedGradients<double>(module, input, toInput));
        Assert.Throws<ArgumentNullException>(() => new TorchLayerConductance<double>(null!, hidden));

        // Calls: input, target, neurons, region.
        using var conductance = new TorchLayerConductance<double>(module, hidden);
        var cpuConductance = new LayerConductance<double>(subject.Network, hidden);
        AssertSameError<ArgumentException>(() => cpuConductance.Attribute(good.AsSpan(1), 0), () => conductance.Attribute(good.AsSpan(1), 0));
        AssertSameError<ArgumentException>(() => cpuConductance.Attribute(nan, 0), () => conductance.Attribute(nan, 0));
        AssertSameError<ArgumentOutOfRangeException>(() => cpuConductance.Attribute(good, 5), () => conductance.Attribute(good, 5));
        AssertSameError<ArgumentException>(() => cpuConductance.Attribute(good, new double[4]), () => conductance.Attribute(good, new double[4]));
        AssertSameError<ArgumentException>(
            () => cpuConductance.Attribute(good, new[] { 1.0, 0, double.PositiveInfinity, 0, 0 }),
            () => conductance.Attribute(good, new[] { 1.0, 0, double.PositiveInfinity, 0, 0 }));

        using var influence = new TorchInternalInfluence<double>(module, hidden);
        var cpuInfluence = new InternalInfluence<double>(subject.Network, hidden);
        AssertSameError<ArgumentOutOfRangeException>(() => cpuInfluence.Attribute(good, -1), () => influence.Attribute(good, -1));
        AssertSameError<ArgumentException>(() => cpuInfluence.Attribute(nan, 0), () => influence.Attribute(nan, 0));

        using var neuronConductance = new TorchNeuronConductance<double>(module, hidden);
        var cpuNeuronConductance = new NeuronConductance<double>(subject.Network, hidden);
        AssertSameError<ArgumentOutOfRangeException>(() => cpuNeuronConductance.Attribute(good, 0, [0, 16]), () => neuronConductance.Attribute(good, 0, [0, 16]));
        AssertSameError<ArgumentOutOfRangeException>(() => cpuNeuronConductance.Attribute(good, 9), () => neuronConductance.Attribute(good, 9));
        AssertSameError<ArgumentException>(() => cpuNeuronConductance.Attribute(nan, 0, [1]), () => neuronConductance.Attribute(nan, 0, [1]));

        using var neuronIg = new TorchNeuronIntegratedGradients<double>(module, hidden);
        var cpuNeuronIg = new NeuronIntegratedGradients<double>(subject.Network, hidden);
        AssertSameError<ArgumentOutOfRangeException>(() => cpuNeuronIg.Attribute(good, 16), () => neuronIg.Attribute(good, 16));
        AssertSameError<ArgumentException>(() => cpuNeuronIg.Attribute(good.AsSpan(2), 0), () => neuronIg.Attribute(good.AsSpan(2), 0));

        using var regionMethod = new TorchRegionToNeuron<double>(module, hidden);
        var cpuRegion = new RegionToNeuron<double>(subject.Network, hidden);
        AssertSameError<ArgumentException>(() => cpuRegion.Attribute(good, 0, region.AsSpan(1)), () => regionMethod.Attribute(good, 0, region.AsSpan(1)));
        AssertSameError<ArgumentOutOfRangeException>(() => cpuRegion.Attribute(good, 7, region), () => regionMethod.Attribute(good, 7, region));
        AssertSameError<ArgumentException>(() => cpuRegion.Attribute(nan, 0, region), () => regionMethod.Attribute(nan, 0, region));

        // Interior gradients: the factors, the call.
        var badAlphas = new InteriorGradientsOptions { Alphas = [0.5, 1.5] };
        AssertSameError<ArgumentOutOfRangeException>(() => new InteriorGradients<double>(subject.Network, badAlphas), () => new TorchInteriorGradients<double>(module, badAlphas));
        var badCount = new InteriorGradientsOptions { Count = 0 };
        AssertSameError<ArgumentOutOfRangeException>(() => new InteriorGradients<double>(subject.Network, badCount), () => new TorchInteriorGradients<double>(module, badCount));
        using var interior = new TorchInteriorGradients<double>(module);
        var cpuInterior = new InteriorGradients<double>(subject.Network);
        AssertSameError<ArgumentOutOfRangeException>(() => cpuInterior.Attribute(good, 5), () => interior.Attribute(good, 5));
        AssertSameError<ArgumentException>(() => cpuInterior.Attribute(nan, 0), () => interior.Attribute(nan, 0));

        // Expected gradients: the baseline set, the draws, the call.
        double[] baselines = subject.RandomPoints(2, seed: 2);
        AssertSameError<ArgumentException>(() => new ExpectedGradients<double>(subject.Network, ReadOnlySpan<double>.Empty), () => new TorchExpectedGradients<double>(module, ReadOnlySpan<double>.Empty));
        AssertSameError<ArgumentException>(() => new ExpectedGradients<double>(subject.Network, baselines.AsSpan(1)), () => new TorchExpectedGradients<double>(module, baselines.AsSpan(1)));
        AssertSameError<ArgumentException>(() => new ExpectedGradients<double>(subject.Network, nan), () => new TorchExpectedGradients<double>(module, nan));
        AssertSameError<ArgumentOutOfRangeException>(
            () => new ExpectedGradients<double>(subject.Network, baselines, badRule),
            () => new TorchExpectedGradients<double>(module, baselines, badRule));
        using var expected = new TorchExpectedGradients<double>(module, baselines);
        var cpuExpected = new ExpectedGradients<double>(subject.Network, baselines);
        AssertSameError<ArgumentOutOfRangeException>(() => cpuExpected.AttributeSampled(good, 0, 0, 1), () => expected.AttributeSampled(good, 0, 0, 1));
        AssertSameError<ArgumentOutOfRangeException>(() => cpuExpected.Attribute(good, 5), () => expected.Attribute(good, 5));
        AssertSameError<ArgumentException>(() => cpuExpected.AttributeSampled(nan, 0, 3, 1), () => expected.AttributeSampled(nan, 0, 3, 1));
    }

    [Fact]
    public void Calls_LeaveNoLiveTensors_AndObserveCancellation()
    {
        Subject<double> subject = Subjects.Create64(nameof(EveryLayerCnn));
        double[] input = subject.RandomPoints(1, seed: 6);
        bool[] region = Enumerable.Range(0, subject.Info.InputLength).Select(i => i % 2 == 0).ToArray();
        Layer layer = subject.Info.Layers[4];
        var options = new LayerAttributionOptions { Points = 5, InternalBatchSize = 2 };
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var conductance = new TorchLayerConductance<double>(module, layer, options);
        using var influence = new TorchInternalInfluence<double>(module, layer, options);
        using var neuronConductance = new TorchNeuronConductance<double>(module, layer, options);
        using var neuronIg = new TorchNeuronIntegratedGradients<double>(module, layer, options);
        using var regionMethod = new TorchRegionToNeuron<double>(module, layer, options);
        using var interior = new TorchInteriorGradients<double>(module, new InteriorGradientsOptions { Count = 5 });
        using var expected = new TorchExpectedGradients<double>(module, subject.RandomPoints(3, seed: 7), options);
        Action<CancellationToken>[] calls =
        [
            token => conductance.Attribute(input, 0, token),
            token => influence.Attribute(input, 0, token),
            token => neuronConductance.Attribute(input, 0, [1, 2], token),
            token => neuronIg.Attribute(input, 3, token),
            token => regionMethod.Attribute(input, 0, region, token),
            token => interior.Attribute(input, 0, token),
            token => expected.Attribute(input, 0, token),
            token => expected.AttributeSampled(input, 0, 4, 1, token),
        ];

        foreach (Action<CancellationToken> call in calls)
        {
            call(default);
        }

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (Tensor probe = zeros(1))
        {
            Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount); // the counter is live
        }

        foreach (Action<CancellationToken> call in calls)
        {
            call(default);
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        foreach (Action<CancellationToken> call in calls)
        {
            Assert.Throws<OperationCanceledException>(() => call(cancelled.Token));
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
    }

    [Fact]
    public void Dispose_ReleasesTheMethodsTensors()
    {
        Subject<double> subject = Subjects.Create64(nameof(Linear));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        new TorchLayerConductance<double>(module, subject.Info.Output).Dispose();
        new TorchInternalInfluence<double>(module, subject.Info.Output).Dispose();
        new TorchNeuronConductance<double>(module, subject.Info.Output).Dispose();
        new TorchNeuronIntegratedGradients<double>(module, subject.Info.Output).Dispose();
        new TorchRegionToNeuron<double>(module, subject.Info.Output).Dispose();
        new TorchInteriorGradients<double>(module).Dispose();
        new TorchExpectedGradients<double>(module, new double[6]).Dispose();
        Assert.Throws<ArgumentException>(() => new TorchLayerConductance<double>(module, subject.Info.Input, new LayerAttributionOptions { AttributeToLayerInput = true }));
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        var method = new TorchLayerConductance<double>(module, subject.Info.Output);
        method.Dispose();
        Assert.Throws<ObjectDisposedException>(() => method.Attribute(new double[6], 0));
    }

    // Every layer of every network, every fixed rule, both ways; InternalBatchSize 3 < Points 5 splits the path into chunks.
    // A random baseline: from a uniform one, a convolution's activations tie across a max-pool window at x', and two
    // elements that are 0 at x stay tied along the whole chord, where the CPU (first maximum) and libtorch pass the
    // gradient to different elements: both valid, not comparable.
    [Theory]
    [MemberData(nameof(NetworksAndRules))]
    public void LayerIntegratedGradients_EveryLayer_MatchesCpu(string name, QuadratureRule rule)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 38);
        Baseline baseline = Baseline.Of<double>(subject.RandomPoints(1, seed: 39, scale: 0.3));
        int target = subject.Info.OutputLength - 1;
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        foreach (Layer layer in subject.Info.Layers)
        {
            foreach (bool toLayerInput in layer.Index == 0 ? [false] : new[] { false, true })
            {
                var options = new LayerAttributionOptions { Points = 5, Rule = rule, InternalBatchSize = 3, AttributeToLayerInput = toLayerInput, Baseline = baseline };
                LayerAttribution<double> expected = new LayerIntegratedGradients<double>(subject.Network, layer, options).Attribute(input, target);
                using var method = new TorchLayerIntegratedGradients<double>(module, layer, options);
                AssertSame(expected, method.Attribute(input, target), Float64Tolerance, $"{name} {rule} {layer.Name} toInput={toLayerInput}");
            }
        }
    }

    [Theory]
    [InlineData(nameof(EveryLayerCnn))]
    [InlineData(nameof(ReluMlp))]
    public void LayerIntegratedGradients_EveryForm_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] inputs = subject.RandomPoints(3, seed: 42);
        double[] baselines = subject.RandomPoints(3, seed: 43, scale: 0.5);
        int length = subject.Info.InputLength;
        double[] outputCoefficients = Enumerable.Range(0, subject.Info.OutputLength).Select(j => 0.5 - 0.3 * j).ToArray();
        var options = new LayerAttributionOptions { Points = 12, InternalBatchSize = 5 };
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        foreach (Layer layer in subject.Info.Layers.Skip(1))
        {
            var cpu = new LayerIntegratedGradients<double>(subject.Network, layer, options);
            using var method = new TorchLayerIntegratedGradients<double>(module, layer, options);
            ReadOnlySpan<double> input = inputs.AsSpan(0, length);
            ReadOnlySpan<double> baseline = baselines.AsSpan(0, length);
            AssertSame(cpu.Attribute(input, outputCoefficients), method.Attribute(input, outputCoefficients), Float64Tolerance, $"{name} {layer.Name} weighted");
            AssertSame(cpu.Attribute(input, baseline, 1), method.Attribute(input, baseline, 1), Float64Tolerance, $"{name} {layer.Name} own baseline");
            AssertSame(cpu.Attribute(input, baseline, outputCoefficients), method.Attribute(input, baseline, outputCoefficients), Float64Tolerance, $"{name} {layer.Name} own baseline, weighted");

            int[] targets = [2, 0, 2];
            LayerAttribution<double>[] expectedBatch = cpu.AttributeBatch(inputs, targets, baselines);
            LayerAttribution<double>[] actualBatch = method.AttributeBatch(inputs, targets, baselines);
            LayerAttribution<double>[] expectedTargets = cpu.AttributeTargets(input, targets);
            LayerAttribution<double>[] actualTargets = method.AttributeTargets(input, targets);
            LayerAttribution<double>[] expectedOwn = cpu.AttributeTargets(input, baseline, targets);
            LayerAttribution<double>[] actualOwn = method.AttributeTargets(input, baseline, targets);
            for (int m = 0; m < 3; m++)
            {
                AssertSame(expectedBatch[m], actualBatch[m], Float64Tolerance, $"{name} {layer.Name} batch {m}");
                AssertSame(expectedTargets[m], actualTargets[m], Float64Tolerance, $"{name} {layer.Name} targets {m}");
                AssertSame(expectedOwn[m], actualOwn[m], Float64Tolerance, $"{name} {layer.Name} targets, own baseline {m}");
            }
        }
    }

    private static LayerAttributionOptions Options(bool toLayerInput) => toLayerInput
        ? new LayerAttributionOptions { Points = 6, Rule = QuadratureRule.Trapezoid, Baseline = Baseline.Constant(-0.25), InternalBatchSize = 4, AttributeToLayerInput = true }
        : new LayerAttributionOptions { Points = 6, Rule = QuadratureRule.GaussLegendre, InternalBatchSize = 4 };

    private static Layer[] Layers<T>(Subject<T> subject, bool toLayerInput) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        subject.Info.Layers.Skip(toLayerInput ? 1 : 0).ToArray();

    private static void AssertSame<T>(LayerAttribution<T> expected, LayerAttribution<T> actual, double relative, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        AssertSameValues(expected, actual, relative, what);
        AssertSameDelta(expected.Delta, actual.Delta, relative, Max(expected.Values), what);
    }

    private static void AssertSame<T>(LayerInfluence<T> expected, LayerInfluence<T> actual, double relative, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        AssertSameValues(expected, actual, relative, what);

    private static void AssertSameValues<T>(LayerValues<T> expected, LayerValues<T> actual, double relative, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Assert.Same(expected.Layer, actual.Layer);
        Assert.Equal(expected.Points, actual.Points);
        Close.All<T>(expected.Values, actual.Values, relative, what + " values");
    }

    private static void AssertSame<T>(NeuronAttribution<T> expected, NeuronAttribution<T> actual, double relative, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Assert.Same(expected.Layer, actual.Layer);
        Assert.Equal(expected.Neurons.ToArray(), actual.Neurons.ToArray());
        Assert.Equal(expected.InputShape, actual.InputShape);
        Assert.Equal(expected.Points, actual.Points);
        Close.All<T>(expected.Values, actual.Values, relative, what + " values");
    }

    private static void AssertSame<T>(Attribution<T> expected, Attribution<T> actual, double relative, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Points, actual.Points);
        Close.All<T>(expected.Values, actual.Values, relative, what + " values");
        AssertSameDelta(expected.Delta, actual.Delta, relative, Max(expected.Values), what);
    }

    // The endpoint values come from plain forward passes (1e-12 in float64); the delta, a difference of sums, is
    // compared relative to the larger of the output change and the largest value.
    private static void AssertSameDelta(ConvergenceDelta expected, ConvergenceDelta actual, double relative, double valueScale, string what)
    {
        double outputScale = Math.Max(Math.Abs(expected.OutputAtInput), Math.Abs(expected.OutputAtBaseline));
        double endpointTolerance = Math.Max(relative, 1e-12);
        Close.Value(expected.OutputAtInput, actual.OutputAtInput, endpointTolerance, outputScale, what + " output at input");
        Close.Value(expected.OutputAtBaseline, actual.OutputAtBaseline, endpointTolerance, outputScale, what + " output at baseline");
        double change = expected.OutputAtInput - expected.OutputAtBaseline;
        Close.Value(expected.Absolute, actual.Absolute, relative, Math.Max(Math.Max(Math.Abs(change), valueScale), outputScale), what + " absolute delta");
        Close.Value(expected.Relative, actual.Relative, relative, Math.Max(1, expected.Relative), what + " relative delta");
    }

    private static double Max<T>(ReadOnlySpan<T> values) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double max = 0;
        foreach (T value in values)
        {
            max = Math.Max(max, Math.Abs(double.CreateChecked(value)));
        }

        return max;
    }

    private static void AssertSameError<TException>(Action cpu, Action torch) where TException : Exception
    {
        // ThrowsAny, then the exact types compared: the options throw subclasses (ArgumentOutOfRangeException).
        TException expected = Assert.ThrowsAny<TException>(cpu);
        TException actual = Assert.ThrowsAny<TException>(torch);
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.Message, actual.Message);
        Assert.Equal((expected as ArgumentException)?.ParamName, (actual as ArgumentException)?.ParamName);
    }
}
