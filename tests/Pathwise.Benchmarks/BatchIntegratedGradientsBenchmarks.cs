using System;
using BenchmarkDotNet.Attributes;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>
/// Integrated Gradients of 64 float32 inputs (input <c>m</c> attributing output <c>m % outputs</c>), zero baseline, 50
/// Gauss–Legendre points: Pathwise's <c>AttributeBatch</c>, which runs the inputs in parallel over the cores, against
/// TorchSharp with <see cref="Stack"/> inputs' path points stacked in one <c>[16 * 50, ...input]</c> pass
/// (<see cref="TorchStackedIntegratedGradients"/>, the baseline), on the networks and inputs of <see cref="TargetCase"/>.
/// <c>--targets</c> also times the other stackings and the loop of single calls, and takes TorchSharp's fastest.
/// </summary>
[MemoryDiagnoser]
public class BatchIG
{
    /// <summary>The inputs per TorchSharp pass.</summary>
    public const int Stack = 16;

    private const int Points = 50;
    private TargetCase _case = null!;
    private IntegratedGradients<float> _pathwise = null!;
    private TorchNetwork _network = null!;
    private TorchStackedIntegratedGradients _torch = null!;
    private global::TorchSharp.torch.Tensor[] _inputs = null!;
    private global::TorchSharp.torch.Tensor[] _rows = null!;
    private float[] _attributions = null!;
    private ConvergenceDelta[] _deltas = null!;

    /// <summary>The network: <c>TinyMlp</c> (8-16-12-3), <c>Mlp</c> (784-256-128-10) or <c>Cnn</c> (28x28).</summary>
    [Params("TinyMlp", "Mlp", "Cnn")]
    public string Network { get; set; } = "Mlp";

    /// <summary>Builds both sides and throws unless their attributions agree on the first four inputs; prints the worst input of all 64.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _case = TargetCase.Create(Network);
        _pathwise = new IntegratedGradients<float>(_case.Network, new IntegratedGradientsOptions { Points = Points, Rule = QuadratureRule.GaussLegendre });
        _network = _case.CreateTorch();
        _torch = new TorchStackedIntegratedGradients(_network, QuadratureRule.GaussLegendre, Points);
        int length = _case.Length;
        int groups = TargetCase.Count / Stack;
        _inputs = new global::TorchSharp.torch.Tensor[groups];
        _rows = new global::TorchSharp.torch.Tensor[groups];
        for (int g = 0; g < groups; g++)
        {
            _inputs[g] = _torch.Inputs(_case.Inputs.AsSpan(g * Stack * length, Stack * length), Stack);
            _rows[g] = _torch.RowTargets(_case.Targets.AsSpan(g * Stack, Stack));
        }

        _attributions = new float[TargetCase.Count * length];
        _deltas = new ConvergenceDelta[TargetCase.Count];
        TorchSharp();
        float[] expected = (float[])_attributions.Clone();
        Pathwise();
        double worst = 0;
        int worstInput = 0;
        for (int m = 0; m < TargetCase.Count; m++)
        {
            // The gate on the first four inputs; the rest surveyed (a path point on a kink may differ, see TargetsReport).
            string name = $"{_case.Name} input {m}";
            double relative = m < 4
                ? Agreement.Values(name, expected.AsSpan(m * length, length), _attributions.AsSpan(m * length, length))
                : Agreement.Difference(name, expected.AsSpan(m * length, length), _attributions.AsSpan(m * length, length)).Relative;
            if (relative > worst)
            {
                worst = relative;
                worstInput = m;
            }
        }

        Console.WriteLine($"// {_case.Name}: {TargetCase.Count} inputs, max |Pathwise - TorchSharp stacked| = {worst:E2} of max |attr| (input {worstInput})");
    }

    /// <summary>Releases the native tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (global::TorchSharp.torch.Tensor tensor in _inputs)
        {
            tensor.Dispose();
        }

        foreach (global::TorchSharp.torch.Tensor tensor in _rows)
        {
            tensor.Dispose();
        }

        _torch.Dispose();
        _network.Dispose();
    }

    /// <summary>TorchSharp: four passes of 16 inputs' points, <c>[800, ...input]</c>, forward, gather, backward, weighted sums.</summary>
    [Benchmark(Baseline = true)]
    public void TorchSharp()
    {
        int length = _case.Length;
        for (int g = 0; g < _inputs.Length; g++)
        {
            _torch.Attribute(_inputs[g], _rows[g], _attributions.AsSpan(g * Stack * length, Stack * length));
        }
    }

    /// <summary>Pathwise: <c>AttributeBatch</c> into preallocated memory, the inputs spread over the cores.</summary>
    [Benchmark]
    public void Pathwise() => _pathwise.AttributeBatch(_case.Inputs, _case.Targets, _attributions, _deltas);
}
