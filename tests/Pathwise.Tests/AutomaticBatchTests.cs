using System;
using Xunit;

namespace Pathwise.Tests;

/// <summary>The default internal batch size is chosen per network so the workspace stays small where batching stops paying.</summary>
public sealed class AutomaticBatchTests
{
    [Fact]
    public void Automatic_IsTheLargestPowerOfTwoUpTo64WhoseWorkspaceFits()
    {
        foreach (NetworkInfo info in new[] { new Linear().Info, new ReluMlp().Info, new EveryLayerCnn().Info, new FashionCnn64().Info, new PwlCnn().Info })
        {
            int batch = PathPlan<double>.AutomaticBatch(info);
            Assert.Contains(batch, new[] { 2, 4, 8, 16, 32, 64 });
            Assert.True(batch == 2 || Workspace<double>.RequiredBytes(info, batch + 2) <= IntegratedGradientsOptions.AutomaticWorkspaceBytes, info.Name);
            Assert.True(batch == 64 || Workspace<double>.RequiredBytes(info, 2 * batch + 2) > IntegratedGradientsOptions.AutomaticWorkspaceBytes, info.Name);
        }

        // The 28x28 CNN in float64 holds about 350 KB per point: 16 points (6.3 MB), not 64 (which would take 23 MB).
        Assert.Equal(16, PathPlan<double>.AutomaticBatch(new FashionCnn64().Info));
        Assert.Equal(64, PathPlan<double>.AutomaticBatch(new ReluMlp().Info));
    }

    [Fact]
    public void Automatic_IsTheDefault_AndRunsLikeTheBatchItChooses()
    {
        Assert.Equal(IntegratedGradientsOptions.Automatic, new IntegratedGradientsOptions().InternalBatchSize);
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(3));
        double[] input = NetworkHarness.RandomVector(new Random(4), network.Info.InputLength);
        var automatic = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 20 });
        var explicitBatch = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 20, InternalBatchSize = 16 });

        // The same chunks through the same code: the same numbers.
        Assert.Equal(explicitBatch.Attribute(input, 2).ToArray(), automatic.Attribute(input, 2).ToArray());
    }

    [Fact]
    public void NegativeBatch_IsRefused_AutomaticIsNot()
    {
        new IntegratedGradientsOptions { InternalBatchSize = IntegratedGradientsOptions.Automatic }.Validate();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradientsOptions { InternalBatchSize = -1 }.Validate());
        Assert.Contains("Automatic (0)", error.Message);
    }
}
