using FashionMnist;
using Pathwise;

namespace Pathwise.Benchmarks;

// The float64 twins of the trained Fashion-MNIST models of samples/Models, whose float32 declarations are
// samples/FashionMnist's own (linked into this project): the exact rule's benchmark table (FashionExactReport).

/// <summary>The float64 twin of <see cref="FashionCnn"/> (the float32 weights widened).</summary>
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

/// <summary>The float64 twin of <see cref="FashionMlp"/> (the float32 weights widened).</summary>
[Network(Precision.Float64)]
public sealed partial class FashionMlp64
{
    [Input(784)] public partial InputLayer Pixels { get; }
    [Dense(256, WeightName = "fc1"), ReLU] public partial Layer Hidden1 { get; }
    [Dense(128, WeightName = "fc2"), ReLU] public partial Layer Hidden2 { get; }
    [Dense(10, WeightName = "fc3")] public partial Layer Logits { get; }
}
