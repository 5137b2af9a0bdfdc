using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise;

/// <summary>
/// Integrated Gradients of one neuron's value <c>y_j</c> with respect to the input:
/// <c>attr_i = (x_i - x'_i) * integral_0^1 dy_j/dx_i(x' + a (x - x')) da</c>; completeness against
/// <c>y_j(x) - y_j(x')</c>.
/// </summary>
/// <remarks>Safe to call from many threads at once: each call rents its workspace from a pool the instance owns.</remarks>
public sealed class NeuronIntegratedGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ScratchPool<PathIntegrator<T>> _paths;
    private readonly Layer _layer;

    /// <summary>Prepares the method for neurons of <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public NeuronIntegratedGradients(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        var first = new PathIntegrator<T>(network, Options);
        _layer = first.Resolve(layer, Options.AttributeToLayerInput);
        _paths = new ScratchPool<PathIntegrator<T>>(first.Clone);
        _paths.Return(first);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int neuron, CancellationToken cancellationToken = default)
    {
        Guard.Index(neuron, _layer.Size, nameof(neuron));
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, 0);
        return Run(lease.Item, neuron, cancellationToken);
    }

    /// <summary>
    /// Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature, along the path from
    /// this call's own <paramref name="baseline"/> <c>x'</c>: <c>attr_i = (x_i - x'_i) * integral_0^1 dy_j/dx_i(x' + a (x - x')) da</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int neuron, CancellationToken cancellationToken = default)
    {
        Guard.Index(neuron, _layer.Size, nameof(neuron));
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, baseline, 0);
        return Run(lease.Item, neuron, cancellationToken);
    }

    private Attribution<T> Run(PathIntegrator<T> path, int neuron, CancellationToken cancellationToken)
    {
        int length = path.Info.InputLength;
        Span<T> row = path.Scratch(length);
        int size = _layer.Size;
        var values = new T[length];
        Workspace<T> workspace = path.Workspace;
        for (int start = 0; start < path.Points; start += path.ChunkCapacity)
        {
            int count = path.Forward(start, cancellationToken);
            Span<T> seed = workspace.Gradients(_layer, count);
            seed.Clear();
            for (int k = 0; k < count; k++)
            {
                seed[k * size + neuron] = T.One;
            }

            path.Network.BackwardFrom(_layer, workspace, count);
            PathKernel.WeightedRowSum<T>(workspace.Gradients(path.Info.Input, count), path.Coefficients.AsSpan(start, count), row);
            System.Numerics.Tensors.TensorPrimitives.Add<T>(values, row, values);
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(values, path.Direction, values);
        ReadOnlySpan<T> endpoints = path.EndpointActivations(_layer);
        var delta = ConvergenceDelta.From(PathIntegrator<T>.Sum(values), double.CreateChecked(endpoints[size + neuron]), double.CreateChecked(endpoints[neuron]));
        return new Attribution<T>(values, path.Info.Input.OutputShape, delta, path.Points);
    }
}
