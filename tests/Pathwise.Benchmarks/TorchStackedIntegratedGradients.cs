using System;
using Pathwise;
using TorchSharp;
using static TorchSharp.torch;

namespace Pathwise.Benchmarks;

/// <summary>
/// Integrated Gradients of several inputs at once in TorchSharp, the batched textbook way: the path points of
/// <c>k</c> inputs stacked as one <c>[k * points, ...input]</c> tensor with <c>requires_grad</c>, one forward pass,
/// each row's own target gathered and summed, one <c>autograd.grad</c>, then per input the quadrature-weighted sum
/// over its points times <c>x - x'</c>: <c>attr[m, i] = (x[m, i] - x'_i) * sum_k w_k dF_target[m]/dx_i(x' + a_k (x[m] - x'))</c>.
/// </summary>
public sealed class TorchStackedIntegratedGradients : IDisposable
{
    private readonly TorchNetwork _network;
    private readonly Tensor _baseline;
    private readonly Tensor _alphas;
    private readonly Tensor _weights;
    private readonly int _points;

    /// <summary>Prepares stacked IG for <paramref name="network"/> with a zero baseline and the nodes of <paramref name="rule"/>.</summary>
    public TorchStackedIntegratedGradients(TorchNetwork network, QuadratureRule rule, int steps)
    {
        _network = network;
        QuadratureNodes nodes = QuadratureNodes.Create(rule, steps);
        _points = nodes.Count;
        // [1, points, 1, ..., 1] so that they broadcast against [k, 1, ...input].
        var broadcast = new long[network.InputShape.Length + 2];
        Array.Fill(broadcast, 1L);
        broadcast[1] = nodes.Count;
        _alphas = torch.tensor(Array.ConvertAll(nodes.Alphas.ToArray(), a => (float)a), broadcast, ScalarType.Float32);
        _weights = torch.tensor(Array.ConvertAll(nodes.Coefficients.ToArray(), w => (float)w), broadcast, ScalarType.Float32);
        _baseline = torch.zeros(network.InputShape, ScalarType.Float32);
    }

    /// <summary>The inputs <c>values[k, ...input]</c> as one tensor <c>[k, ...input]</c>.</summary>
    public Tensor Inputs(ReadOnlySpan<float> values, int count)
    {
        var shape = new long[_network.InputShape.Length + 1];
        shape[0] = count;
        _network.InputShape.CopyTo(shape, 1);
        return torch.tensor(values.ToArray(), shape, ScalarType.Float32);
    }

    /// <summary>The gather index <c>[k * points, 1]</c>: row <c>m * points + p</c> holds <c>targets[m]</c>.</summary>
    public Tensor RowTargets(ReadOnlySpan<int> targets)
    {
        var rows = new long[targets.Length * _points];
        for (int m = 0; m < targets.Length; m++)
        {
            rows.AsSpan(m * _points, _points).Fill(targets[m]);
        }

        return torch.tensor(rows, [rows.Length, 1L], ScalarType.Int64);
    }

    /// <summary>
    /// Writes <c>attributions[m, ...input]</c> for the <c>k</c> inputs <paramref name="inputs"/> <c>[k, ...input]</c>, each of
    /// its own target as laid out by <see cref="RowTargets"/>.
    /// </summary>
    public void Attribute(Tensor inputs, Tensor rowTargets, Span<float> attributions)
    {
        using var scope = torch.NewDisposeScope();
        long count = inputs.shape[0];
        Tensor difference = (inputs - _baseline).unsqueeze(1); // [k, 1, ...input]
        var flat = new long[_network.InputShape.Length + 1];
        flat[0] = count * _points;
        _network.InputShape.CopyTo(flat, 1);
        Tensor points = (_baseline + _alphas * difference).reshape(flat).requires_grad_(true); // [k * points, ...input]
        Tensor selected = _network.Forward(points).gather(1, rowTargets).sum();
        Tensor gradients = torch.autograd.grad([selected], [points])[0];
        var stacked = new long[_network.InputShape.Length + 2];
        stacked[0] = count;
        stacked[1] = _points;
        _network.InputShape.CopyTo(stacked, 2);
        // dim: named, since a bare literal would bind to sum(ScalarType).
        Tensor attribution = (gradients.reshape(stacked) * _weights).sum(dim: 1) * difference.squeeze(1); // [k, ...input]
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
