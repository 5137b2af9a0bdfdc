using Pathwise;

namespace Pathwise.Weights.Tests;

// The networks of Fixtures/PyTorch/export_fixture.py, declared as the README declares them.

/// <summary>The README's quick-start network, character for character.</summary>
[Network]                                   // float32; [Network(Precision.Float64)] for float64
public sealed partial class FashionCnn
{
    [Input(1, 28, 28)]                                  public partial InputLayer Pixels { get; }
    [Conv2D(8, Kernel = 3, Padding = 1), ReLU]          public partial Layer Conv1 { get; }
    [MaxPool2D(2)]                                      public partial Layer Pool1 { get; }
    [Conv2D(16, Kernel = 3, Padding = 1), ReLU]         public partial Layer Conv2 { get; }
    [MaxPool2D(2)]                                      public partial Layer Pool2 { get; }
    [Flatten]                                           public partial Layer Flat { get; }
    [Dense(64, WeightName = "fc1"), ReLU]               public partial Layer Hidden { get; }
    [Dense(10, WeightName = "fc2")]                     public partial Layer Logits { get; }
}

/// <summary>The same declaration in float64, where Integrated Gradients can be checked to rounding.</summary>
[Network(Precision.Float64)]
public sealed partial class FashionCnnFloat64
{
    [Input(1, 28, 28)]                                  public partial InputLayer Pixels { get; }
    [Conv2D(8, Kernel = 3, Padding = 1), ReLU]          public partial Layer Conv1 { get; }
    [MaxPool2D(2)]                                      public partial Layer Pool1 { get; }
    [Conv2D(16, Kernel = 3, Padding = 1), ReLU]         public partial Layer Conv2 { get; }
    [MaxPool2D(2)]                                      public partial Layer Pool2 { get; }
    [Flatten]                                           public partial Layer Flat { get; }
    [Dense(64, WeightName = "fc1"), ReLU]               public partial Layer Hidden { get; }
    [Dense(10, WeightName = "fc2")]                     public partial Layer Logits { get; }
}

/// <summary>
/// PyTorch's <c>self.classifier = nn.Sequential(Linear(12, 32), BatchNorm1d(32), Tanh(), Linear(32, 16), Tanh(),
/// Linear(16, 4))</c>: each entry's index is its <c>WeightName</c>; the activations hold no tensors, so indices 2 and 4
/// are skipped.
/// </summary>
[Network(Precision.Float64)]
public sealed partial class TabularMlp
{
    [Input(12)]                                         public partial InputLayer Features { get; }
    [Dense(32, WeightName = "classifier.0")]            public partial Layer Hidden { get; }
    [BatchNorm(WeightName = "classifier.1"), Tanh]      public partial Layer Norm { get; }
    [Dense(16, WeightName = "classifier.3"), Tanh]      public partial Layer Hidden2 { get; }
    [Dense(4, WeightName = "classifier.5")]             public partial Layer Logits { get; }
}
