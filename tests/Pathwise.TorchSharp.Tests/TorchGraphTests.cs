using System;
using System.Collections.Generic;
using Pathwise;
using Pathwise.Tests;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// Graph networks ([Add], [Concat]) on the TorchSharp backend against the CPU engine: every layer's activation, and
/// the attributions, within 1e-9 relative (float64; torch's kernels sum in another order).
/// </summary>
public sealed class TorchGraphTests
{
    public static IEnumerable<object[]> Networks()
    {
        yield return [new ResidualCnn()];
        yield return [new FlatGraph()];
        yield return [new ConcatCnn()];
        yield return [new PwlGraph()];
        yield return [new ProjectionCnn()];
    }

    private static double[] Input(INetwork<double> network, int seed)
    {
        var random = new Random(seed);
        var values = new double[network.Info.InputLength];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = 2 * ((2 * random.NextDouble()) - 1);
        }

        return values;
    }

    private static void Randomize(INetwork<double> network, int seed)
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
    }

    private static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1e-300, difference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            difference = Math.Max(difference, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(difference / scale < tolerance, $"{what}: relative difference {difference / scale:E2}");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void EveryLayersActivation_MatchesTheCpu(INetwork<double> network)
    {
        Randomize(network, 41);
        double[] input = Input(network, 42);
        using TorchNetwork<double> module = network.ToTorch("cpu");
        var workspace = new Workspace<double>(network.Info, 1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Info.Input, workspace, 1);
        using var scope = NewDisposeScope();
        Tensor[] activations = module.ForwardAll(module.InputTensor(input, 1));
        foreach (Layer layer in network.Info.Layers)
        {
            double[] torchValues = activations[layer.Index].reshape(-1).data<double>().ToArray();
            AssertClose(workspace.Activations(layer, 1), torchValues, 1e-12, $"{network.Info.Name}.{layer.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void IntegratedGradients_MatchTheCpu(INetwork<double> network)
    {
        Randomize(network, 43);
        double[] input = Input(network, 44);
        using TorchNetwork<double> module = network.ToTorch("cpu");
        QuadratureRule rule = network is ResidualCnn or PwlGraph or ProjectionCnn ? QuadratureRule.Exact : QuadratureRule.GaussLegendre;
        var options = new IntegratedGradientsOptions { Points = 16, Rule = rule, InternalBatchSize = 7 };
        Attribution<double> expected = new IntegratedGradients<double>(network, options).Attribute(input, 1);
        using var torchMethod = new TorchIntegratedGradients<double>(module, options);
        Attribution<double> actual = torchMethod.Attribute(input, 1);
        Assert.Equal(expected.Rule, actual.Rule);
        Assert.Equal(expected.Points, actual.Points);
        AssertClose(expected.Values, actual.Values, 1e-9, network.Info.Name);
    }

    [Fact]
    public void LayerMethods_AtABlockOutput_AndInsideABlock_MatchTheCpu()
    {
        var network = new ResidualCnn();
        Randomize(network, 45);
        double[] input = Input(network, 46);
        using TorchNetwork<double> module = network.ToTorch("cpu");
        var options = new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 12 };

        LayerAttribution<double> cpu = new LayerConductance<double>(network, network.Block1, options).Attribute(input, 2);
        using var torchConductance = new TorchLayerConductance<double>(module, network.Block1, options);
        AssertClose(cpu.Values, torchConductance.Attribute(input, 2).Values, 1e-9, "conductance at Block1");

        LayerAttribution<double> cpuIg = new LayerIntegratedGradients<double>(network, network.Block1, options).Attribute(input, 2);
        using var torchIg = new TorchLayerIntegratedGradients<double>(module, network.Block1, options);
        AssertClose(cpuIg.Values, torchIg.Attribute(input, 2).Values, 1e-9, "layer IG at Block1");

        // Inside a block: only the layer moves along the path, the skip around it stays at x (Captum's layer IG).
        foreach (Layer inside in new Layer[] { network.Block1Conv2, network.Block2Norm1 })
        {
            LayerAttribution<double> cpuInside = new LayerIntegratedGradients<double>(network, inside, options).Attribute(input, 2);
            using var torchInside = new TorchLayerIntegratedGradients<double>(module, inside, options);
            LayerAttribution<double> torchResult = torchInside.Attribute(input, 2);
            AssertClose(cpuInside.Values, torchResult.Values, 1e-9, $"layer IG at {inside.Name}");
            Assert.Equal(cpuInside.Delta.Absolute, torchResult.Delta.Absolute, 1e-9);

            Attribution<double> cpuNeuron = new NeuronIntegratedGradients<double>(network, inside, options).Attribute(input, 17);
            using var torchNeuron = new TorchNeuronIntegratedGradients<double>(module, inside, options);
            AssertClose(cpuNeuron.Values, torchNeuron.Attribute(input, 17).Values, 1e-9, $"neuron IG at {inside.Name}");

            NeuronAttribution<double> cpuConductance = new NeuronConductance<double>(network, inside, options).Attribute(input, 2, [3, 40]);
            using var torchConductance2 = new TorchNeuronConductance<double>(module, inside, options);
            AssertClose(cpuConductance.Values, torchConductance2.Attribute(input, 2, [3, 40]).Values, 1e-9, $"neuron conductance at {inside.Name}");

            // The exact rule inside the block: both backends cut the same pieces with the skip held at x, and complete.
            var exact = new LayerAttributionOptions { Rule = QuadratureRule.Exact };
            LayerAttribution<double> cpuExact = new LayerIntegratedGradients<double>(network, inside, exact).Attribute(input, 2);
            using var torchExact = new TorchLayerIntegratedGradients<double>(module, inside, exact);
            LayerAttribution<double> torchExactResult = torchExact.Attribute(input, 2);
            Assert.Equal(QuadratureRule.Exact, torchExactResult.Rule);
            Assert.Equal(cpuExact.Points, torchExactResult.Points);
            AssertClose(cpuExact.Values, torchExactResult.Values, 1e-9, $"exact layer IG at {inside.Name}");
            Assert.True(Math.Abs(torchExactResult.Delta.Absolute) < 1e-10, $"exact delta at {inside.Name}: {torchExactResult.Delta.Absolute:E2}");
        }
    }
}
