using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// ReLU convolutions whose only reader is a 2x2 max pool, which the generator runs as one fused kernel call, with odd
/// sizes (11x9 → 5x4 → 2x2: rows and columns no window reads) and a 5x5 kernel in the middle of the network.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class FusedPoolCnn
{
    [Input(2, 11, 9)] public partial InputLayer Image { get; }
    [Conv2D(3, Kernel = 3, Padding = 1, WeightName = "conv1"), ReLU] public partial Layer Conv1 { get; }
    [MaxPool2D(2)] public partial Layer Pool1 { get; }
    [Conv2D(4, Kernel = 5, Padding = 2, WeightName = "conv2"), ReLU] public partial Layer Conv2 { get; }
    [MaxPool2D(2)] public partial Layer Pool2 { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(5, WeightName = "fc1"), ReLU] public partial Layer Hidden { get; }
    [Dense(3, WeightName = "fc2")] public partial Layer Out { get; }
}

/// <summary>
/// <see cref="FusedPoolCnn"/> with each ReLU as a layer of its own, which keeps the convolution, the ReLU and the pool
/// in separate passes: the same function and the same tensors, computed the unfused way.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class UnfusedPoolCnn
{
    [Input(2, 11, 9)] public partial InputLayer Image { get; }
    [Conv2D(3, Kernel = 3, Padding = 1, WeightName = "conv1")] public partial Layer Conv1 { get; }
    [ReLU] public partial Layer Act1 { get; }
    [MaxPool2D(2)] public partial Layer Pool1 { get; }
    [Conv2D(4, Kernel = 5, Padding = 2, WeightName = "conv2")] public partial Layer Conv2 { get; }
    [ReLU] public partial Layer Act2 { get; }
    [MaxPool2D(2)] public partial Layer Pool2 { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(5, WeightName = "fc1"), ReLU] public partial Layer Hidden { get; }
    [Dense(3, WeightName = "fc2")] public partial Layer Out { get; }
}

public sealed class FusedConvPoolTests
{
    private const int Count = 4;

    private static (FusedPoolCnn Fused, UnfusedPoolCnn Unfused) Pair(int seed)
    {
        var fused = new FusedPoolCnn();
        fused.InitializeWeights(new Random(seed));
        var unfused = new UnfusedPoolCnn();
        for (int i = 0; i < fused.Parameters.Items.Count; i++)
        {
            Parameter<double> from = fused.Parameters.Items[i];
            Parameter<double> to = unfused.Parameters.Items[i];
            Assert.Equal(from.Name, to.Name);
            from.Values.CopyTo(to.Values, 0);
        }

        unfused.ParametersChanged();
        return (fused, unfused);
    }

    private static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = NetworkHarness.RelativeError(actual, expected);
        Assert.True(error <= tolerance, $"{what}: relative error {error:E2}");
    }

    [Fact]
    public void ForwardAndBackward_EqualTheUnfusedNetwork_LayerByLayer()
    {
        (FusedPoolCnn fused, UnfusedPoolCnn unfused) = Pair(41);
        var random = new Random(42);
        double[] inputs = NetworkHarness.RandomVector(random, Count * FusedPoolCnn.InputLength, 2);
        double[] seed = NetworkHarness.RandomVector(random, Count * FusedPoolCnn.OutputLength);
        var a = new Workspace<double>(fused.Info, Count);
        var b = new Workspace<double>(unfused.Info, Count);
        inputs.CopyTo(a.Input(Count));
        inputs.CopyTo(b.Input(Count));
        fused.ForwardFrom(fused.Info.Input, a, Count);
        unfused.ForwardFrom(unfused.Info.Input, b, Count);
        seed.CopyTo(a.OutputGradient(Count));
        seed.CopyTo(b.OutputGradient(Count));
        fused.BackwardFrom(fused.Info.Output, a, Count);
        unfused.BackwardFrom(unfused.Info.Output, b, Count);

        // The fused pass writes every tensor the separate passes write: z and dz at the convolution, y and dy at the ReLU.
        (Layer Fused, Layer Conv, Layer Act)[] pairs = [(fused.Conv1, unfused.Conv1, unfused.Act1), (fused.Conv2, unfused.Conv2, unfused.Act2)];
        foreach ((Layer f, Layer conv, Layer act) in pairs)
        {
            AssertClose(b.PreActivations(conv, Count), a.PreActivations(f, Count), 1e-13, f.Name + " z");
            AssertClose(b.Activations(act, Count), a.Activations(f, Count), 1e-13, f.Name + " y");
            AssertClose(b.Gradients(act, Count), a.Gradients(f, Count), 1e-13, f.Name + " dy");
            AssertClose(b.Gradients(conv, Count), a.PreActivationGradients(f, Count), 1e-13, f.Name + " dz");
        }

        AssertClose(b.Activations(unfused.Pool1, Count), a.Activations(fused.Pool1, Count), 1e-13, "Pool1");
        AssertClose(b.Activations(unfused.Pool2, Count), a.Activations(fused.Pool2, Count), 1e-13, "Pool2");
        AssertClose(b.Gradients(unfused.Pool1, Count), a.Gradients(fused.Pool1, Count), 1e-13, "Pool1 gradient");
        AssertClose(b.Output(Count), a.Output(Count), 1e-13, "output");
        AssertClose(b.Gradients(unfused.Info.Input, Count), a.Gradients(fused.Info.Input, Count), 1e-13, "input gradient");
    }

    [Fact]
    public void IntegratedGradients_EqualTheUnfusedNetwork_AndTheExactRuleIsComplete()
    {
        (FusedPoolCnn fused, UnfusedPoolCnn unfused) = Pair(43);
        var random = new Random(44);
        double[] input = NetworkHarness.RandomVector(random, FusedPoolCnn.InputLength, 2);
        var options = new IntegratedGradientsOptions { InternalBatchSize = 7 };
        for (int target = 0; target < FusedPoolCnn.OutputLength; target++)
        {
            Attribution<double> a = new IntegratedGradients<double>(fused, options).Attribute(input, target);
            Attribution<double> b = new IntegratedGradients<double>(unfused, options).Attribute(input, target);
            AssertClose(b.Values, a.Values, 1e-12, $"target {target}");
            Assert.True(Math.Abs(a.Delta.Absolute - b.Delta.Absolute) <= 1e-12 * Math.Max(1, Math.Abs(b.Delta.OutputAtInput)));

            // Piecewise linear: the exact rule integrates the gradient piece by piece, complete to rounding.
            Attribution<double> exact = new IntegratedGradients<double>(fused, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact }).Attribute(input, target);
            Assert.True(exact.Points > 2, $"target {target}: {exact.Points} pieces");
            Assert.True(Math.Abs(exact.Delta.Relative) < 1e-12, $"target {target}: relative delta {exact.Delta.Relative:E2}");
        }
    }
}
