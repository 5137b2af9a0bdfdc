using System;
using Pathwise;
using Pathwise.Tests;
using Xunit;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// Code written against <see cref="IAttributionMethod{T, TResult}"/> runs on either backend by changing only the line
/// that builds the method: the same calls, through the interface, give the CPU's results on the device (float64,
/// 1e-9 relative to the largest value, the bound of the other cross-checks).
/// </summary>
public class BackendInterfaceTests
{
    private const double Float64Tolerance = 1e-9;

    [Theory]
    [InlineData(nameof(ReluMlp))]
    [InlineData(nameof(EveryLayerCnn))]
    public void IntegratedGradients_ThroughTheInterface_SameOnBothBackends(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        var options = new IntegratedGradientsOptions { Points = 7, InternalBatchSize = 3, Baseline = Baseline.Constant(0.2) };
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var torch = new TorchIntegratedGradients<double>(module, options);

        Explanation cpuRun = Explain(new IntegratedGradients<double>(subject.Network, options), subject);
        Explanation torchRun = Explain(torch, subject);

        AssertSame(cpuRun.FromOptions, torchRun.FromOptions, name + " options' baseline");
        AssertSame(cpuRun.FromOwn, torchRun.FromOwn, name + " own baseline");
    }

    [Theory]
    [InlineData(nameof(ReluMlp))]
    [InlineData(nameof(EveryLayerCnn))]
    public void LayerConductance_ThroughTheInterface_SameOnBothBackends(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        Layer layer = subject.Info.Layers[subject.Info.Layers.Count / 2];
        var options = new LayerAttributionOptions { Points = 5, InternalBatchSize = 2 };
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var torch = new TorchLayerConductance<double>(module, layer, options);
        double[] input = subject.RandomPoints(1, 61);
        double[] baseline = subject.RandomPoints(1, 62, scale: 0.5);

        LayerAttribution<double> cpuResult = Conductance(new LayerConductance<double>(subject.Network, layer, options), input, baseline);
        LayerAttribution<double> torchResult = Conductance(torch, input, baseline);

        Assert.Same(cpuResult.Layer, torchResult.Layer);
        Close.All<double>(cpuResult.Values, torchResult.Values, Float64Tolerance, name + " conductance");
        Close.Value(cpuResult.Delta.Absolute, torchResult.Delta.Absolute, Float64Tolerance, Math.Max(1, Math.Abs(cpuResult.Sum())), name + " delta");

        // The caller's code: it sees only the interface.
        static LayerAttribution<double> Conductance(IAttributionMethod<double, LayerAttribution<double>> method, double[] input, double[] baseline) =>
            method.Attribute(input, baseline, 1);
    }

    /// <summary>What a caller holding only the interface does: both overloads, for the last output.</summary>
    private static Explanation Explain(IAttributionMethod<double, Attribution<double>> method, Subject<double> subject)
    {
        double[] input = subject.RandomPoints(1, 63);
        double[] baseline = subject.RandomPoints(1, 64, scale: 0.5);
        int target = subject.Info.OutputLength - 1;
        return new Explanation(method.Attribute(input, target), method.Attribute(input, baseline, target));
    }

    private static void AssertSame(Attribution<double> expected, Attribution<double> actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Points, actual.Points);
        Close.All<double>(expected.Values, actual.Values, Float64Tolerance, what);
        double scale = Math.Max(Math.Abs(expected.Delta.OutputAtInput), Math.Abs(expected.Delta.OutputAtBaseline));
        Close.Value(expected.Delta.OutputAtInput, actual.Delta.OutputAtInput, 1e-12, scale, what + " F(x)");
        Close.Value(expected.Delta.OutputAtBaseline, actual.Delta.OutputAtBaseline, 1e-12, scale, what + " F(x')");
    }

    private sealed record Explanation(Attribution<double> FromOptions, Attribution<double> FromOwn);
}
