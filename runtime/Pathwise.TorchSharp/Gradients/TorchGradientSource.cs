using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// <see cref="IGradientSource{T}"/> on a torch device: per chunk of at most <see cref="ChunkCapacity"/> points, one
/// input tensor <c>[rows, ...input shape]</c> that requires grad, one forward call of the module, and one
/// <c>torch.autograd.grad(sum_{n,j} c[n, j] F_j(x_n), x)</c>, which gives every point's own gradient because the
/// points do not interact. The outputs and gradients come back to the host in one copy per chunk.
/// </summary>
/// <remarks>
/// Every tensor of a chunk lives in that chunk's dispose scope. Safe to call from many threads at once: each call
/// builds its own tensors and autograd graph and never writes the module's tensors (nor their <c>.grad</c>);
/// TorchSharp's dispose scopes and libtorch's grad mode are per thread.
/// </remarks>
internal sealed class TorchGradientSource<T> : IGradientSource<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchNetwork<T> _network;

    public TorchGradientSource(TorchNetwork<T> network, int chunkCapacity)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkCapacity, 1);
        _network = network;
        Info = network.Info;
        ChunkCapacity = chunkCapacity;
    }

    /// <inheritdoc/>
    public NetworkInfo Info { get; }

    /// <summary>The most points in one tensor.</summary>
    public int ChunkCapacity { get; }

    /// <summary>The module's device.</summary>
    public Device Device => _network.Device;

    /// <inheritdoc/>
    public void Gradients(ReadOnlySpan<T> points, int count, ReadOnlySpan<T> outputCoefficients, Span<double> values, Span<T> gradients, CancellationToken cancellationToken)
    {
        int inputs = Info.InputLength;
        int outputs = Info.OutputLength;
        for (int start = 0; start < count; start += ChunkCapacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(ChunkCapacity, count - start);
            T[] coefficients = outputCoefficients.Slice(start * outputs, rows * outputs).ToArray();     // [rows, outputs]
            double[] packed;
            using (NewDisposeScope())
            {
                Tensor x = _network.InputTensor(points.Slice(start * inputs, rows * inputs), rows).requires_grad_(); // [rows, ...input]
                Tensor c = TorchTensors.FromValues(coefficients, [(long)rows, outputs]).to(Device);
                using (enable_grad())
                {
                    Tensor y = _network.call(x).reshape(rows, outputs);                                    // [rows, outputs]
                    Tensor dx = autograd.grad([(y * c).sum()], [x])[0];                                    // [rows, ...input]
                    packed = TorchTensors.ToDoubles(cat([y.detach().reshape(-1).to(ScalarType.Float64), dx.reshape(-1).to(ScalarType.Float64)], 0));
                }
            }

            // The weighted outputs are summed on the host in double, as the CPU source sums them.
            for (int n = 0; n < rows; n++)
            {
                double sum = 0;
                for (int j = 0; j < outputs; j++)
                {
                    sum += packed[n * outputs + j] * double.CreateChecked(coefficients[n * outputs + j]);
                }

                values[start + n] = sum;
            }

            Span<T> destination = gradients.Slice(start * inputs, rows * inputs);
            int offset = rows * outputs;
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = T.CreateChecked(packed[offset + i]);
            }
        }
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<T> points, int count, Span<T> outputs, CancellationToken cancellationToken)
    {
        int inputs = Info.InputLength;
        int outputLength = Info.OutputLength;
        for (int start = 0; start < count; start += ChunkCapacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(ChunkCapacity, count - start);
            double[] packed;
            using (NewDisposeScope())
            using (no_grad())
            {
                Tensor x = _network.InputTensor(points.Slice(start * inputs, rows * inputs), rows);
                packed = TorchTensors.ToDoubles(_network.call(x).reshape(-1));
            }

            Span<T> destination = outputs.Slice(start * outputLength, rows * outputLength);
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = T.CreateChecked(packed[i]);
            }
        }
    }
}
