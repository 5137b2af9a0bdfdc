using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>A flatten that carries an activation: the activation reads the flattened values, and nothing upstream is overwritten.</summary>
[Network(Precision.Float64)]
public sealed partial class ActivatedFlatten
{
    [Input(2, 3, 3)] public partial InputLayer X { get; }
    [Conv2D(2, Kernel = 2)] public partial Layer Conv { get; }
    [Flatten, LeakyReLU(0.3)] public partial Layer Flat { get; }
    [Dense(3)] public partial Layer Y { get; }
}

public sealed class ActivatedFlattenTests
{
    [Fact]
    public void Forward_AppliesTheActivationToTheFlattenedValues_AndKeepsTheConvolutionOutput()
    {
        var network = new ActivatedFlatten();
        network.InitializeWeights(new Random(1));
        double[] input = NetworkHarness.RandomVector(new Random(2), 18, 2);
        var workspace = network.CreateWorkspace(1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.X, workspace, 1);

        double[] conv = workspace.Activations(network.Conv, 1).ToArray();
        Assert.Equal(input, workspace.Input(1).ToArray());
        Assert.Contains(conv, v => v < 0);
        ReadOnlySpan<double> flat = workspace.Activations(network.Flat, 1);
        for (int i = 0; i < conv.Length; i++)
        {
            Assert.Equal(conv[i] > 0 ? conv[i] : 0.3 * conv[i], flat[i], 15);
        }
    }
}
