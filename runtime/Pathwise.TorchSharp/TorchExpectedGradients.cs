using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Expected gradients on a torch device: <c>E_{x' ~ D}[IG(x; x')]</c>, exact over a given baseline set or estimated
/// from baselines drawn by <c>new Random(seed).Next(count)</c>, with completeness against <c>F(x) - E_D[F(x')]</c>.
/// Same options, checks, draws and results as <see cref="ExpectedGradients{T}"/>.
/// </summary>
/// <remarks>
/// The CPU's mathematics on the device engine: one Integrated Gradients run per drawn baseline (its chunks of
/// <c>max(2, min(InternalBatchSize, Points))</c> points on the device, one copy back per run), the attributions summed
/// and scaled on the host in <typeparamref name="T"/>. The options' own baseline is validated but unused, as on the CPU. The baseline
/// set is the constructor's, or each call's own (the overloads with a <c>baselines</c> argument), as on the CPU.
/// Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchExpectedGradients<T> : IAttributionMethod<T, Attribution<T>>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PathHost<T> _host;
    private readonly T[] _baselines;

    /// <summary>Prepares the method with the baseline set <paramref name="baselines"/>, <c>[count, input length]</c>.</summary>
    /// <exception cref="ArgumentException">The set is empty, not a whole number of inputs, or holds a non-finite value; or an option is invalid.</exception>
    public TorchExpectedGradients(TorchNetwork<T> network, ReadOnlySpan<T> baselines, IntegratedGradientsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ExpectedGradientsMath<T>.CheckSet(baselines, network.Info.InputLength);
        _baselines = baselines.ToArray();
        Options = options ?? new IntegratedGradientsOptions();
        _host = TorchPathEngine<T>.Host(network, TorchPathEngine<T>.NewPlan(network, Options));
        Device = network.Device;
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>The number of baselines in the set.</summary>
    public int BaselineCount => _baselines.Length / _host.Info.InputLength;

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device { get; }

    /// <summary>The exact expectation over the baseline set, each baseline weighted equally.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        ExpectedGradientsMath<T>.Exact(_host, input, _baselines, target, cancellationToken);

    /// <summary>
    /// The exact expectation over this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>,
    /// instead of the constructor's: <c>(1/count) sum_b IG(x; x'_b)</c>, each baseline weighted equally.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">
    /// The set is empty, not a whole number of inputs, or holds a non-finite value; or <paramref name="input"/> has the wrong
    /// length or a non-finite value.
    /// </exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, CancellationToken cancellationToken = default)
    {
        ExpectedGradientsMath<T>.CheckSet(baselines, _host.Info.InputLength);
        return ExpectedGradientsMath<T>.Exact(_host, input, baselines, target, cancellationToken);
    }

    /// <summary>An estimate from <paramref name="samples"/> baselines drawn uniformly, with replacement, by a generator seeded with <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is below 1, or <paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T> AttributeSampled(ReadOnlySpan<T> input, int target, int samples, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        return ExpectedGradientsMath<T>.Sampled(_host, input, _baselines, target, samples, seed, cancellationToken);
    }

    /// <summary>
    /// An estimate from <paramref name="samples"/> baselines drawn uniformly, with replacement, by a generator seeded with
    /// <paramref name="seed"/>, from this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>:
    /// <c>(1/samples) sum_s IG(x; x'_{b_s})</c>. The same draws as the CPU's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is below 1, or <paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">
    /// The set is empty, not a whole number of inputs, or holds a non-finite value; or <paramref name="input"/> has the wrong
    /// length or a non-finite value.
    /// </exception>
    public Attribution<T> AttributeSampled(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, int samples, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        ExpectedGradientsMath<T>.CheckSet(baselines, _host.Info.InputLength);
        return ExpectedGradientsMath<T>.Sampled(_host, input, baselines, target, samples, seed, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With <paramref name="baselines"/> empty, each input's expectation is over the constructor's set; with a row per
    /// input, over the set of that one baseline. Stacked on the device: every (input, baseline) pair of a group of inputs is
    /// one Integrated Gradients example, <c>max(1, InternalBatchSize / chunk)</c> pairs per tensor of <c>[pairs * points, ...input]</c>.
    /// </remarks>
    public Attribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        ExpectedGradientsMath<T>.Batch(_host, _baselines, inputs, targets, baselines, progress, cancellationToken);

    /// <summary>
    /// The exact expectation over the baseline set for each of several outputs of one input:
    /// <c>result[t] = (1/count) sum_b IG_targets[t](x; x'_b)</c>, each baseline's path points run forward once per chunk and
    /// only the backward pass repeated per target (the graph retained between them); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        ExpectedGradientsMath<T>.Targets(_host, input, _baselines, targets, cancellationToken);

    /// <summary>
    /// The exact expectation over this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>, for each
    /// of several outputs of one input, in one pass per baseline (see the form without a set); one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException">The set is empty, not a whole number of inputs, or holds a non-finite value; or <paramref name="input"/> is not of the input length, or holds a non-finite value.</exception>
    public Attribution<T>[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default)
    {
        ExpectedGradientsMath<T>.CheckSet(baselines, _host.Info.InputLength);
        return ExpectedGradientsMath<T>.Targets(_host, input, baselines, targets, cancellationToken);
    }

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose() => _host.Dispose();
}
