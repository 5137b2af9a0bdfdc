using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Layer conductance on a torch device: <c>Cond_j = sum_k w_k dF/dy_j(x_k) [J_y(x_k) (x - x')]_j</c> at the
/// quadrature points <c>x_k = x' + a_k (x - x')</c>, with the convergence delta <c>sum_j Cond_j - (F(x) - F(x'))</c>.
/// Same options, checks and results as <see cref="LayerConductance{T}"/>.
/// </summary>
/// <remarks>
/// Per internal batch of path points: one forward pass through <see cref="TorchNetwork{T}.ForwardAll"/>, one
/// reverse pass for <c>dF/dy</c>, and the exact forward-mode tangent <c>dy/da = J_y (x - x')</c> by two more
/// reverse passes (see <c>TorchPath.Tangent</c>); the weighted products are summed on the device and copied
/// back once. Every native tensor of a call is released when it returns. Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchLayerConductance<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchPath<T> _path;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    public TorchLayerConductance(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _path = new TorchPath<T>(network, Options);
        _layer = _path.ResolveOrRelease(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device => _path.Device;

    /// <summary>The conductance of every neuron for output <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        Run(input, _path.Begin(input, target), cancellationToken);

    /// <summary>The conductance of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        Run(input, _path.Begin(input, outputCoefficients), cancellationToken);

    /// <summary>
    /// The conductance of every neuron for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>Cond_j = sum_k w_k dF/dy_j(x_k) [J_y(x_k) (x - x')]_j</c>, <c>x_k = x' + a_k (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        Run(input, _path.Begin(input, baseline, target), cancellationToken);

    /// <summary>
    /// The conductance of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>, along the path from
    /// this call's own <paramref name="baseline"/> <c>x'</c>: <c>x_k = x' + a_k (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of its expected length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        Run(input, _path.Begin(input, baseline, outputCoefficients), cancellationToken);

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _path.Dispose();

    private LayerAttribution<T> Run(ReadOnlySpan<T> input, TorchPath<T>.Call call, CancellationToken cancellationToken)
    {
        T[] outputCoefficients = call.OutputCoefficients;
        int size = _layer.Size;
        int outputs = _path.Info.OutputLength;
        double[] packed;
        using (NewDisposeScope())
        {
            Tensor x = _path.Input(input);                                      // [1, ...input]
            Tensor baseline = _path.BaselineOf(call);                           // [1, ...input]
            Tensor direction = x - baseline;                                    // [1, ...input]
            Tensor weights = _path.OutputCoefficients(outputCoefficients);                // [1, outputs]
            Tensor conductance = _path.Zeros(size); // [size]
            using (enable_grad())
            {
                for (int start = 0; start < _path.Points; start += _path.ChunkCapacity)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int count = Math.Min(_path.ChunkCapacity, _path.Points - start);
                    using (NewDisposeScope())
                    {
                        Tensor points = _path.ChunkPoints(baseline, direction, start, count); // [count, ...input]
                        Tensor[] activations = _path.Network.ForwardAll(points);
                        Tensor y = activations[_layer.Index];                                 // [count, ...layer]
                        Tensor explained = _path.Explained(activations[^1], weights, count);
                        Tensor gradients = autograd.grad([explained], [y], retain_graph: true)[0];
                        Tensor tangents = TorchPath<T>.Tangent(y, points, direction);         // [count, ...layer]
                        Tensor products = gradients.reshape(count, size) * tangents.reshape(count, size);
                        conductance.add_((products * _path.NodeCoefficients(start, count)).sum(dim: 0));
                    }
                }
            }

            (_, Tensor endpoints) = _path.Endpoints(baseline, x, _layer);  // [2, outputs]
            packed = TorchPath<T>.Download(conductance, endpoints);
        }

        T[] values = TorchPath<T>.Values(packed, 0, size);
        double atBaseline = TorchPath<T>.Dot(packed.AsSpan(size, outputs), outputCoefficients);
        double atInput = TorchPath<T>.Dot(packed.AsSpan(size + outputs, outputs), outputCoefficients);
        return new LayerAttribution<T>(_layer, values, ConvergenceDelta.From(TorchPath<T>.Sum(values), atInput, atBaseline), _path.Points);
    }
}
