using System;
using BenchmarkDotNet.Attributes;
using Pathwise;
using Pathwise.TorchSharp;

namespace Pathwise.Benchmarks;

/// <summary>
/// Integrated Gradients of 16 inputs on TorchSharp's CPU device, 50 Gauss–Legendre points, float32: the device batch
/// (<c>AttributeBatch</c>, the 16 inputs' path points stacked as one <c>[16 * 50, ...input]</c> tensor, one forward and
/// one backward pass) against a loop of 16 single calls (16 passes of <c>[50, ...input]</c>), on the MNIST MLP and CNN.
/// <c>InternalBatchSize = 800</c> in both, so the only difference is the stacking. The machine is shared: compare ratios.
/// </summary>
[MemoryDiagnoser]
public class DeviceBatch
{
    private const int Inputs = 16;
    private const int Points = 50;
    private INetwork<float> _network = null!;
    private TorchNetwork<float> _module = null!;
    private TorchIntegratedGradients<float> _ig = null!;
    private float[] _inputs = null!;
    private int[] _targets = null!;
    private int _length;

    /// <summary>The network: <c>Mlp</c> (784-256-128-10) or <c>Cnn</c> (two conv blocks, 64, 10).</summary>
    [Params("Mlp", "Cnn")]
    public string Network { get; set; } = "Mlp";

    [GlobalSetup]
    public void Setup()
    {
        if (Network == "Mlp")
        {
            var mlp = new MnistMlp();
            mlp.InitializeWeights(new Random(5));
            _network = mlp;
        }
        else
        {
            var cnn = new MnistCnn();
            cnn.InitializeWeights(new Random(5));
            _network = cnn;
        }

        _module = _network.ToTorch("cpu");
        _ig = new TorchIntegratedGradients<float>(_module, new IntegratedGradientsOptions { Points = Points, InternalBatchSize = Inputs * Points });
        _length = _network.Info.InputLength;
        var random = new Random(6);
        _inputs = new float[Inputs * _length];
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = random.NextSingle();
        }

        _targets = new int[Inputs];
        for (int m = 0; m < Inputs; m++)
        {
            _targets[m] = m % _network.Info.OutputLength;
        }

        // Both compute the same attributions: float32 agreement to 1e-4 of the largest value.
        Attribution<float>[] batch = DeviceBatched();
        Attribution<float>[] loop = PerInputLoop();
        for (int m = 0; m < Inputs; m++)
        {
            float scale = 0;
            foreach (float value in loop[m].Values)
            {
                scale = Math.Max(scale, Math.Abs(value));
            }

            for (int i = 0; i < _length; i++)
            {
                if (Math.Abs(batch[m].Values[i] - loop[m].Values[i]) > 1e-4f * Math.Max(scale, 1e-30f))
                {
                    throw new InvalidOperationException($"Input {m}, feature {i}: batch {batch[m].Values[i]}, loop {loop[m].Values[i]}.");
                }
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ig.Dispose();
        _module.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Attribution<float>[] PerInputLoop()
    {
        var results = new Attribution<float>[Inputs];
        for (int m = 0; m < Inputs; m++)
        {
            results[m] = _ig.Attribute(_inputs.AsSpan(m * _length, _length), _targets[m]);
        }

        return results;
    }

    [Benchmark]
    public Attribution<float>[] DeviceBatched() => _ig.AttributeBatch(_inputs, _targets);
}

/// <summary>
/// The stacked device batch of the neuron and region methods on TorchSharp's CPU device, float32, the MNIST MLP's second
/// hidden layer (128 neurons), 16 inputs, 20 Gauss–Legendre points: <c>AttributeBatch</c> (the 16 inputs' points one
/// <c>[16 * 20, 784]</c> tensor per pass) against a loop of 16 single calls, <c>InternalBatchSize = 320</c> in both.
/// Neuron Integrated Gradients seeds each input at its own neuron; region-to-neuron carries each input's masked
/// direction (the left half of the image). The machine is shared: compare ratios.
/// </summary>
[MemoryDiagnoser]
public class DeviceBatchNeuron
{
    private const int Inputs = 16;
    private const int Points = 20;
    private TorchNetwork<float> _module = null!;
    private TorchNeuronIntegratedGradients<float> _neuron = null!;
    private TorchRegionToNeuron<float> _region = null!;
    private float[] _inputs = null!;
    private int[] _indices = null!;
    private bool[] _mask = null!;
    private int _length;

    /// <summary>The method: <c>NeuronIG</c> or <c>RegionToNeuron</c>.</summary>
    [Params("NeuronIG", "RegionToNeuron")]
    public string Method { get; set; } = "NeuronIG";

    [GlobalSetup]
    public void Setup()
    {
        var mlp = new MnistMlp();
        mlp.InitializeWeights(new Random(5));
        _module = mlp.ToTorch("cpu");
        Layer layer = mlp.Info.Layers[mlp.Info.Layers.Count - 2];
        var options = new LayerAttributionOptions { Points = Points, InternalBatchSize = Inputs * Points };
        _neuron = new TorchNeuronIntegratedGradients<float>(_module, layer, options);
        _region = new TorchRegionToNeuron<float>(_module, layer, options);
        _length = mlp.Info.InputLength;
        var random = new Random(6);
        _inputs = new float[Inputs * _length];
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = random.NextSingle();
        }

        _indices = new int[Inputs];
        for (int m = 0; m < Inputs; m++)
        {
            _indices[m] = (7 * m) % mlp.Info.OutputLength;
        }

        _mask = new bool[_length];
        for (int i = 0; i < _length; i++)
        {
            _mask[i] = i % 28 < 14;
        }

        // Both compute the same values: float32 agreement to 1e-4 of the largest value.
        float[][] batch = Values(DeviceBatched());
        float[][] loop = Values(PerInputLoop());
        for (int m = 0; m < Inputs; m++)
        {
            float scale = 1e-30f;
            foreach (float value in loop[m])
            {
                scale = Math.Max(scale, Math.Abs(value));
            }

            for (int i = 0; i < loop[m].Length; i++)
            {
                if (Math.Abs(batch[m][i] - loop[m][i]) > 1e-4f * scale)
                {
                    throw new InvalidOperationException($"{Method} input {m}, value {i}: batch {batch[m][i]}, loop {loop[m][i]}.");
                }
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _neuron.Dispose();
        _region.Dispose();
        _module.Dispose();
    }

    [Benchmark(Baseline = true)]
    public object PerInputLoop()
    {
        var results = new object[Inputs];
        for (int m = 0; m < Inputs; m++)
        {
            ReadOnlySpan<float> input = _inputs.AsSpan(m * _length, _length);
            results[m] = Method == "NeuronIG" ? _neuron.Attribute(input, _indices[m]) : _region.Attribute(input, _indices[m], _mask);
        }

        return results;
    }

    [Benchmark]
    public object DeviceBatched() =>
        Method == "NeuronIG" ? _neuron.AttributeBatch(_inputs, _indices) : _region.AttributeBatch(_inputs, _indices, _mask);

    private static float[][] Values(object results) => results switch
    {
        Attribution<float>[] attributions => Array.ConvertAll(attributions, a => a.Values.ToArray()),
        LayerAttribution<float>[] shares => Array.ConvertAll(shares, a => a.Values.ToArray()),
        object[] mixed => Array.ConvertAll(mixed, o => o is Attribution<float> a ? a.Values.ToArray() : ((LayerAttribution<float>)o).Values.ToArray()),
        _ => throw new InvalidOperationException(results.GetType().Name),
    };
}
