using System;
using System.Linq;
using Pathwise.Tests;
using Xunit;

namespace Pathwise.TorchSharp.Tests;

/// <summary>The exact rule on the device: the same pieces (found on the host from the module's tensors) and the same values as on the CPU.</summary>
public sealed class TorchExactRuleTests
{
    [Fact]
    public void ExactIntegratedGradientsAndConductance_MatchTheCpu()
    {
        foreach (INetwork<double> network in new INetwork<double>[] { new PwlMlp(), new PwlCnn(), new PwlGlobalPoolCnn(), new PwlGeneralConvNet(), new PwlConv1DNet() })
        {
            network.Parameters.Randomize(new Random(21));
            network.ParametersChanged();
            var random = new Random(22);
            double[] input = [.. Enumerable.Range(0, network.Info.InputLength).Select(_ => 4 * random.NextDouble() - 2)];
            var options = new LayerAttributionOptions { Rule = QuadratureRule.Exact, InternalBatchSize = 5 };
            using TorchNetwork<double> module = network.ToTorch("cpu");

            Attribution<double> expected = new IntegratedGradients<double>(network, options).Attribute(input, 1);
            using var ig = new TorchIntegratedGradients<double>(module, options);
            Attribution<double> actual = ig.Attribute(input, 1);
            Assert.Equal(QuadratureRule.Exact, actual.Rule);
            Assert.Equal(expected.Points, actual.Points);
            Close.All<double>(expected.Values, actual.Values, 1e-9, network.Info.Name + " IG");
            Assert.True(Math.Abs(actual.Delta.Relative) < 1e-11, $"device delta {actual.Delta.Relative:E2}");

            Layer layer = network.Info.Layers[network.Info.Layers.Count - 2];
            LayerAttribution<double> cpu = new LayerConductance<double>(network, layer, options).Attribute(input, 0);
            using var conductance = new TorchLayerConductance<double>(module, layer, options);
            LayerAttribution<double> device = conductance.Attribute(input, 0);
            Assert.Equal(cpu.Points, device.Points);
            Close.All<double>(cpu.Values, device.Values, 1e-9, network.Info.Name + " conductance");

            // A batch on the device runs the examples one by one (each path has its own pieces), as the CPU does.
            double[] inputs = [.. input, .. input.Select(v => -0.5 * v)];
            Attribution<double>[] batch = ig.AttributeBatch(inputs, [1, 2]);
            Close.All<double>(expected.Values, batch[0].Values, 1e-9, network.Info.Name + " batch");
            Assert.Equal(QuadratureRule.Exact, batch[1].Rule);
        }
    }

    [Fact]
    public void ExactLayerIntegratedGradients_MatchTheCpu_OnEveryLayer()
    {
        foreach (INetwork<double> network in new INetwork<double>[] { new PwlMlp(), new PwlCnn() })
        {
            network.Parameters.Randomize(new Random(23));
            network.ParametersChanged();
            var random = new Random(24);
            double[] input = [.. Enumerable.Range(0, network.Info.InputLength).Select(_ => 4 * random.NextDouble() - 2)];
            var options = new LayerAttributionOptions { Rule = QuadratureRule.Exact, InternalBatchSize = 5, Baseline = Baseline.Constant(0.1) };
            using TorchNetwork<double> module = network.ToTorch("cpu");
            foreach (Layer layer in network.Info.Layers.Skip(1))
            {
                LayerAttribution<double> cpu = new LayerIntegratedGradients<double>(network, layer, options).Attribute(input, 2);
                using var method = new TorchLayerIntegratedGradients<double>(module, layer, options);
                LayerAttribution<double> device = method.Attribute(input, 2);
                Assert.Equal(QuadratureRule.Exact, device.Rule);
                Assert.Equal(cpu.Points, device.Points);
                Close.All<double>(cpu.Values, device.Values, 1e-9, $"{network.Info.Name}.{layer.Name}");
                Assert.True(Math.Abs(device.Delta.Relative) < 1e-10, $"{network.Info.Name}.{layer.Name}: device delta {device.Delta.Relative:E2}");
            }
        }
    }
}
