using System;
using System.Collections.Generic;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>The generated forward-mode tangent pass against central finite differences at every layer.</summary>
public sealed class TangentTests
{
    public static IEnumerable<object[]> Networks() => BackwardTests.Networks();

    [Theory]
    [MemberData(nameof(Networks))]
    public void TangentPath_MatchesDirectionalFiniteDifferencesAtEveryLayer(INetwork<double> network)
    {
        network.Parameters.Randomize(new Random(21));
        network.ParametersChanged();
        NetworkInfo info = network.Info;
        var random = new Random(22);
        double[] baseline = NetworkHarness.RandomVector(random, info.InputLength, 0.5);
        double[] input = NetworkHarness.RandomVector(random, info.InputLength, 2);
        double[] direction = NetworkHarness.RandomVector(random, info.InputLength);
        double[] alphas = [0.2, 0.7, 1.0];
        const int count = 3;

        var workspace = new Workspace<double>(info, count);
        var pathDirection = new double[info.InputLength];
        for (int i = 0; i < pathDirection.Length; i++)
        {
            pathDirection[i] = input[i] - baseline[i];
        }

        network.ForwardPath(baseline, pathDirection, alphas, workspace);
        network.TangentPath(direction, workspace, count);

        // Finite differences: the points moved by ±h along the direction, every layer read back.
        const double step = 1e-5;
        double[] points = workspace.Input(count).ToArray();
        var up = new Workspace<double>(info, count);
        var down = new Workspace<double>(info, count);
        for (int n = 0; n < count; n++)
        {
            for (int i = 0; i < info.InputLength; i++)
            {
                up.Input(count)[n * info.InputLength + i] = points[n * info.InputLength + i] + step * direction[i];
                down.Input(count)[n * info.InputLength + i] = points[n * info.InputLength + i] - step * direction[i];
            }
        }

        network.ForwardFrom(info.Input, up, count);
        network.ForwardFrom(info.Input, down, count);
        for (int l = 1; l < info.Layers.Count; l++)
        {
            Layer layer = info.Layers[l];
            ReadOnlySpan<double> tangent = workspace.Tangents(layer, count);
            ReadOnlySpan<double> plus = up.Activations(layer, count);
            ReadOnlySpan<double> minus = down.Activations(layer, count);
            ReadOnlySpan<double> centre = workspace.Activations(layer, count);
            var expected = new double[tangent.Length];
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = (plus[i] - minus[i]) / (2 * step);

                // A max-pool window with tied maxima (ReLU zeros, padding borders) is not differentiable: the
                // one-sided slopes disagree there, and there is no derivative to compare against.
                double right = (plus[i] - centre[i]) / step;
                double left = (centre[i] - minus[i]) / step;
                if (Math.Abs(right - left) > 1e-3 * Math.Max(1e-3, Math.Abs(right) + Math.Abs(left)))
                {
                    expected[i] = tangent[i];
                }
            }

            double error = NetworkHarness.RelativeError(tangent, expected);
            Assert.True(error < 1e-6, $"{info.Name}.{layer.Name}: relative error {error:E2}");
        }
    }

    [Fact]
    public void MaxPoolTangent_IsTheTransposeOfItsBackward()
    {
        // <J t, g> = <t, J^T g> for random t and g, with ties present (ReLU zeros) in FashionCnn64.
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(23));
        var random = new Random(24);
        double[] input = NetworkHarness.RandomVector(random, FashionCnn64.InputLength);
        double[] direction = NetworkHarness.RandomVector(random, FashionCnn64.InputLength);
        double[] weights = NetworkHarness.RandomVector(random, 10);
        var workspace = network.CreateWorkspace(1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Pixels, workspace, 1);
        network.TangentPath(direction, workspace, 1);
        weights.CopyTo(workspace.OutputGradient(1));
        network.BackwardFrom(network.Logits, workspace, 1);

        double forward = 0;
        ReadOnlySpan<double> outputTangent = workspace.Tangents(network.Logits, 1);
        for (int j = 0; j < 10; j++)
        {
            forward += weights[j] * outputTangent[j];
        }

        double backward = 0;
        ReadOnlySpan<double> gradient = workspace.Gradients(network.Pixels, 1);
        for (int i = 0; i < direction.Length; i++)
        {
            backward += direction[i] * gradient[i];
        }

        Assert.Equal(backward, forward, 12);
    }
}
