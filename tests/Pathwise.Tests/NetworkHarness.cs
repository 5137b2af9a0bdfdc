using System;
using Pathwise;

namespace Pathwise.Tests;

/// <summary>Plain, independent evaluations of a network used as truth: forward by point, finite differences.</summary>
public static class NetworkHarness
{
    public static double[] RandomVector(Random random, int length, double scale = 1.0)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = scale * (2 * random.NextDouble() - 1);
        }

        return values;
    }

    /// <summary>The outputs of one point by the generated forward pass.</summary>
    public static double[] Forward(INetwork<double> network, ReadOnlySpan<double> input)
    {
        var workspace = new Workspace<double>(network.Info, 1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Info.Input, workspace, 1);
        return workspace.Output(1).ToArray();
    }

    /// <summary><c>sum_j weights[j] F_j(x)</c>.</summary>
    public static double Scalar(INetwork<double> network, ReadOnlySpan<double> input, ReadOnlySpan<double> weights)
    {
        double[] output = Forward(network, input);
        double sum = 0;
        for (int j = 0; j < output.Length; j++)
        {
            sum += weights[j] * output[j];
        }

        return sum;
    }

    /// <summary>Central finite differences of <see cref="Scalar"/> with respect to the input, in float64.</summary>
    public static double[] FiniteDifferenceGradient(INetwork<double> network, double[] input, double[] weights, double step = 1e-5)
    {
        var gradient = new double[input.Length];
        var probe = (double[])input.Clone();
        for (int i = 0; i < input.Length; i++)
        {
            probe[i] = input[i] + step;
            double up = Scalar(network, probe, weights);
            probe[i] = input[i] - step;
            double down = Scalar(network, probe, weights);
            probe[i] = input[i];
            gradient[i] = (up - down) / (2 * step);
        }

        return gradient;
    }

    /// <summary>The generated backward pass's input gradient of <see cref="Scalar"/> for each of the given points.</summary>
    public static double[] BackwardGradient(INetwork<double> network, double[] inputs, int count, double[] weights)
    {
        var workspace = new Workspace<double>(network.Info, count);
        inputs.CopyTo(workspace.Input(count));
        network.ForwardFrom(network.Info.Input, workspace, count);
        Span<double> outputGradient = workspace.OutputGradient(count);
        for (int n = 0; n < count; n++)
        {
            weights.CopyTo(outputGradient.Slice(n * weights.Length, weights.Length));
        }

        network.BackwardFrom(network.Info.Output, workspace, count);
        return workspace.Gradients(network.Info.Input, count).ToArray();
    }

    /// <summary><c>max_i |a_i - b_i| / max(max_i |b_i|, floor)</c>.</summary>
    public static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double floor = 1e-12)
    {
        double difference = 0;
        double scale = floor;
        for (int i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        return difference / scale;
    }
}
