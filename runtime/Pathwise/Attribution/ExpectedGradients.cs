using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// Attribution against a distribution of baselines (arXiv 2202.11912; also known as expected gradients):
/// <c>E_{x' ~ D}[IG(x; x')]</c>, exact over a given set of baselines or estimated from baselines drawn with
/// a seeded generator (the same seed gives the same result). Completeness is against
/// <c>F(x) - E_D[F(x')]</c> over the baselines used.
/// </summary>
/// <remarks>
/// The baseline set is the constructor's, or, as Captum's <c>GradientShap</c> takes it, each call's own (the overloads
/// with a <c>baselines</c> argument); a call's own set is used by that call only.
/// Safe to call from many threads at once: each call rents its buffer from a pool the instance owns and runs on
/// the thread-safe <see cref="IntegratedGradients{T}"/>, so a warm call allocates only its result.
/// </remarks>
public sealed class ExpectedGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IntegratedGradients<T> _integratedGradients;
    private readonly T[] _baselines;
    private readonly int _length;
    private readonly ScratchPool<T[]> _singles;
    private readonly TensorShape _shape;

    /// <summary>Prepares the method with the baseline set <paramref name="baselines"/>, <c>[count, input length]</c>.</summary>
    public ExpectedGradients(INetwork<T> network, ReadOnlySpan<T> baselines, IntegratedGradientsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        _length = network.Info.InputLength;
        CheckSet(baselines, _length);
        _baselines = baselines.ToArray();
        _integratedGradients = new IntegratedGradients<T>(network, options);
        _singles = new ScratchPool<T[]>(() => new T[_length]);
        _shape = network.Info.Input.OutputShape;
    }

    /// <summary>The number of baselines in the set.</summary>
    public int BaselineCount => _baselines.Length / _length;

    /// <summary>The exact expectation over the baseline set, each baseline weighted equally.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        Exact(input, _baselines, target, cancellationToken);

    /// <summary>
    /// The exact expectation over this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>,
    /// instead of the constructor's: <c>(1/count) sum_b IG(x; x'_b)</c>, each baseline weighted equally.
    /// </summary>
    /// <exception cref="ArgumentException">The set is empty, not a whole number of inputs, or holds a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, CancellationToken cancellationToken = default)
    {
        CheckSet(baselines, _length);
        return Exact(input, baselines, target, cancellationToken);
    }

    /// <summary>An estimate from <paramref name="samples"/> baselines drawn uniformly, with replacement, by a generator seeded with <paramref name="seed"/>.</summary>
    public Attribution<T> AttributeSampled(ReadOnlySpan<T> input, int target, int samples, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        return Sampled(input, _baselines, target, samples, seed, cancellationToken);
    }

    /// <summary>
    /// An estimate from <paramref name="samples"/> baselines drawn uniformly, with replacement, by a generator seeded with
    /// <paramref name="seed"/>, from this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>:
    /// <c>(1/samples) sum_s IG(x; x'_{b_s})</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The set is empty, not a whole number of inputs, or holds a non-finite value.</exception>
    public Attribution<T> AttributeSampled(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, int samples, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        CheckSet(baselines, _length);
        return Sampled(input, baselines, target, samples, seed, cancellationToken);
    }

    /// <summary>Throws unless <paramref name="baselines"/> is one or more finite inputs of <paramref name="length"/> features.</summary>
    private static void CheckSet(ReadOnlySpan<T> baselines, int length)
    {
        if (baselines.Length == 0 || baselines.Length % length != 0)
        {
            throw new ArgumentException($"Expected one or more baselines of length {length}; got {baselines.Length} values.", nameof(baselines));
        }

        Guard.Finite(baselines, nameof(baselines));
    }

    private Attribution<T> Exact(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, CancellationToken cancellationToken)
    {
        int count = baselines.Length / _length;
        var values = new T[_length];
        double atBaseline = 0;
        double atInput = 0;
        using var single = _singles.Borrow();
        for (int b = 0; b < count; b++)
        {
            (atBaseline, atInput) = Add(input, baselines.Slice(b * _length, _length), target, values, single.Item, atBaseline, cancellationToken);
        }

        return Finish(values, atInput, atBaseline, count);
    }

    private Attribution<T> Sampled(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, int samples, int seed, CancellationToken cancellationToken)
    {
        int count = baselines.Length / _length;
        var random = new Random(seed);
        var values = new T[_length];
        double atBaseline = 0;
        double atInput = 0;
        using var single = _singles.Borrow();
        for (int s = 0; s < samples; s++)
        {
            (atBaseline, atInput) = Add(input, baselines.Slice(random.Next(count) * _length, _length), target, values, single.Item, atBaseline, cancellationToken);
        }

        return Finish(values, atInput, atBaseline, samples);
    }

    private (double BaselineSum, double AtInput) Add(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, Span<T> values, Span<T> single, double baselineSum, CancellationToken cancellationToken)
    {
        ConvergenceDelta delta = _integratedGradients.Attribute(input, baseline, target, single, cancellationToken);
        System.Numerics.Tensors.TensorPrimitives.Add<T>(values, single, values);
        return (baselineSum + delta.OutputAtBaseline, delta.OutputAtInput);
    }

    private Attribution<T> Finish(T[] values, double atInput, double baselineSum, int count)
    {
        T scale = T.One / T.CreateChecked(count);
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(values, scale, values);
        var delta = ConvergenceDelta.From(PathIntegrator<T>.Sum(values), atInput, baselineSum / count);
        return new Attribution<T>(values, _shape, delta, _integratedGradients.Options.Points * count);
    }
}
