using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Interior gradients on a torch device: <c>dF/dx (x' + a_k (x - x'))</c> at the configured scaling factors, with
/// the outputs <c>F(x' + a_k (x - x'))</c> along the path and their saturation. Same options, checks and results
/// as <see cref="InteriorGradients{T}"/>.
/// </summary>
/// <remarks>
/// One forward and one reverse pass per batch of scaled inputs; gradients and outputs stay on the device until one
/// copy at the end. Every native tensor of a call is released when it returns. Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchInteriorGradients<T> : IAttributionMethod<T, InteriorGradientsResult<T>>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly double[] _alphas;

    /// <summary>Prepares the method for <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A scaling factor is outside [0, 1], or the count is below 1.</exception>
    public TorchInteriorGradients(TorchNetwork<T> network, InteriorGradientsOptions? options = null)
    {
        Options = options ?? new InteriorGradientsOptions();
        _alphas = Options.ResolveAlphas();
        ArgumentNullException.ThrowIfNull(network);
        _host = TorchPathEngine<T>.Host(network, InteriorGradientsMath<T>.Plan(network.Info, _alphas, Options.Baseline));
        Device = network.Device;
    }

    /// <summary>The settings.</summary>
    public InteriorGradientsOptions Options { get; }

    /// <summary>The device the gradients are computed on (the network's).</summary>
    public Device Device { get; }

    /// <summary>The gradients of output <paramref name="target"/> at every scaled input.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public InteriorGradientsResult<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Attribute(_host, _alphas, PathRequest<T>.ForTarget(input, target), cancellationToken);

    /// <summary>
    /// The gradients of output <paramref name="target"/> at every scaled input, scaled from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>dF/dx (x' + a_k (x - x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public InteriorGradientsResult<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Attribute(_host, _alphas, PathRequest<T>.ForTarget(input, baseline, target), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Stacked on the device, as <see cref="TorchIntegratedGradients{T}.AttributeBatch"/>: the inputs run in groups of <c>max(1, InternalBatchSize / chunk)</c>, each chunk's points of a group one tensor <c>[inputs * points, ...input]</c>, the gradients and outputs kept as <c>[inputs, factors, ...]</c> on the device.</remarks>
    public InteriorGradientsResult<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Batch(_host, _alphas, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The gradients of each of several outputs of one input at every scaled input, in one pass: per chunk the scaled inputs
    /// run forward once, then one backward pass per target (the graph retained between them),
    /// <c>result[t].Gradients[k] = dF_targets[t]/dx (x' + a_k (x - x'))</c>; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not of the input length, or holds a non-finite value.</exception>
    public InteriorGradientsResult<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Targets(_host, _alphas, input, default, ownBaseline: false, targets, cancellationToken);

    /// <summary>
    /// The gradients of each of several outputs of one input at every scaled input, scaled from this call's own
    /// <paramref name="baseline"/> <c>x'</c>, in one pass (see the form without a baseline); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public InteriorGradientsResult<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        InteriorGradientsMath<T>.Targets(_host, _alphas, input, baseline, ownBaseline: true, targets, cancellationToken);

    /// <summary>Releases the device tensors of the scaling factors and the baseline.</summary>
    public void Dispose() => _host.Dispose();
}
