using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// The contribution of each neuron of a layer to the Integrated Gradients of a region <c>S</c> of input
/// features (arXiv 2202.11912): <c>A_j(S) = integral_0^1 dF/dy_j(x(a)) [J_y(x(a)) ((x - x') 1_S)]_j da</c>.
/// </summary>
/// <remarks>
/// Per chunk of path points: one forward pass carrying the forward-mode tangent along the masked
/// direction <c>(x - x') 1_S</c>, one backward pass, for all neurons at once. For a layer that every path
/// crosses, <c>sum_j A_j(S) = sum_{i in S} IG_i</c> exactly (the same quadrature); the difference is
/// reported as <see cref="LayerAttribution{T}.Delta"/>, whose "output change" is the region's IG. Safe to call
/// from many threads at once: each call rents its workspace from a pool the instance owns.
/// </remarks>
public sealed class RegionToNeuron<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ScratchPool<PathIntegrator<T>> _paths;
    private readonly Layer _layer;
    private readonly NetworkInfo _info;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public RegionToNeuron(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        var first = new PathIntegrator<T>(network, Options);
        _layer = first.Resolve(layer, Options.AttributeToLayerInput);
        _paths = new ScratchPool<PathIntegrator<T>>(first.Clone);
        _paths.Return(first);
        _info = first.Info;
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>Each neuron's share of the region's IG for output <paramref name="target"/>; <paramref name="region"/> marks the features of <c>S</c>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default)
    {
        Guard.Length(region, _info.InputLength, nameof(region));
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, target);
        return Run(lease.Item, region, cancellationToken);
    }

    /// <summary>
    /// Each neuron's share of the region's IG for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>A_j(S) = integral_0^1 dF/dy_j(x(a)) [J_y(x(a)) ((x - x') 1_S)]_j da</c>,
    /// <c>x(a) = x' + a (x - x')</c>; <paramref name="region"/> marks the features of <c>S</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of the input length, or <paramref name="input"/> or <paramref name="baseline"/> holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, ReadOnlySpan<bool> region, CancellationToken cancellationToken = default)
    {
        Guard.Length(region, _info.InputLength, nameof(region));
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, baseline, target);
        return Run(lease.Item, region, cancellationToken);
    }

    private LayerAttribution<T> Run(PathIntegrator<T> path, ReadOnlySpan<bool> region, CancellationToken cancellationToken)
    {
        Span<T> maskedDirection = path.Scratch(_info.InputLength);
        for (int i = 0; i < maskedDirection.Length; i++)
        {
            maskedDirection[i] = region[i] ? path.Direction[i] : T.Zero;
        }

        var contributions = new T[_layer.Size];
        double regionIntegratedGradients = 0;
        Workspace<T> workspace = path.Workspace;
        int length = path.Info.InputLength;
        for (int start = 0; start < path.Points; start += path.ChunkCapacity)
        {
            int count = path.Forward(start, cancellationToken);
            path.Network.TangentPath(maskedDirection, workspace, count);
            path.SeedOutput(count);
            path.Network.BackwardFrom(path.Info.Output, workspace, count);
            ReadOnlySpan<T> weights = path.Coefficients.AsSpan(start, count);
            LayerConductance<T>.Accumulate(workspace.Gradients(_layer, count), workspace.Tangents(_layer, count), weights, contributions);

            ReadOnlySpan<T> inputGradients = workspace.Gradients(path.Info.Input, count);
            for (int k = 0; k < count; k++)
            {
                regionIntegratedGradients += double.CreateChecked(weights[k]) * PathIntegrator<T>.Dot(inputGradients.Slice(k * length, length), maskedDirection);
            }
        }

        var delta = ConvergenceDelta.From(PathIntegrator<T>.Sum(contributions), regionIntegratedGradients, 0);
        return new LayerAttribution<T>(_layer, contributions, delta, path.Points);
    }
}
