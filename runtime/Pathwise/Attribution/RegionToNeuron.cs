using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// The contribution of each neuron of a layer to the Integrated Gradients of a region <c>S</c> of input
/// features (arXiv 2202.11912): <c>A_j(S) = integral_0^1 dF/dy_j(x(a)) [J_y(x(a)) ((x - x') 1_S)]_j da</c>.
/// </summary>
/// <remarks>
/// Per chunk of path points: one forward pass carrying the forward-mode tangent along the masked
/// direction <c>(x - x') 1_S</c>, one backward pass, for all neurons at once. For a layer that every path
/// crosses, <c>sum_j A_j(S) = sum_{i in S} IG_i</c> exactly (the same quadrature); the difference is
/// reported as <see cref="LayerAttribution{T}.Delta"/>, whose "output change" is the region's IG.
/// </remarks>
public sealed class RegionToNeuron<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathIntegrator<T> _path;
    private readonly Layer _layer;
    private readonly T[] _maskedDirection;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public RegionToNeuron(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        _path = new PathIntegrator<T>(network, Options);
        _layer = _path.Resolve(layer, Options.AttributeToLayerInput);
        _maskedDirection = new T[_path.Info.InputLength];
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>Each neuron's share of the region's IG for output <paramref name="target"/>; <paramref name="region"/> marks the features of <c>S</c>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default)
    {
        Guard.Length(region, _path.Info.InputLength, nameof(region));
        _path.Begin(input, target);
        for (int i = 0; i < _maskedDirection.Length; i++)
        {
            _maskedDirection[i] = region[i] ? _path.Direction[i] : T.Zero;
        }

        var contributions = new T[_layer.Size];
        double regionIntegratedGradients = 0;
        Workspace<T> workspace = _path.Workspace;
        int length = _path.Info.InputLength;
        for (int start = 0; start < _path.Steps; start += _path.ChunkCapacity)
        {
            int count = _path.Forward(start, cancellationToken);
            _path.Network.TangentPath(_maskedDirection, workspace, count);
            _path.SeedOutput(count);
            _path.Network.BackwardFrom(_path.Info.Output, workspace, count);
            ReadOnlySpan<T> weights = _path.Weights.AsSpan(start, count);
            LayerConductance<T>.Accumulate(workspace.Gradients(_layer, count), workspace.Tangents(_layer, count), weights, contributions);

            ReadOnlySpan<T> inputGradients = workspace.Gradients(_path.Info.Input, count);
            for (int k = 0; k < count; k++)
            {
                regionIntegratedGradients += double.CreateChecked(weights[k]) * PathIntegrator<T>.Dot(inputGradients.Slice(k * length, length), _maskedDirection);
            }
        }

        var delta = ConvergenceDelta.From(PathIntegrator<T>.Sum(contributions), regionIntegratedGradients, 0);
        return new LayerAttribution<T>(_layer, contributions, delta, _path.Steps);
    }
}
