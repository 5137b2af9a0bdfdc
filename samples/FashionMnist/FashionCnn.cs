using Pathwise;

namespace FashionMnist;

/// <summary>
/// The classifier <see cref="TorchCnn"/> trains, declared for Pathwise: 28x28 grey images in, 10 clothing
/// classes out. The tensor names are the TorchSharp module's <c>state_dict</c> names (<c>conv1.weight</c>,
/// ..., <c>fc2.bias</c>), so the safetensors file training writes loads here unchanged.
/// </summary>
[Network]
public sealed partial class FashionCnn
{
    [Input(1, 28, 28)]                           public partial InputLayer Pixels { get; }
    [Conv2D(8, Kernel = 3, Padding = 1), ReLU]   public partial Layer Conv1 { get; }
    [MaxPool2D(2)]                               public partial Layer Pool1 { get; }
    [Conv2D(16, Kernel = 3, Padding = 1), ReLU]  public partial Layer Conv2 { get; }
    [MaxPool2D(2)]                               public partial Layer Pool2 { get; }
    [Flatten]                                    public partial Layer Flat { get; }
    [Dense(64, WeightName = "fc1"), ReLU]        public partial Layer Hidden { get; }
    [Dense(10, WeightName = "fc2")]              public partial Layer Logits { get; }
}
