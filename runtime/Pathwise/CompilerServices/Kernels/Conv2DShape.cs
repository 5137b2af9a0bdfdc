using System.ComponentModel;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>Geometry of a square-kernel 2-D convolution over <c>[C, H, W]</c> images with zero padding.</summary>
/// <param name="InChannels">Input channels <c>C</c>.</param>
/// <param name="Height">Input height <c>H</c>.</param>
/// <param name="Width">Input width <c>W</c>.</param>
/// <param name="OutChannels">Output channels <c>O</c>.</param>
/// <param name="Kernel">Kernel size <c>K</c> (square).</param>
/// <param name="Padding">Zero padding <c>P</c> on every side.</param>
/// <param name="Stride">Stride <c>S</c> in both directions.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct Conv2DShape(int InChannels, int Height, int Width, int OutChannels, int Kernel, int Padding, int Stride)
{
    /// <summary>Output height, <c>(H + 2P - K) / S + 1</c>.</summary>
    public int OutHeight => (Height + 2 * Padding - Kernel) / Stride + 1;

    /// <summary>Output width, <c>(W + 2P - K) / S + 1</c>.</summary>
    public int OutWidth => (Width + 2 * Padding - Kernel) / Stride + 1;

    /// <summary>Elements of one input image, <c>C * H * W</c>.</summary>
    public int InputLength => InChannels * Height * Width;

    /// <summary>Elements of one output image, <c>O * OH * OW</c>.</summary>
    public int OutputLength => OutChannels * OutHeight * OutWidth;

    /// <summary>Elements of the weight, <c>O * C * K * K</c> (PyTorch <c>Conv2d</c> layout <c>[O, C, K, K]</c>).</summary>
    public int WeightLength => OutChannels * InChannels * Kernel * Kernel;

    internal void Validate()
    {
        ThrowHelper.RequirePositive(InChannels, nameof(InChannels));
        ThrowHelper.RequirePositive(Height, nameof(Height));
        ThrowHelper.RequirePositive(Width, nameof(Width));
        ThrowHelper.RequirePositive(OutChannels, nameof(OutChannels));
        ThrowHelper.RequirePositive(Kernel, nameof(Kernel));
        ThrowHelper.RequireNonNegative(Padding, nameof(Padding));
        ThrowHelper.RequirePositive(Stride, nameof(Stride));
        if (Kernel > Height + 2 * Padding || Kernel > Width + 2 * Padding)
        {
            ThrowHelper.ThrowArgument(
                $"Kernel {Kernel} is larger than the padded input {Height + 2 * Padding}x{Width + 2 * Padding}.", "shape");
        }

        if ((long)InChannels * Height * Width > int.MaxValue || (long)OutChannels * OutHeight * OutWidth > int.MaxValue
            || (long)OutChannels * InChannels * Kernel * Kernel > int.MaxValue)
        {
            ThrowHelper.ThrowArgument("The convolution shape is too large.", "shape");
        }
    }
}
