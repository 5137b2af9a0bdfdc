using System.ComponentModel;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// Geometry of a 2-D convolution over <c>[C, H, W]</c> images with zero padding, as PyTorch's
/// <c>nn.Conv2d(C, O, (KH, KW), stride=(SH, SW), padding=(PH, PW), dilation=(DH, DW), groups=G)</c>; a 1-D convolution
/// over <c>[C, L]</c> is the case <c>H = 1</c>, <c>KH = 1</c>, <c>SH = DH = 1</c>, <c>PH = 0</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct Conv2DShape
{
    /// <summary>A square kernel <c>K</c>, one padding <c>P</c> and one stride <c>S</c> on both axes, no dilation, one group.</summary>
    /// <param name="inChannels">Input channels <c>C</c>.</param>
    /// <param name="height">Input height <c>H</c>.</param>
    /// <param name="width">Input width <c>W</c>.</param>
    /// <param name="outChannels">Output channels <c>O</c>.</param>
    /// <param name="kernel">Kernel size <c>K</c> (square).</param>
    /// <param name="padding">Zero padding <c>P</c> on every side.</param>
    /// <param name="stride">Stride <c>S</c> in both directions.</param>
    public Conv2DShape(int inChannels, int height, int width, int outChannels, int kernel, int padding, int stride)
        : this(inChannels, height, width, outChannels, kernel, kernel, stride, stride, padding, padding, 1, 1, 1)
    {
    }

    /// <summary>The general geometry: every setting per axis, and groups.</summary>
    /// <param name="inChannels">Input channels <c>C</c>, a multiple of <paramref name="groups"/>.</param>
    /// <param name="height">Input height <c>H</c>.</param>
    /// <param name="width">Input width <c>W</c>.</param>
    /// <param name="outChannels">Output channels <c>O</c>, a multiple of <paramref name="groups"/>.</param>
    /// <param name="kernelHeight">Kernel height <c>KH</c>.</param>
    /// <param name="kernelWidth">Kernel width <c>KW</c>.</param>
    /// <param name="strideHeight">Vertical stride <c>SH</c>.</param>
    /// <param name="strideWidth">Horizontal stride <c>SW</c>.</param>
    /// <param name="paddingHeight">Zero rows <c>PH</c> above and below.</param>
    /// <param name="paddingWidth">Zero columns <c>PW</c> left and right.</param>
    /// <param name="dilationHeight">Vertical spacing <c>DH</c> of the kernel's taps.</param>
    /// <param name="dilationWidth">Horizontal spacing <c>DW</c> of the kernel's taps.</param>
    /// <param name="groups">Groups <c>G</c>: output channel <c>o</c> reads input channels <c>[g C/G, (g + 1) C/G)</c>, <c>g = o / (O/G)</c>.</param>
    public Conv2DShape(
        int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        int paddingHeight, int paddingWidth, int dilationHeight, int dilationWidth, int groups)
    {
        InChannels = inChannels;
        Height = height;
        Width = width;
        OutChannels = outChannels;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PaddingHeight = paddingHeight;
        PaddingWidth = paddingWidth;
        DilationHeight = dilationHeight;
        DilationWidth = dilationWidth;
        Groups = groups;
    }

    /// <summary>Input channels <c>C</c>.</summary>
    public int InChannels { get; init; }

    /// <summary>Input height <c>H</c>.</summary>
    public int Height { get; init; }

    /// <summary>Input width <c>W</c>.</summary>
    public int Width { get; init; }

    /// <summary>Output channels <c>O</c>.</summary>
    public int OutChannels { get; init; }

    /// <summary>Kernel height <c>KH</c>.</summary>
    public int KernelHeight { get; init; }

    /// <summary>Kernel width <c>KW</c>.</summary>
    public int KernelWidth { get; init; }

    /// <summary>Vertical stride <c>SH</c>.</summary>
    public int StrideHeight { get; init; }

    /// <summary>Horizontal stride <c>SW</c>.</summary>
    public int StrideWidth { get; init; }

    /// <summary>Zero rows <c>PH</c> above and below.</summary>
    public int PaddingHeight { get; init; }

    /// <summary>Zero columns <c>PW</c> left and right.</summary>
    public int PaddingWidth { get; init; }

    /// <summary>Vertical tap spacing <c>DH</c> (1: no dilation).</summary>
    public int DilationHeight { get; init; }

    /// <summary>Horizontal tap spacing <c>DW</c> (1: no dilation).</summary>
    public int DilationWidth { get; init; }

    /// <summary>Groups <c>G</c> (1: every output channel reads every input channel; <c>C</c>: depthwise when <c>O = C</c>).</summary>
    public int Groups { get; init; }

    /// <summary>Output height, <c>(H + 2 PH - DH (KH - 1) - 1) / SH + 1</c>.</summary>
    public int OutHeight => (Height + 2 * PaddingHeight - DilationHeight * (KernelHeight - 1) - 1) / StrideHeight + 1;

    /// <summary>Output width, <c>(W + 2 PW - DW (KW - 1) - 1) / SW + 1</c>.</summary>
    public int OutWidth => (Width + 2 * PaddingWidth - DilationWidth * (KernelWidth - 1) - 1) / StrideWidth + 1;

    /// <summary>Input channels each output channel reads, <c>C / G</c>.</summary>
    public int GroupInChannels => InChannels / Groups;

    /// <summary>Output channels of each group, <c>O / G</c>.</summary>
    public int GroupOutChannels => OutChannels / Groups;

    /// <summary>Elements of one input image, <c>C * H * W</c>.</summary>
    public int InputLength => InChannels * Height * Width;

    /// <summary>Elements of one output image, <c>O * OH * OW</c>.</summary>
    public int OutputLength => OutChannels * OutHeight * OutWidth;

    /// <summary>Elements of the weight, <c>O * (C / G) * KH * KW</c> (PyTorch <c>Conv2d</c> layout <c>[O, C/G, KH, KW]</c>).</summary>
    public int WeightLength => OutChannels * GroupInChannels * KernelHeight * KernelWidth;

    /// <summary>A square kernel, one stride and one padding on both axes, no dilation, one group: the fast path's shapes.</summary>
    internal bool IsPlain => KernelHeight == KernelWidth && StrideHeight == StrideWidth && PaddingHeight == PaddingWidth
        && DilationHeight == 1 && DilationWidth == 1 && Groups == 1;

    internal void Validate()
    {
        ThrowHelper.RequirePositive(InChannels, nameof(InChannels));
        ThrowHelper.RequirePositive(Height, nameof(Height));
        ThrowHelper.RequirePositive(Width, nameof(Width));
        ThrowHelper.RequirePositive(OutChannels, nameof(OutChannels));
        ThrowHelper.RequirePositive(KernelHeight, nameof(KernelHeight));
        ThrowHelper.RequirePositive(KernelWidth, nameof(KernelWidth));
        ThrowHelper.RequirePositive(StrideHeight, nameof(StrideHeight));
        ThrowHelper.RequirePositive(StrideWidth, nameof(StrideWidth));
        ThrowHelper.RequireNonNegative(PaddingHeight, nameof(PaddingHeight));
        ThrowHelper.RequireNonNegative(PaddingWidth, nameof(PaddingWidth));
        ThrowHelper.RequirePositive(DilationHeight, nameof(DilationHeight));
        ThrowHelper.RequirePositive(DilationWidth, nameof(DilationWidth));
        ThrowHelper.RequirePositive(Groups, nameof(Groups));
        if (InChannels % Groups != 0 || OutChannels % Groups != 0)
        {
            ThrowHelper.ThrowArgument(
                $"Groups {Groups} must divide both the input channels {InChannels} and the output channels {OutChannels}.", "shape");
        }

        long spanHeight = (long)DilationHeight * (KernelHeight - 1) + 1, spanWidth = (long)DilationWidth * (KernelWidth - 1) + 1;
        long paddedHeight = Height + 2L * PaddingHeight, paddedWidth = Width + 2L * PaddingWidth;
        if (spanHeight > paddedHeight || spanWidth > paddedWidth)
        {
            ThrowHelper.ThrowArgument(
                $"Kernel {KernelHeight}x{KernelWidth} (dilated to {spanHeight}x{spanWidth}) is larger than the padded input {paddedHeight}x{paddedWidth}.", "shape");
        }

        if ((long)InChannels * Height * Width > int.MaxValue || paddedHeight * paddedWidth > int.MaxValue
            || (long)OutChannels * OutHeight * OutWidth > int.MaxValue
            || (long)OutChannels * GroupInChannels * KernelHeight * KernelWidth > int.MaxValue)
        {
            ThrowHelper.ThrowArgument("The convolution shape is too large.", "shape");
        }
    }
}
