using System;
using System.Collections.Generic;
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// The plan's nodes, weights and baseline as device tensors, shared read-only by every engine of a method object
/// and released when the method object is disposed. Rounded to <typeparamref name="T"/> on the host, by the plan.
/// </summary>
internal sealed class TorchPlanTensors<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    public TorchPlanTensors(TorchNetwork<T> network, PathPlan<T> plan)
    {
        using (NewDisposeScope())
        {
            Alphas = TorchTensors.FromValues(plan.Alphas, [(long)plan.Points]).to(network.Device).DetachFromDisposeScope();
            Coefficients = TorchTensors.FromValues(plan.Coefficients, [(long)plan.Points]).to(network.Device).DetachFromDisposeScope();
            Baseline = network.InputTensor(plan.Baseline, 1).DetachFromDisposeScope();
        }
    }

    /// <summary>The nodes <c>a_k</c>, <c>[points]</c>.</summary>
    public Tensor Alphas { get; }

    /// <summary>The weights <c>c_k</c>, <c>[points]</c>.</summary>
    public Tensor Coefficients { get; }

    /// <summary>The options' baseline, <c>[1, ...input shape]</c>.</summary>
    public Tensor Baseline { get; }

    public void Dispose()
    {
        Alphas.Dispose();
        Coefficients.Dispose();
        Baseline.Dispose();
    }
}

/// <summary>
/// The TorchSharp engine: the path operations over <see cref="TorchNetwork{T}.ForwardAll"/> and
/// <c>torch.autograd.grad</c>. A call's tensors (the input, baseline, direction, output weighting and the
/// accumulators) live in the call's dispose scope, each chunk's graph in its own; the accumulators stay on the device
/// and come back in one copy, with the endpoints, at <see cref="Finish"/>.
/// </summary>
/// <remarks>
/// Engines are rented per call, so each call builds its own tensors and autograd graph on its own thread; they read
/// the shared plan tensors without writing them (nor their <c>.grad</c>). TorchSharp's dispose scopes and libtorch's
/// grad mode are per thread; <c>autograd.grad</c> returns gradients instead of accumulating them into <c>.grad</c>,
/// and the module's parameters do not require grad.
/// </remarks>
internal sealed class TorchPathEngine<T> : IPathEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchNetwork<T> _network;
    private readonly TorchPlanTensors<T> _shared;
    private readonly NetworkInfo _info;
    private readonly long[] _nodeDimensions;
    private readonly List<Tensor> _accumulators = [];
    private readonly List<Tensor> _sums = [];
    private T[][] _hostAccumulators = [];
    private double[] _hostSums = [];
    private T[] _endpointOutputs = [];
    private T[] _endpointLayer = [];
    private Layer? _endpointLayerOf;
    private DisposeScope? _callScope;
    private DisposeScope? _chunkScope;
    private IDisposable? _gradMode;
    private Tensor? _x;
    private Tensor? _baseline;
    private Tensor? _direction;
    private Tensor? _masked;
    private Tensor? _weights;
    private Tensor? _points;
    private Tensor[] _activations = [];
    private Tensor? _explained;
    private Tensor? _layerGradient;
    private Tensor? _inputGradient;
    private int _start;
    private int _count;

    public TorchPathEngine(TorchNetwork<T> network, PathPlan<T> plan, TorchPlanTensors<T> shared)
    {
        _network = network;
        _shared = shared;
        _info = plan.Info;
        Plan = plan;
        Call = new PathCall<T>(plan);
        _nodeDimensions = TorchTensors.BatchDimensions(_info.Input.OutputShape, -1);
        Array.Fill(_nodeDimensions, 1L, 1, _nodeDimensions.Length - 1);
    }

    public PathPlan<T> Plan { get; }

    public PathCall<T> Call { get; }

    /// <summary>A host for a TorchSharp method on <paramref name="plan"/>; it owns the plan's device tensors.</summary>
    public static PathHost<T> Host(TorchNetwork<T> network, PathPlan<T> plan)
    {
        var shared = new TorchPlanTensors<T>(network, plan);
        return new PathHost<T>(plan, new TorchPathEngine<T>(network, plan, shared), () => new TorchPathEngine<T>(network, plan, shared), shared);
    }

    /// <summary>
    /// The plan of a TorchSharp method from <paramref name="options"/>, checked as the CPU checks them: the network,
    /// then the options; the layer is resolved by the caller before any device tensor exists.
    /// </summary>
    public static PathPlan<T> NewPlan(TorchNetwork<T> network, IntegratedGradientsOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new PathPlan<T>(network.Info, options);
    }

    public void Open()
    {
        _callScope = NewDisposeScope();
        _accumulators.Clear();
        _sums.Clear();
        _x = _network.InputTensor(Call.Input, 1);                                                   // [1, ...input]
        _baseline = Call.OwnBaseline ? _network.InputTensor(Call.Baseline, 1) : _shared.Baseline;  // [1, ...input]
        _direction = _x - _baseline;                                                              // [1, ...input]
        _masked = Call.HasRegion ? _network.InputTensor(Call.MaskedDirection, 1) : null;          // (x - x') 1_S
        _weights = TorchTensors.FromValues(Call.OutputCoefficients, [1L, _info.OutputLength]).to(_network.Device); // [1, outputs]
        _gradMode = enable_grad();
    }

    public void Close()
    {
        _gradMode?.Dispose();
        _chunkScope?.Dispose();
        _callScope?.Dispose();
        _gradMode = null;
        _chunkScope = null;
        _callScope = null;
        _x = _baseline = _direction = _masked = _weights = _points = _explained = _layerGradient = _inputGradient = null;
        _activations = [];
        _accumulators.Clear();
        _sums.Clear();
    }

    public int NewAccumulator(int length)
    {
        _accumulators.Add(zeros([length], dtype: _network.DType, device: _network.Device));
        return _accumulators.Count - 1;
    }

    public int NewSum()
    {
        // In double, as on the CPU.
        _sums.Add(zeros([1L], dtype: ScalarType.Float64, device: _network.Device));
        return _sums.Count - 1;
    }

    public int Forward(int start)
    {
        _chunkScope?.Dispose();
        _chunkScope = NewDisposeScope();
        int count = Plan.ChunkSize(start);
        _start = start;
        _count = count;
        Tensor alphas = _shared.Alphas.narrow(0, start, count).reshape(_nodeDimensions);        // [count, 1, ...]
        _points = (_baseline! + alphas * _direction!).detach().requires_grad_();                 // [count, ...input], a leaf
        _activations = _network.ForwardAll(_points);
        _explained = _layerGradient = _inputGradient = null;
        return count;
    }

    public void AddInputGradientSum(int accumulator, int target = -1)
    {
        Tensor gradients = autograd.grad([Explained(target)], [_points!])[0];                   // [count, ...input]
        _accumulators[accumulator].add_((gradients.reshape(_count, _info.InputLength) * Weights()).sum(dim: 0));
    }

    public void BackwardFromOutput(Layer layer, bool throughInput)
    {
        // The graph is kept for the tangents and neuron passes that may follow on this chunk.
        Tensor y = _activations[layer.Index];
        if (throughInput && layer.Index != 0)
        {
            IList<Tensor> both = autograd.grad([Explained(-1)], [y, _points!], retain_graph: true);
            _layerGradient = both[0].reshape(_count, layer.Size);
            _inputGradient = both[1].reshape(_count, _info.InputLength);
        }
        else
        {
            _layerGradient = autograd.grad([Explained(-1)], [y], retain_graph: true)[0].reshape(_count, layer.Size);
            _inputGradient = layer.Index == 0 ? _layerGradient : null;
        }
    }

    public void AddLayerGradientSum(Layer layer, int accumulator) =>
        _accumulators[accumulator].add_((_layerGradient! * Weights()).sum(dim: 0));

    public void AddConductance(Layer layer, PathVector along, int accumulator)
    {
        Tensor tangents = Tangent(_activations[layer.Index], _points!, Vector(along)).reshape(_count, layer.Size);
        _accumulators[accumulator].add_((_layerGradient! * tangents * Weights()).sum(dim: 0));
    }

    public void AddInputGradientDot(PathVector along, int sum)
    {
        Tensor terms = (_inputGradient!.to(ScalarType.Float64) * Vector(along).to(ScalarType.Float64).reshape(1, _info.InputLength)).sum(dim: 1, keepdim: true);
        _sums[sum].add_((terms * Weights().to(ScalarType.Float64)).sum().reshape(1));
    }

    public void AddNeuronInputGradientSum(Layer layer, int neuron, NeuronSeed seed, int accumulator, int offset)
    {
        Tensor y = _activations[layer.Index].reshape(_count, layer.Size).narrow(1, neuron, 1);  // [count, 1]
        Tensor scale = seed == NeuronSeed.One ? Weights() : _layerGradient!.narrow(1, neuron, 1) * Weights();
        Tensor row = autograd.grad([(y * scale).sum()], [_points!], retain_graph: true)[0];     // [count, ...input]
        int length = _info.InputLength;
        _accumulators[accumulator].narrow(0, offset, length).add_(row.reshape(_count, length).sum(dim: 0));
    }

    public void CopyInputGradients(int accumulator, int row)
    {
        int length = _info.InputLength;
        _accumulators[accumulator].narrow(0, (long)row * length, (long)_count * length).copy_(_inputGradient!.reshape(-1));
    }

    public void CopyOutputs(int accumulator, int row)
    {
        int outputs = _info.OutputLength;
        _accumulators[accumulator].narrow(0, (long)row * outputs, (long)_count * outputs).copy_(_activations[^1].detach().reshape(-1));
    }

    public void Finish(Layer? layer)
    {
        _chunkScope?.Dispose();
        _chunkScope = null;
        var parts = new List<Tensor>(_accumulators.Count + _sums.Count + 2);
        parts.AddRange(_accumulators);
        parts.AddRange(_sums);
        using (no_grad())
        {
            Tensor[] endpoints = _network.ForwardAll(cat([_baseline!, _x!], 0));               // [baseline; input]
            parts.Add(endpoints[^1]);
            if (layer is not null)
            {
                parts.Add(endpoints[layer.Index]);
            }
        }

        // One copy back: the accumulators, the double sums, the endpoint outputs (and layer).
        double[] packed = Download(parts);
        int offset = 0;
        _hostAccumulators = new T[_accumulators.Count][];
        for (int a = 0; a < _accumulators.Count; a++)
        {
            int length = (int)_accumulators[a].shape[0];
            _hostAccumulators[a] = Values(packed, offset, length);
            offset += length;
        }

        _hostSums = packed.AsSpan(offset, _sums.Count).ToArray();
        offset += _sums.Count;
        _endpointOutputs = Values(packed, offset, 2 * _info.OutputLength);
        offset += 2 * _info.OutputLength;
        _endpointLayerOf = layer;
        _endpointLayer = layer is null ? [] : Values(packed, offset, 2 * layer.Size);
    }

    public ReadOnlySpan<T> Accumulated(int accumulator) => _hostAccumulators[accumulator];

    public double Sum(int sum) => _hostSums[sum];

    public ReadOnlySpan<T> Endpoints(Layer layer)
    {
        if (layer.Index == _info.Output.Index)
        {
            return _endpointOutputs;
        }

        if (!ReferenceEquals(layer, _endpointLayerOf))
        {
            throw new InvalidOperationException($"The endpoints of layer '{layer.Name}' were not requested when the call finished.");
        }

        return _endpointLayer;
    }

    /// <summary>
    /// The forward-mode tangent <c>J_y(points) direction</c>, <c>[count, ...y]</c>, exactly, by two reverse passes:
    /// <c>v(u) = J_y^T u</c> is linear in <c>u</c>, so the gradient of <c>direction . v(u)</c> with respect to
    /// <c>u</c> is <c>J_y direction</c>. <paramref name="y"/> must be computed from the leaf <paramref name="points"/>;
    /// the graph is released afterwards, so take every reverse-mode gradient first.
    /// </summary>
    private static Tensor Tangent(Tensor y, Tensor points, Tensor direction)
    {
        Tensor u = zeros_like(y).requires_grad_();
        Tensor v = autograd.grad([y], [points], [u], create_graph: true)[0];  // [count, ...input]
        return autograd.grad([v], [u], [direction.expand_as(v)])[0];           // [count, ...y]
    }

    /// <summary>One copy to the host: every part flattened and concatenated, as doubles (exact for float32 and float64).</summary>
    private static double[] Download(List<Tensor> parts)
    {
        var flat = new Tensor[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            flat[i] = parts[i].reshape(-1).to(ScalarType.Float64);
        }

        return TorchTensors.ToDoubles(cat(flat, 0));
    }

    /// <summary><c>packed[offset .. offset + length]</c> rounded to <typeparamref name="T"/> (exact: they came from T).</summary>
    private static T[] Values(double[] packed, int offset, int length)
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateChecked(packed[offset + i]);
        }

        return values;
    }

    /// <summary>The explained output of the chunk: <c>sum_{k,j} w_j F_j(x_k)</c>, or <c>sum_k F_target(x_k)</c>.</summary>
    private Tensor Explained(int target)
    {
        Tensor output = _activations[^1].reshape(_count, _info.OutputLength);
        if (target >= 0)
        {
            return output.narrow(1, target, 1).sum();
        }

        return _explained ??= (output * _weights!).sum();
    }

    /// <summary>The chunk's weights <c>c_k</c> as a column, <c>[count, 1]</c>.</summary>
    private Tensor Weights() => _shared.Coefficients.narrow(0, _start, _count).reshape(_count, 1);

    private Tensor Vector(PathVector along) => along == PathVector.Direction ? _direction! : _masked!;
}
