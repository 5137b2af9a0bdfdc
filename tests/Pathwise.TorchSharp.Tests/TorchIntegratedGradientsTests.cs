using System;
using System.Linq;
using System.Threading;
using Pathwise;
using Pathwise.Tests;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

public class TorchIntegratedGradientsTests
{
    public static TheoryData<string, QuadratureRule> NetworksAndRules()
    {
        var data = new TheoryData<string, QuadratureRule>();
        foreach (string name in Subjects.Float64)
        {
            // The fixed rules; the exact rule, which only piecewise-linear networks take, and the adaptive rule have their own tests.
            foreach (QuadratureRule rule in Enum.GetValues<QuadratureRule>().Where(r => r is not (QuadratureRule.Exact or QuadratureRule.Adaptive)))
            {
                data.Add(name, rule);
            }
        }

        return data;
    }

    // Float64: the same path points and quadrature weights, gradients that agree to ~1e-15, summed in another
    // order (measured: under 4e-16 relative to the largest attribution); 1e-9 is the brief's bound.
    [Theory]
    [MemberData(nameof(NetworksAndRules))]
    public void Attribute_MatchesCpu_Float64(string name, QuadratureRule rule)
    {
        Subject<double> subject = Subjects.Create64(name);
        var options = new IntegratedGradientsOptions { Points = 9, Rule = rule, InternalBatchSize = 4 };
        double[] input = subject.RandomPoints(1, seed: 31);
        int target = subject.Info.OutputLength - 1;

        Attribution<double> expected = new IntegratedGradients<double>(subject.Network, options).Attribute(input, target);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module, options);
        Attribution<double> actual = ig.Attribute(input, target);

        AssertSame(expected, actual, 1e-9, $"{name} {rule}");
    }

    [Theory]
    [InlineData(nameof(EveryLayerCnn))]
    [InlineData(nameof(ActivationZoo))]
    [InlineData(nameof(ReluMlp))]
    public void Attribute_WithConstantBaselineAndOutputWeights_MatchesCpu(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        var options = new IntegratedGradientsOptions
        {
            Points = 20,
            Rule = QuadratureRule.GaussLegendre,
            Baseline = Baseline.Constant(-0.25),
            InternalBatchSize = 3,
        };
        double[] input = subject.RandomPoints(1, seed: 41);
        double[] outputCoefficients = Enumerable.Range(0, subject.Info.OutputLength).Select(j => 0.5 - 0.3 * j).ToArray();

        Attribution<double> expected = new IntegratedGradients<double>(subject.Network, options).Attribute(input, outputCoefficients);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module, options);
        AssertSame(expected, ig.Attribute(input, outputCoefficients), 1e-9, name + " weighted");
    }

    [Fact]
    public void Attribute_WithTensorBaseline_MatchesCpu()
    {
        Subject<double> subject = Subjects.Create64(nameof(FashionCnn64));
        var options = new IntegratedGradientsOptions
        {
            Points = 16,
            Rule = QuadratureRule.RiemannMiddle,
            Baseline = Baseline.Of<double>(subject.RandomPoints(1, seed: 2, scale: 0.1)),
            InternalBatchSize = 5,
        };
        double[] input = subject.RandomPoints(1, seed: 3);

        Attribution<double> expected = new IntegratedGradients<double>(subject.Network, options).Attribute(input, 4);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module, options);
        AssertSame(expected, ig.Attribute(input, 4), 1e-9, "tensor baseline");
    }

    // Float32: the attributions sum float32 gradients over 24 points in another order on each side (measured:
    // 1.1e-7 relative to the largest attribution, 2 ulps); 2e-6 is about 30 ulps. F(x) is a probability.
    [Fact]
    public void Attribute_MatchesCpu_Float32()
    {
        Subject<float> subject = Subjects.CreateSmallCnn32();
        var options = new IntegratedGradientsOptions { Points = 24, Rule = QuadratureRule.Trapezoid, InternalBatchSize = 7 };
        float[] input = subject.RandomPoints(1, seed: 13);

        Attribution<float> expected = new IntegratedGradients<float>(subject.Network, options).Attribute(input, 1);
        using var module = new TorchNetwork<float>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<float>(module, options);
        Attribution<float> actual = ig.Attribute(input, 1);

        Close.All<float>(expected.Values, actual.Values, 2e-6, "float32 attributions");
        double change = expected.Delta.OutputAtInput - expected.Delta.OutputAtBaseline;
        Close.Value(expected.Delta.OutputAtInput, actual.Delta.OutputAtInput, 2e-6, 1, "F(x)");
        Close.Value(expected.Delta.Absolute, actual.Delta.Absolute, 2e-6, Math.Max(Math.Abs(change), 1e-3), "absolute delta");
    }

    [Fact]
    public void InvalidArguments_ThrowTheCpuExceptions()
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        var cpu = new IntegratedGradients<double>(subject.Network);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module);
        double[] good = subject.RandomPoints(1, seed: 1);
        double[] nan = (double[])good.Clone();
        nan[3] = double.NaN;
        double[] infinite = (double[])good.Clone();
        infinite[0] = double.NegativeInfinity;

        AssertSameError<ArgumentException>(() => cpu.Attribute(good.AsSpan(1), 0), () => ig.Attribute(good.AsSpan(1), 0));
        AssertSameError<ArgumentException>(() => cpu.Attribute(nan, 0), () => ig.Attribute(nan, 0));
        AssertSameError<ArgumentException>(() => cpu.Attribute(infinite, 0), () => ig.Attribute(infinite, 0));
        AssertSameError<ArgumentOutOfRangeException>(() => cpu.Attribute(good, 5), () => ig.Attribute(good, 5));
        AssertSameError<ArgumentOutOfRangeException>(() => cpu.Attribute(good, -1), () => ig.Attribute(good, -1));
        AssertSameError<ArgumentException>(() => cpu.Attribute(good, new double[4]), () => ig.Attribute(good, new double[4]));
        AssertSameError<ArgumentException>(
            () => cpu.Attribute(good, new[] { 1.0, 0, double.NaN, 0, 0 }),
            () => ig.Attribute(good, new[] { 1.0, 0, double.NaN, 0, 0 }));

        var badOptions = new IntegratedGradientsOptions { Points = 1, Rule = QuadratureRule.Trapezoid };
        AssertSameError<ArgumentOutOfRangeException>(
            () => new IntegratedGradients<double>(subject.Network, badOptions),
            () => new TorchIntegratedGradients<double>(module, badOptions));
        var wrongBaseline = new IntegratedGradientsOptions { Baseline = Baseline.Of<double>(new double[3]) };
        AssertSameError<ArgumentException>(
            () => new IntegratedGradients<double>(subject.Network, wrongBaseline),
            () => new TorchIntegratedGradients<double>(module, wrongBaseline));
    }

    [Fact]
    public void Cancellation_IsObserved()
    {
        Subject<double> subject = Subjects.Create64(nameof(Linear));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => ig.Attribute(subject.RandomPoints(1, 1), 0, cancelled.Token));
    }

    [Fact]
    public void Attribute_LeavesNoLiveTensors()
    {
        Subject<double> subject = Subjects.Create64(nameof(EveryLayerCnn));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module, new IntegratedGradientsOptions { Points = 10, InternalBatchSize = 3 });
        double[] input = subject.RandomPoints(1, seed: 6);
        ig.Attribute(input, 0);

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (Tensor probe = zeros(1))
        {
            Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount); // the counter is live
        }

        for (int i = 0; i < 3; i++)
        {
            ig.Attribute(input, i);
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private static void AssertSame(Attribution<double> expected, Attribution<double> actual, double relative, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Points, actual.Points);
        Close.All<double>(expected.Values, actual.Values, relative, what + " attributions");
        double outputScale = Math.Max(Math.Abs(expected.Delta.OutputAtInput), Math.Abs(expected.Delta.OutputAtBaseline));
        Close.Value(expected.Delta.OutputAtInput, actual.Delta.OutputAtInput, 1e-12, outputScale, what + " F(x)");
        Close.Value(expected.Delta.OutputAtBaseline, actual.Delta.OutputAtBaseline, 1e-12, outputScale, what + " F(x')");
        double change = expected.Delta.OutputAtInput - expected.Delta.OutputAtBaseline;
        Close.Value(expected.Delta.Absolute, actual.Delta.Absolute, relative, Math.Max(Math.Abs(change), expected.ToArray().Max(Math.Abs)), what + " absolute delta");
        Close.Value(expected.Delta.Relative, actual.Delta.Relative, relative, Math.Max(1, expected.Delta.Relative), what + " relative delta");
    }

    private static void AssertSameError<TException>(Action cpu, Action torch) where TException : Exception
    {
        TException expected = Assert.Throws<TException>(cpu);
        TException actual = Assert.Throws<TException>(torch);
        Assert.Equal(expected.Message, actual.Message);
        Assert.Equal((expected as ArgumentException)?.ParamName, (actual as ArgumentException)?.ParamName);
    }
}
