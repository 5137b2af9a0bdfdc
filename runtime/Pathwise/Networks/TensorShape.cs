using System;

namespace Pathwise;

/// <summary>
/// The shape of one point's activations at a layer: <c>[features]</c>, <c>[channels, length]</c> (a sequence, held
/// as height 1) or <c>[channels, height, width]</c>.
/// </summary>
public readonly record struct TensorShape
{
    /// <summary>A flat shape <c>[features]</c>.</summary>
    public TensorShape(int features) : this(1, features, 1, 1) { }

    /// <summary>A sequence shape <c>[channels, length]</c>, laid out as <c>[channels, 1, length]</c>.</summary>
    public TensorShape(int channels, int length) : this(2, channels, 1, length) { }

    /// <summary>An image shape <c>[channels, height, width]</c>.</summary>
    public TensorShape(int channels, int height, int width) : this(3, channels, height, width) { }

    private TensorShape(int rank, int channels, int height, int width)
    {
        if (channels < 1 || height < 1 || width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), $"Every dimension must be positive; got [{channels}, {height}, {width}].");
        }

        Rank = rank;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>1 for <c>[features]</c>, 2 for <c>[channels, length]</c>, 3 for <c>[channels, height, width]</c>.</summary>
    public int Rank { get; }

    /// <summary>Channels, or the feature count of a flat shape.</summary>
    public int Channels { get; }

    /// <summary>Height (1 for a flat shape).</summary>
    public int Height { get; }

    /// <summary>Width (1 for a flat shape).</summary>
    public int Width { get; }

    /// <summary>The number of elements of one point.</summary>
    public int Length => Channels * Height * Width;

    /// <summary>The dimensions, outermost first.</summary>
    public int[] Dimensions => Rank switch { 1 => [Channels], 2 => [Channels, Width], _ => [Channels, Height, Width] };

    /// <inheritdoc/>
    public override string ToString() => Rank switch
    {
        1 => $"[{Channels}]",
        2 => $"[{Channels}, {Width}]",
        _ => $"[{Channels}, {Height}, {Width}]",
    };
}
