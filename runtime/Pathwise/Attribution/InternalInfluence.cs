using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Internal influence of every neuron of a layer (Leino et al.): <c>I_j = integral_0^1 dF/dy_j(x' + a (x - x')) da</c>,
/// the path-averaged gradient at the layer, from one backward pass per chunk of path points.
/// </summary>
public sealed class InternalInfluence<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathIntegrator<T> _path;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public InternalInfluence(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _path = new PathIntegrator<T>(network, Options);
        _layer = _path.Resolve(layer, Options.AttributeToLayerInput);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The internal influence of every neuron on output <paramref name="target"/>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        _path.Begin(input, target);
        var influence = new T[_layer.Size];
        for (int start = 0; start < _path.Steps; start += _path.ChunkCapacity)
        {
            int count = _path.ForwardBackward(start, cancellationToken);
            Kernels.PathKernel.WeightedRowSum<T>(_path.Workspace.Gradients(_layer, count), _path.Weights.AsSpan(start, count), _path.Workspace.PathStep(_layer));
            System.Numerics.Tensors.TensorPrimitives.Add<T>(influence, _path.Workspace.PathStep(_layer), influence);
        }

        return new LayerAttribution<T>(_layer, influence, null, _path.Steps);
    }
}
