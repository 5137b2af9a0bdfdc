using System;
using System.Collections.Generic;
using System.Linq;
using Pathwise;
using Xunit;
using static Pathwise.Tests.BatchFixtures;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>
/// The batch forms of neuron Integrated Gradients (one neuron per input) and region-to-neuron (one region for every input),
/// and the multi-target forms (<c>AttributeTargets</c>) of neuron conductance and region-to-neuron, on the CPU.
/// </summary>
/// <remarks>
/// Exact equality is asserted only where the code path is literally the same: a batch runs each example through the very
/// per-input code (<c>NeuronIntegratedGradientsMath.Run</c>, <c>RegionToNeuronMath.Run</c>) of a single call, on an engine of its own.
/// </remarks>
public sealed class MoreBatchFormsTests
{
    public static IEnumerable<object[]> Networks() => BatchFixtures.Networks();

    [Theory]
    [MemberData(nameof(Networks))]
    public void NeuronIntegratedGradients_Batch_EqualsSingleCallsExactly(string name)
    {
        INetwork<double> network = Network(name);
        int length = network.Info.InputLength;
        double[] inputs = NetworkHarness.RandomVector(new Random(11), Count * length);
        double[] baselines = NetworkHarness.RandomVector(new Random(12), Count * length, scale: 0.5);
        var options = new LayerAttributionOptions { Points = 5, InternalBatchSize = 3 };
        foreach (Layer layer in network.Info.Layers.Skip(1))
        {
            var method = new NeuronIntegratedGradients<double>(network, layer, options);
            int[] neurons = [.. Enumerable.Range(0, Count).Select(m => (7 * m + 1) % layer.Size)];
            Attribution<double>[] batch = method.AttributeBatch(inputs, neurons);
            Attribution<double>[] own = method.AttributeBatch(inputs, neurons, baselines);
            Assert.Equal(Count, batch.Length);
            Assert.Equal(Count, own.Length);
            for (int m = 0; m < Count; m++)
            {
                double[] input = inputs.AsSpan(m * length, length).ToArray();
                double[] baseline = baselines.AsSpan(m * length, length).ToArray();
                Same(method.Attribute(input, neurons[m]), batch[m]);
                Same(method.Attribute(input, baseline, neurons[m]), own[m]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void RegionToNeuron_Batch_EqualsSingleCallsExactly(string name)
    {
        INetwork<double> network = Network(name);
        NetworkInfo info = network.Info;
        int length = info.InputLength;
        double[] inputs = NetworkHarness.RandomVector(new Random(21), Count * length);
        double[] baselines = NetworkHarness.RandomVector(new Random(22), Count * length, scale: 0.5);
        int[] targets = [.. Enumerable.Range(0, Count).Select(m => (3 * m + 1) % info.OutputLength)];
        bool[] region = [.. Enumerable.Range(0, length).Select(i => i % 3 != 1)];
        var options = new LayerAttributionOptions { Points = 5, InternalBatchSize = 3 };
        foreach (Layer layer in info.Layers.Skip(1))
        {
            var method = new RegionToNeuron<double>(network, layer, options);
            LayerAttribution<double>[] batch = method.AttributeBatch(inputs, targets, region);
            LayerAttribution<double>[] own = method.AttributeBatch(inputs, targets, region, baselines);
            for (int m = 0; m < Count; m++)
            {
                double[] input = inputs.AsSpan(m * length, length).ToArray();
                double[] baseline = baselines.AsSpan(m * length, length).ToArray();
                Same(method.Attribute(input, targets[m], region), batch[m]);
                Same(method.Attribute(input, baseline, targets[m], region), own[m]);
            }
        }
    }

    [Fact]
    public void BatchForms_PerExampleBaselines_AreTheOnesUsed()
    {
        // Independent of the batch code: the network's own forward pass at each example's baseline and input.
        var network = Randomized(new TanhMlp(), 30);
        NetworkInfo info = network.Info;
        int length = info.InputLength;
        double[] inputs = NetworkHarness.RandomVector(new Random(31), Count * length);
        double[] baselines = NetworkHarness.RandomVector(new Random(32), Count * length, scale: 0.5);
        var options = new LayerAttributionOptions { Points = 16 };

        // Neuron IG of the output layer: y_j is F_j, so the delta's endpoints are the outputs at the example's own baseline and input.
        int[] neurons = [0, 1, 2, 0, 1];
        var neuronIg = new NeuronIntegratedGradients<double>(network, info.Layers[^1], options);
        Attribution<double>[] attributions = neuronIg.AttributeBatch(inputs, neurons, baselines);

        // Region-to-neuron with every feature in the region, at a layer every path crosses: sum_j A_j = IG's sum, which
        // completeness puts at F(x) - F(x'), so the region's IG (the delta's "output at input") is that change.
        int[] targets = [2, 0, 1, 1, 0];
        bool[] region = [.. Enumerable.Repeat(true, length)];
        LayerAttribution<double>[] shares = new RegionToNeuron<double>(network, info.Layers[1], options).AttributeBatch(inputs, targets, region, baselines);
        for (int m = 0; m < Count; m++)
        {
            double[] atBaseline = NetworkHarness.Forward(network, baselines.AsSpan(m * length, length));
            double[] atInput = NetworkHarness.Forward(network, inputs.AsSpan(m * length, length));
            Assert.Equal(atBaseline[neurons[m]], attributions[m].Delta.OutputAtBaseline, 12);
            Assert.Equal(atInput[neurons[m]], attributions[m].Delta.OutputAtInput, 12);

            // Completeness against the example's own baseline: Gauss-Legendre with 16 points on a tanh MLP.
            Assert.True(attributions[m].Delta.Relative < 1e-6, $"input {m}: relative delta {attributions[m].Delta.Relative:E3}");
            double change = atInput[targets[m]] - atBaseline[targets[m]];
            Assert.True(Math.Abs(shares[m].Delta.OutputAtInput - change) <= 1e-6 * Math.Abs(change), $"input {m}: region IG {shares[m].Delta.OutputAtInput} against F(x) - F(x') {change}");
        }
    }

    [Fact]
    public void BatchForms_BadBatches_RejectedNamingTheRow()
    {
        var network = Randomized(new TanhMlp(), 40);
        Layer layer = network.Info.Layers[1];
        double[] inputs = NetworkHarness.RandomVector(new Random(41), 3 * 8);
        double[] badInput = (double[])inputs.Clone();
        badInput[8 + 5] = double.NaN;
        double[] badBaselines = new double[3 * 8];
        badBaselines[2 * 8] = double.PositiveInfinity;

        var neuronIg = new NeuronIntegratedGradients<double>(network, layer);
        Assert.Contains("multiple of the input length 8", Assert.Throws<ArgumentException>("inputs", () => neuronIg.AttributeBatch(new double[15], [0, 1])).Message);
        Assert.Contains("one neuron per input, 3; got 2", Assert.Throws<ArgumentException>("neurons", () => neuronIg.AttributeBatch(inputs, [0, 1])).Message);
        Assert.Contains("got 16", Assert.Throws<ArgumentException>("baselines", () => neuronIg.AttributeBatch(inputs, [0, 1, 2], new double[16])).Message);

        // A neuron index is checked against the layer's 16 neurons, not the network's 3 outputs.
        neuronIg.AttributeBatch(inputs, [15, 3, 0]);
        Assert.Throws<ArgumentOutOfRangeException>("neurons[2]", () => neuronIg.AttributeBatch(inputs, [0, 1, 16]));
        Assert.Throws<ArgumentOutOfRangeException>("neurons[1]", () => neuronIg.AttributeBatch(inputs, [0, -1, 0]));
        Assert.Throws<ArgumentException>("inputs[1]", () => neuronIg.AttributeBatch(badInput, [0, 1, 2]));
        Assert.Throws<ArgumentException>("baselines[2]", () => neuronIg.AttributeBatch(inputs, [0, 1, 2], badBaselines));
        Assert.Empty(neuronIg.AttributeBatch([], []));

        var regionToNeuron = new RegionToNeuron<double>(network, layer);
        bool[] region = [true, false, true, true, false, false, true, true];
        int[] targets = [0, 1, 2];
        Assert.Throws<ArgumentException>("region", () => regionToNeuron.AttributeBatch(inputs, targets, new bool[7]));
        Assert.Contains("multiple of the input length 8", Assert.Throws<ArgumentException>("inputs", () => regionToNeuron.AttributeBatch(new double[15], [0, 1], region)).Message);
        Assert.Contains("one target per input, 3; got 2", Assert.Throws<ArgumentException>("targets", () => regionToNeuron.AttributeBatch(inputs, [0, 1], region)).Message);
        Assert.Contains("got 16", Assert.Throws<ArgumentException>("baselines", () => regionToNeuron.AttributeBatch(inputs, targets, region, new double[16])).Message);
        Assert.Throws<ArgumentOutOfRangeException>("targets[2]", () => regionToNeuron.AttributeBatch(inputs, [0, 1, 3], region));
        Assert.Throws<ArgumentException>("inputs[1]", () => regionToNeuron.AttributeBatch(badInput, targets, region));
        Assert.Throws<ArgumentException>("baselines[2]", () => regionToNeuron.AttributeBatch(inputs, targets, region, badBaselines));
        Assert.Empty(regionToNeuron.AttributeBatch([], [], region));
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void AttributeTargets_NeuronConductanceAndRegionToNeuron_EqualPerTargetCallsExactly(string name)
    {
        // Same code path per target: each target's backward pass from the same one-hot seed over the same forward
        // activations (and, for region-to-neuron, the same tangent) as its single call, into its own zeroed accumulator, in
        // the same chunk order. (Region-to-neuron's single call may split a call's points over two cores when its work
        // reaches 256 KB; these networks stay below that, so the single call runs the one chunk loop too.)
        INetwork<double> network = Network(name);
        NetworkInfo info = network.Info;
        (double[] input, double[] baseline) = InputAndBaseline(info, 50);
        int last = info.OutputLength - 1;
        int[] targets = [last, 0, last, 1 % info.OutputLength];
        bool[] region = [.. Enumerable.Range(0, info.InputLength).Select(i => i % 4 != 2)];
        var options = new LayerAttributionOptions { Points = 7, InternalBatchSize = 3 };
        foreach (Layer layer in info.Layers.Skip(1))
        {
            var conductance = new NeuronConductance<double>(network, layer, options);
            var shares = new RegionToNeuron<double>(network, layer, options);
            NeuronAttribution<double>[] rows = conductance.AttributeTargets(input, targets);
            NeuronAttribution<double>[] ownRows = conductance.AttributeTargets(input, baseline, targets);
            LayerAttribution<double>[] regions = shares.AttributeTargets(input, targets, region);
            LayerAttribution<double>[] ownRegions = shares.AttributeTargets(input, baseline, targets, region);
            Assert.Equal(targets.Length, rows.Length);
            Assert.Equal(targets.Length, ownRegions.Length);
            for (int t = 0; t < targets.Length; t++)
            {
                Same(conductance.Attribute(input, targets[t]), rows[t]);
                Same(conductance.Attribute(input, baseline, targets[t]), ownRows[t]);
                Same(shares.Attribute(input, targets[t], region), regions[t]);
                Same(shares.Attribute(input, baseline, targets[t], region), ownRegions[t]);
            }
        }

        Layer first = info.Layers[1];
        Assert.Empty(new NeuronConductance<double>(network, first, options).AttributeTargets(input, []));
        Assert.Empty(new RegionToNeuron<double>(network, first, options).AttributeTargets(input, [], region));
        Assert.Throws<ArgumentOutOfRangeException>("targets", () => new NeuronConductance<double>(network, first, options).AttributeTargets(input, [0, info.OutputLength]));
        Assert.Throws<ArgumentOutOfRangeException>("targets", () => new RegionToNeuron<double>(network, first, options).AttributeTargets(input, [-1], region));
        Assert.Throws<ArgumentException>("region", () => new RegionToNeuron<double>(network, first, options).AttributeTargets(input, [0], new bool[info.InputLength + 1]));
    }
}
