using System;
using BenchmarkDotNet.Attributes;
using Pathwise;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pathwise.Benchmarks;

/// <summary>
/// Layer conductance of the CNN's hidden layer (64 units after the conv blocks), 50 Gauss–Legendre points:
/// Pathwise (one tangent pass and one backward pass from the output down to the layer per chunk) against
/// Captum's <c>LayerConductance</c> written plainly on TorchSharp (the layer's gradients at the scaled inputs times
/// the differences of its activations between consecutive points, <c>sum_k g_k (y_{k+1} - y_k)</c>, on
/// <c>n + 1</c> points in one batch). Issue target: Pathwise at least 2x faster. TorchSharp's time depends on
/// glibc's allocator; run once as it comes and once with <c>MALLOC_MMAP_MAX_=0</c> and compare against the faster.
/// </summary>
[MemoryDiagnoser]
public class CnnConductance
{
    private const int Points = 50;
    private const int Target = 3;
    private MnistCnn _network = null!;
    private TorchNetwork _torch = null!;
    private LayerConductance<float> _pathwise = null!;
    private float[] _input = null!;
    private Tensor _x = null!;
    private Tensor _alphas = null!;

    [GlobalSetup]
    public void Setup()
    {
        _network = new MnistCnn();
        _network.InitializeWeights(new Random(5));
        _torch = TorchNetwork.Cnn(_network.Parameters);
        _input = new float[28 * 28];
        var random = new Random(6);
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = random.NextSingle();
        }

        _pathwise = new LayerConductance<float>(_network, _network.Hidden, new LayerAttributionOptions { Points = Points, Rule = QuadratureRule.GaussLegendre });
        _x = torch.tensor(_input, [1, 1, 28, 28], ScalarType.Float32);

        // Captum's layer conductance takes n + 1 points: the rule's n nodes stepped through with differences.
        var alphas = new float[Points + 1];
        for (int k = 0; k <= Points; k++)
        {
            alphas[k] = (float)k / Points;
        }

        _alphas = torch.tensor(alphas, [Points + 1, 1, 1, 1], ScalarType.Float32);

        // Both are layer conductance of the same layer: their sums must both come near F(x) - F(0).
        float[] plain = TorchSharpPlain();
        double plainSum = 0;
        foreach (float value in plain)
        {
            plainSum += value;
        }

        LayerAttribution<float> fast = _pathwise.Attribute(_input, Target);
        double change = fast.Delta.OutputAtInput - fast.Delta.OutputAtBaseline;
        if (Math.Abs(fast.Sum() - change) > 1e-3 * Math.Max(1, Math.Abs(change)) || Math.Abs(plainSum - change) > 5e-2 * Math.Max(1, Math.Abs(change)))
        {
            throw new InvalidOperationException($"Conductance sums disagree with the output change {change}: Pathwise {fast.Sum()}, TorchSharp {plainSum}.");
        }
    }

    [Benchmark(Baseline = true)]
    public float[] TorchSharpPlain()
    {
        using var scope = torch.NewDisposeScope();
        Tensor points = _alphas * _x;                                           // [n + 1, 1, 28, 28], zero baseline
        Tensor hidden;
        using (torch.no_grad())
        {
            Tensor h = F.max_pool2d(F.relu(F.conv2d(points, _torch["conv1.weight"], _torch["conv1.bias"], padding: [1, 1])), [2, 2]);
            h = F.max_pool2d(F.relu(F.conv2d(h, _torch["conv2.weight"], _torch["conv2.bias"], padding: [1, 1])), [2, 2]);
            hidden = F.relu(F.linear(h.flatten(1), _torch["hidden.weight"], _torch["hidden.bias"]));
        }

        hidden.requires_grad_(true);                                            // [n + 1, 64]
        Tensor output = F.linear(hidden, _torch["logits.weight"], _torch["logits.bias"])[.., Target].sum();
        Tensor gradients = torch.autograd.grad([output], [hidden])[0];
        Tensor steps = hidden.narrow(0, 1, Points) - hidden.narrow(0, 0, Points); // y_{k+1} - y_k
        Tensor conductance = (gradients.narrow(0, 0, Points) * steps).sum(dim: 0);
        return conductance.data<float>().ToArray();
    }

    [Benchmark]
    public LayerAttribution<float> Pathwise() => _pathwise.Attribute(_input, Target);

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _alphas.Dispose();
        _torch.Dispose();
    }
}
