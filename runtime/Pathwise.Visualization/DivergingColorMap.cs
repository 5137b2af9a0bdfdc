using System;
using SkiaSharp;

namespace Pathwise.Visualization;

/// <summary>
/// The signed colour map of every attribution picture: matplotlib's <c>bwr</c>, blue for negative, white at zero,
/// red for positive, linear in sRGB. A value <c>v</c> clipped at <c>c &gt; 0</c> is first scaled to
/// <c>t = clamp(v / c, -1, 1)</c>; then
/// <c>t ≤ 0 → (255 (1 + t), 255 (1 + t), 255)</c> and <c>t ≥ 0 → (255, 255 (1 - t), 255 (1 - t))</c>, each channel
/// rounded to the nearest byte. So <c>v ≥ c</c> is pure red (255, 0, 0), <c>v ≤ -c</c> pure blue (0, 0, 255) and
/// <c>v = 0</c> white. With <c>c = 0</c> (an all-zero map) every value is drawn white.
/// </summary>
public static class DivergingColorMap
{
    /// <summary>The colour of <c>t</c> in [-1, 1] (values outside are clamped; NaN is drawn white).</summary>
    public static SKColor Map(double t)
    {
        if (double.IsNaN(t))
        {
            return SKColors.White;
        }

        t = Math.Clamp(t, -1.0, 1.0);
        if (t <= 0)
        {
            byte level = ToByte(1 + t);
            return new SKColor(level, level, 255);
        }
        else
        {
            byte level = ToByte(1 - t);
            return new SKColor(255, level, level);
        }
    }

    /// <summary>The colour of <paramref name="value"/> clipped at <paramref name="clip"/>: <c>Map(value / clip)</c>, white when <c>clip = 0</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clip"/> is negative, NaN or infinite.</exception>
    public static SKColor Map(double value, double clip)
    {
        if (!(clip >= 0) || double.IsInfinity(clip))
        {
            throw new ArgumentOutOfRangeException(nameof(clip), clip, $"Expected a finite clipping value >= 0; got {clip}.");
        }

        return clip == 0 ? SKColors.White : Map(value / clip);
    }

    private static byte ToByte(double fraction) => (byte)Math.Round(255 * fraction, MidpointRounding.AwayFromZero);
}
