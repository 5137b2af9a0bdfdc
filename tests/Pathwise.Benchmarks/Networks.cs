using Pathwise;

namespace Pathwise.Benchmarks;

// The float32 networks of the speed targets; their TorchSharp twins are written out in TorchNetworks.

/// <summary>The tiny MLP, 8-16-12-3 with ReLU: the per-call overhead case (target <= 5 us per IG call).</summary>
[Network]
public sealed partial class TinyMlp
{
    [Input(8)] public partial InputLayer X { get; }
    [Dense(16), ReLU] public partial Layer H1 { get; }
    [Dense(12), ReLU] public partial Layer H2 { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>The MNIST-sized MLP, 784-256-128-10 with ReLU: the matrix-product case (target >= 3x TorchSharp).</summary>
[Network]
public sealed partial class MnistMlp
{
    [Input(784)] public partial InputLayer Pixels { get; }
    [Dense(256), ReLU] public partial Layer H1 { get; }
    [Dense(128), ReLU] public partial Layer H2 { get; }
    [Dense(10)] public partial Layer Logits { get; }
}

/// <summary>The 28x28 CNN: two conv-ReLU-maxpool blocks, then 64 hidden units and 10 logits.</summary>
[Network]
public sealed partial class MnistCnn
{
    [Input(1, 28, 28)] public partial InputLayer Pixels { get; }
    [Conv2D(8, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv1 { get; }
    [MaxPool2D(2)] public partial Layer Pool1 { get; }
    [Conv2D(16, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv2 { get; }
    [MaxPool2D(2)] public partial Layer Pool2 { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(64), ReLU] public partial Layer Hidden { get; }
    [Dense(10)] public partial Layer Logits { get; }
}
