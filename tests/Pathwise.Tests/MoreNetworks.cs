using Pathwise;

namespace Pathwise.Tests;

// Float64 networks for the hidden-layer methods: layers affine in the input, so closed forms exist.

/// <summary>A dense layer without activation first (<c>z = W x + b</c>, affine in the input), then a nonlinear tail.</summary>
[Network(Precision.Float64)]
public sealed partial class AffineFirstMlp
{
    [Input(6)] public partial InputLayer X { get; }
    [Dense(5)] public partial Layer Z { get; }
    [Tanh] public partial Layer Act { get; }
    [Dense(4), Sigmoid] public partial Layer H { get; }
    [Dense(3), Softmax] public partial Layer Probabilities { get; }
}

/// <summary>A convolutional network that is affine end to end: every layer is affine in the input and linear after it.</summary>
[Network(Precision.Float64)]
public sealed partial class LinearCnn
{
    [Input(2, 6, 5)] public partial InputLayer Image { get; }
    [Conv2D(3, Kernel = 3, Padding = 1, Stride = 2)] public partial Layer Conv { get; }
    [BatchNorm] public partial Layer Norm { get; }
    [AvgPool2D(2, Stride = 1)] public partial Layer Avg { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(4)] public partial Layer Hidden { get; }
    [Dense(3)] public partial Layer Out { get; }
}
