using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// <see cref="IGradientSource{T}"/> over a generated network's passes: per chunk of at most <see cref="ChunkCapacity"/>
/// points, one forward pass from the input, the output gradient seeded with the points' output weightings, and one
/// backward pass down to the input. Workspaces are pooled per source, so calls from many threads each rent their
/// own and a warm call allocates nothing.
/// </summary>
internal sealed class NetworkGradientSource<T> : IGradientSource<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly INetwork<T> _network;
    private readonly ScratchPool<Workspace<T>> _workspaces;

    /// <summary>A source over <paramref name="network"/>, whose weights must have been set, in chunks of <paramref name="chunkCapacity"/> points.</summary>
    /// <exception cref="InvalidOperationException">The network's weights were never set.</exception>
    public NetworkGradientSource(INetwork<T> network, int chunkCapacity)
    {
        Guard.WeightsSet(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkCapacity, 1);
        _network = network;
        Info = network.Info;
        ChunkCapacity = chunkCapacity;
        NetworkInfo info = Info;
        _workspaces = new ScratchPool<Workspace<T>>(() => new Workspace<T>(info, chunkCapacity));
        _workspaces.Return(new Workspace<T>(info, chunkCapacity));
    }

    /// <inheritdoc/>
    public NetworkInfo Info { get; }

    /// <summary>The most points in one pass.</summary>
    public int ChunkCapacity { get; }

    /// <inheritdoc/>
    public void Gradients(ReadOnlySpan<T> points, int count, ReadOnlySpan<T> outputCoefficients, Span<double> values, Span<T> gradients, CancellationToken cancellationToken)
    {
        int inputs = Info.InputLength;
        int outputs = Info.OutputLength;
        using var lease = _workspaces.Borrow();
        Workspace<T> workspace = lease.Item;
        for (int start = 0; start < count; start += ChunkCapacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(ChunkCapacity, count - start);
            ReadOnlySpan<T> coefficients = outputCoefficients.Slice(start * outputs, rows * outputs);  // [rows, outputs]
            points.Slice(start * inputs, rows * inputs).CopyTo(workspace.Input(rows));
            _network.ForwardFrom(Info.Input, workspace, rows);

            ReadOnlySpan<T> output = workspace.Output(rows);                                             // [rows, outputs]
            for (int n = 0; n < rows; n++)
            {
                values[start + n] = Dot(output.Slice(n * outputs, outputs), coefficients.Slice(n * outputs, outputs));
            }

            coefficients.CopyTo(workspace.OutputGradient(rows));                                         // dy = c
            _network.BackwardFrom(Info.Output, workspace, rows);
            workspace.Gradients(Info.Input, rows).CopyTo(gradients.Slice(start * inputs, rows * inputs)); // dx, [rows, inputs]
        }
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<T> points, int count, Span<T> outputs, CancellationToken cancellationToken)
    {
        int inputs = Info.InputLength;
        int outputLength = Info.OutputLength;
        using var lease = _workspaces.Borrow();
        Workspace<T> workspace = lease.Item;
        for (int start = 0; start < count; start += ChunkCapacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(ChunkCapacity, count - start);
            points.Slice(start * inputs, rows * inputs).CopyTo(workspace.Input(rows));
            _network.ForwardFrom(Info.Input, workspace, rows);
            workspace.Output(rows).CopyTo(outputs.Slice(start * outputLength, rows * outputLength));
        }
    }

    /// <summary><c>sum_j a[j] b[j]</c> in double.</summary>
    internal static double Dot(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
    {
        double sum = 0;
        for (int j = 0; j < a.Length; j++)
        {
            sum += double.CreateChecked(a[j]) * double.CreateChecked(b[j]);
        }

        return sum;
    }
}
