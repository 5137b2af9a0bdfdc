using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise;

/// <summary>
/// Neuron conductance (Dhamdhere et al., arXiv 1807.09946): the flow through neuron <c>y_j</c> to each input
/// feature, <c>NC_ji = (x_i - x'_i) * integral_0^1 dF/dy_j * dy_j/dx_i da</c>.
/// </summary>
/// <remarks>
/// Per chunk of path points: one forward and one backward pass give <c>dF/dy</c> for every neuron; then one
/// backward pass from the layer per requested neuron, seeded with <c>dF/dy_j</c> at each point, gives that
/// neuron's row for every input feature at once — never one pass per input feature. Summed over features,
/// a row is the neuron's total conductance. Safe to call from many threads at once: each call rents its
/// workspace from a pool the instance owns.
/// </remarks>
public sealed class NeuronConductance<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ScratchPool<PathIntegrator<T>> _paths;
    private readonly Layer _layer;

    /// <summary>Prepares the method for neurons of <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public NeuronConductance(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        var first = new PathIntegrator<T>(network, Options);
        _layer = first.Resolve(layer, Options.AttributeToLayerInput);
        _paths = new ScratchPool<PathIntegrator<T>>(first.Clone);
        _paths.Return(first);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>Every neuron of the layer, for output <paramref name="target"/>: a <c>[layer size, input length]</c> matrix.</summary>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        return Attribute(input, target, AllNeurons(), cancellationToken);
    }

    /// <summary>
    /// Every neuron of the layer, for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>NC_ji = (x_i - x'_i) * integral_0^1 dF/dy_j * dy_j/dx_i (x' + a (x - x')) da</c>,
    /// a <c>[layer size, input length]</c> matrix.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        Attribute(input, baseline, target, AllNeurons(), cancellationToken);

    /// <summary>The given <paramref name="neurons"/> (flat indices into the layer), for output <paramref name="target"/>.</summary>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<int> neurons, CancellationToken cancellationToken = default)
    {
        foreach (int neuron in neurons)
        {
            Guard.Index(neuron, _layer.Size, nameof(neurons));
        }

        using var lease = _paths.Borrow();
        lease.Item.Begin(input, target);
        return Run(lease.Item, neurons, cancellationToken);
    }

    /// <summary>
    /// The given <paramref name="neurons"/> (flat indices into the layer), for output <paramref name="target"/>, along the
    /// path from this call's own <paramref name="baseline"/> <c>x'</c>:
    /// <c>NC_ji = (x_i - x'_i) * integral_0^1 dF/dy_j * dy_j/dx_i (x' + a (x - x')) da</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public NeuronAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, ReadOnlySpan<int> neurons, CancellationToken cancellationToken = default)
    {
        foreach (int neuron in neurons)
        {
            Guard.Index(neuron, _layer.Size, nameof(neurons));
        }

        using var lease = _paths.Borrow();
        lease.Item.Begin(input, baseline, target);
        return Run(lease.Item, neurons, cancellationToken);
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

    private NeuronAttribution<T> Run(PathIntegrator<T> path, ReadOnlySpan<int> neurons, CancellationToken cancellationToken)
    {
        int length = path.Info.InputLength;
        int size = _layer.Size;
        Span<T> scratch = path.Scratch(path.ChunkCapacity * size + length);
        Span<T> layerGradients = scratch.Slice(0, path.ChunkCapacity * size);
        Span<T> row = scratch.Slice(path.ChunkCapacity * size, length);
        var values = new T[Guard.Elements(neurons.Length, length, nameof(neurons))];
        Workspace<T> workspace = path.Workspace;
        for (int start = 0; start < path.Points; start += path.ChunkCapacity)
        {
            int count = path.ForwardBackward(start, cancellationToken);
            workspace.Gradients(_layer, count).CopyTo(layerGradients);
            ReadOnlySpan<T> weights = path.Coefficients.AsSpan(start, count);
            for (int n = 0; n < neurons.Length; n++)
            {
                int j = neurons[n];
                Span<T> seed = workspace.Gradients(_layer, count);
                seed.Clear();
                for (int k = 0; k < count; k++)
                {
                    seed[k * size + j] = layerGradients[k * size + j];
                }

                path.Network.BackwardFrom(_layer, workspace, count);
                PathKernel.WeightedRowSum<T>(workspace.Gradients(path.Info.Input, count), weights, row);
                System.Numerics.Tensors.TensorPrimitives.Add<T>(values.AsSpan(n * length, length), row, values.AsSpan(n * length, length));
            }
        }

        for (int n = 0; n < neurons.Length; n++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply<T>(values.AsSpan(n * length, length), path.Direction, values.AsSpan(n * length, length));
        }

        return new NeuronAttribution<T>(_layer, neurons.ToArray(), path.Info.Input.OutputShape, values, path.Points);
    }
}
