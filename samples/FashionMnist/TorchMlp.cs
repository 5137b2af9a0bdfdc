using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FashionMnist;

/// <summary>
/// The 784-256-128-10 ReLU perceptron as a PyTorch-style TorchSharp module. Its <c>state_dict</c> names
/// (<c>fc1.weight</c>, ..., <c>fc3.bias</c>) are the ones <see cref="FashionMlp"/> declares.
/// </summary>
public sealed class TorchMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear _fc1 = nn.Linear(28 * 28, 256);
    private readonly Linear _fc2 = nn.Linear(256, 128);
    private readonly Linear _fc3 = nn.Linear(128, 10);

    /// <summary>Creates the module with TorchSharp's default initialisation (seed it with <c>torch.manual_seed</c>).</summary>
    public TorchMlp()
        : base(nameof(TorchMlp))
    {
        register_module("fc1", _fc1);
        register_module("fc2", _fc2);
        register_module("fc3", _fc3);
    }

    /// <summary>Maps images <c>[n, 1, 28, 28]</c> (or <c>[n, 784]</c>) to logits <c>[n, 10]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        x = x.flatten(1);                    // [n, 784], row-major pixels
        x = F.relu(_fc1.forward(x));         // [n, 256]
        x = F.relu(_fc2.forward(x));         // [n, 128]
        return _fc3.forward(x);              // [n, 10]
    }
}
