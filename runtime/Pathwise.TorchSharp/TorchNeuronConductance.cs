using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Neuron conductance on a torch device: <c>NC_ji = (x_i - x'_i) sum_k w_k dF/dy_j(x_k) dy_j/dx_i(x_k)</c> at the
/// quadrature points <c>x_k = x' + a_k (x - x')</c>. Same options, checks and results as <see cref="NeuronConductance{T}"/>.
/// </summary>
/// <remarks>
/// Per internal batch of path points: one forward pass, one reverse pass for <c>dF/dy</c> at every neuron, then
/// one reverse pass per requested neuron <c>j</c> of <c>sum_k w_k dF/dy_j(x_k) y_j(x_k)</c> (the first gradient
/// held constant) over the retained graph, which gives that neuron's row for every input feature at once — never
/// one pass per input feature. The rows are summed on the device and copied back once. Safe to call from many
/// threads at once: each call builds its own tensors and autograd graph, reads the shared device tensors without
/// writing them (nor their <c>.grad</c>), and TorchSharp's dispose scopes and grad mode are per thread; dispose the
/// instance only once no call is running.
/// </remarks>
public sealed class TorchNeuronConductance<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchPath<T> _path;
    private readonly Layer _layer;

    /// <summary>Prepares the method for neurons of <paramref name="layer"/> of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or the layer is not the network's (or has no input to attribute to).</exception>
    public TorchNeuronConductance(TorchNetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _path = new TorchPath<T>(network, Options);
        _layer = _path.ResolveOrRelease(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device => _path.Device;

    /// <summary>Every neuron of the layer, for output <paramref name="target"/>: a <c>[layer size, input length]</c> matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        return Attribute(input, target, AllNeurons(), cancellationToken);
    }

    /// <summary>
    /// Every neuron of the layer, for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>NC_ji = (x_i - x'_i) sum_k w_k dF/dy_j(x_k) dy_j/dx_i(x_k)</c>,
    /// <c>x_k = x' + a_k (x - x')</c>, a <c>[layer size, input length]</c> matrix.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        Attribute(input, baseline, target, AllNeurons(), cancellationToken);

    /// <summary>The given <paramref name="neurons"/> (flat indices into the layer), for output <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A neuron is not in the layer, or <paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<int> neurons, CancellationToken cancellationToken = default)
    {
        foreach (int neuron in neurons)
        {
            Guard.Index(neuron, _layer.Size, nameof(neurons));
        }

        return Run(input, _path.Begin(input, target), neurons, cancellationToken);
    }

    /// <summary>
    /// The given <paramref name="neurons"/> (flat indices into the layer), for output <paramref name="target"/>, along the
    /// path from this call's own <paramref name="baseline"/> <c>x'</c>:
    /// <c>NC_ji = (x_i - x'_i) sum_k w_k dF/dy_j(x_k) dy_j/dx_i(x_k)</c>, <c>x_k = x' + a_k (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A neuron is not in the layer, or <paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, ReadOnlySpan<int> neurons, CancellationToken cancellationToken = default)
    {
        foreach (int neuron in neurons)
        {
            Guard.Index(neuron, _layer.Size, nameof(neurons));
        }

        return Run(input, _path.Begin(input, baseline, target), neurons, cancellationToken);
    }

    private int[] AllNeurons()
    {
        var all = new int[_layer.Size];
        for (int j = 0; j < all.Length; j++)
        {
            all[j] = j;
        }

        return all;
    }

    private NeuronAttribution<T> Run(ReadOnlySpan<T> input, TorchPath<T>.Call call, ReadOnlySpan<int> neurons, CancellationToken cancellationToken)
    {
        T[] outputCoefficients = call.OutputCoefficients;
        int length = _path.Info.InputLength;
        int size = _layer.Size;
        int[] rows = neurons.ToArray();
        double[] packed;
        using (NewDisposeScope())
        {
            Tensor x = _path.Input(input);                         // [1, ...input]
            Tensor baseline = _path.BaselineOf(call);              // [1, ...input]
            Tensor direction = x - baseline;                       // [1, ...input]
            Tensor weights = _path.OutputCoefficients(outputCoefficients);   // [1, outputs]
            Tensor values = _path.Zeros(rows.Length, length);      // [neurons, input length]
            using (enable_grad())
            {
                for (int start = 0; start < _path.Points && rows.Length > 0; start += _path.ChunkCapacity)
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
                        Tensor seeds = gradients.reshape(count, size) * _path.NodeCoefficients(start, count); // [count, size], w_k dF/dy
                        Tensor flat = y.reshape(count, size);
                        for (int n = 0; n < rows.Length; n++)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            int j = rows[n];
                            Tensor seed = (flat.narrow(1, j, 1) * seeds.narrow(1, j, 1)).sum();
                            Tensor row = autograd.grad([seed], [points], retain_graph: n < rows.Length - 1)[0]; // [count, ...input]
                            values[n].add_(row.reshape(count, length).sum(dim: 0));
                        }
                    }
                }
            }

            packed = TorchPath<T>.Download(values * direction.reshape(1, length));
        }

        return new NeuronAttribution<T>(_layer, rows, _path.Info.Input.OutputShape, TorchPath<T>.Values(packed, 0, rows.Length * length), _path.Points);
    }

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _path.Dispose();
}
