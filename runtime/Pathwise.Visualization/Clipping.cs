using System;

namespace Pathwise.Visualization;

/// <summary>
/// Outlier clipping as the common saliency visualisers do it: the colour scale ends at a percentile of
/// <c>|value|</c> (default the 99th), so a few extreme pixels do not wash the rest of the map out to white.
/// </summary>
public static class Clipping
{
    /// <summary>The default percentile, 99.</summary>
    public const double DefaultPercentile = 99;

    /// <summary>
    /// The <paramref name="percentile"/>-th percentile of <c>|values|</c>, as numpy's <c>np.percentile(np.abs(v), p)</c>
    /// computes it (linear interpolation): with the magnitudes sorted ascending into <c>a[0..n-1]</c> and
    /// <c>r = p / 100 · (n - 1)</c>, the result is <c>a[⌊r⌋] + (r - ⌊r⌋) (a[⌊r⌋ + 1] - a[⌊r⌋])</c>. 0 for no values.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is outside [0, 100].</exception>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static double AbsolutePercentile(ReadOnlySpan<float> values, double percentile = DefaultPercentile)
    {
        if (!(percentile >= 0 && percentile <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, $"Expected a percentile in [0, 100]; got {percentile}.");
        }

        if (values.IsEmpty)
        {
            return 0;
        }

        var magnitudes = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Expected finite values; values[{i}] is {values[i]}.", nameof(values));
            }

            magnitudes[i] = Math.Abs((double)values[i]);
        }

        Array.Sort(magnitudes);
        double rank = percentile / 100 * (magnitudes.Length - 1);
        int below = (int)Math.Floor(rank);
        if (below >= magnitudes.Length - 1)
        {
            return magnitudes[^1];
        }

        return magnitudes[below] + (rank - below) * (magnitudes[below + 1] - magnitudes[below]);
    }
}
