using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>After a first call has sized every buffer, attribution calls allocate nothing, whatever the layer kinds.</summary>
[Collection(nameof(AllocationTests))]
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationTests
{
    [Fact]
    public void ConvolutionalIntegratedGradients_AllocatesNothingOnceWarm()
    {
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(1));
        double[] input = NetworkHarness.RandomVector(new Random(2), FashionCnn64.InputLength);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Steps = 12, InternalBatchSize = 5 });
        var attributions = new double[FashionCnn64.InputLength];
        ig.Attribute(input, 0, attributions);
        ig.Attribute(input, 1, attributions);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ig.Attribute(input, 2, attributions);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
