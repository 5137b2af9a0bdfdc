using Pathwise;

namespace Pathwise.TorchSharp.Tests;

// Networks only the TorchSharp cross-checks use; the float64 networks covering every layer kind are shared
// with the numerics tests (tests/Shared/TestNetworks.cs).

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
