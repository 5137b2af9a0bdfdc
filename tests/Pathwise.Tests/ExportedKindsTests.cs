using System;
using System.Linq;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// Dropout, Identity and global average pooling in generated networks: their values by their definitions, and IG
/// complete on networks through them (their backward and tangent passes are checked against finite differences
/// with every other kind in <see cref="BackwardTests"/> and <see cref="TangentTests"/>).
/// </summary>
public sealed class ExportedKindsTests
{
    [Fact]
    public void Forward_DropoutAndIdentityPassValues_AndGlobalPoolingAverages()
    {
        var network = new ExportedCnn();
        network.InitializeWeights(new Random(1));
        const int count = 2;
        Workspace<double> workspace = network.CreateWorkspace(count);
        NetworkHarness.RandomVector(new Random(2), count * ExportedCnn.InputLength, 2).CopyTo(workspace.Input(count));
        network.ForwardFrom(network.Image, workspace, count);

        // Dropout at inference is the identity: its output is its input, in the same memory.
        Assert.Equal(workspace.Activations(network.Conv1, count).ToArray(), workspace.Activations(network.Drop1, count).ToArray());
        Assert.Equal(workspace.Activations(network.Flat, count).ToArray(), workspace.Activations(network.Drop2, count).ToArray());
        Assert.Equal(workspace.Activations(network.Hidden, count).ToArray(), workspace.Activations(network.Same, count).ToArray());

        // Global average pooling: each channel's mean over its 4 x 5 plane, [C, 1, 1].
        Assert.Equal(new TensorShape(3, 1, 1), network.Gap.OutputShape);
        double[] conv = workspace.Activations(network.Conv2, count).ToArray();
        double[] pooled = workspace.Activations(network.Gap, count).ToArray();
        for (int p = 0; p < count * 3; p++)
        {
            double mean = conv.Skip(p * 20).Take(20).Sum() / 20;
            Assert.Equal(mean, pooled[p], 14);
        }

        // An identity with an activation: the sigmoid of its input, which stays as it was.
        double[] squashed = workspace.Activations(network.Squash, count).ToArray();
        for (int i = 0; i < pooled.Length; i++)
        {
            Assert.Equal(1 / (1 + Math.Exp(-pooled[i])), squashed[i], 15);
        }
    }

    [Fact]
    public void Layers_DescribeTheirKinds()
    {
        var network = new ExportedCnn();
        Assert.Equal(LayerKind.Dropout, network.Drop1.Kind);
        Assert.Equal(LayerKind.Identity, network.Squash.Kind);
        Assert.Equal(ActivationKind.Sigmoid, network.Squash.Activation);
        Assert.Equal(LayerKind.GlobalAvgPool2D, network.Gap.Kind);
        Assert.DoesNotContain(network.Info.Weights, w => w.Name.StartsWith("drop", StringComparison.Ordinal) || w.Name.StartsWith("gap", StringComparison.Ordinal));
    }

    [Fact]
    public void LayerNorm_NormalisesEachPoint_AndTheExactRuleRefusesIt()
    {
        var network = new LayerNormMlp();
        network.InitializeWeights(new Random(5));
        const int count = 2;
        Workspace<double> workspace = network.CreateWorkspace(count);
        NetworkHarness.RandomVector(new Random(6), count * LayerNormMlp.InputLength, 2).CopyTo(workspace.Input(count));
        network.ForwardFrom(network.X, workspace, count);

        // Independently: (x - mean) / sqrt(biased variance + eps) * weight + bias, from the tensors by name.
        double[] gamma = network.Parameters.Items.Single(p => p.Name == "ln2.weight").Values;
        double[] beta = network.Parameters.Items.Single(p => p.Name == "ln2.bias").Values;
        double[] x = workspace.Activations(network.H2, count).ToArray();
        double[] y = workspace.Activations(network.Norm2, count).ToArray();
        for (int n = 0; n < count; n++)
        {
            double[] row = x.Skip(n * 5).Take(5).ToArray();
            double mean = row.Average();
            double variance = row.Select(v => (v - mean) * (v - mean)).Average();
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal((row[i] - mean) / Math.Sqrt(variance + 1e-3) * gamma[i] + beta[i], y[n * 5 + i], 13);
            }
        }

        Assert.Equal(1e-3, network.Norm2.Epsilon);
        Assert.False(PiecewiseLinearPath.Supports(network.Info, out string? reason));
        Assert.Contains("'Norm'", reason);
        Assert.Contains("LayerNorm", reason);
    }

    [Theory]
    [InlineData(typeof(ExportedCnn))]
    [InlineData(typeof(GlobalPoolFirst))]
    [InlineData(typeof(LayerNormMlp))]
    public void IntegratedGradients_AreComplete(Type type)
    {
        var network = (INetwork<double>)Activator.CreateInstance(type)!;
        network.Parameters.Randomize(new Random(3));
        network.ParametersChanged();
        double[] input = NetworkHarness.RandomVector(new Random(4), network.Info.InputLength, 3);

        // The output that moves most between the zero baseline and the input, so completeness has something to check.
        double[] atInput = NetworkHarness.Forward(network, input);
        double[] atBaseline = NetworkHarness.Forward(network, new double[input.Length]);
        int target = Enumerable.Range(0, atInput.Length).MaxBy(j => Math.Abs(atInput[j] - atBaseline[j]));
        double change = atInput[target] - atBaseline[target];
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 64, Rule = QuadratureRule.GaussLegendre });
        Attribution<double> result = ig.Attribute(input, target);
        Assert.True(Math.Abs(change) > 1e-3, $"the output moves too little to test completeness: {change:E2}");
        double total = 0;
        for (int i = 0; i < input.Length; i++)
        {
            total += result[i];
        }

        Assert.True(Math.Abs(total - change) <= 1e-8 * Math.Abs(change), $"{type.Name}: sum {total:R} vs change {change:R}");
        Assert.True(Math.Abs(result.Delta.Relative) < 1e-8, $"{type.Name}: relative delta {result.Delta.Relative:E2}");
    }
}
