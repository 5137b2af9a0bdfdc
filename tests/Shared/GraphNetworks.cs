using Pathwise;

namespace Pathwise.Tests;

// Float64 networks that are graphs, not chains: residual sums ([Add]) and concatenations ([Concat]).

/// <summary>
/// A ResNet-style CNN with two residual blocks and identity shortcuts, as torchvision's BasicBlock writes them:
/// <c>out = relu(bn2(conv2(relu(bn1(conv1(x))))) + x)</c>.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class ResidualCnn
{
    [Input(2, 6, 6)] public partial InputLayer Pixels { get; }
    [Conv2D(4, Kernel = 3, Padding = 1, Bias = false)] public partial Layer Stem { get; }
    [BatchNorm, ReLU] public partial Layer StemNorm { get; }
    [Conv2D(4, Kernel = 3, Padding = 1, Bias = false)] public partial Layer Block1Conv1 { get; }
    [BatchNorm, ReLU] public partial Layer Block1Norm1 { get; }
    [Conv2D(4, Kernel = 3, Padding = 1, Bias = false)] public partial Layer Block1Conv2 { get; }
    [BatchNorm] public partial Layer Block1Norm2 { get; }
    [Add(nameof(StemNorm)), ReLU] public partial Layer Block1 { get; }
    [Conv2D(4, Kernel = 3, Padding = 1, Bias = false)] public partial Layer Block2Conv1 { get; }
    [BatchNorm, ReLU] public partial Layer Block2Norm1 { get; }
    [Conv2D(4, Kernel = 3, Padding = 1, Bias = false)] public partial Layer Block2Conv2 { get; }
    [BatchNorm] public partial Layer Block2Norm2 { get; }
    [Add(nameof(Block1)), ReLU] public partial Layer Block2 { get; }
    [GlobalAvgPool2D] public partial Layer Pool { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(3)] public partial Layer Logits { get; }
}

/// <summary>
/// A smooth flat graph that takes every branch of the generated backward pass: the input read by the first (affine)
/// layer and by later joins (so the straight path's fused backward cannot sum through the first layer alone), a sum
/// of three inputs, a dense layer whose source another layer read first (its part added through the scratch), an
/// identity and an activated identity over sources with other readers (copies, not views), and concatenations.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class FlatGraph
{
    [Input(6)] public partial InputLayer X { get; }
    [Dense(6), Tanh] public partial Layer A { get; }
    [Dense(6)] public partial Layer B { get; }
    [Add(nameof(X), nameof(A)), Tanh] public partial Layer Sum { get; }
    [Identity] public partial Layer Copy { get; }
    [Identity, Sigmoid] public partial Layer Squash { get; }
    [Concat(nameof(Sum), nameof(X))] public partial Layer Joined { get; }
    [Dense(4), Tanh] public partial Layer D { get; }
    [Concat(nameof(Copy)), GELU] public partial Layer Wide { get; }
    [Dense(3)] public partial Layer Logits { get; }
}

/// <summary>
/// A smooth image graph: concatenation along channels of a convolution with the input and of two earlier layers,
/// an activation on the concatenation, pooling and a dense head.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class ConcatCnn
{
    [Input(2, 5, 5)] public partial InputLayer Image { get; }
    [Conv2D(3, Kernel = 3, Padding = 1), Tanh] public partial Layer C1 { get; }
    [Concat(nameof(Image))] public partial Layer Cat { get; }
    [Conv2D(2, Kernel = 3, Padding = 1)] public partial Layer C2 { get; }
    [Concat(nameof(C1), nameof(Image)), Tanh] public partial Layer Cat2 { get; }
    [AvgPool2D(2)] public partial Layer Pool { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>A piecewise-linear flat graph: residual sums and a concatenation with the input, ReLU and LeakyReLU.</summary>
[Network(Precision.Float64)]
public sealed partial class PwlGraph
{
    [Input(5)] public partial InputLayer X { get; }
    [Dense(6), ReLU] public partial Layer A { get; }
    [Dense(6), LeakyReLU(0.1)] public partial Layer B { get; }
    [Add(nameof(A)), ReLU] public partial Layer Sum { get; }
    [Concat(nameof(X), nameof(A))] public partial Layer Joined { get; }
    [Dense(8), ReLU] public partial Layer D { get; }
    [Dense(8)] public partial Layer E { get; }
    [Add(nameof(D)), ReLU] public partial Layer Block { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>
/// A residual block with a projection shortcut, a 1x1 convolution reading the input (<c>From</c>), as torchvision's
/// BasicBlock with a downsample writes it; then a flatten reading the block beside the pooled path (a copy, as the
/// block has two readers) and a concatenation of both.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class ProjectionCnn
{
    [Input(2, 6, 6)] public partial InputLayer X { get; }
    [Conv2D(4, Padding = 1), ReLU] public partial Layer C1 { get; }
    [Conv2D(4, Padding = 1)] public partial Layer C2 { get; }
    [Conv2D(4, Kernel = 1, From = nameof(X))] public partial Layer Projection { get; }
    [Add(nameof(C2)), ReLU] public partial Layer Block { get; }
    [GlobalAvgPool2D] public partial Layer Pool { get; }
    [Flatten] public partial Layer Flat { get; }
    [Flatten(From = nameof(Block))] public partial Layer Whole { get; }
    [Concat(nameof(Flat))] public partial Layer Features { get; }
    [Dense(3)] public partial Layer Out { get; }
}
