using System;
using System.Collections.Generic;
using Pathwise;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pathwise.Benchmarks;

/// <summary>
/// The benchmarked networks written plainly in TorchSharp, holding copies of a Pathwise network's
/// parameters (same names, shapes and values), and Integrated Gradients done the textbook way.
/// </summary>
public sealed class TorchNetwork : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Func<TorchNetwork, Tensor, Tensor> _forward;

    private TorchNetwork(ParameterSet<float> parameters, long[] inputShape, Func<TorchNetwork, Tensor, Tensor> forward)
    {
        foreach (Parameter<float> parameter in parameters.Items)
        {
            long[] shape = Array.ConvertAll(parameter.Shape.ToArray(), d => (long)d);
            _tensors.Add(parameter.Name, torch.tensor((float[])parameter.Values.Clone(), shape, ScalarType.Float32));
        }

        InputShape = inputShape;
        _forward = forward;
    }

    /// <summary>The shape of one input, without the batch dimension.</summary>
    public long[] InputShape { get; }

    /// <summary>An MLP <c>linear, relu, ..., linear</c> over the dense layers' tensors, in declaration order.</summary>
    public static TorchNetwork Mlp(ParameterSet<float> parameters, params string[] layers) =>
        new(parameters, [parameters.Items[0].Shape[1]], (n, x) =>
        {
            for (int i = 0; i < layers.Length; i++)
            {
                x = F.linear(x, n[layers[i] + ".weight"], n[layers[i] + ".bias"]);
                if (i < layers.Length - 1)
                {
                    x = F.relu(x);
                }
            }

            return x;
        });

    /// <summary>The 28x28 CNN of <see cref="MnistCnn"/>: two conv-ReLU-maxpool blocks, flatten, dense-ReLU, dense.</summary>
    public static TorchNetwork Cnn(ParameterSet<float> parameters) =>
        new(parameters, [1, 28, 28], (n, x) =>
        {
            x = F.max_pool2d(F.relu(F.conv2d(x, n["conv1.weight"], n["conv1.bias"], padding: [1, 1])), [2, 2]);
            x = F.max_pool2d(F.relu(F.conv2d(x, n["conv2.weight"], n["conv2.bias"], padding: [1, 1])), [2, 2]);
            x = x.flatten(1);
            x = F.relu(F.linear(x, n["hidden.weight"], n["hidden.bias"]));
            return F.linear(x, n["logits.weight"], n["logits.bias"]);
        });

    /// <summary>The copied tensor named <paramref name="name"/>.</summary>
    public Tensor this[string name] => _tensors[name];

    /// <summary>The outputs for a batch <c>x[points, ...input shape]</c>.</summary>
    public Tensor Forward(Tensor x) => _forward(this, x);

    /// <summary>Releases the native tensors.</summary>
    public void Dispose()
    {
        foreach (Tensor tensor in _tensors.Values)
        {
            tensor.Dispose();
        }
    }
}

/// <summary>
/// Integrated Gradients in TorchSharp, plainly: all path points as one batch with <c>requires_grad</c>,
/// forward, select the target, <c>autograd.grad</c>, quadrature-weighted sum over points, times <c>x - x'</c>.
/// </summary>
public sealed class TorchIntegratedGradients : IDisposable
{
    private readonly TorchNetwork _network;
    private readonly Tensor _baseline;
    private readonly Tensor _alphas;
    private readonly Tensor _weights;

    /// <summary>Prepares IG for <paramref name="network"/> with a zero baseline and the nodes of <paramref name="rule"/>.</summary>
    public TorchIntegratedGradients(TorchNetwork network, QuadratureRule rule, int steps)
    {
        _network = network;
        QuadratureNodes nodes = QuadratureNodes.Create(rule, steps);
        // [points, 1, ..., 1] so that they broadcast against one input.
        var broadcast = new long[network.InputShape.Length + 1];
        Array.Fill(broadcast, 1L);
        broadcast[0] = nodes.Count;
        _alphas = torch.tensor(Array.ConvertAll(nodes.Alphas.ToArray(), a => (float)a), broadcast, ScalarType.Float32);
        _weights = torch.tensor(Array.ConvertAll(nodes.Coefficients.ToArray(), w => (float)w), broadcast, ScalarType.Float32);
        _baseline = torch.zeros(network.InputShape, ScalarType.Float32);
    }

    /// <summary>A tensor of the input shape holding <paramref name="values"/>.</summary>
    public Tensor Input(float[] values) => torch.tensor(values, _network.InputShape, ScalarType.Float32);

    /// <summary>Writes the attributions of output <paramref name="target"/> at <paramref name="x"/> into <paramref name="attributions"/>.</summary>
    public void Attribute(Tensor x, int target, Span<float> attributions)
    {
        using var scope = torch.NewDisposeScope();
        Tensor difference = x - _baseline;
        Tensor points = (_baseline + _alphas * difference).requires_grad_(true); // [points, ...input]
        Tensor selected = _network.Forward(points)[.., target].sum();
        Tensor gradients = torch.autograd.grad([selected], [points])[0];
        // dim: named, since a bare literal 0 would bind to sum(ScalarType) and sum everything as bytes.
        Tensor attribution = (gradients * _weights).sum(dim: 0) * difference;
        attribution.data<float>().CopyTo(attributions);
    }

    /// <summary>Releases the native tensors.</summary>
    public void Dispose()
    {
        _baseline.Dispose();
        _alphas.Dispose();
        _weights.Dispose();
    }
}
