using System;
using System.Linq;
using Pathwise.Tests;
using Xunit;

namespace Pathwise.TorchSharp.Tests;

/// <summary>A ReLU layer below tanh layers, for the adaptive rule's first cuts on the device.</summary>
[Network(Precision.Float64)]
public sealed partial class TorchReluTanhMlp
{
    [Input(8)] public partial InputLayer X { get; }
    [Dense(12), ReLU] public partial Layer H1 { get; }
    [Dense(10), Tanh] public partial Layer H2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>
/// The adaptive rule on the device: the same core (intervals, Kronrod and Gauss passes, estimates) over the Torch
/// engine, whose per-call points arrive in <c>Open</c>; values within the estimates of the CPU's, which are themselves
/// checked against independent references in <c>Pathwise.Tests</c>.
/// </summary>
public sealed class TorchAdaptiveRuleTests
{
    [Fact]
    public void AdaptiveIntegratedGradientsAndConductance_AgreeWithTheCpuWithinTheEstimates()
    {
        foreach (INetwork<double> network in new INetwork<double>[] { new TanhMlp(), new TorchReluTanhMlp() })
        {
            network.Parameters.Randomize(new Random(41));
            foreach (Parameter<double> parameter in network.Parameters.Items)
            {
                for (int i = 0; i < parameter.Values.Length; i++)
                {
                    parameter.Values[i] *= 3;
                }
            }

            network.ParametersChanged();
            var random = new Random(42);
            double[] input = [.. Enumerable.Range(0, network.Info.InputLength).Select(_ => (4 * random.NextDouble()) - 2)];
            var options = new LayerAttributionOptions { Rule = QuadratureRule.Adaptive, Tolerance = 1e-9, InternalBatchSize = 8 };
            using TorchNetwork<double> module = network.ToTorch("cpu");

            Attribution<double> cpu = new IntegratedGradients<double>(network, options).Attribute(input, 1);
            using var ig = new TorchIntegratedGradients<double>(module, options);
            Attribution<double> device = ig.Attribute(input, 1);
            Assert.Equal(QuadratureRule.Adaptive, device.Rule);
            Assert.True(device.Error!.Converged);
            Assert.Equal(cpu.Points, device.Points);
            Within(cpu.Values, cpu.Error!, device.Values, device.Error, network.Info.Name + " IG");

            Layer layer = network.Info.Layers[network.Info.Layers.Count - 2];
            LayerAttribution<double> cpuConductance = new LayerConductance<double>(network, layer, options).Attribute(input, 0);
            using var conductance = new TorchLayerConductance<double>(module, layer, options);
            LayerAttribution<double> deviceConductance = conductance.Attribute(input, 0);
            Assert.True(deviceConductance.Error!.Converged);
            Within(cpuConductance.Values, cpuConductance.Error!, deviceConductance.Values, deviceConductance.Error, network.Info.Name + " conductance");

            // A batch on the device runs its examples one by one, each with its own intervals.
            double[] inputs = [.. input, .. input.Select(v => -0.5 * v)];
            Attribution<double>[] batch = ig.AttributeBatch(inputs, [1, 2]);
            Within(cpu.Values, cpu.Error!, batch[0].Values, batch[0].Error!, network.Info.Name + " batch");
            Assert.Equal(QuadratureRule.Adaptive, batch[1].Rule);
        }
    }

    private static void Within(ReadOnlySpan<double> expected, QuadratureError expectedError, ReadOnlySpan<double> actual, QuadratureError actualError, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = expectedError.Features[i] + actualError.Features[i];
            Assert.True(Math.Abs(expected[i] - actual[i]) <= bound, $"{what} [{i}]: {expected[i]:R} vs {actual[i]:R}, estimates {bound:E2}");
        }
    }
}
