using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// One-call prediction on any generated network: <c>model.Predict(input)</c>. The workspaces these calls need
/// are pooled per network info, so the span forms allocate nothing once warm and every form is safe to call
/// from many threads at once (as long as the weights are not being changed meanwhile).
/// </summary>
public static class NetworkPrediction
{
    /// <summary>How many inputs <see cref="PredictBatch{T}"/> runs through one workspace at a time.</summary>
    public const int BatchChunk = 32;

    /// <summary>The network's outputs <c>F(input)</c>, a new array of <c>OutputLength</c> values.</summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> does not have the network's input length.</exception>
    public static T[] Predict<T>(this INetwork<T> network, ReadOnlySpan<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        var output = new T[network.Info.OutputLength];
        Predict(network, input, output);
        return output;
    }

    /// <summary>Writes the network's outputs <c>F(input)</c> into <paramref name="output"/>; allocates nothing once warm.</summary>
    /// <exception cref="ArgumentException">A span does not have the network's input or output length.</exception>
    public static void Predict<T>(this INetwork<T> network, ReadOnlySpan<T> input, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.WeightsSet(network);
        NetworkInfo info = network.Info;
        Guard.Length(input, info.InputLength, nameof(input));
        Guard.Length<T>(output, info.OutputLength, nameof(output));
        Guard.Finite(input, nameof(input));
        ScratchPool<Workspace<T>> pool = Pools<T>.Single.GetValue(info, static i => new ScratchPool<Workspace<T>>(() => new Workspace<T>(i, 1)));
        using var lease = pool.Borrow();
        Run(network, input, output, lease.Item, 1);
    }

    /// <summary>
    /// Runs the network on <c>inputs[m, input length]</c> and writes <c>outputs[m, output length]</c>, in chunks of
    /// <see cref="BatchChunk"/> inputs; allocates nothing once warm.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is not whole rows of the input length, or <paramref name="outputs"/> has not one row per input.</exception>
    public static void PredictBatch<T>(this INetwork<T> network, ReadOnlySpan<T> inputs, Span<T> outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.WeightsSet(network);
        NetworkInfo info = network.Info;
        if (inputs.Length % info.InputLength != 0)
        {
            throw new ArgumentException($"Expected {nameof(inputs)} to hold whole rows of {info.InputLength}; got length {inputs.Length}.", nameof(inputs));
        }

        int count = inputs.Length / info.InputLength;
        Guard.Length<T>(outputs, Guard.Elements(count, info.OutputLength, nameof(inputs)), nameof(outputs));
        if (count == 0)
        {
            return;
        }

        Guard.Finite(inputs, nameof(inputs));
        ScratchPool<Workspace<T>> pool = Pools<T>.Batch.GetValue(info, static i => new ScratchPool<Workspace<T>>(() => new Workspace<T>(i, BatchChunk)));
        using var lease = pool.Borrow();
        for (int start = 0; start < count; start += BatchChunk)
        {
            int rows = Math.Min(BatchChunk, count - start);
            Run(
                network,
                inputs.Slice(start * info.InputLength, rows * info.InputLength),
                outputs.Slice(start * info.OutputLength, rows * info.OutputLength),
                lease.Item,
                rows);
        }
    }

    private static void Run<T>(INetwork<T> network, ReadOnlySpan<T> inputs, Span<T> outputs, Workspace<T> workspace, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        inputs.CopyTo(workspace.Input(count));
        network.ForwardFrom(network.Info.Input, workspace, count);
        workspace.Output(count).CopyTo(outputs);
    }

    // Workspaces depend only on the network info, which every instance of a network type shares.
    private static class Pools<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly ConditionalWeakTable<NetworkInfo, ScratchPool<Workspace<T>>> Single = new();
        public static readonly ConditionalWeakTable<NetworkInfo, ScratchPool<Workspace<T>>> Batch = new();
    }
}
