using System;
using Pathwise;
using Pathwise.Tests;
using Xunit;

namespace Pathwise.TorchSharp.Tests;

/// <summary>Saliency and input times gradient on TorchSharp against the CPU's (which the numerics tests hold to finite differences).</summary>
public class TorchGradientMethodsTests
{
    public static TheoryData<string> Networks() => new(Subjects.Float64);

    // Float64: the same gradient by two backends (generated passes vs libtorch autograd), summed in other orders;
    // 1e-9 relative to the largest value is the brief's bound.
    [Theory]
    [MemberData(nameof(Networks))]
    public void Saliency_AndInputXGradient_MatchCpu_Float64(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 17);
        int target = subject.Info.OutputLength - 1;
        var signed = new SaliencyOptions { Absolute = false };

        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var torchSaliency = new TorchSaliency<double>(module, signed);
        using var torchAbsolute = new TorchSaliency<double>(module);
        using var torchProduct = new TorchInputXGradient<double>(module);

        Close.All(new Saliency<double>(subject.Network, signed).Attribute(input, target).Values, torchSaliency.Attribute(input, target).Values, 1e-9, name + " saliency");
        Close.All(new Saliency<double>(subject.Network).Attribute(input, target).Values, torchAbsolute.Attribute(input, target).Values, 1e-9, name + " |saliency|");
        Close.All(new InputXGradient<double>(subject.Network).Attribute(input, target).Values, torchProduct.Attribute(input, target).Values, 1e-9, name + " input x gradient");

        double[] weights = new double[subject.Info.OutputLength];
        for (int j = 0; j < weights.Length; j++)
        {
            weights[j] = 0.5 - 0.3 * j;
        }

        Close.All(new Saliency<double>(subject.Network, signed).Attribute(input, weights).Values, torchSaliency.Attribute(input, weights).Values, 1e-9, name + " weighted saliency");
    }

    [Theory]
    [InlineData(nameof(EveryLayerCnn), 2)]
    [InlineData(nameof(ReluMlp), 64)]
    public void AttributeBatch_MatchesCpuBatch(string name, int internalBatchSize)
    {
        Subject<double> subject = Subjects.Create64(name);
        const int count = 5;
        double[] inputs = subject.RandomPoints(count, seed: 23);
        int outputs = subject.Info.OutputLength;
        int[] targets = [0, outputs - 1, 1, 0, outputs - 1];
        var options = new GradientMethodOptions { InternalBatchSize = internalBatchSize };

        FeatureAttribution<double>[] expected = new InputXGradient<double>(subject.Network, options).AttributeBatch(inputs, targets);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var method = new TorchInputXGradient<double>(module, options);
        FeatureAttribution<double>[] actual = method.AttributeBatch(inputs, targets);

        Assert.Equal(count, actual.Length);
        for (int m = 0; m < count; m++)
        {
            Close.All(expected[m].Values, actual[m].Values, 1e-9, $"{name} row {m}");
            Assert.Equal(1, actual[m].Points);
            Assert.Equal(subject.Info.Input.OutputShape, actual[m].Shape);
        }
    }

    [Fact]
    public void BadArguments_ThrowAsOnTheCpu()
    {
        Subject<double> subject = Subjects.Create64(nameof(ActivationZoo));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var saliency = new TorchSaliency<double>(module);
        Assert.Throws<ArgumentException>("input", () => saliency.Attribute(new double[5], 0));
        Assert.Throws<ArgumentOutOfRangeException>("target", () => saliency.Attribute(new double[6], 4));
        Assert.Throws<ArgumentException>("input", () => saliency.Attribute([0, 0, double.NaN, 0, 0, 0], 0));
        Assert.Throws<ArgumentOutOfRangeException>("targets[0]", () => saliency.AttributeBatch(new double[6], [9]));
        Assert.Throws<ArgumentOutOfRangeException>("InternalBatchSize", () => new TorchSaliency<double>(module, new SaliencyOptions { InternalBatchSize = -1 }));

        var disposed = new TorchInputXGradient<double>(module);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => disposed.Attribute(new double[6], 0));
    }
}
