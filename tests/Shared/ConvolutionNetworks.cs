using Pathwise;

namespace Pathwise.Tests;

// Float64 networks through the general convolutions: per-axis kernels, strides and padding, dilation, groups
// (depthwise included), 1-D convolutions and 1-D global pooling. Shared by the CPU and TorchSharp tests.

/// <summary>
/// Smooth activations after a general first convolution (the affine first layer's two-product path), a depthwise one,
/// a strided dilated rectangular one and a pointwise one: finite differences see every setting.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class GeneralConvNet
{
    [Input(4, 9, 8)] public partial InputLayer Image { get; }
    [Conv2D(6, KernelHeight = 3, KernelWidth = 2, StrideHeight = 2, PaddingWidth = 1, Dilation = 2, Groups = 2), Tanh] public partial Layer Grouped { get; }
    [Conv2D(6, Kernel = 3, Padding = 1, Groups = 6), Sigmoid] public partial Layer Depthwise { get; }
    [Conv2D(4, KernelHeight = 2, KernelWidth = 3, StrideWidth = 2, PaddingHeight = 1, DilationWidth = 2, Bias = false), GELU] public partial Layer Strided { get; }
    [Conv2D(3, Kernel = 1)] public partial Layer Pointwise { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(3), Softmax] public partial Layer Probabilities { get; }
}

/// <summary>The same settings with ReLU-like activations, for the exact rule: strided, dilated and depthwise convolutions.</summary>
[Network(Precision.Float64)]
public sealed partial class PwlGeneralConvNet
{
    [Input(3, 8, 7)] public partial InputLayer Image { get; }
    [Conv2D(6, Kernel = 3, Padding = 1, Stride = 2, Groups = 3), ReLU] public partial Layer Strided { get; }
    [Conv2D(6, Kernel = 3, Padding = 2, Dilation = 2, Groups = 6), LeakyReLU(0.1)] public partial Layer DilatedDepthwise { get; }
    [Conv2D(4, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1), ReLU] public partial Layer Rectangular { get; }
    [GlobalAvgPool2D] public partial Layer Gap { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>1-D convolutions on <c>[channels, length]</c>: grouped and strided first, then depthwise dilated, pointwise, pooled.</summary>
[Network(Precision.Float64)]
public sealed partial class Conv1DNet
{
    [Input(3, 20)] public partial InputLayer Sequence { get; }
    [Conv1D(6, Kernel = 5, Padding = 2, Stride = 2, Groups = 3), Tanh] public partial Layer Grouped { get; }
    [Conv1D(6, Kernel = 3, Padding = 2, Dilation = 2, Groups = 6), Sigmoid] public partial Layer Depthwise { get; }
    [Conv1D(4, Kernel = 1, Bias = false), Tanh] public partial Layer Pointwise { get; }
    [GlobalAvgPool1D] public partial Layer Gap { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>A piecewise-linear 1-D network for the exact rule.</summary>
[Network(Precision.Float64)]
public sealed partial class PwlConv1DNet
{
    [Input(2, 16)] public partial InputLayer Sequence { get; }
    [Conv1D(4, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv { get; }
    [Conv1D(4, Kernel = 3, Stride = 2, Dilation = 2, Groups = 4), LeakyReLU(0.2)] public partial Layer Depthwise { get; }
    [Conv1D(5, Kernel = 2, Groups = 1), ReLU] public partial Layer Mix { get; }
    [GlobalAvgPool1D] public partial Layer Gap { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(3)] public partial Layer Out { get; }
}
