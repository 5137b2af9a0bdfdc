using Pathwise;

namespace FashionMnist;

/// <summary>
/// The multilayer perceptron <see cref="TorchMlp"/> trains, declared for Pathwise: the 784 pixels of a 28x28 grey
/// image in (row-major, the order <see cref="FashionMnistData.CopyImage"/> writes), 10 clothing classes out. The
/// tensor names are the TorchSharp module's <c>state_dict</c> names (<c>fc1.weight</c>, ..., <c>fc3.bias</c>).
/// </summary>
[Network]
public sealed partial class FashionMlp
{
    [Input(784)]                           public partial InputLayer Pixels { get; }
    [Dense(256, WeightName = "fc1"), ReLU] public partial Layer Hidden1 { get; }
    [Dense(128, WeightName = "fc2"), ReLU] public partial Layer Hidden2 { get; }
    [Dense(10, WeightName = "fc3")]        public partial Layer Logits { get; }
}
