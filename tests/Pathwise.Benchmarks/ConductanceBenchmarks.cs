using System;
using BenchmarkDotNet.Attributes;
using Pathwise;

namespace Pathwise.Benchmarks;

/// <summary>
/// Layer conductance and region-to-neuron the efficient way (one tangent pass and one backward pass for all
/// neurons) against the naive per-neuron loop (one backward pass from each neuron to get <c>dy_j/da</c>),
/// at widths 16, 64 and 256 of the layer: the naive cost grows with the width, so the ratio does too.
/// </summary>
[MemoryDiagnoser]
public class ConductanceByWidth
{
    private INetwork<float> _network = null!;
    private Layer _layer = null!;
    private float[] _input = null!;
    private bool[] _region = null!;
    private LayerConductance<float> _conductance = null!;
    private RegionToNeuron<float> _regionToNeuron = null!;
    private NaiveConductance _naive = null!;

    [Params(16, 64, 256)]
    public int Width { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_network, _layer) = Width switch
        {
            16 => Build(new Width16(), n => n.Hidden2),
            64 => Build(new Width64(), n => n.Hidden2),
            _ => Build(new Width256(), n => n.Hidden2),
        };
        var random = new Random(2);
        _input = new float[64];
        _region = new bool[64];
        for (int i = 0; i < 64; i++)
        {
            _input[i] = (float)(2 * random.NextDouble() - 1);
            _region[i] = i % 3 == 0;
        }

        var options = new LayerAttributionOptions { Points = 50 };
        _conductance = new LayerConductance<float>(_network, _layer, options);
        _regionToNeuron = new RegionToNeuron<float>(_network, _layer, options);
        _naive = new NaiveConductance(_network, _layer, 50);

        // The two must agree before their speeds are worth comparing.
        float[] fast = _conductance.Attribute(_input, 0).ToArray();
        float[] slow = _naive.Run(_input, 0, null);
        double scale = 1e-30, difference = 0;
        for (int j = 0; j < fast.Length; j++)
        {
            scale = Math.Max(scale, Math.Abs(slow[j]));
            difference = Math.Max(difference, Math.Abs(fast[j] - slow[j]));
        }

        if (difference > 1e-3 * scale)
        {
            throw new InvalidOperationException($"Efficient and naive conductance disagree at width {Width}: {difference:E2} of {scale:E2}.");
        }
    }

    private static (INetwork<float>, Layer) Build<TNetwork>(TNetwork network, Func<TNetwork, Layer> layer)
        where TNetwork : INetwork<float>
    {
        network.Parameters.Randomize(new Random(1));
        network.ParametersChanged();
        return (network, layer(network));
    }

    [Benchmark(Baseline = true)]
    public float[] NaiveConductance() => _naive.Run(_input, 0, null);

    [Benchmark]
    public float[] EfficientConductance() => _conductance.Attribute(_input, 0).ToArray();

    [Benchmark]
    public float[] NaiveRegionToNeuron() => _naive.Run(_input, 0, _region);

    [Benchmark]
    public float[] EfficientRegionToNeuron() => _regionToNeuron.Attribute(_input, 0, _region).ToArray();
}

/// <summary>
/// The definition written as a loop over neurons: at each path point, <c>dF/dy</c> from one backward pass, and
/// for each neuron <c>j</c> the directional derivative <c>dy_j/da = grad y_j . v</c> from a backward pass of its own,
/// with <c>v = x - x'</c> (or its restriction to a region).
/// </summary>
internal sealed class NaiveConductance
{
    private readonly INetwork<float> _network;
    private readonly Layer _layer;
    private readonly QuadratureNodes _nodes;
    private readonly Workspace<float> _workspace;

    public NaiveConductance(INetwork<float> network, Layer layer, int steps)
    {
        _network = network;
        _layer = layer;
        _nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, steps);
        _workspace = new Workspace<float>(network.Info, steps);
    }

    public float[] Run(float[] input, int target, bool[]? region)
    {
        NetworkInfo info = _network.Info;
        int n = _nodes.Count, size = _layer.Size, length = info.InputLength;
        Span<float> points = _workspace.Input(n);
        for (int k = 0; k < n; k++)
        {
            for (int i = 0; i < length; i++)
            {
                points[k * length + i] = (float)_nodes.Alphas[k] * input[i];
            }
        }

        _network.ForwardFrom(info.Input, _workspace, n);
        Span<float> seed = _workspace.OutputGradient(n);
        seed.Clear();
        for (int k = 0; k < n; k++)
        {
            seed[k * info.OutputLength + target] = 1;
        }

        _network.BackwardFrom(info.Output, _workspace, n);
        float[] gradients = _workspace.Gradients(_layer, n).ToArray();
        var result = new float[size];
        for (int j = 0; j < size; j++)
        {
            Span<float> neuronSeed = _workspace.Gradients(_layer, n);
            neuronSeed.Clear();
            for (int k = 0; k < n; k++)
            {
                neuronSeed[k * size + j] = 1;
            }

            _network.BackwardFrom(_layer, _workspace, n);
            ReadOnlySpan<float> inputGradients = _workspace.Gradients(info.Input, n);
            double sum = 0;
            for (int k = 0; k < n; k++)
            {
                double rate = 0;
                for (int i = 0; i < length; i++)
                {
                    if (region is null || region[i])
                    {
                        rate += inputGradients[k * length + i] * input[i];
                    }
                }

                sum += _nodes.Coefficients[k] * gradients[k * size + j] * rate;
            }

            result[j] = (float)sum;
        }

        return result;
    }
}
