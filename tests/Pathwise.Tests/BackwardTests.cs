using System;
using System.Collections.Generic;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>Every layer kind's generated backward pass against central finite differences in float64.</summary>
public sealed class BackwardTests
{
    public static IEnumerable<object[]> Networks()
    {
        yield return [new Linear()];
        yield return [new ActivationZoo()];
        yield return [new TanhMlp()];
        yield return [new ReluMlp()];
        yield return [new EveryLayerCnn()];
        yield return [new FashionCnn64()];
        yield return [new FusedPoolCnn()];
        yield return [new PoolFirst()];
        yield return [new ActivatedFlatten()];
        yield return [new ExportedCnn()];
        yield return [new GlobalPoolFirst()];
        yield return [new PwlGlobalPoolCnn()];
        yield return [new LayerNormMlp()];
        yield return [new ResidualCnn()];
        yield return [new FlatGraph()];
        yield return [new ConcatCnn()];
        yield return [new ProjectionCnn()];
        yield return [new GeneralConvNet()];
        yield return [new PwlGeneralConvNet()];
        yield return [new Conv1DNet()];
        yield return [new PwlConv1DNet()];
    }

    private static T Randomized<T>(T network, int seed) where T : INetwork<double>
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        return network;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void InputGradient_MatchesFiniteDifferences(INetwork<double> network)
    {
        var random = new Random(7);
        Randomized(network, 11);
        NetworkInfo info = network.Info;
        double[] weights = NetworkHarness.RandomVector(random, info.OutputLength);
        const int points = 3;
        double[] inputs = NetworkHarness.RandomVector(random, points * info.InputLength, 2.0);
        double[] gradients = NetworkHarness.BackwardGradient(network, inputs, points, weights);

        for (int n = 0; n < points; n++)
        {
            double[] input = inputs.AsSpan(n * info.InputLength, info.InputLength).ToArray();
            double[] expected = NetworkHarness.FiniteDifferenceGradient(network, input, weights);
            double error = NetworkHarness.RelativeError(gradients.AsSpan(n * info.InputLength, info.InputLength), expected);
            Assert.True(error < 1e-6, $"{info.Name} point {n}: relative error {error:E2}");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void HiddenLayerGradients_MatchFiniteDifferencesOfForwardFrom(INetwork<double> network)
    {
        var random = new Random(3);
        Randomized(network, 5);
        NetworkInfo info = network.Info;
        double[] weights = NetworkHarness.RandomVector(random, info.OutputLength);
        double[] input = NetworkHarness.RandomVector(random, info.InputLength, 2.0);
        double[] layerGradients = NetworkHarness.BackwardGradient(network, input, 1, weights);
        _ = layerGradients;

        var workspace = new Workspace<double>(info, 1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(info.Input, workspace, 1);
        weights.CopyTo(workspace.OutputGradient(1));
        network.BackwardFrom(info.Output, workspace, 1);

        var probe = new Workspace<double>(info, 1);
        for (int l = 1; l < info.Layers.Count - 1; l++)
        {
            Layer layer = info.Layers[l];
            if (!info.Separates(layer))
            {
                // A layer a skip passes over refuses ForwardFrom (GraphTests checks that); its gradient is checked through the input's.
                continue;
            }

            double[] activation = workspace.Activations(layer, 1).ToArray();
            double[] gradient = workspace.Gradients(layer, 1).ToArray();
            var expected = new double[activation.Length];
            // 1e-5 balances truncation (h^2) against rounding (eps / h) for gradients as small as 1e-5.
            const double step = 1e-5;
            double centre = Perturbed(0, 0);
            // Wide layers are checked on an evenly spread sample of ~400 coordinates to keep the suite fast.
            int stride = Math.Max(1, activation.Length / 400);
            for (int i = 0; i < activation.Length; i++)
            {
                if (i % stride != 0)
                {
                    expected[i] = gradient[i];
                    continue;
                }

                double up = Perturbed(i, step);
                double down = Perturbed(i, -step);
                expected[i] = (up - down) / (2 * step);

                // Where the one-sided slopes disagree, the output is not differentiable in this coordinate
                // (a max-pool window with tied maxima, e.g. ReLU zeros): no derivative to compare against.
                double right = (up - centre) / step;
                double left = (centre - down) / step;
                if (Math.Abs(right - left) > 1e-3 * Math.Max(1e-3, Math.Abs(right) + Math.Abs(left)))
                {
                    expected[i] = gradient[i];
                }
            }

            double error = NetworkHarness.RelativeError(gradient, expected);
            Assert.True(error < 1e-6, $"{info.Name}.{layer.Name}: relative error {error:E2}");

            double Perturbed(int index, double delta)
            {
                activation.CopyTo(probe.Activations(layer, 1));
                probe.Activations(layer, 1)[index] += delta;
                network.ForwardFrom(layer, probe, 1);
                ReadOnlySpan<double> output = probe.Output(1);
                double sum = 0;
                for (int j = 0; j < output.Length; j++)
                {
                    sum += weights[j] * output[j];
                }

                return sum;
            }
        }
    }

    [Fact]
    public void BackwardFromHiddenLayer_StopsAtThatLayersGradient()
    {
        var network = Randomized(new TanhMlp(), 2);
        var random = new Random(4);
        var workspace = new Workspace<double>(network.Info, 2);
        NetworkHarness.RandomVector(random, 16).CopyTo(workspace.Input(2));
        network.ForwardFrom(network.X, workspace, 2);
        double[] seed = NetworkHarness.RandomVector(random, 2 * 12);
        seed.CopyTo(workspace.Gradients(network.H2, 2));
        network.BackwardFrom(network.H2, workspace, 2);

        // Backward from H2 equals a full backward whose output gradient is zero except for what H2 receives:
        // check it against finite differences of sum(seed * H2(x)).
        double[] input = workspace.Input(2).Slice(0, 8).ToArray();
        double[] gradient = workspace.Gradients(network.X, 2).Slice(0, 8).ToArray();
        var expected = new double[8];
        var probe = new Workspace<double>(network.Info, 1);
        for (int i = 0; i < 8; i++)
        {
            expected[i] = (H2Dot(i, 1e-6) - H2Dot(i, -1e-6)) / 2e-6;
        }

        Assert.True(NetworkHarness.RelativeError(gradient, expected) < 1e-6);

        double H2Dot(int index, double delta)
        {
            input.CopyTo(probe.Input(1));
            probe.Input(1)[index] += delta;
            network.ForwardFrom(network.X, probe, 1);
            ReadOnlySpan<double> h2 = probe.Activations(network.H2, 1);
            double sum = 0;
            for (int j = 0; j < h2.Length; j++)
            {
                sum += seed[j] * h2[j];
            }

            return sum;
        }
    }
}
