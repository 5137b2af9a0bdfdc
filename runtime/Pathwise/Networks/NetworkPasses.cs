using System;
using System.Numerics;
using Pathwise.CompilerServices;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise;

/// <summary>Whole-batch passes over any generated network, into caller-provided spans; none allocates.</summary>
public static class NetworkPasses
{
    /// <summary>
    /// Runs the network on <c>inputs[count, input length]</c> and writes <c>outputs[count, output length]</c>,
    /// where <c>count = inputs.Length / input length</c> and at most the workspace capacity.
    /// </summary>
    public static void Forward<T>(this INetwork<T> network, ReadOnlySpan<T> inputs, Span<T> outputs, Workspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkInfo info = network.Info;
        int count = Rows(inputs.Length, info.InputLength, nameof(inputs));
        Guard.Length<T>(outputs, count * info.OutputLength, nameof(outputs));
        inputs.CopyTo(workspace.Input(count));
        network.ForwardFrom(info.Input, workspace, count);
        workspace.Output(count).CopyTo(outputs);
    }

    /// <summary>
    /// The fused forward-and-gradient pass over the straight-path points <c>x_k = baseline + alphas[k] (input - baseline)</c>:
    /// writes <c>gradients[k, i] = d(sum_j outputCoefficients[j] F_j)/dx_i at x_k</c>, reusing the forward activations,
    /// never computing weight gradients. The workspace keeps every layer's activations and gradients (the hooks).
    /// </summary>
    public static void PathGradients<T>(
        this INetwork<T> network,
        ReadOnlySpan<T> baseline,
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> alphas,
        ReadOnlySpan<T> outputCoefficients,
        Span<T> gradients,
        Workspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkInfo info = network.Info;
        int count = alphas.Length;
        Guard.Length(baseline, info.InputLength, nameof(baseline));
        Guard.Length(input, info.InputLength, nameof(input));
        Guard.Length(outputCoefficients, info.OutputLength, nameof(outputCoefficients));
        Guard.Length<T>(gradients, count * info.InputLength, nameof(gradients));
        workspace.Check(info, count);

        // The forward path pass leaves the path scratch row free, so the direction lives there.
        Span<T> direction = workspace.PathInputGradient;
        for (int i = 0; i < direction.Length; i++)
        {
            direction[i] = input[i] - baseline[i];
        }

        network.ForwardPath(baseline, direction, alphas, workspace);
        PathKernel.Broadcast(outputCoefficients, workspace.OutputGradient(count));

        network.BackwardFrom(info.Output, workspace, count);
        workspace.Gradients(info.Input, count).CopyTo(gradients);
    }

    /// <summary>
    /// The fused path-gradient pass (see the output-weighting overload) for one target output. Its one-hot
    /// weighting lives on the stack for up to 256 outputs (on the heap beyond).
    /// </summary>
    public static void PathGradients<T>(
        this INetwork<T> network,
        ReadOnlySpan<T> baseline,
        ReadOnlySpan<T> input,
        ReadOnlySpan<T> alphas,
        int target,
        Span<T> gradients,
        Workspace<T> workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outputs = network.Info.OutputLength;
        Guard.Index(target, outputs, nameof(target));
        Span<T> oneHot = outputs <= 256 ? stackalloc T[outputs] : new T[outputs];
        oneHot.Clear();
        oneHot[target] = T.One;
        network.PathGradients(baseline, input, alphas, oneHot, gradients, workspace);
    }

    private static int Rows(int length, int rowLength, string name)
    {
        if (length % rowLength != 0)
        {
            throw new ArgumentException($"Expected {name} to hold whole rows of {rowLength}; got length {length}.", name);
        }

        return length / rowLength;
    }
}
