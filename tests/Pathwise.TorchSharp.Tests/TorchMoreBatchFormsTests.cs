using System;
using System.Linq;
using Pathwise;
using Pathwise.Tests;
using Xunit;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// The device's batch forms of neuron Integrated Gradients (one neuron per input) and region-to-neuron (one region for
/// every input), and the multi-target forms of neuron conductance and region-to-neuron, against the CPU's single calls,
/// float64, 1e-9 relative to the largest value (the bound of the other cross-checks). With 6 points, InternalBatchSize 20
/// stacks 3 inputs per chunk (groups of 3 and 1); 4 runs them one by one.
/// </summary>
public class TorchMoreBatchFormsTests
{
    private const double Float64Tolerance = 1e-9;
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
                Same(cpuNeuron.Attribute(input, neurons[m]).Values, cpuNeuron.Attribute(input, neurons[m]).Delta, fromOptions[m].Values, fromOptions[m].Delta, what + " neuron IG");
                Attribution<double> own = cpuNeuron.Attribute(input, baseline, neurons[m]);
                Same(own.Values, own.Delta, fromOwn[m].Values, fromOwn[m].Delta, what + " neuron IG, own baseline");
                LayerAttribution<double> shares = cpuRegion.Attribute(input, targets[m], region);
                Same(shares.Values, shares.Delta, sharesFromOptions[m].Values, sharesFromOptions[m].Delta, what + " region-to-neuron");
                LayerAttribution<double> ownShares = cpuRegion.Attribute(input, baseline, targets[m], region);
                Same(ownShares.Values, ownShares.Delta, sharesFromOwn[m].Values, sharesFromOwn[m].Delta, what + " region-to-neuron, own baseline");
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
                Close.All(cpuConductance.Attribute(input, targets[t]).Values, rows[t].Values, Float64Tolerance, what + " neuron conductance");
                Close.All(cpuConductance.Attribute(input, baseline, targets[t]).Values, ownRows[t].Values, Float64Tolerance, what + " neuron conductance, own baseline");
                LayerAttribution<double> single = cpuShares.Attribute(input, targets[t], region);
                Same(single.Values, single.Delta, regions[t].Values, regions[t].Delta, what + " region-to-neuron");
                LayerAttribution<double> own = cpuShares.Attribute(input, baseline, targets[t], region);
                Same(own.Values, own.Delta, ownRegions[t].Values, ownRegions[t].Delta, what + " region-to-neuron, own baseline");
            }
        }
    }

    private static void Same(ReadOnlySpan<double> expected, ConvergenceDelta expectedDelta, ReadOnlySpan<double> actual, ConvergenceDelta actualDelta, string what)
    {
        Close.All(expected, actual, Float64Tolerance, what);
        double[] e = [expectedDelta.OutputAtInput, expectedDelta.OutputAtBaseline, expectedDelta.Absolute];
        double[] a = [actualDelta.OutputAtInput, actualDelta.OutputAtBaseline, actualDelta.Absolute];
        double scale = Math.Max(1, e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++)
        {
            Close.Value(e[i], a[i], Float64Tolerance, scale, $"{what} delta {i}");
        }
    }

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
