using System;
using BenchmarkDotNet.Attributes;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>
/// Integrated Gradients of output 0 at one float32 input, zero baseline, 50 points: Pathwise against plain
/// TorchSharp on the same weights. TorchSharp is the baseline, so the Ratio column is Pathwise's share of its time.
/// </summary>
[MemoryDiagnoser]
public abstract class IntegratedGradientsBenchmark
{
    /// <summary>The number of path points.</summary>
    public const int Points = 50;

    /// <summary>The attributed output.</summary>
    public const int Target = 0;

    private IntegratedGradients<float> _pathwise = null!;
    private TorchNetwork _torchNetwork = null!;
    private TorchIntegratedGradients _torch = null!;
    private global::TorchSharp.torch.Tensor _torchInput = null!;
    private float[] _input = null!;
    private float[] _attributions = null!;

    /// <summary>The quadrature rule, the same on both sides.</summary>
    [Params(QuadratureRule.GaussLegendre, QuadratureRule.RiemannMiddle)]
    public QuadratureRule Rule { get; set; }

    /// <summary>Points per pass: the per-network default (Automatic, 0) against a fixed 64.</summary>
    [Params(IntegratedGradientsOptions.Automatic, 64)]
    public int Batch { get; set; }

    /// <summary>Builds both sides and throws unless their attributions agree.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (INetwork<float> network, TorchNetwork torchNetwork, float[] input) = Create(seed: 1);
        _torchNetwork = torchNetwork;
        _input = input;
        _attributions = new float[input.Length];
        _pathwise = new IntegratedGradients<float>(network, new IntegratedGradientsOptions { Points = Points, Rule = Rule, InternalBatchSize = Batch });
        _torch = new TorchIntegratedGradients(torchNetwork, Rule, Points);
        _torchInput = _torch.Input(input);
        Console.WriteLine("// " + Agreement.Check(network.GetType().Name + " " + Rule, _pathwise, _torch, _input, _torchInput, Target));
    }

    /// <summary>Releases the native tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _torchInput.Dispose();
        _torch.Dispose();
        _torchNetwork.Dispose();
    }

    /// <summary>TorchSharp: one [50, ...] batch with requires_grad, forward, backward, weighted sum.</summary>
    [Benchmark(Baseline = true)]
    public void TorchSharp() => _torch.Attribute(_torchInput, Target, _attributions);

    /// <summary>Pathwise: generated passes over runtime kernels, into a preallocated span.</summary>
    [Benchmark]
    public ConvergenceDelta Pathwise() => _pathwise.Attribute(_input, Target, _attributions);

    /// <summary>A network with weights from <paramref name="seed"/>, its TorchSharp copy and an input (for <c>--profile</c>).</summary>
    internal (INetwork<float> Network, TorchNetwork Torch, float[] Input) CreateNetwork(int seed) => Create(seed);

    /// <summary>A network with weights from <paramref name="seed"/>, its TorchSharp copy and an input.</summary>
    protected abstract (INetwork<float> Network, TorchNetwork Torch, float[] Input) Create(int seed);

    /// <summary><paramref name="length"/> values uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    protected static float[] RandomInput(int seed, int length, float low, float high)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = low + (high - low) * random.NextSingle();
        }

        return values;
    }
}

/// <summary>The tiny MLP 8-16-12-3: per-call overhead (target: Pathwise <= 5 us).</summary>
public class TinyMlpIG : IntegratedGradientsBenchmark
{
    protected override (INetwork<float>, TorchNetwork, float[]) Create(int seed)
    {
        var network = new TinyMlp();
        network.InitializeWeights(new Random(seed));
        return (network, TorchNetwork.Mlp(network.Parameters, "h1", "h2", "out"), RandomInput(seed + 1, 8, -2, 2));
    }
}

/// <summary>The MLP 784-256-128-10: matrix products (target: Pathwise >= 3x faster than TorchSharp).</summary>
public class MnistMlpIG : IntegratedGradientsBenchmark
{
    protected override (INetwork<float>, TorchNetwork, float[]) Create(int seed)
    {
        var network = new MnistMlp();
        network.InitializeWeights(new Random(seed));
        return (network, TorchNetwork.Mlp(network.Parameters, "h1", "h2", "logits"), RandomInput(seed + 1, 784, 0, 1));
    }
}

/// <summary>The 28x28 CNN: convolutions and pooling.</summary>
public class MnistCnnIG : IntegratedGradientsBenchmark
{
    protected override (INetwork<float>, TorchNetwork, float[]) Create(int seed)
    {
        var network = new MnistCnn();
        network.InitializeWeights(new Random(seed));
        return (network, TorchNetwork.Cnn(network.Parameters), RandomInput(seed + 1, 28 * 28, 0, 1));
    }
}
