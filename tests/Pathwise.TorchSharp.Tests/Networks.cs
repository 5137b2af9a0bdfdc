using Pathwise;

namespace Pathwise.TorchSharp.Tests;

// The shapes of tests/Pathwise.Tests/Networks.cs under other names: every layer kind and activation, so the
// TorchSharp rebuild of each one is checked against the generated code.

/// <summary>An affine model.</summary>
[Network(Precision.Float64)]
public sealed partial class TorchLinear
{
    [Input(6)] public partial InputLayer X { get; }
    [Dense(3)] public partial Layer Y { get; }
}

/// <summary>Every activation between dense layers, softmax last.</summary>
[Network(Precision.Float64)]
public sealed partial class TorchActivationZoo
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

/// <summary>A ReLU MLP with a 1-D batch norm, a bias-free layer and a log-softmax head.</summary>
[Network(Precision.Float64)]
public sealed partial class TorchReluMlp
{
    [Input(10)] public partial InputLayer X { get; }
    [Dense(16), ReLU] public partial Layer H1 { get; }
    [BatchNorm] public partial Layer Norm { get; }
    [Dense(8, Bias = false), ReLU] public partial Layer H2 { get; }
    [Dense(5), LogSoftmax] public partial Layer LogProbabilities { get; }
}

/// <summary>Convolutions with stride and padding, 2-D and 1-D batch norms, both poolings, flatten, activation-only layer.</summary>
[Network(Precision.Float64)]
public sealed partial class TorchEveryLayerCnn
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

/// <summary>The example CNN with PyTorch-style tensor names (<c>fc1</c>, <c>fc2</c>).</summary>
[Network(Precision.Float64)]
public sealed partial class TorchFashionCnn
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

/// <summary>Pooling first, so the first layer is not affine.</summary>
[Network(Precision.Float64)]
public sealed partial class TorchPoolFirst
{
    [Input(1, 6, 6)] public partial InputLayer Image { get; }
    [MaxPool2D(2)] public partial Layer Pool { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(3), Tanh] public partial Layer Out { get; }
}

/// <summary>A float32 CNN with every smooth activation kind, for the float32 tolerances.</summary>
[Network]
public sealed partial class TorchSmallCnn32
{
    [Input(2, 7, 7)] public partial InputLayer Image { get; }
    [Conv2D(4, Kernel = 3, Padding = 1), Tanh] public partial Layer Conv { get; }
    [BatchNorm] public partial Layer Norm { get; }
    [AvgPool2D(2)] public partial Layer Avg { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(12), GELU(Approximation = GeluApproximation.Tanh)] public partial Layer Hidden { get; }
    [Dense(10), Sigmoid] public partial Layer Hidden2 { get; }
    [Dense(3), Softmax] public partial Layer Probabilities { get; }
}

/// <summary>Dotted tensor prefixes, as a PyTorch <c>nn.Sequential</c> names them.</summary>
[Network(Precision.Float64)]
public sealed partial class TorchDottedNames
{
    [Input(5)] public partial InputLayer X { get; }
    [Dense(6, WeightName = "features.0"), ReLU] public partial Layer Hidden { get; }
    [BatchNorm(WeightName = "features.1")] public partial Layer Norm { get; }
    [Dense(2, WeightName = "head")] public partial Layer Out { get; }
}
