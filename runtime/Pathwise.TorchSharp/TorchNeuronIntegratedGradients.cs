using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Integrated Gradients of one neuron's value on a torch device:
/// <c>attr_i = (x_i - x'_i) sum_k w_k dy_j/dx_i(x' + a_k (x - x'))</c>, with completeness against
/// <c>y_j(x) - y_j(x')</c>. Same options, checks and results as <see cref="NeuronIntegratedGradients{T}"/>.
/// </summary>
/// <remarks>
/// One forward pass to the layer and one reverse pass of <c>sum_k w_k y_j(x_k)</c> per internal batch of path
/// points; the gradients are summed on the device and copied back once with the endpoint activations.
/// Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchNeuronIntegratedGradients<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchPath<T> _path;
    private readonly Layer _layer;

    /// <summary>Prepares the method for neurons of <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    public TorchNeuronIntegratedGradients(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _path = new TorchPath<T>(network, Options);
        _layer = _path.ResolveOrRelease(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device => _path.Device;

    /// <summary>Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="neuron"/> is not a neuron of the layer.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int neuron, CancellationToken cancellationToken = default)
    {
        Guard.Index(neuron, _layer.Size, nameof(neuron));
        return Run(input, _path.Begin(input, 0), neuron, cancellationToken);
    }

    /// <summary>
    /// Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature, along the path from
    /// this call's own <paramref name="baseline"/> <c>x'</c>: <c>attr_i = (x_i - x'_i) sum_k w_k dy_j/dx_i(x' + a_k (x - x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="neuron"/> is not a neuron of the layer.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int neuron, CancellationToken cancellationToken = default)
    {
        Guard.Index(neuron, _layer.Size, nameof(neuron));
        return Run(input, _path.Begin(input, baseline, 0), neuron, cancellationToken);
    }

    private Attribution<T> Run(ReadOnlySpan<T> input, TorchPath<T>.Call call, int neuron, CancellationToken cancellationToken)
    {
        int length = _path.Info.InputLength;
        int size = _layer.Size;
        double[] packed;
        using (NewDisposeScope())
        {
            Tensor x = _path.Input(input);                 // [1, ...input]
            Tensor baseline = _path.BaselineOf(call);      // [1, ...input]
            Tensor direction = x - baseline;               // [1, ...input]
            Tensor gradientSum = zeros_like(direction);    // [1, ...input]
            using (enable_grad())
            {
                for (int start = 0; start < _path.Points; start += _path.ChunkCapacity)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int count = Math.Min(_path.ChunkCapacity, _path.Points - start);
                    using (NewDisposeScope())
                    {
                        Tensor points = _path.ChunkPoints(baseline, direction, start, count); // [count, ...input]
                        Tensor y = _path.Network.ForwardAll(points)[_layer.Index].reshape(count, size);
                        Tensor seed = (y.narrow(1, neuron, 1) * _path.NodeCoefficients(start, count)).sum();
                        Tensor gradients = autograd.grad([seed], [points])[0];               // [count, ...input]
                        gradientSum.add_(gradients.sum(dim: 0, keepdim: true));
                    }
                }
            }

            (Tensor endpoints, _) = _path.Endpoints(baseline, x, _layer);           // [2, size]
            packed = TorchPath<T>.Download(direction * gradientSum, endpoints.narrow(1, neuron, 1));
        }

        T[] values = TorchPath<T>.Values(packed, 0, length);
        var delta = ConvergenceDelta.From(TorchPath<T>.Sum(values), packed[length + 1], packed[length]);
        return new Attribution<T>(values, _path.Info.Input.OutputShape, delta, _path.Points);
    }

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _path.Dispose();
}
