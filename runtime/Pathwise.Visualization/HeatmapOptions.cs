using System;

namespace Pathwise.Visualization;

/// <summary>How <see cref="AttributionImages"/> draws a map.</summary>
public sealed record HeatmapOptions
{
    private readonly int _scale = 8;
    private readonly double _percentile = Clipping.DefaultPercentile;
    private readonly double? _clip;
    private readonly double _overlayOpacity = 0.7;

    /// <summary>Screen pixels per map pixel along each side, 1 to 64 (default 8: a 28x28 map is drawn 224x224).</summary>
    public int Scale
    {
        get => _scale;
        init => _scale = value is >= 1 and <= 64 ? value : throw new ArgumentOutOfRangeException(nameof(Scale), value, $"Expected a scale in [1, 64]; got {value}.");
    }

    /// <summary>The percentile of <c>|value|</c> the colour scale ends at (default 99; 100 is the maximum, no clipping).</summary>
    public double Percentile
    {
        get => _percentile;
        init => _percentile = value is >= 0 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(Percentile), value, $"Expected a percentile in [0, 100]; got {value}.");
    }

    /// <summary>A fixed clipping value <c>c ≥ 0</c> instead of the percentile (e.g. one scale shared by several maps); default none.</summary>
    public double? Clip
    {
        get => _clip;
        init => _clip = value is null || (value >= 0 && double.IsFinite(value.Value))
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Clip), value, $"Expected a finite clipping value >= 0; got {value}.");
    }

    /// <summary>The overlay's largest opacity <c>α_max</c> in [0, 1] (default 0.7), reached where <c>|t| = 1</c>.</summary>
    public double OverlayOpacity
    {
        get => _overlayOpacity;
        init => _overlayOpacity = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(OverlayOpacity), value, $"Expected an opacity in [0, 1]; got {value}.");
    }
}
