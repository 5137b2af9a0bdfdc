using System;
using System.Globalization;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// Requests no practical use makes are refused with an <see cref="ArgumentOutOfRangeException"/> naming the setting,
/// the limit and the value, before anything large is allocated; baselines must be finite in the element type.
/// </summary>
public sealed class ArgumentLimitsTests
{
    // A refused request may allocate its message and the small objects of the method, nothing near the request.
    private const long SmallAllocation = 1 << 20;

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(100_000_000)]
    [InlineData(QuadratureNodes.MaxPoints + 1)]
    [InlineData(3_000_000)]
    public void StepsAboveTheLimit_AreRefusedBeforeAllocating(int steps)
    {
        var network = Drawn(new TinyMlp32());
        foreach (QuadratureRule rule in Enum.GetValues<QuadratureRule>())
        {
            // Points = InternalBatchSize = 3e6 once overflowed the workspace size.
            var options = new IntegratedGradientsOptions { Points = steps, Rule = rule, InternalBatchSize = Math.Min(steps, 3_000_000) };
            long before = GC.GetAllocatedBytesForCurrentThread();
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<float>(network, options));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal("Points", error.ParamName);
            Assert.Contains("1000000", error.Message);
            Assert.Contains(steps.ToString(CultureInfo.InvariantCulture), error.Message);
            Assert.True(allocated < SmallAllocation, $"{rule}: {allocated} bytes allocated before refusing");
        }

        var layerOptions = new LayerAttributionOptions { Points = steps };
        Assert.Equal("Points", Assert.Throws<ArgumentOutOfRangeException>(() => new LayerConductance<float>(network, network.H1, layerOptions)).ParamName);
    }

    [Fact]
    public void InternalBatchSizeAboveTheLimit_IsRefused()
    {
        var network = Drawn(new TinyMlp32());
        foreach (int size in new[] { IntegratedGradientsOptions.MaxInternalBatchSize + 1, 3_000_000, int.MaxValue })
        {
            var options = new IntegratedGradientsOptions { InternalBatchSize = size };
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<float>(network, options));
            Assert.Equal("InternalBatchSize", error.ParamName);
            Assert.Contains("1000000", error.Message);
            Assert.Contains(size.ToString(CultureInfo.InvariantCulture), error.Message);
        }
    }

    [Fact]
    public void TheLargestAllowedSettings_Build()
    {
        var network = Drawn(new TinyMlp32());
        var options = new IntegratedGradientsOptions
        {
            Points = QuadratureNodes.MaxPoints,
            InternalBatchSize = IntegratedGradientsOptions.MaxInternalBatchSize,
        };

        // A million Gauss-Legendre nodes and a workspace of a million points (about 0.3 GB for this MLP).
        var method = new IntegratedGradients<float>(network, options);
        Assert.Equal(QuadratureNodes.MaxPoints, method.Options.Points);
    }

    [Fact]
    public void InteriorGradientsCountAboveTheLimit_IsRefused()
    {
        var network = Drawn(new TinyMlp32());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new InteriorGradients<float>(network, new InteriorGradientsOptions { Count = int.MaxValue }));
        Assert.Equal("Count", error.ParamName);
        Assert.Contains("1000000", error.Message);
    }

    [Fact]
    public void WorkspaceOfIntMaxValuePoints_IsRefusedNamingTheLayer()
    {
        var network = Drawn(new TinyMlp32());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => network.CreateWorkspace(int.MaxValue));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < SmallAllocation);
        Assert.Equal("capacity", error.ParamName);

        // The widest layer, H1, holds 16 values per point: the largest capacity is Array.MaxLength / 16.
        Assert.Contains($"at most {Array.MaxLength / 16} points", error.Message);
        Assert.Contains("'H1'", error.Message);
        Assert.Contains(int.MaxValue.ToString(CultureInfo.InvariantCulture), error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Workspace<float>.RequiredBytes(network.Info, int.MaxValue));
    }

    [Fact]
    public void WorkspaceSize_IsCountedPerBuffer_AndRefusedBeyondTheProcessMemory()
    {
        var network = Drawn(new FashionCnn64());

        // Values per point: the input (2 buffers), the activated convolutions (4: output, pre-activation, and
        // their gradients), the pools (2), flatten (a view, 0), the activated dense layer (4), the logits (2).
        long perPoint = 784 * 2 + 6272 * 4 + 1568 * 2 + 3136 * 4 + 784 * 2 + 64 * 4 + 10 * 2;
        Assert.Equal(perPoint * sizeof(double) * 3, Workspace<double>.RequiredBytes(network.Info, 3));

        // The widest layer (Conv1, 6272 values per point) bounds the capacity by the longest array...
        int largest = Array.MaxLength / 6272;
        var tooWide = Assert.Throws<ArgumentOutOfRangeException>(() => network.CreateWorkspace(largest + 1));
        Assert.Contains("'Conv1'", tooWide.Message);

        // ...and the buffers together at that capacity (about 120 GB) exceed what this process may use on any
        // machine that runs these tests; the refusal comes before the first buffer.
        long required = Workspace<double>.RequiredBytes(network.Info, largest);
        Assert.Equal(perPoint * sizeof(double) * largest, required);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (required > available)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var tooMuch = Assert.Throws<ArgumentOutOfRangeException>(() => network.CreateWorkspace(largest));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < SmallAllocation);
            Assert.Equal("capacity", tooMuch.ParamName);
            Assert.Contains(required.ToString("N0", CultureInfo.CurrentCulture), tooMuch.Message);
        }
    }

    [Fact]
    public void AllowedBatchTooLargeForTheNetwork_IsRefusedNamingTheBatchSize()
    {
        // Within the options' limits, but a million points of this CNN's widest layer exceed an array.
        var options = new IntegratedGradientsOptions { Points = QuadratureNodes.MaxPoints, InternalBatchSize = IntegratedGradientsOptions.MaxInternalBatchSize };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradients<double>(Drawn(new FashionCnn64()), options));

        // The nodes and weights (a million each, in double and in T) come first; nothing of the workspace's size.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20);
        Assert.Contains("InternalBatchSize", error.Message);
        Assert.Contains("'Conv1'", error.Message);
    }

    [Fact]
    public void BaselineOutsideFloat32_IsRefusedForAFloat32Network()
    {
        var network32 = Drawn(new TinyMlp32());
        var huge = new IntegratedGradientsOptions { Baseline = Baseline.Constant(1e300) };
        var error = Assert.Throws<ArgumentException>(() => new IntegratedGradients<float>(network32, huge));
        Assert.Equal("Baseline", error.ParamName);
        Assert.Contains("Single", error.Message);
        Assert.Contains("1E+300", error.Message);

        // The same constant is finite in float64, and float32's largest value is accepted.
        Assert.NotNull(new IntegratedGradients<double>(Drawn(new TinyMlp64()), huge));
        Assert.NotNull(new IntegratedGradients<float>(network32, new IntegratedGradientsOptions { Baseline = Baseline.Constant(float.MaxValue) }));

        double[] values = new double[8];
        values[5] = -1e39;
        var tensor = new LayerAttributionOptions { Baseline = Baseline.Of<double>(values) };
        var elementError = Assert.Throws<ArgumentException>(() => new LayerConductance<float>(network32, network32.H1, tensor));
        Assert.Contains("element 5", elementError.Message);
        Assert.Throws<ArgumentException>(() => new InteriorGradients<float>(network32, new InteriorGradientsOptions { Baseline = Baseline.Of<double>(values) }));
    }

    [Fact]
    public void ResultsLargerThanAnArray_AreRefusedBeforeAnyPass()
    {
        // 2,800,000 rows of the CNN's 784 inputs is 2.2e9 elements: past Array.MaxLength, where int products wrap.
        var network = Drawn(new FashionCnn64());
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 4 });
        int[] targets = new int[2_800_000];
        double[] input = new double[FashionCnn64.InputLength];

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ig.AttributeTargets(input, targets));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1L << 20);
        Assert.Equal("targets", error.ParamName);
        Assert.Contains("exceed a .NET array", error.Message);

        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => ig.AttributeTargets(input, targets, new double[1], new ConvergenceDelta[targets.Length])).ParamName);
        Assert.Equal("neurons", Assert.Throws<ArgumentOutOfRangeException>(() => new NeuronConductance<double>(network, network.Conv1, new LayerAttributionOptions { Points = 2 }).Attribute(input, 0, targets)).ParamName);
    }

    // The limits are about the call: every network here has weights, so only the argument can be refused.
    private static TNetwork Drawn<TNetwork>(TNetwork network) where TNetwork : class
    {
        switch (network)
        {
            case INetwork<float> narrow:
                narrow.Parameters.Randomize(new Random(1));
                narrow.ParametersChanged();
                break;
            case INetwork<double> wide:
                wide.Parameters.Randomize(new Random(1));
                wide.ParametersChanged();
                break;
        }

        return network;
    }
}
