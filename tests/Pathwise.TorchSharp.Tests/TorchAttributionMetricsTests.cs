using System;
using Pathwise;
using Pathwise.Tests;
using Xunit;

namespace Pathwise.TorchSharp.Tests;

/// <summary>The metrics and the noise tunnel on TorchSharp against the CPU's (which the numerics tests hold to closed forms).</summary>
public class TorchAttributionMetricsTests
{
    [Theory]
    [InlineData(nameof(EveryLayerCnn))]
    [InlineData(nameof(ActivationZoo))]
    public void InfidelityAndCurves_MatchCpu_Float64(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        double[] input = subject.RandomPoints(1, seed: 29);
        int target = 1;
        double[] attribution = new InputXGradient<double>(subject.Network).Attribute(input, target).ToArray();
        var infidelity = new InfidelityOptions { Perturbations = 12, StandardDeviation = 0.2, Seed = 4, Normalize = true, MultiplyByInputs = true };
        var curve = new CurveOptions { Steps = 7, Baseline = Baseline.Constant(-0.1) };

        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        double expected = AttributionMetrics.Infidelity<double>(subject.Network, input, target, attribution, infidelity);
        double actual = TorchAttributionMetrics.Infidelity<double>(module, input, target, attribution, infidelity);
        Close.Value(expected, actual, 1e-9, expected, name + " infidelity");

        AttributionCurve cpuDeletion = AttributionMetrics.Deletion<double>(subject.Network, input, target, attribution, curve);
        AttributionCurve torchDeletion = TorchAttributionMetrics.Deletion<double>(module, input, target, attribution, curve);
        Close.All(cpuDeletion.Outputs, torchDeletion.Outputs, 1e-9, name + " deletion");
        Close.Value(cpuDeletion.Area, torchDeletion.Area, 1e-9, cpuDeletion.Area, name + " deletion area");

        AttributionCurve cpuInsertion = AttributionMetrics.Insertion<double>(subject.Network, input, target, attribution, curve);
        AttributionCurve torchInsertion = TorchAttributionMetrics.Insertion<double>(module, input, target, attribution, curve);
        Close.All(cpuInsertion.Outputs, torchInsertion.Outputs, 1e-9, name + " insertion");
    }

    [Fact]
    public void NoiseTunnelAndSensitivity_OverTorchSaliency_MatchCpu()
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        double[] input = subject.RandomPoints(1, seed: 30);
        var cpu = new Saliency<double>(subject.Network);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var torch = new TorchSaliency<double>(module);
        var options = new NoiseTunnelOptions { Kind = NoiseTunnelKind.SmoothGradSquared, Samples = 5, Seed = 2 };
        TensorShape shape = subject.Info.Input.OutputShape;

        FeatureAttribution<double> expected = new NoiseTunnel<double>((x, t, a) => cpu.Attribute(x, t, a), shape, options).Attribute(input, 3);
        FeatureAttribution<double> actual = new NoiseTunnel<double>((x, t, a) => torch.Attribute(x, t, a), shape, options).Attribute(input, 3);
        Close.All(expected.Values, actual.Values, 1e-9, "SmoothGrad squared");

        var sensitivity = new SensitivityOptions { Perturbations = 4, Radius = 0.05, Seed = 6 };
        double cpuSensitivity = AttributionMetrics.SensitivityMax<double>((x, t, a) => cpu.Attribute(x, t, a), input, 3, sensitivity);
        double torchSensitivity = AttributionMetrics.SensitivityMax<double>((x, t, a) => torch.Attribute(x, t, a), input, 3, sensitivity);
        Close.Value(cpuSensitivity, torchSensitivity, 1e-9, cpuSensitivity, "sensitivity");
    }

    [Fact]
    public void BadArguments_ThrowAsOnTheCpu()
    {
        Subject<double> subject = Subjects.Create64(nameof(Linear));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        Assert.Throws<ArgumentOutOfRangeException>("target", () => TorchAttributionMetrics.Infidelity<double>(module, new double[6], 3, new double[6]));
        Assert.Throws<ArgumentException>("attributions", () => TorchAttributionMetrics.Deletion<double>(module, new double[6], 0, new double[2]));
    }
}
