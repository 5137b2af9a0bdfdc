using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Integrated Gradients on a torch device:
/// <c>attr_i = (x_i - x'_i) * sum_k w_k dF/dx_i(x' + alpha_k (x - x'))</c>, with the nodes <c>alpha_k</c> and
/// weights <c>w_k</c> of the configured quadrature rule, and the convergence delta
/// <c>sum(attr) - (F(x) - F(x'))</c>. Same options, checks and results as <see cref="IntegratedGradients{T}"/>.
/// </summary>
/// <remarks>
/// Each internal batch of path points is built on the device as one tensor
/// <c>points = x' + alpha[:, None] * (x - x')</c>, run forward once and differentiated once with
/// <c>torch.autograd.grad((F(points) * outputCoefficients).sum(), points)</c>; the per-point gradients are weighted
/// by <c>w_k</c> and summed on the device. Nothing returns to the host until one copy at the end. Every native
/// tensor of a call is released when it returns. Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchIntegratedGradients<T> : IAttributionMethod<T, Attribution<T>>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;

    /// <summary>Prepares the method for <paramref name="network"/> on its device; throws if an option is invalid.</summary>
    public TorchIntegratedGradients(TorchNetwork<T> network, IntegratedGradientsOptions? options = null)
    {
        Options = options ?? new IntegratedGradientsOptions();
        _host = TorchPathEngine<T>.Host(network, TorchPathEngine<T>.NewPlan(network, Options));
        Device = network.Device;
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device { get; }

    /// <summary>Attributes output <paramref name="target"/> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        IntegratedGradientsMath<T>.Attribute(_host, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>Attributes the weighted output <c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        IntegratedGradientsMath<T>.Attribute(_host, PathRequest<T>.ForWeights(input, outputCoefficients), cancellationToken);

    /// <summary>
    /// Attributes output <paramref name="target"/> against this call's own <paramref name="baseline"/> <c>x'</c> instead of the
    /// options' one: <c>attr_i = (x_i - x'_i) * sum_k w_k dF/dx_i(x' + alpha_k (x - x'))</c>; returns a new result.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        IntegratedGradientsMath<T>.Attribute(_host, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// Stacked on the device: the inputs run in groups of <c>max(1, InternalBatchSize / chunk)</c>, where the chunk is
    /// <c>min(InternalBatchSize, Points)</c> points, each chunk's points of a group's inputs one tensor
    /// <c>[inputs * points, ...input]</c> (one forward and one backward pass for the group), the gradient sums kept as
    /// <c>[inputs, input length]</c> on the device and copied back once per group.
    /// </remarks>
    public Attribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        PathBatch.Run(_host, inputs, targets, baselines, IntegratedGradientsMath<T>.Example, IntegratedGradientsMath<T>.Stacked, progress, cancellationToken);

    /// <summary>
    /// Attributes several outputs of one input in one pass: per chunk the path points run forward once, then one
    /// backward pass per target (the graph retained between them); one new result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default)
    {
        using var lease = _host.Borrow();
        return IntegratedGradientsMath<T>.Targets(lease.Item, input, default, ownBaseline: false, targets, cancellationToken);
    }

    /// <summary>
    /// Attributes several outputs of one input in one pass, along the path from this call's own <paramref name="baseline"/>
    /// <c>x'</c>: <c>result[t]_i = (x_i - x'_i) * sum_k w_k dF_targets[t]/dx_i(x' + alpha_k (x - x'))</c>; one new result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default)
    {
        using var lease = _host.Borrow();
        return IntegratedGradientsMath<T>.Targets(lease.Item, input, baseline, ownBaseline: true, targets, cancellationToken);
    }

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _host.Dispose();
}
