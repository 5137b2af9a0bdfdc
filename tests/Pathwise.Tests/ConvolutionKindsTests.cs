using System;
using System.Linq;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// The general convolutions (per-axis settings, dilation, groups), 1-D convolutions and 1-D global pooling: forward
/// values against scalar loops written from PyTorch's definition, the layer descriptions, and IG completeness.
/// Backward and tangent passes are checked against finite differences with the other kinds (BackwardTests, TangentTests),
/// the exact rule with the piecewise-linear networks (ExactRuleTests, PiecewiseLinearPathTests).
/// </summary>
public sealed class ConvolutionKindsTests
{
    // y[o, i, j] = b[o] + sum_{c < C/G, u, v} W[o, c, u, v] x[g C/G + c, i SH + u DH - PH, j SW + v DW - PW], g = o / (O/G).
    private static double[] Reference(double[] x, double[] w, double[]? b, int channels, int height, int width, int outChannels,
        int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups, out int outHeight, out int outWidth)
    {
        outHeight = (height + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        outWidth = (width + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        int groupIn = channels / groups, groupOut = outChannels / groups;
        var y = new double[outChannels * outHeight * outWidth];
        for (int o = 0; o < outChannels; o++)
        {
            for (int i = 0; i < outHeight; i++)
            {
                for (int j = 0; j < outWidth; j++)
                {
                    double sum = b is null ? 0 : b[o];
                    for (int c = 0; c < groupIn; c++)
                    {
                        for (int u = 0; u < kh; u++)
                        {
                            for (int v = 0; v < kw; v++)
                            {
                                int r = i * sh + u * dh - ph, s = j * sw + v * dw - pw;
                                if (r >= 0 && r < height && s >= 0 && s < width)
                                {
                                    sum += w[((o * groupIn + c) * kh + u) * kw + v] * x[((o / groupOut * groupIn + c) * height + r) * width + s];
                                }
                            }
                        }
                    }

                    y[(o * outHeight + i) * outWidth + j] = sum;
                }
            }
        }

        return y;
    }

    // Two sums of the same terms in different orders: equal to a few ulps.
    private static void Close(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{expected:R} vs {actual:R}");

    private static double[] Tensor(INetwork<double> network, string name) => network.Parameters.Items.Single(p => p.Name == name).Values;

    [Fact]
    public void GeneralConv2D_ComputesPyTorchsDefinition()
    {
        var network = new GeneralConvNet();
        network.InitializeWeights(new Random(21));
        double[] input = NetworkHarness.RandomVector(new Random(22), GeneralConvNet.InputLength, 2);
        Workspace<double> workspace = network.CreateWorkspace(1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Image, workspace, 1);

        // Grouped: Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(0, 1), dilation=2, groups=2) on 4x9x8, then tanh.
        double[] z = Reference(input, Tensor(network, "grouped.weight"), Tensor(network, "grouped.bias"), 4, 9, 8, 6, 3, 2, 2, 1, 0, 1, 2, 2, 2, out int h1, out int w1);
        Assert.Equal(new TensorShape(6, h1, w1), network.Grouped.OutputShape);
        double[] grouped = workspace.Activations(network.Grouped, 1).ToArray();
        for (int i = 0; i < z.Length; i++)
        {
            Close(Math.Tanh(z[i]), grouped[i]);
        }

        // Strided: Conv2d(6, 4, (2, 3), stride=(1, 2), padding=(1, 0), dilation=(1, 2), bias=False) on the depthwise output.
        double[] depthwise = workspace.Activations(network.Depthwise, 1).ToArray();
        double[] strided = Reference(depthwise, Tensor(network, "strided.weight"), null, 6, h1, w1, 4, 2, 3, 1, 2, 1, 0, 1, 2, 1, out int h3, out int w3);
        Assert.Equal(new TensorShape(4, h3, w3), network.Strided.OutputShape);
        double[] actual = workspace.PreActivations(network.Strided, 1).ToArray();
        for (int i = 0; i < strided.Length; i++)
        {
            Close(strided[i], actual[i]);
        }

        Assert.Equal([6, 2, 3, 2], network.Info.Weights.Single(t => t.Name == "grouped.weight").Shape);
        Assert.Equal([6, 1, 3, 3], network.Info.Weights.Single(t => t.Name == "depthwise.weight").Shape);
        Assert.Equal((3, 2, 2, 1, 0, 1, 2, 2, 2), (network.Grouped.Kernel, network.Grouped.KernelWidth, network.Grouped.Stride, network.Grouped.StrideWidth,
            network.Grouped.Padding, network.Grouped.PaddingWidth, network.Grouped.Dilation, network.Grouped.DilationWidth, network.Grouped.Groups));
        Assert.Equal((3, 3, 1, 6), (network.Depthwise.Kernel, network.Depthwise.KernelWidth, network.Depthwise.Dilation, network.Depthwise.Groups));
    }

    [Fact]
    public void Conv1D_AndGlobalAvgPool1D_ComputePyTorchsDefinition()
    {
        var network = new Conv1DNet();
        network.InitializeWeights(new Random(23));
        const int count = 2;
        double[] inputs = NetworkHarness.RandomVector(new Random(24), count * Conv1DNet.InputLength, 2);
        Workspace<double> workspace = network.CreateWorkspace(count);
        inputs.CopyTo(workspace.Input(count));
        network.ForwardFrom(network.Sequence, workspace, count);
        Assert.Equal(new TensorShape(6, 10), network.Grouped.OutputShape);
        Assert.Equal(new TensorShape(4, 1), network.Gap.OutputShape);
        Assert.Equal([6, 1, 5], network.Info.Weights.Single(t => t.Name == "grouped.weight").Shape);
        Assert.Equal([6, 1, 3], network.Info.Weights.Single(t => t.Name == "depthwise.weight").Shape);
        Assert.Equal((LayerKind.Conv1D, 5, 2, 2, 1, 3), (network.Grouped.Kind, network.Grouped.Kernel, network.Grouped.Padding, network.Grouped.Stride,
            network.Grouped.Dilation, network.Grouped.Groups));

        for (int n = 0; n < count; n++)
        {
            // Conv1d(3, 6, 5, stride=2, padding=2, groups=3) as a height-1 image with a 1x5 kernel.
            double[] x = inputs.AsSpan(n * 60, 60).ToArray();
            double[] z = Reference(x, Tensor(network, "grouped.weight"), Tensor(network, "grouped.bias"), 3, 1, 20, 6, 1, 5, 1, 2, 0, 2, 1, 1, 3, out _, out int length);
            Assert.Equal(10, length);
            double[] actual = workspace.PreActivations(network.Grouped, count).Slice(n * 60, 60).ToArray();
            for (int i = 0; i < z.Length; i++)
            {
                Close(z[i], actual[i]);
            }

            // Conv1d(6, 6, 3, padding=2, dilation=2, groups=6): depthwise.
            double[] grouped = workspace.Activations(network.Grouped, count).Slice(n * 60, 60).ToArray();
            double[] depth = Reference(grouped, Tensor(network, "depthwise.weight"), Tensor(network, "depthwise.bias"), 6, 1, 10, 6, 1, 3, 1, 1, 0, 2, 1, 2, 6, out _, out int depthLength);
            Assert.Equal(10, depthLength);
            double[] depthActual = workspace.PreActivations(network.Depthwise, count).Slice(n * 60, 60).ToArray();
            for (int i = 0; i < depth.Length; i++)
            {
                Close(depth[i], depthActual[i]);
            }

            // The mean over the length of each channel.
            double[] pointwise = workspace.Activations(network.Pointwise, count).Slice(n * 40, 40).ToArray();
            double[] pooled = workspace.Activations(network.Gap, count).Slice(n * 4, 4).ToArray();
            for (int c = 0; c < 4; c++)
            {
                Close(pointwise.Skip(c * 10).Take(10).Average(), pooled[c]);
            }
        }
    }

    [Theory]
    [InlineData(typeof(GeneralConvNet))]
    [InlineData(typeof(Conv1DNet))]
    public void IntegratedGradients_AreComplete(Type type)
    {
        var network = (INetwork<double>)Activator.CreateInstance(type)!;
        network.Parameters.Randomize(new Random(3));
        network.ParametersChanged();
        double[] input = NetworkHarness.RandomVector(new Random(4), network.Info.InputLength, 3);
        double[] atInput = NetworkHarness.Forward(network, input);
        double[] atBaseline = NetworkHarness.Forward(network, new double[input.Length]);
        int target = Enumerable.Range(0, atInput.Length).MaxBy(j => Math.Abs(atInput[j] - atBaseline[j]));
        double change = atInput[target] - atBaseline[target];
        Assert.True(Math.Abs(change) > 1e-3, $"the output moves too little to test completeness: {change:E2}");

        Attribution<double> result = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 64, Rule = QuadratureRule.GaussLegendre }).Attribute(input, target);
        double total = 0;
        for (int i = 0; i < input.Length; i++)
        {
            total += result[i];
        }

        Assert.True(Math.Abs(total - change) <= 1e-8 * Math.Abs(change), $"{type.Name}: sum {total:R} vs change {change:R}");
    }

    [Theory]
    [InlineData(typeof(PwlGeneralConvNet))]
    [InlineData(typeof(PwlConv1DNet))]
    public void ExactRule_IsCompleteTo1e10(Type type)
    {
        var network = (INetwork<double>)Activator.CreateInstance(type)!;
        network.Parameters.Randomize(new Random(8));
        network.ParametersChanged();
        double[] input = NetworkHarness.RandomVector(new Random(9), network.Info.InputLength, 3);
        double[] baseline = NetworkHarness.RandomVector(new Random(10), network.Info.InputLength, 1);
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, Baseline = Baseline.Of<double>(baseline) };
        for (int target = 0; target < network.Info.OutputLength; target++)
        {
            Attribution<double> result = new IntegratedGradients<double>(network, options).Attribute(input, target);
            Assert.Equal(QuadratureRule.Exact, result.Rule);
            Assert.True(result.Points > 2, $"{type.Name}: only {result.Points} pieces; the path should cross several ReLUs");
            double change = NetworkHarness.Forward(network, input)[target] - NetworkHarness.Forward(network, baseline)[target];
            double total = 0;
            for (int i = 0; i < input.Length; i++)
            {
                total += result[i];
            }

            Assert.True(Math.Abs(total - change) < 1e-10 * Math.Max(1, Math.Abs(change)), $"{type.Name} target {target}: sum {total:R} vs change {change:R}");
        }
    }
}
