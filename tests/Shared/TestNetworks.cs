using Pathwise;

namespace Pathwise.Tests;

// Float64 networks that exercise every layer kind; tests check them against independent truth.

/// <summary>An affine model: its IG is exactly w * (x - x').</summary>
[Network(Precision.Float64)]
public sealed partial class Linear
{
    [Input(6)] public partial InputLayer X { get; }
    [Dense(3)] public partial Layer Y { get; }
}

/// <summary>Every activation between dense layers, softmax last.</summary>
[Network(Precision.Float64)]
public sealed partial class ActivationZoo
{
    [Input(6)] public partial InputLayer X { get; }
    [Dense(7), ReLU] public partial Layer A { get; }
    [Dense(7), LeakyReLU(0.1)] public partial Layer B { get; }
    [Dense(7), Tanh] public partial Layer C { get; }
    [Dense(7), Sigmoid] public partial Layer D { get; }
    [Dense(7), GELU] public partial Layer E { get; }
    [Dense(7), GELU(Approximation = GeluApproximation.Tanh)] public partial Layer F { get; }
    [Dense(4), Softmax] public partial Layer Probabilities { get; }
}

/// <summary>A tanh MLP, smooth everywhere, for completeness checks.</summary>
[Network(Precision.Float64)]
public sealed partial class TanhMlp
{
    [Input(8)] public partial InputLayer X { get; }
    [Dense(16), Tanh] public partial Layer H1 { get; }
    [Dense(12), Tanh] public partial Layer H2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>A ReLU MLP with a log-softmax head and a batch norm, in float64.</summary>
[Network(Precision.Float64)]
public sealed partial class ReluMlp
{
    [Input(10)] public partial InputLayer X { get; }
    [Dense(16), ReLU] public partial Layer H1 { get; }
    [BatchNorm] public partial Layer Norm { get; }
    [Dense(8, Bias = false), ReLU] public partial Layer H2 { get; }
    [Dense(5), LogSoftmax] public partial Layer LogProbabilities { get; }
}

/// <summary>Convolutions with stride and padding, batch norm, both poolings, flatten.</summary>
[Network(Precision.Float64)]
public sealed partial class EveryLayerCnn
{
    [Input(2, 9, 8)] public partial InputLayer Image { get; }
    [Conv2D(3, Kernel = 3, Padding = 1, Stride = 2)] public partial Layer Conv { get; }
    [BatchNorm, LeakyReLU(0.2)] public partial Layer Norm { get; }
    [AvgPool2D(2, Stride = 1)] public partial Layer Avg { get; }
    [Conv2D(4, Kernel = 2, Padding = 2), Sigmoid] public partial Layer Conv2 { get; }
    [MaxPool2D(2)] public partial Layer Max { get; }
    [GELU] public partial Layer Smooth { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(7, Bias = false), Tanh] public partial Layer Hidden { get; }
    [BatchNorm(Epsilon = 1e-3)] public partial Layer Norm1D { get; }
    [Dense(4)] public partial Layer Logits { get; }
}

/// <summary>The example CNN, in float64.</summary>
[Network(Precision.Float64)]
public sealed partial class FashionCnn64
{
    [Input(1, 28, 28)] public partial InputLayer Pixels { get; }
    [Conv2D(8, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv1 { get; }
    [MaxPool2D(2)] public partial Layer Pool1 { get; }
    [Conv2D(16, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv2 { get; }
    [MaxPool2D(2)] public partial Layer Pool2 { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(64, WeightName = "fc1"), ReLU] public partial Layer Hidden { get; }
    [Dense(10, WeightName = "fc2")] public partial Layer Logits { get; }
}

/// <summary>A network whose first layer is not affine (pooling first), so IG takes the general path.</summary>
[Network(Precision.Float64)]
public sealed partial class PoolFirst
{
    [Input(1, 6, 6)] public partial InputLayer Image { get; }
    [MaxPool2D(2)] public partial Layer Pool { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(3), Tanh] public partial Layer Out { get; }
}

/// <summary>The tiny float32 MLP of the speed targets.</summary>
[Network]
public sealed partial class TinyMlp32
{
    [Input(8)] public partial InputLayer X { get; }
    [Dense(16), ReLU] public partial Layer H1 { get; }
    [Dense(12), ReLU] public partial Layer H2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>The float64 twin of <see cref="TinyMlp32"/>.</summary>
[Network(Precision.Float64)]
public sealed partial class TinyMlp64
{
    [Input(8)] public partial InputLayer X { get; }
    [Dense(16), ReLU] public partial Layer H1 { get; }
    [Dense(12), ReLU] public partial Layer H2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>Piecewise-linear layers only (ReLU, LeakyReLU, batch norm): the exact rule's subjects.</summary>
[Network(Precision.Float64)]
public sealed partial class PwlMlp
{
    [Input(6)] public partial InputLayer X { get; }
    [Dense(12), ReLU] public partial Layer H1 { get; }
    [BatchNorm] public partial Layer Norm { get; }
    [Dense(9), LeakyReLU(0.1)] public partial Layer H2 { get; }
    [Dense(7), ReLU] public partial Layer H3 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>A piecewise-linear CNN: ReLU and LeakyReLU convolutions, max and average pooling.</summary>
[Network(Precision.Float64)]
public sealed partial class PwlCnn
{
    [Input(2, 8, 8)] public partial InputLayer Image { get; }
    [Conv2D(3, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv1 { get; }
    [MaxPool2D(2)] public partial Layer Pool1 { get; }
    [Conv2D(4, Kernel = 2, Padding = 1, Stride = 2), LeakyReLU(0.05)] public partial Layer Conv2 { get; }
    [AvgPool2D(2, Stride = 1)] public partial Layer Avg { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(6), ReLU] public partial Layer Hidden { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>
/// The kinds an exported model brings: dropout and identity (no-ops at inference, one with an activation of its own)
/// and global average pooling, between smooth layers so finite differences see every term.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class ExportedCnn
{
    [Input(2, 5, 6)] public partial InputLayer Image { get; }
    [Conv2D(4, Kernel = 3, Padding = 1), Tanh] public partial Layer Conv1 { get; }
    [Dropout(0.25)] public partial Layer Drop1 { get; }
    [Conv2D(3, Kernel = 2), GELU] public partial Layer Conv2 { get; }
    [GlobalAvgPool2D] public partial Layer Gap { get; }
    [Identity, Sigmoid] public partial Layer Squash { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dropout] public partial Layer Drop2 { get; }
    [Dense(5), Tanh] public partial Layer Hidden { get; }
    [Identity] public partial Layer Same { get; }
    [Dense(3)] public partial Layer Logits { get; }
}

/// <summary>Not affine first: an identity on the input, then global pooling of a pooled image, so IG takes the general path.</summary>
[Network(Precision.Float64)]
public sealed partial class GlobalPoolFirst
{
    [Input(3, 4, 4)] public partial InputLayer Image { get; }
    [Identity] public partial Layer Same { get; }
    [GlobalAvgPool2D, Tanh] public partial Layer Gap { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dropout(0.1), Sigmoid] public partial Layer Drop { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>An MLP with layer norms, one activated and one with its own epsilon: smooth, so not for the exact rule.</summary>
[Network(Precision.Float64)]
public sealed partial class LayerNormMlp
{
    [Input(6)] public partial InputLayer X { get; }
    [Dense(8)] public partial Layer H1 { get; }
    [LayerNorm, GELU] public partial Layer Norm { get; }
    [Dense(5), Tanh] public partial Layer H2 { get; }
    [LayerNorm(Epsilon = 1e-3, WeightName = "ln2")] public partial Layer Norm2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>A piecewise-linear CNN through the new kinds: dropout, global average pooling, an identity with a LeakyReLU.</summary>
[Network(Precision.Float64)]
public sealed partial class PwlGlobalPoolCnn
{
    [Input(2, 6, 6)] public partial InputLayer Image { get; }
    [Conv2D(5, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv { get; }
    [Dropout(0.2)] public partial Layer Drop { get; }
    [Conv2D(6, Kernel = 3), ReLU] public partial Layer Conv2 { get; }
    [GlobalAvgPool2D] public partial Layer Gap { get; }
    [Flatten] public partial Layer Flat { get; }
    [Identity, LeakyReLU(0.1)] public partial Layer Leaky { get; }
    [Dense(6), ReLU] public partial Layer Hidden { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>A text classifier with a smooth head: token ids, an embedding, the mean over the sequence, Tanh and a linear readout.</summary>
[Network(Precision.Float64)]
public sealed partial class TextTanhClassifier
{
    [Input(6)] public partial InputLayer Tokens { get; }
    [Embedding(11, 4)] public partial Layer Embed { get; }
    [SequenceMean] public partial Layer Mean { get; }
    [Dense(5), Tanh] public partial Layer Hidden { get; }
    [Dense(3)] public partial Layer Logits { get; }
}

/// <summary>A piecewise-linear text classifier above its embedding, for the exact rule of layer Integrated Gradients there.</summary>
[Network(Precision.Float64)]
public sealed partial class TextReluClassifier
{
    [Input(7)] public partial InputLayer Tokens { get; }
    [Embedding(13, 5, WeightName = "embedding")] public partial Layer Embed { get; }
    [SequenceMean] public partial Layer Mean { get; }
    [Dense(6), ReLU] public partial Layer Hidden { get; }
    [Dense(3)] public partial Layer Logits { get; }
}
