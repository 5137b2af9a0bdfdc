using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Integrated Gradients of one neuron's value <c>y_j</c> with respect to the input:
/// <c>attr_i = (x_i - x'_i) * integral_0^1 dy_j/dx_i(x' + a (x - x')) da</c>; completeness against
/// <c>y_j(x) - y_j(x')</c>.
/// </summary>
public sealed class NeuronIntegratedGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathIntegrator<T> _path;
    private readonly Layer _layer;
    private readonly T[] _row;

    /// <summary>Prepares the method for neurons of <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public NeuronIntegratedGradients(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _path = new PathIntegrator<T>(network, Options);
        _layer = _path.Resolve(layer, Options.AttributeToLayerInput);
        _row = new T[_path.Info.InputLength];
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>Attributes neuron <paramref name="neuron"/> (a flat index into the layer) to every input feature.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int neuron, CancellationToken cancellationToken = default)
    {
        Guard.Index(neuron, _layer.Size, nameof(neuron));
        _path.Begin(input, 0);
        int length = _path.Info.InputLength;
        int size = _layer.Size;
        var values = new T[length];
        Workspace<T> workspace = _path.Workspace;
        for (int start = 0; start < _path.Steps; start += _path.ChunkCapacity)
        {
            int count = _path.Forward(start, cancellationToken);
            Span<T> seed = workspace.Gradients(_layer, count);
            seed.Clear();
            for (int k = 0; k < count; k++)
            {
                seed[k * size + neuron] = T.One;
            }

            _path.Network.BackwardFrom(_layer, workspace, count);
            Kernels.PathKernel.WeightedRowSum<T>(workspace.Gradients(_path.Info.Input, count), _path.Weights.AsSpan(start, count), _row);
            System.Numerics.Tensors.TensorPrimitives.Add<T>(values, _row, values);
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(values, _path.Direction, values);
        ReadOnlySpan<T> endpoints = _path.EndpointActivations(_layer);
        var delta = ConvergenceDelta.From(PathIntegrator<T>.Sum(values), double.CreateChecked(endpoints[size + neuron]), double.CreateChecked(endpoints[neuron]));
        return new Attribution<T>(values, _path.Info.Input.OutputShape, delta, _path.Steps);
    }
}
