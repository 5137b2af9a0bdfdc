using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// The contribution of each neuron of a layer to the Integrated Gradients of a region <c>S</c> of input features,
/// on a torch device: <c>A_j(S) = sum_k w_k dF/dy_j(x_k) [J_y(x_k) ((x - x') 1_S)]_j</c>, with the delta against
/// <c>sum_{i in S} IG_i</c> from the same quadrature. Same options, checks and results as <see cref="RegionToNeuron{T}"/>.
/// </summary>
/// <remarks>
/// Per internal batch of path points: one forward pass, one reverse pass for <c>dF/dy</c> and <c>dF/dx</c> together,
/// and the exact tangent along the masked direction by two more reverse passes (see <c>TorchPath.Tangent</c>).
/// Sums stay on the device until one copy at the end. Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchRegionToNeuron<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchPath<T> _path;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    public TorchRegionToNeuron(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _path = new TorchPath<T>(network, Options);
        _layer = _path.ResolveOrRelease(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device => _path.Device;

    /// <summary>Each neuron's share of the region's IG for output <paramref name="target"/>; <paramref name="region"/> marks the features of <c>S</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="input"/> a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default)
    {
        Guard.Length(region, _path.Info.InputLength, nameof(region));
        return Run(input, _path.Begin(input, target), region, cancellationToken);
    }

    /// <summary>
    /// Each neuron's share of the region's IG for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>A_j(S) = sum_k w_k dF/dy_j(x_k) [J_y(x_k) ((x - x') 1_S)]_j</c>,
    /// <c>x_k = x' + a_k (x - x')</c>; <paramref name="region"/> marks the features of <c>S</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">A span is not of the input length, or <paramref name="input"/> or <paramref name="baseline"/> holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default)
    {
        Guard.Length(region, _path.Info.InputLength, nameof(region));
        return Run(input, _path.Begin(input, baseline, target), region, cancellationToken);
    }

    private LayerAttribution<T> Run(ReadOnlySpan<T> input, TorchPath<T>.Call call, ReadOnlySpan<bool> region, CancellationToken cancellationToken)
    {
        T[] outputCoefficients = call.OutputCoefficients;
        int length = _path.Info.InputLength;
        int size = _layer.Size;
        var mask = new T[length];
        for (int i = 0; i < length; i++)
        {
            mask[i] = region[i] ? T.One : T.Zero;
        }

        double[] packed;
        using (NewDisposeScope())
        {
            Tensor x = _path.Input(input);                                  // [1, ...input]
            Tensor baseline = _path.BaselineOf(call);                       // [1, ...input]
            Tensor direction = x - baseline;                                // [1, ...input]
            Tensor masked = where(_path.Input(mask) != 0, direction, zeros_like(direction)); // (x - x') 1_S
            Tensor weights = _path.OutputCoefficients(outputCoefficients);            // [1, outputs]
            Tensor contributions = _path.Zeros(size);                       // [size]
            Tensor regionIntegratedGradients = zeros([1L], dtype: ScalarType.Float64, device: _path.Device); // [1], in double as on the CPU
            Tensor wideMask = masked.to(ScalarType.Float64);
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
                        System.Collections.Generic.IList<Tensor> gradients = autograd.grad([explained], [y, points], retain_graph: true); // dF/dy, dF/dx
                        Tensor tangents = TorchPath<T>.Tangent(y, points, masked);           // [count, ...layer]
                        Tensor nodeCoefficients = _path.NodeCoefficients(start, count);                 // [count, 1]
                        contributions.add_((gradients[0].reshape(count, size) * tangents.reshape(count, size) * nodeCoefficients).sum(dim: 0));
                        Tensor inputTerms = (gradients[1].to(ScalarType.Float64) * wideMask).reshape(count, length).sum(dim: 1, keepdim: true);
                        regionIntegratedGradients.add_((inputTerms * nodeCoefficients.to(ScalarType.Float64)).sum().reshape(1));
                    }
                }
            }

            packed = TorchPath<T>.Download(contributions, regionIntegratedGradients);
        }

        T[] values = TorchPath<T>.Values(packed, 0, size);
        var delta = ConvergenceDelta.From(TorchPath<T>.Sum(values), packed[size], 0);
        return new LayerAttribution<T>(_layer, values, delta, _path.Points);
    }

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _path.Dispose();
}
