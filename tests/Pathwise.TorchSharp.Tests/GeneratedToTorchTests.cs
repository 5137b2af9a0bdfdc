using System;
using Pathwise;
using Pathwise.Tests;
using Xunit;

namespace Pathwise.TorchSharp.Tests;

/// <summary>The backend's <c>ToTorch</c> extension on a generated network.</summary>
public sealed class GeneratedToTorchTests
{
    [Fact]
    public void ToTorch_GivesTheSameForwardAndIntegratedGradients()
    {
        var network = new EveryLayerCnn();
        network.InitializeWeights(new Random(31));
        using TorchNetwork<double> module = network.ToTorch("cpu");

        var random = new Random(32);
        var input = new double[EveryLayerCnn.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = 2 * random.NextDouble() - 1;
        }

        var options = new IntegratedGradientsOptions { Points = 16, Rule = QuadratureRule.GaussLegendre, InternalBatchSize = 5 };
        Attribution<double> expected = new IntegratedGradients<double>(network, options).Attribute(input, 1);
        using var torchMethod = new TorchIntegratedGradients<double>(module, options);
        Attribution<double> actual = torchMethod.Attribute(input, 1);

        double scale = 1e-300;
        double difference = 0;
        for (int i = 0; i < input.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected.Values[i]));
            difference = Math.Max(difference, Math.Abs(expected.Values[i] - actual.Values[i]));
        }

        Assert.True(difference / scale < 1e-9, $"relative difference {difference / scale:E2}");
        Assert.Equal(expected.Delta.OutputAtInput, actual.Delta.OutputAtInput, 12);
    }

    [Fact]
    public void ToTorch_RefusesANetworkWhoseWeightsWereNeverSet()
    {
        var network = new EveryLayerCnn();
        var error = Assert.Throws<InvalidOperationException>(() => network.ToTorch("cpu"));
        Assert.Contains("weights were never set", error.Message);
    }
}
