using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise;

/// <summary>
/// Internal influence of every neuron of a layer (Leino et al.): <c>I_j = integral_0^1 dF/dy_j(x' + a (x - x')) da</c>,
/// the path-averaged gradient at the layer, from one backward pass per chunk of path points.
/// </summary>
/// <remarks>Safe to call from many threads at once: each call rents its workspace from a pool the instance owns.</remarks>
public sealed class InternalInfluence<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ScratchPool<PathIntegrator<T>> _paths;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public InternalInfluence(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        var first = new PathIntegrator<T>(network, Options);
        _layer = first.Resolve(layer, Options.AttributeToLayerInput);
        _paths = new ScratchPool<PathIntegrator<T>>(first.Clone);
        _paths.Return(first);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The internal influence of every neuron on output <paramref name="target"/>.</summary>
    public LayerInfluence<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, target);
        return Run(lease.Item, cancellationToken);
    }

    /// <summary>
    /// The internal influence of every neuron on output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>I_j = integral_0^1 dF/dy_j(x' + a (x - x')) da</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerInfluence<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default)
    {
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, baseline, target);
        return Run(lease.Item, cancellationToken);
    }

    private LayerInfluence<T> Run(PathIntegrator<T> path, CancellationToken cancellationToken)
    {
        var influence = new T[_layer.Size];
        for (int start = 0; start < path.Points; start += path.ChunkCapacity)
        {
            int count = path.ForwardBackward(start, cancellationToken);
            PathKernel.WeightedRowSum<T>(path.Workspace.Gradients(_layer, count), path.Coefficients.AsSpan(start, count), path.Workspace.PathStep(_layer));
            System.Numerics.Tensors.TensorPrimitives.Add<T>(influence, path.Workspace.PathStep(_layer), influence);
        }

        return new LayerInfluence<T>(_layer, influence, path.Points);
    }
}
