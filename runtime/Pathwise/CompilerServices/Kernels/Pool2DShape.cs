using System.ComponentModel;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>Geometry of a square-window 2-D pooling over <c>[C, H, W]</c> images (floor mode, no padding).</summary>
/// <param name="Channels">Channels <c>C</c>.</param>
/// <param name="Height">Input height <c>H</c>.</param>
/// <param name="Width">Input width <c>W</c>.</param>
/// <param name="Kernel">Window size <c>K</c> (square).</param>
/// <param name="Stride">Stride <c>S</c> in both directions.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct Pool2DShape(int Channels, int Height, int Width, int Kernel, int Stride)
{
    /// <summary>Output height, <c>(H - K) / S + 1</c>.</summary>
    public int OutHeight => (Height - Kernel) / Stride + 1;

    /// <summary>Output width, <c>(W - K) / S + 1</c>.</summary>
    public int OutWidth => (Width - Kernel) / Stride + 1;

    /// <summary>Elements of one input image, <c>C * H * W</c>.</summary>
    public int InputLength => Channels * Height * Width;

    /// <summary>Elements of one output image, <c>C * OH * OW</c>.</summary>
    public int OutputLength => Channels * OutHeight * OutWidth;

    internal void Validate()
    {
        ThrowHelper.RequirePositive(Channels, nameof(Channels));
        ThrowHelper.RequirePositive(Height, nameof(Height));
        ThrowHelper.RequirePositive(Width, nameof(Width));
        ThrowHelper.RequirePositive(Kernel, nameof(Kernel));
        ThrowHelper.RequirePositive(Stride, nameof(Stride));
        if (Kernel > Height || Kernel > Width)
        {
            ThrowHelper.ThrowArgument($"Window {Kernel} is larger than the input {Height}x{Width}.", "shape");
        }

        if ((long)Channels * Height * Width > int.MaxValue)
        {
            ThrowHelper.ThrowArgument("The pooling shape is too large.", "shape");
        }
    }
}
