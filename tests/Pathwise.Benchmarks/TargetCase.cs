using System;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>
/// The three networks of the speed targets with the weights and inputs of <see cref="IntegratedGradientsBenchmark"/>'s
/// classes (weights from seed 1, input 0 from seed 2), and <see cref="Count"/> inputs for the batch case: input 0 is the
/// single-input benchmarks' input, inputs 1 to 63 come from seed 3 in the same range; input <c>m</c> attributes output
/// <c>m % 10</c> (<c>m % 3</c> on the tiny MLP).
/// </summary>
internal sealed class TargetCase
{
    /// <summary>The inputs of the batch case.</summary>
    public const int Count = 64;

    private readonly Func<INetwork<float>, TorchNetwork> _torch;

    private TargetCase(string name, INetwork<float> network, Func<INetwork<float>, TorchNetwork> torch, float low, float high)
    {
        Name = name;
        Network = network;
        _torch = torch;
        Length = network.Info.InputLength;
        Inputs = new float[Count * Length];
        var first = new Random(2);
        var rest = new Random(3);
        for (int i = 0; i < Inputs.Length; i++)
        {
            Inputs[i] = low + (high - low) * (i < Length ? first : rest).NextSingle();
        }

        Targets = new int[Count];
        for (int m = 0; m < Count; m++)
        {
            Targets[m] = m % network.Info.OutputLength;
        }
    }

    /// <summary>The names <see cref="Create"/> takes, smallest network first.</summary>
    public static readonly string[] Names = ["TinyMlp", "Mlp", "Cnn"];

    /// <summary>The row label: name and shape.</summary>
    public string Name { get; }

    /// <summary>The generated Pathwise network.</summary>
    public INetwork<float> Network { get; }

    /// <summary>The input length.</summary>
    public int Length { get; }

    /// <summary><c>inputs[m, length]</c>, <see cref="Count"/> rows.</summary>
    public float[] Inputs { get; }

    /// <summary>Input <c>m</c>'s target, <c>m % outputs</c>.</summary>
    public int[] Targets { get; }

    /// <summary>Input <paramref name="m"/>.</summary>
    public ReadOnlySpan<float> Input(int m) => Inputs.AsSpan(m * Length, Length);

    /// <summary>A new TorchSharp copy of the network's weights (the caller disposes it).</summary>
    public TorchNetwork CreateTorch() => _torch(Network);

    /// <summary><c>TinyMlp</c> (8-16-12-3), <c>Mlp</c> (784-256-128-10) or <c>Cnn</c> (28x28, two conv blocks, 64, 10).</summary>
    public static TargetCase Create(string name)
    {
        switch (name)
        {
            case "TinyMlp":
                var tiny = new TinyMlp();
                tiny.InitializeWeights(new Random(1));
                return new TargetCase("TinyMlp 8-16-12-3", tiny, n => TorchNetwork.Mlp(n.Parameters, "h1", "h2", "out"), -2, 2);
            case "Mlp":
                var mlp = new MnistMlp();
                mlp.InitializeWeights(new Random(1));
                return new TargetCase("Mlp 784-256-128-10", mlp, n => TorchNetwork.Mlp(n.Parameters, "h1", "h2", "logits"), 0, 1);
            case "Cnn":
                var cnn = new MnistCnn();
                cnn.InitializeWeights(new Random(1));
                return new TargetCase("Cnn 28x28", cnn, n => TorchNetwork.Cnn(n.Parameters), 0, 1);
            default:
                throw new ArgumentException($"Expected one of {string.Join(", ", Names)}; got '{name}'.", nameof(name));
        }
    }
}
