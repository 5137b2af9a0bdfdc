using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>The batch forward and the fused path-gradient pass against per-point evaluations.</summary>
public sealed class NetworkPassesTests
{
    [Fact]
    public void BatchForward_EqualsOnePointAtATime()
    {
        var network = new EveryLayerCnn();
        network.InitializeWeights(new Random(1));
        const int count = 5;
        double[] inputs = NetworkHarness.RandomVector(new Random(2), count * EveryLayerCnn.InputLength);
        var outputs = new double[count * EveryLayerCnn.OutputLength];
        network.Forward(inputs, outputs, network.CreateWorkspace(count));
        for (int n = 0; n < count; n++)
        {
            double[] single = NetworkHarness.Forward(network, inputs.AsSpan(n * EveryLayerCnn.InputLength, EveryLayerCnn.InputLength));
            // Batched kernels block their sums differently from a single point's: equal to rounding, not bits.
            Assert.True(NetworkHarness.RelativeError(outputs.AsSpan(n * EveryLayerCnn.OutputLength, EveryLayerCnn.OutputLength), single) < 1e-14);
        }

        Assert.Throws<ArgumentException>(() => network.Forward(new double[EveryLayerCnn.InputLength + 1], new double[4], network.CreateWorkspace(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Forward(new double[3 * EveryLayerCnn.InputLength], new double[12], network.CreateWorkspace(2)));
    }

    [Fact]
    public void PathGradients_EqualPerPointBackward_AndFillHooks()
    {
        var network = new ReluMlp();
        network.InitializeWeights(new Random(3));
        var random = new Random(4);
        double[] input = NetworkHarness.RandomVector(random, 10, 2);
        double[] baseline = NetworkHarness.RandomVector(random, 10, 0.3);
        double[] alphas = [0.0, 0.25, 0.5, 1.0];
        var gradients = new double[4 * 10];
        var workspace = network.CreateWorkspace(4);
        network.PathGradients(baseline, input, alphas, 2, gradients, workspace);

        var oneHot = new double[5];
        oneHot[2] = 1;
        var point = new double[10];
        for (int k = 0; k < alphas.Length; k++)
        {
            for (int i = 0; i < 10; i++)
            {
                point[i] = baseline[i] + alphas[k] * (input[i] - baseline[i]);
            }

            double[] expected = NetworkHarness.BackwardGradient(network, point, 1, oneHot);
            Assert.True(NetworkHarness.RelativeError(gradients.AsSpan(k * 10, 10), expected) < 1e-13);
            Assert.True(NetworkHarness.RelativeError(workspace.Input(4).Slice(k * 10, 10), point) < 1e-15);
        }

        // The hook at the last point's hidden layer equals a plain forward of the input.
        var plain = network.CreateWorkspace(1);
        input.CopyTo(plain.Input(1));
        network.ForwardFrom(network.X, plain, 1);
        Assert.True(NetworkHarness.RelativeError(workspace.Activations(network.H2, 4).Slice(3 * 8, 8), plain.Activations(network.H2, 1)) < 1e-13);
    }
}
