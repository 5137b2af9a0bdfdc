using System;
using System.Linq;
using Pathwise;
using Pathwise.Tests;
using Xunit;
using static Pathwise.TorchSharp.Tests.DeviceAgreement;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// The device's batch forms of neuron Integrated Gradients (one neuron per input) and region-to-neuron (one region for
/// every input), and the multi-target forms of neuron conductance and region-to-neuron, against the CPU's single calls,
/// float64, 1e-9 relative to the largest value (the bound of the other cross-checks). With 6 points, InternalBatchSize 20
/// stacks 3 inputs per chunk (groups of 3 and 1); 4 runs them one by one.
/// </summary>
public class TorchMoreBatchFormsTests
{
    private const int Count = 4;

    [Theory]
    [InlineData(nameof(ReluMlp), 4)]
    [InlineData(nameof(ReluMlp), 20)]
    [InlineData(nameof(EveryLayerCnn), 4)]
    [InlineData(nameof(EveryLayerCnn), 20)]
    public void BatchForms_MatchCpuSingleCalls(string name, int internalBatchSize)
    {
        Subject<double> subject = Subjects.Create64(name);
        NetworkInfo info = subject.Info;
        int length = info.InputLength;
        double[] inputs = subject.RandomPoints(Count, 71);
        double[] baselines = subject.RandomPoints(Count, 72, scale: 0.5);
        int[] targets = [.. Enumerable.Range(0, Count).Select(m => (3 * m + 2) % info.OutputLength)];
        bool[] region = [.. Enumerable.Range(0, length).Select(i => i % 3 != 1)];
        var options = new LayerAttributionOptions { Points = 6, InternalBatchSize = internalBatchSize, Baseline = Baseline.Constant(0.1) };
        using var module = new TorchNetwork<double>(info, subject.Parameters);
        foreach (Layer layer in info.Layers.Skip(1))
        {
            int[] neurons = [.. Enumerable.Range(0, Count).Select(m => (7 * m + 1) % layer.Size)];
            using var torchNeuron = new TorchNeuronIntegratedGradients<double>(module, layer, options);
            using var torchRegion = new TorchRegionToNeuron<double>(module, layer, options);
            var cpuNeuron = new NeuronIntegratedGradients<double>(subject.Network, layer, options);
            var cpuRegion = new RegionToNeuron<double>(subject.Network, layer, options);
            Attribution<double>[] fromOptions = torchNeuron.AttributeBatch(inputs, neurons);
            Attribution<double>[] fromOwn = torchNeuron.AttributeBatch(inputs, neurons, baselines);
            LayerAttribution<double>[] sharesFromOptions = torchRegion.AttributeBatch(inputs, targets, region);
            LayerAttribution<double>[] sharesFromOwn = torchRegion.AttributeBatch(inputs, targets, region, baselines);
            Assert.Equal(Count, fromOptions.Length);
            Assert.Equal(Count, sharesFromOwn.Length);
            for (int m = 0; m < Count; m++)
            {
                double[] input = inputs.AsSpan(m * length, length).ToArray();
                double[] baseline = baselines.AsSpan(m * length, length).ToArray();
                string what = $"{name} layer {layer.Name} input {m}";
                Same(cpuNeuron.Attribute(input, neurons[m]), fromOptions[m], Values, Scalars, what + " neuron IG");
                Same(cpuNeuron.Attribute(input, baseline, neurons[m]), fromOwn[m], Values, Scalars, what + " neuron IG, own baseline");
                Same(cpuRegion.Attribute(input, targets[m], region), sharesFromOptions[m], Values, Scalars, what + " region-to-neuron");
                Same(cpuRegion.Attribute(input, baseline, targets[m], region), sharesFromOwn[m], Values, Scalars, what + " region-to-neuron, own baseline");
            }
        }
    }

    [Theory]
    [InlineData(nameof(ReluMlp))]
    [InlineData(nameof(EveryLayerCnn))]
    public void AttributeTargets_MatchCpuPerTargetCalls(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        NetworkInfo info = subject.Info;
        double[] input = subject.RandomPoints(1, 81);
        double[] baseline = subject.RandomPoints(1, 82, scale: 0.5);
        int last = info.OutputLength - 1;
        int[] targets = [last, 0, last, 1];
        bool[] region = [.. Enumerable.Range(0, info.InputLength).Select(i => i % 4 != 2)];
        var options = new LayerAttributionOptions { Points = 5, InternalBatchSize = 2 };
        using var module = new TorchNetwork<double>(info, subject.Parameters);
        foreach (Layer layer in info.Layers.Skip(1))
        {
            using var conductance = new TorchNeuronConductance<double>(module, layer, options);
            using var shares = new TorchRegionToNeuron<double>(module, layer, options);
            var cpuConductance = new NeuronConductance<double>(subject.Network, layer, options);
            var cpuShares = new RegionToNeuron<double>(subject.Network, layer, options);
            NeuronAttribution<double>[] rows = conductance.AttributeTargets(input, targets);
            NeuronAttribution<double>[] ownRows = conductance.AttributeTargets(input, baseline, targets);
            LayerAttribution<double>[] regions = shares.AttributeTargets(input, targets, region);
            LayerAttribution<double>[] ownRegions = shares.AttributeTargets(input, baseline, targets, region);
            for (int t = 0; t < targets.Length; t++)
            {
                string what = $"{name} layer {layer.Name} target {targets[t]}";
                Same(cpuConductance.Attribute(input, targets[t]), rows[t], r => r.Values.ToArray(), r => [], what + " neuron conductance");
                Same(cpuConductance.Attribute(input, baseline, targets[t]), ownRows[t], r => r.Values.ToArray(), r => [], what + " neuron conductance, own baseline");
                Same(cpuShares.Attribute(input, targets[t], region), regions[t], Values, Scalars, what + " region-to-neuron");
                Same(cpuShares.Attribute(input, baseline, targets[t], region), ownRegions[t], Values, Scalars, what + " region-to-neuron, own baseline");
            }
        }
    }

    private static double[] Values(Attribution<double> result) => result.Values.ToArray();

    private static double[] Values(LayerAttribution<double> result) => result.Values.ToArray();

    private static double[] Scalars(Attribution<double> result) => Delta(result.Delta);

    private static double[] Scalars(LayerAttribution<double> result) => Delta(result.Delta);

    [Fact]
    public void BatchForms_BadRows_RejectedNamingTheRow()
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        NetworkInfo info = subject.Info;
        int length = info.InputLength;
        Layer layer = info.Layers[1];
        double[] inputs = subject.RandomPoints(3, 81);
        double[] badInput = (double[])inputs.Clone();
        badInput[length + 2] = double.NaN;
        using var module = new TorchNetwork<double>(info, subject.Parameters);
        using var neuronIg = new TorchNeuronIntegratedGradients<double>(module, layer);
        using var regionToNeuron = new TorchRegionToNeuron<double>(module, layer);
        Assert.Contains("one neuron per input, 3; got 2", Assert.Throws<ArgumentException>("neurons", () => neuronIg.AttributeBatch(inputs, [0, 1])).Message);
        Assert.Throws<ArgumentOutOfRangeException>("neurons[2]", () => neuronIg.AttributeBatch(inputs, [0, 1, layer.Size]));
        Assert.Throws<ArgumentException>("inputs[1]", () => neuronIg.AttributeBatch(badInput, [0, 1, 2]));
        Assert.Throws<ArgumentException>("region", () => regionToNeuron.AttributeBatch(inputs, [0, 1, 0], new bool[length - 1]));
        Assert.Throws<ArgumentOutOfRangeException>("targets[1]", () => regionToNeuron.AttributeBatch(inputs, [0, info.OutputLength, 0], new bool[length]));
        Assert.Throws<ArgumentException>("baselines[1]", () => regionToNeuron.AttributeBatch(inputs, [0, 1, 0], new bool[length], badInput));
    }
}
