using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Total conductance of every neuron of a layer, i.e. layer Integrated Gradients (Dhamdhere et al., arXiv
/// 1807.09946): <c>Cond_j = integral_0^1 dF/dy_j(x(a)) * dy_j(x(a))/da da</c> along <c>x(a) = x' + a (x - x')</c>.
/// </summary>
/// <remarks>
/// Per path point, one forward pass carries the forward-mode tangent <c>dy/da = J_y (x - x')</c> and one
/// backward pass the gradient <c>dF/dy</c>, for all neurons at once; the integral is then the quadrature
/// rule's weighted sum of their product. Because the derivative <c>dy/da</c> is evaluated at each node
/// (not differenced between consecutive nodes), every rule's endpoints are right, and on a layer that is
/// linear in the input the result is exact for every rule. Completeness: <c>sum_j Cond_j = F(x) - F(x')</c>
/// up to the quadrature error, reported as <see cref="LayerAttribution{T}.Delta"/>. Safe to call from many
/// threads at once: each call rents its workspace from a pool the instance owns.
/// </remarks>
public sealed class LayerConductance<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ScratchPool<PathIntegrator<T>> _paths;
    private readonly Layer _layer;

    /// <summary>Prepares the method for <paramref name="layer"/> of <paramref name="network"/>.</summary>
    public LayerConductance(INetwork<T> network, Layer layer, LayerAttributionOptions? options = null)
    {
        Options = options ?? new LayerAttributionOptions();
        var first = new PathIntegrator<T>(network, Options);
        _layer = first.Resolve(layer, Options.AttributeToLayerInput);
        _paths = new ScratchPool<PathIntegrator<T>>(first.Clone);
        _paths.Return(first);
    }

    /// <summary>The validated settings.</summary>
    public LayerAttributionOptions Options { get; }

    /// <summary>The conductance of every neuron for output <paramref name="target"/>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, target);
        return Run(lease.Item, cancellationToken);
    }

    /// <summary>The conductance of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>.</summary>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default)
    {
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, outputCoefficients);
        return Run(lease.Item, cancellationToken);
    }

    /// <summary>
    /// The conductance of every neuron for output <paramref name="target"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>Cond_j = integral_0^1 dF/dy_j(x(a)) * dy_j(x(a))/da da</c>, <c>x(a) = x' + a (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default)
    {
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, baseline, target);
        return Run(lease.Item, cancellationToken);
    }

    /// <summary>
    /// The conductance of every neuron for the weighted output <c>sum_j outputCoefficients[j] F_j</c>, along the path
    /// from this call's own <paramref name="baseline"/> <c>x'</c>: <c>x(a) = x' + a (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of its expected length, or holds a non-finite value.</exception>
    public LayerAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default)
    {
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, baseline, outputCoefficients);
        return Run(lease.Item, cancellationToken);
    }

    private LayerAttribution<T> Run(PathIntegrator<T> path, CancellationToken cancellationToken)
    {
        var conductance = new T[_layer.Size];
        Workspace<T> workspace = path.Workspace;
        for (int start = 0; start < path.Points; start += path.ChunkCapacity)
        {
            int count = path.Forward(start, cancellationToken);
            path.Network.TangentPath(path.Direction, workspace, count);
            path.SeedOutput(count);
            path.Network.BackwardFrom(path.Info.Output, workspace, count);
            Accumulate(workspace.Gradients(_layer, count), workspace.Tangents(_layer, count), path.Coefficients.AsSpan(start, count), conductance);
        }

        (double atBaseline, double atInput) = path.ReadEndpoints();
        return new LayerAttribution<T>(_layer, conductance, ConvergenceDelta.From(PathIntegrator<T>.Sum(conductance), atInput, atBaseline), path.Points);
    }

    /// <summary><c>destination[j] += sum_k weights[k] * gradients[k, j] * tangents[k, j]</c>.</summary>
    internal static void Accumulate(ReadOnlySpan<T> gradients, ReadOnlySpan<T> tangents, ReadOnlySpan<T> weights, Span<T> destination)
    {
        int size = destination.Length;
        for (int k = 0; k < weights.Length; k++)
        {
            T weight = weights[k];
            ReadOnlySpan<T> g = gradients.Slice(k * size, size);
            ReadOnlySpan<T> t = tangents.Slice(k * size, size);
            for (int j = 0; j < size; j++)
            {
                destination[j] += weight * g[j] * t[j];
            }
        }
    }
}
