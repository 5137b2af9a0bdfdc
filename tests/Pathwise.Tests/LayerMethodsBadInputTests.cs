using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>Bad input to the hidden-layer methods throws, naming what was expected.</summary>
public sealed class LayerMethodsBadInputTests
{
    private static readonly LayerAttributionOptions s_toInput = new() { AttributeToLayerInput = true };

    [Fact]
    public void NeuronIndexOutOfRange_Throws()
    {
        var network = Randomized(new TanhMlp(), 900);
        var input = new double[8];
        var neuronIg = new NeuronIntegratedGradients<double>(network, network.H2);
        foreach (int neuron in new[] { -1, 12, int.MaxValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => neuronIg.Attribute(input, neuron));
            Assert.Contains("[0, 12)", error.Message);
            Assert.Equal("neuron", error.ParamName);
        }

        // Through the layer input, the range is the previous layer's size.
        var toInput = new NeuronIntegratedGradients<double>(network, network.H2, s_toInput);
        Assert.Contains("[0, 16)", Assert.Throws<ArgumentOutOfRangeException>(() => toInput.Attribute(input, 16)).Message);

        var conductance = new NeuronConductance<double>(network, network.H1);
        var list = Assert.Throws<ArgumentOutOfRangeException>(() => conductance.Attribute(input, 0, [3, 16]));
        Assert.Contains("[0, 16)", list.Message);
        Assert.Equal("neurons", list.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => conductance.Attribute(input, 0, [-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => network.NeuronIntegratedGradients(network.Out, input, 3));
    }

    [Fact]
    public void TargetOrInputOfWrongShape_Throws()
    {
        var network = Randomized(new TanhMlp(), 910);
        var input = new double[8];
        Assert.Contains("[0, 3)", Assert.Throws<ArgumentOutOfRangeException>(() => network.LayerConductance(network.H1, input, 3)).Message);
        Assert.Contains("[0, 3)", Assert.Throws<ArgumentOutOfRangeException>(() => network.InternalInfluence(network.H1, input, -1)).Message);
        Assert.Contains("[0, 3)", Assert.Throws<ArgumentOutOfRangeException>(() => network.NeuronConductance(network.H1, input, 3, [0])).Message);
        Assert.Contains("[0, 3)", Assert.Throws<ArgumentOutOfRangeException>(() => network.RegionToNeuron(network.H1, input, 3, new bool[8])).Message);
        Assert.Contains("length 8", Assert.Throws<ArgumentException>(() => network.LayerConductance(network.H1, new double[5], 0)).Message);
        Assert.Contains("length 8", Assert.Throws<ArgumentException>(() => network.NeuronIntegratedGradients(network.H1, new double[9], 0)).Message);
        Assert.Contains("length 3", Assert.Throws<ArgumentException>(() => new LayerConductance<double>(network, network.H1).Attribute(input, new double[2])).Message);
        var nan = new double[8];
        nan[2] = double.NaN;
        Assert.Contains("element 2", Assert.Throws<ArgumentException>(() => network.InternalInfluence(network.H2, nan, 0)).Message);
    }

    [Fact]
    public void RegionOfWrongLength_Throws()
    {
        var network = Randomized(new EveryLayerCnn(), 920);
        var input = new double[network.Info.InputLength];
        foreach (int length in new[] { 0, 143, 145 })
        {
            var error = Assert.Throws<ArgumentException>(() => network.RegionToNeuron(network.Hidden, input, 0, new bool[length]));
            Assert.Contains("length 144", error.Message);
            Assert.Contains($"got {length}", error.Message);
            Assert.Equal("region", error.ParamName);
        }
    }

    [Fact]
    public void LayerOfAnotherNetwork_Throws()
    {
        var network = Randomized(new TanhMlp(), 930);
        var other = Randomized(new ReluMlp(), 931);
        Layer foreign = other.H1;
        foreach (Func<object> make in new Func<object>[]
        {
            () => new LayerConductance<double>(network, foreign),
            () => new NeuronConductance<double>(network, foreign),
            () => new InternalInfluence<double>(network, foreign),
            () => new NeuronIntegratedGradients<double>(network, foreign),
            () => new RegionToNeuron<double>(network, foreign),
            () => new LayerConductance<double>(network, foreign, s_toInput),
        })
        {
            var error = Assert.Throws<ArgumentException>(make);
            Assert.Contains("'H1'", error.Message);
            Assert.Contains("does not belong to network TanhMlp", error.Message);
        }

        Assert.Throws<ArgumentNullException>(() => new LayerConductance<double>(network, null!));
    }

    [Fact]
    public void LayerInputOfTheInputLayer_Throws()
    {
        var network = Randomized(new TanhMlp(), 940);
        foreach (Func<object> make in new Func<object>[]
        {
            () => new LayerConductance<double>(network, network.X, s_toInput),
            () => new NeuronConductance<double>(network, network.X, s_toInput),
            () => new InternalInfluence<double>(network, network.X, s_toInput),
            () => new NeuronIntegratedGradients<double>(network, network.X, s_toInput),
            () => new RegionToNeuron<double>(network, network.X, s_toInput),
        })
        {
            var error = Assert.Throws<ArgumentException>(make);
            Assert.Contains("'X' is the network input", error.Message);
        }

        // The input layer itself is a valid layer: its conductance is Integrated Gradients.
        double[] input = NetworkHarness.RandomVector(new Random(941), 8, 2);
        LayerAttribution<double> conductance = network.LayerConductance(network.X, input, 1);
        AssertClose(conductance.Values, network.IntegratedGradients(input, 1).Values, 1e-12, "input layer conductance vs IG");
    }

    [Fact]
    public void BadOptions_Throw()
    {
        var network = Randomized(new TanhMlp(), 950);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerConductance<double>(network, network.H1, new LayerAttributionOptions { Points = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NeuronConductance<double>(network, network.H1, new LayerAttributionOptions { InternalBatchSize = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RegionToNeuron<double>(network, network.H1, new LayerAttributionOptions { Rule = QuadratureRule.Trapezoid, Points = 1 }));
        Assert.Contains("length 8", Assert.Throws<ArgumentException>(() => new InternalInfluence<double>(network, network.H1, new LayerAttributionOptions { Baseline = Baseline.Of<double>(new double[3]) })).Message);
    }

    [Fact]
    public void ConvolutionNeurons_AreSelectedByChannelRowAndColumn()
    {
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(61));
        Assert.Equal((5 * 14 + 3) * 14 + 9, network.Conv2.Neuron(5, 3, 9));
        Assert.Equal(network.Pool2.Size - 1, network.Pool2.Neuron(15, 6, 6));

        // The index addresses the same value as the workspace hook, in PyTorch's [channel, row, column] order.
        double[] input = NetworkHarness.RandomVector(new Random(62), FashionCnn64.InputLength);
        var workspace = network.CreateWorkspace(1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Pixels, workspace, 1);
        double[] activations = workspace.Activations(network.Pool1, 1).ToArray();
        Assert.Equal(activations[2 * 14 * 14 + 10 * 14 + 4], activations[network.Pool1.Neuron(2, 10, 4)]);
        NeuronAttribution<double> byCoordinates = network.NeuronConductance(network.Conv2, input, 1, [network.Conv2.Neuron(4, 7, 7)]);
        NeuronAttribution<double> byIndex = network.NeuronConductance(network.Conv2, input, 1, [(4 * 14 + 7) * 14 + 7]);
        LayerMethodFixtures.AssertClose(byCoordinates.Values, byIndex.Values, 1e-12, "same neuron");

        Assert.Equal("row", Assert.Throws<ArgumentOutOfRangeException>(() => network.Conv2.Neuron(0, 14, 0)).ParamName);
        Assert.Equal("channel", Assert.Throws<ArgumentOutOfRangeException>(() => network.Conv2.Neuron(-1, 0, 0)).ParamName);
        Assert.Equal("column", Assert.Throws<ArgumentOutOfRangeException>(() => network.Conv2.Neuron(0, 0, 14)).ParamName);
        Assert.Contains("flat", Assert.Throws<InvalidOperationException>(() => network.Hidden.Neuron(0, 0, 0)).Message);
    }
}
