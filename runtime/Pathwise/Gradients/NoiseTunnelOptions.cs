using System;
using System.Numerics;

namespace Pathwise;

/// <summary>
/// An input attribution to wrap in a <see cref="NoiseTunnel{T}"/> (or to measure with
/// <see cref="AttributionMetrics.SensitivityMax{T}"/>): writes the attribution of output <paramref name="target"/> at
/// <paramref name="input"/> into <paramref name="attributions"/>, shaped like the input. Any method's span form fits,
/// e.g. <c>(x, t, a) =&gt; ig.Attribute(x, t, a)</c> or <c>(x, t, a) =&gt; saliency.Attribute(x, t, a)</c>.
/// </summary>
public delegate void InputAttributor<T>(ReadOnlySpan<T> input, int target, Span<T> attributions) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>How a <see cref="NoiseTunnel{T}"/> combines the attributions <c>a_s</c> of its noisy samples (Captum's <c>nt_type</c>).</summary>
public enum NoiseTunnelKind
{
    /// <summary>SmoothGrad (Smilkov et al., arXiv 1706.03825): the mean <c>(1/n) sum_s a_s</c>.</summary>
    SmoothGrad,

    /// <summary>SmoothGrad squared: the mean of squares <c>(1/n) sum_s a_s^2</c>.</summary>
    SmoothGradSquared,

    /// <summary>VarGrad (Adebayo et al., arXiv 1810.03307): the population variance <c>(1/n) sum_s a_s^2 - ((1/n) sum_s a_s)^2</c>.</summary>
    VarGrad,
}

/// <summary>Settings of <see cref="NoiseTunnel{T}"/>, validated on construction of the tunnel.</summary>
public record NoiseTunnelOptions
{
    /// <summary>The most samples a tunnel may draw: 1,000,000.</summary>
    public const int MaxSamples = 1_000_000;

    /// <summary>How the samples' attributions are combined (default SmoothGrad).</summary>
    public NoiseTunnelKind Kind { get; init; } = NoiseTunnelKind.SmoothGrad;

    /// <summary>The number of noisy samples <c>n</c>, 1 to <see cref="MaxSamples"/> (default 10; Captum's <c>nt_samples</c>).</summary>
    public int Samples { get; init; } = 10;

    /// <summary>
    /// The noise's standard deviation relative to the input's range, as the SmoothGrad paper defines it:
    /// <c>sigma = NoiseLevel * (max_i x_i - min_i x_i)</c> (default 0.15). Captum's <c>stdevs</c> is the absolute
    /// <c>sigma</c>: Captum's <c>stdevs = s</c> is <c>NoiseLevel = s / (max - min)</c> here. Finite and at least 0.
    /// </summary>
    public double NoiseLevel { get; init; } = 0.15;

    /// <summary>
    /// The seed of the noise (default 0). Each call draws from <c>new Random(Seed)</c> afresh, so a call is a function of
    /// its arguments: the same seed and input give the same result.
    /// </summary>
    public int Seed { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (!Enum.IsDefined(Kind))
        {
            throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Expected one of the NoiseTunnelKind values.");
        }

        if (Samples < 1 || Samples > MaxSamples)
        {
            throw new ArgumentOutOfRangeException(nameof(Samples), Samples, $"Expected Samples in [1, {MaxSamples}]; got {Samples}.");
        }

        if (!double.IsFinite(NoiseLevel) || NoiseLevel < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(NoiseLevel), NoiseLevel, $"Expected a finite NoiseLevel >= 0; got {NoiseLevel}.");
        }
    }
}
