using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
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
internal sealed class TorchPathEngine<T> : IStackedPathEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchNetwork<T> _network;
    private readonly TorchPlanTensors<T> _shared;
    private readonly NetworkInfo _info;
    private readonly long[] _nodeDimensions;
    private readonly List<Tensor> _accumulators = [];
    private readonly List<Tensor> _sums = [];
    private T[][] _hostAccumulators = [];
    private double[] _hostSums = [];
    private int _hostExamples = 1;
    private T[] _endpointOutputs = [];
    private T[] _endpointLayer = [];
    private Layer? _endpointLayerOf;
    private DisposeScope? _callScope;
    private DisposeScope? _chunkScope;
    private Tensor? _callAlphas;
    private Tensor? _callCoefficients;
    private IDisposable? _gradMode;
    private Tensor? _x;
    private Tensor? _baseline;
    private Tensor? _direction;
    private Tensor? _layerBaseline;
    private Tensor? _layerDirection;
    private long[] _layerNodeDimensions = [];
    private Tensor? _masked;
    private Tensor? _weights;
    private Tensor? _indices;
    private Tensor? _points;
    private Tensor[] _activations = [];
    private Tensor?[]? _held;
    private Tensor? _explained;
    private Tensor? _layerGradient;
    private Tensor? _inputGradient;
    private Tensor? _tangent;
    private Layer? _tangentOf;
    private PathVector _tangentAlong;
    private bool _stacked;
    private int _examples = 1;
    private int _start;
    private int _count;
    private int _rows;

    public TorchPathEngine(TorchNetwork<T> network, PathPlan<T> plan, TorchPlanTensors<T> shared)
    {
        _network = network;
        _shared = shared;
        _info = plan.Info;
        Plan = plan;
        Call = new PathCall<T>(plan);
        Stack = new PathStack<T>(plan);
        _nodeDimensions = TorchTensors.BatchDimensions(_info.Input.OutputShape, -1);
        Array.Fill(_nodeDimensions, 1L, 1, _nodeDimensions.Length - 1);
    }

    public PathPlan<T> Plan { get; }

    public PathCall<T> Call { get; }

    public PathStack<T> Stack { get; }

    /// <summary>
    /// <c>max(1, InternalBatchSize / ChunkCapacity)</c>: a stacked chunk holds at most <c>InternalBatchSize</c> rows of
    /// examples times points, as Captum's <c>internal_batch_size</c> counts them (one example when the points alone fill it).
    /// </summary>
    public int StackCapacity => Plan.ExactPath is null && Plan.Adaptive is null ? Math.Max(1, Plan.InternalBatchSize / Plan.ChunkCapacity) : 1; // exact and adaptive paths have their own points

    /// <summary>A host for a TorchSharp method on <paramref name="plan"/>; it owns the plan's device tensors.</summary>
    public static PathHost<T> Host(TorchNetwork<T> network, PathPlan<T> plan)
    {
        var shared = new TorchPlanTensors<T>(network, plan);
        return new PathHost<T>(plan, new TorchPathEngine<T>(network, plan, shared), () => new TorchPathEngine<T>(network, plan, shared), shared);
    }

    /// <summary>A host for a method written in evaluations at free points (<see cref="AtPoints"/>), in chunks of <paramref name="internalBatchSize"/> points.</summary>
    public static PathHost<T> PointsHost(TorchNetwork<T> network, int internalBatchSize)
    {
        ArgumentNullException.ThrowIfNull(network);
        return Host(network, PathPlan<T>.ForPoints(network.Info, internalBatchSize));
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
        return new PathPlan<T>(network.Info, options).WithRule(options, prefix => PiecewiseLinearPath.Of(network.Info, HostTensors(network), prefix: prefix));
    }

    /// <summary>The module's tensors on the host in float64, by <c>state_dict</c> name, for the exact rule's breakpoints.</summary>
    internal static Dictionary<string, double[]> HostTensors(TorchNetwork<T> network)
    {
        var tensors = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach ((string name, Tensor tensor) in network.Tensors)
        {
            tensors[name] = TorchTensors.ToDoubles(tensor);
        }

        return tensors;
    }

    public void Open()
    {
        _callScope = NewDisposeScope();
        bool ownPoints = !ReferenceEquals(Call.Alphas, Plan.Alphas);
        _callAlphas = ownPoints ? TorchTensors.FromValues(Call.Alphas, [(long)Call.Points]).to(_network.Device) : null;
        _callCoefficients = ownPoints ? TorchTensors.FromValues(Call.Coefficients, [(long)Call.Points]).to(_network.Device) : null;
        _accumulators.Clear();
        _sums.Clear();
        _stacked = Stack.Pending;
        Stack.Pending = false;
        if (_stacked)
        {
            // The examples of a batch (PathStack.Begin), E of them: each row of every tensor below is one example's.
            _examples = Stack.Count;
            _x = _network.InputTensor(Stack.Inputs, _examples);                                                        // [E, ...input]
            _baseline = Stack.OwnBaselines ? _network.InputTensor(Stack.Baselines, _examples) : _shared.Baseline;     // [E or 1, ...input]
            _direction = _x - _baseline;                                                                               // [E, ...input]
            _masked = Stack.HasRegion ? _network.InputTensor(Stack.MaskedDirections, _examples) : null;               // [E, ...input], (x_m - x'_m) 1_S
            _weights = TorchTensors.FromValues(Stack.OutputCoefficients.ToArray(), [(long)_examples, _info.OutputLength]).to(_network.Device); // [E, outputs]
            _indices = tensor(Stack.Indices.ToArray(), dtype: ScalarType.Int64, device: _network.Device);              // [E], each example's target or neuron
        }
        else
        {
            _examples = 1;
            _x = _network.InputTensor(Call.Input, 1);                                                   // [1, ...input]
            _baseline = Call.OwnBaseline ? _network.InputTensor(Call.Baseline, 1) : _shared.Baseline;  // [1, ...input]
            _direction = _x - _baseline;                                                              // [1, ...input]
            _masked = Call.HasRegion ? _network.InputTensor(Call.MaskedDirection, 1) : null;          // (x - x') 1_S
            _weights = TorchTensors.FromValues(Call.OutputCoefficients, [1L, _info.OutputLength]).to(_network.Device); // [1, outputs]
        }

        if (Plan.InLayerSpace)
        {
            // The path in the origin's space: y(x') and y(x) - y(x'), [1, ...layer shape], as the host rounded them.
            long[] shape = TorchTensors.BatchDimensions(Plan.Origin.OutputShape, 1);
            _layerBaseline = TorchTensors.FromValues(Call.LayerBaseline, shape).to(_network.Device);
            _layerDirection = TorchTensors.FromValues(Call.LayerDirection, shape).to(_network.Device);
            _layerNodeDimensions = TorchTensors.BatchDimensions(Plan.Origin.OutputShape, -1);
            Array.Fill(_layerNodeDimensions, 1L, 1, _layerNodeDimensions.Length - 1);
        }

        _gradMode = enable_grad();
    }

    public void BeginLayerPath()
    {
        if (!Plan.InLayerSpace)
        {
            return;
        }

        // The layer's activations at x' and x, [2, size], through the whole network once, without a graph.
        Layer origin = Plan.Origin;
        double[] values;
        Dictionary<int, double[]>? heldValues = null;
        using (NewDisposeScope())
        using (no_grad())
        {
            Tensor ends = cat([_network.InputTensor(Call.Baseline, 1), _network.InputTensor(Call.Input, 1)], 0);
            Tensor[] all = _network.ForwardAll(ends);
            values = TorchTensors.ToDoubles(all[origin.Index].reshape(-1).to(ScalarType.Float64));

            // A skip connection around the origin carries its value at x along the path, as in Captum: keep x's row of
            // each layer below the origin that a layer above it reads.
            DisposeHeld();
            foreach (Layer skipped in _info.SkippedOver(origin))
            {
                _held ??= new Tensor[_info.Layers.Count];
                Tensor row = all[skipped.Index].narrow(0, 1, 1).clone().DetachFromDisposeScope();
                _held[skipped.Index] = row;

                // The exact rule's search reads them in float64.
                heldValues ??= [];
                heldValues[skipped.Index] = TorchTensors.ToDoubles(row.reshape(-1).to(ScalarType.Float64));
            }
        }

        Call.BeginLayerPath(Values(values, 0, values.Length), heldValues);
    }

    /// <summary>Releases the rows <see cref="BeginLayerPath"/> held at x.</summary>
    private void DisposeHeld()
    {
        if (_held is null)
        {
            return;
        }

        foreach (Tensor? tensor in _held)
        {
            tensor?.Dispose();
        }

        _held = null;
    }

    public void Close()
    {
        DisposeHeld();
        _gradMode?.Dispose();
        _chunkScope?.Dispose();
        _callScope?.Dispose();
        _gradMode = null;
        _chunkScope = null;
        _callScope = null;
        _x = _baseline = _direction = _layerBaseline = _layerDirection = _masked = _weights = _indices = _points = _explained = _layerGradient = _inputGradient = _tangent = null;
        _tangentOf = null;
        _stacked = false;
        _examples = 1;
        _activations = [];
        _accumulators.Clear();
        _sums.Clear();
    }

    public int NewAccumulator(int length)
    {
        // Stacked, [E, length] kept flat: example m's values are m * length ...
        _accumulators.Add(zeros([(long)_examples * length], dtype: _network.DType, device: _network.Device));
        return _accumulators.Count - 1;
    }

    public int NewSum()
    {
        // In double, as on the CPU; stacked, one per example.
        _sums.Add(zeros([(long)_examples], dtype: ScalarType.Float64, device: _network.Device));
        return _sums.Count - 1;
    }

    public int Forward(int start, int count)
    {
        _chunkScope?.Dispose();
        _chunkScope = NewDisposeScope();
        _start = start;
        _count = count;
        _rows = _examples * count;
        if (Plan.InLayerSpace)
        {
            // Only the layers above the origin run, at y(x') + a_k (y(x) - y(x')).
            Tensor layerAlphas = CallAlphas().narrow(0, start, count).reshape(_layerNodeDimensions); // [count, 1, ...]
            _points = (_layerBaseline! + layerAlphas * _layerDirection!).detach().requires_grad_();   // [count, ...layer], a leaf
            _activations = _network.ForwardAllFrom(Plan.Origin, _points, _held);
            _explained = _layerGradient = _inputGradient = _tangent = null;
            _tangentOf = null;
            return count;
        }

        Tensor alphas = CallAlphas().narrow(0, start, count).reshape(_nodeDimensions);           // [count, 1, ...]
        if (_stacked)
        {
            // Every example's points in one tensor, example-major: row m * count + k is x'_m + a_k (x_m - x'_m).
            Tensor points = _baseline!.unsqueeze(1) + alphas.unsqueeze(0) * _direction!.unsqueeze(1); // [E, count, ...input]
            _points = points.reshape(TorchTensors.BatchDimensions(_info.Input.OutputShape, _rows)).detach().requires_grad_();
        }
        else
        {
            _points = (_baseline! + alphas * _direction!).detach().requires_grad_();             // [count, ...input], a leaf
        }

        _activations = _network.ForwardAll(_points);
        _explained = _layerGradient = _inputGradient = _tangent = null;
        _tangentOf = null;
        return count;
    }

    public void AddInputGradientSum(int accumulator, int target = -1)
    {
        // Several targets of one chunk keep the graph for the next target's pass.
        Tensor gradients = autograd.grad([Explained(target)], [_points!], retain_graph: target >= 0)[0]; // [rows, ...input]
        _accumulators[accumulator].add_(WeightedSum(gradients, _info.InputLength));
    }

    public void BackwardFromOutput(Layer layer, bool throughInput, int target = -1)
    {
        // The graph is kept for the tangents, neuron passes and further targets that may follow on this chunk.
        Tensor y = _activations[layer.Index];
        Tensor explained = Explained(target);
        if (throughInput && layer.Index != 0)
        {
            IList<Tensor> both = autograd.grad([explained], [y, _points!], retain_graph: true);
            _layerGradient = both[0].reshape(_rows, layer.Size);
            _inputGradient = both[1].reshape(_rows, _info.InputLength);
        }
        else
        {
            _layerGradient = autograd.grad([explained], [y], retain_graph: true)[0].reshape(_rows, layer.Size);
            _inputGradient = layer.Index == 0 ? _layerGradient : null;
        }
    }

    public void AddLayerGradientSum(Layer layer, int accumulator) =>
        _accumulators[accumulator].add_(WeightedSum(_layerGradient!, layer.Size));

    public void AddConductance(Layer layer, PathVector along, int accumulator)
    {
        // The tangent does not depend on the output seeded: several targets of one chunk share it.
        if (!ReferenceEquals(_tangentOf, layer) || _tangentAlong != along)
        {
            _tangent = Tangent(_activations[layer.Index], _points!, RowVector(along)).reshape(_rows, layer.Size);
            _tangentOf = layer;
            _tangentAlong = along;
        }

        _accumulators[accumulator].add_(WeightedSum(_layerGradient! * _tangent!, layer.Size));
    }

    public void AddInputGradientDot(PathVector along, int sum)
    {
        // terms[m, k] = dF/dx(x_mk) . v_m in double, then sum_k c_k terms[m, k] per example: [E] (E = 1 unstacked).
        int length = _info.InputLength;
        Tensor vectors = Vector(along).to(ScalarType.Float64).reshape(_examples, 1, length);                        // [E, 1, L]
        Tensor terms = (_inputGradient!.to(ScalarType.Float64).reshape(_examples, _count, length) * vectors).sum(dim: 2); // [E, count]
        _sums[sum].add_((terms * Weights().to(ScalarType.Float64).reshape(1, _count)).sum(dim: 1));
    }

    public void AddNeuronInputGradientSum(Layer layer, int neuron, NeuronSeed seed, int accumulator, int offset)
    {
        // Row r of the chunk (example m, point k) seeds its neuron: the call's, or stacked with EachExample, example m's own.
        Tensor y = Neuron(_activations[layer.Index].reshape(_rows, layer.Size), neuron);                            // [rows, 1]
        Tensor weights = RowWeights();                                                                             // [rows, 1]
        Tensor scale = seed == NeuronSeed.One ? weights : Neuron(_layerGradient!, neuron) * weights;
        Tensor row = autograd.grad([(y * scale).sum()], [_points!], retain_graph: true)[0];                       // [rows, ...input]
        int length = _info.InputLength;
        Tensor sums = row.reshape(_examples, _count, length).sum(dim: 1);                                          // [E, L]
        Rows(accumulator).narrow(1, offset, length).add_(sums);
    }

    public void CopyInputGradients(int accumulator, int row)
    {
        int length = _info.InputLength;
        Rows(accumulator).narrow(1, (long)row * length, (long)_count * length).copy_(_inputGradient!.reshape(_examples, _count * length));
    }

    public void CopyOutputs(int accumulator, int row)
    {
        int outputs = _info.OutputLength;
        Rows(accumulator).narrow(1, (long)row * outputs, (long)_count * outputs).copy_(_activations[^1].detach().reshape(_examples, _count * outputs));
    }

    /// <summary>Column <paramref name="neuron"/> of <c>[rows, size]</c> values, or with <see cref="PathStack{T}.EachExample"/> each row's example's own neuron: <c>[rows, 1]</c>.</summary>
    private Tensor Neuron(Tensor values, int neuron)
    {
        if (neuron != PathStack<T>.EachExample)
        {
            return values.narrow(1, neuron, 1);
        }

        Tensor index = _indices!.reshape(_examples, 1).expand(_examples, _count).reshape(_rows, 1);                // [rows, 1], example-major
        return values.gather(1, index);
    }

    /// <summary>An accumulator as <c>[E, length]</c> (a view: writes reach the accumulator).</summary>
    private Tensor Rows(int accumulator) => _accumulators[accumulator].view(_examples, -1);

    /// <summary>The chunk's weight of every row, <c>[rows, 1]</c>: <c>c_k</c> for each example's point <c>k</c>.</summary>
    private Tensor RowWeights() => _stacked ? Weights().repeat(_examples, 1) : Weights();

    public void AtPoints(ReadOnlySpan<T> points, int count, ReadOnlySpan<T> outputCoefficients, Span<T> outputs, Span<T> gradients, CancellationToken cancellationToken)
    {
        // Per chunk: one input tensor that requires grad, one forward call of the module and, for gradients, one
        // autograd.grad(sum_{n,j} c[n, j] F_j(x_n), x), every point's own gradient since the points do not interact; the
        // outputs and gradients come back in one copy per chunk. Every tensor of a chunk lives in that chunk's scope.
        int inputs = _info.InputLength;
        int outputLength = _info.OutputLength;
        bool withGradients = !gradients.IsEmpty;
        for (int start = 0; start < count; start += Plan.ChunkCapacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Plan.ChunkSize(start, count);
            double[] packed;
            using (NewDisposeScope())
            using (withGradients ? enable_grad() : no_grad())
            {
                Tensor x = _network.InputTensor(points.Slice(start * inputs, rows * inputs), rows);                      // [rows, ...input]
                Tensor y = _network.call(withGradients ? x.requires_grad_() : x).reshape(rows, outputLength);            // [rows, outputs]
                Tensor yFlat = y.detach().reshape(-1).to(ScalarType.Float64);
                if (withGradients)
                {
                    T[] weights = outputCoefficients.Slice(start * outputLength, rows * outputLength).ToArray();
                    Tensor c = TorchTensors.FromValues(weights, [(long)rows, outputLength]).to(_network.Device);
                    Tensor dx = autograd.grad([(y * c).sum()], [x])[0];                                                   // [rows, ...input]
                    packed = TorchTensors.ToDoubles(cat([yFlat, dx.reshape(-1).to(ScalarType.Float64)], 0));
                }
                else
                {
                    packed = TorchTensors.ToDoubles(yFlat);
                }
            }

            if (!outputs.IsEmpty)
            {
                Round(packed.AsSpan(0, rows * outputLength), outputs.Slice(start * outputLength, rows * outputLength));
            }

            if (withGradients)
            {
                Round(packed.AsSpan(rows * outputLength, rows * inputs), gradients.Slice(start * inputs, rows * inputs));
            }
        }

        // Values that came from T, back to T exactly.
        static void Round(ReadOnlySpan<double> from, Span<T> to)
        {
            for (int i = 0; i < to.Length; i++)
            {
                to[i] = T.CreateChecked(from[i]);
            }
        }
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
            // [baselines; inputs], [2E, ...input]; in a layer's space the ends of its path, y(x') and y(x') + (y(x) - y(x')).
            Tensor[] endpoints = Plan.InLayerSpace
                ? _network.ForwardAllFrom(Plan.Origin, cat([_layerBaseline!, _layerBaseline! + _layerDirection!], 0), _held)
                : _network.ForwardAll(cat([_baseline!.expand_as(_x!), _x!], 0));
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

        _hostExamples = _examples;
        _hostSums = packed.AsSpan(offset, _sums.Count * _examples).ToArray();
        offset += _sums.Count * _examples;
        _endpointOutputs = Values(packed, offset, 2 * _examples * _info.OutputLength);
        offset += 2 * _examples * _info.OutputLength;
        _endpointLayerOf = layer;
        _endpointLayer = layer is null ? [] : Values(packed, offset, 2 * _examples * layer.Size);
    }

    public ReadOnlySpan<T> Accumulated(int accumulator) => _hostAccumulators[accumulator];

    public double Sum(int sum) => _hostSums[sum * _hostExamples];

    public ReadOnlySpan<double> Sums(int sum) => _hostSums.AsSpan(sum * _hostExamples, _hostExamples);

    public int AccumulatorCount => _hostAccumulators.Length;

    public int SumCount => _hostSums.Length;

    public Span<T> Results(int accumulator) => _hostAccumulators[accumulator];

    public void SetSum(int sum, double value) => _hostSums[sum] = value;

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
    /// the forward graph is kept (freed with the chunk's tensors), so further targets of the chunk (region-to-neuron's
    /// <c>AttributeTargets</c>) can still run their reverse passes through the input after it.
    /// </summary>
    private static Tensor Tangent(Tensor y, Tensor points, Tensor direction)
    {
        Tensor u = zeros_like(y).requires_grad_();
        Tensor v = autograd.grad([y], [points], [u], retain_graph: true, create_graph: true)[0]; // [count, ...input]
        return autograd.grad([v], [u], [direction.expand_as(v)], retain_graph: true)[0];        // [count, ...y]
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
        Tensor output = _activations[^1].reshape(_rows, _info.OutputLength);
        if (target >= 0)
        {
            NotStacked();
            return output.narrow(1, target, 1).sum();
        }

        if (_stacked)
        {
            // Each example's rows weighted by its own output weighting: sum_{m,k,j} w_mj F_j(x_mk).
            return _explained ??= (output.reshape(_examples, _count, _info.OutputLength) * _weights!.unsqueeze(1)).sum();
        }

        return _explained ??= (output * _weights!).sum();
    }

    /// <summary>
    /// <c>sum_k c_k values[k]</c> per example, flat: <c>[n]</c> from <c>[count, n]</c> rows, or, stacked, <c>[E * n]</c>
    /// from <c>[E * count, n]</c> rows (example-major), the reduction over each example's own points.
    /// </summary>
    private Tensor WeightedSum(Tensor values, int n)
    {
        if (_stacked)
        {
            return (values.reshape(_examples, _count, n) * Weights().reshape(1, _count, 1)).sum(dim: 1).reshape(-1);
        }

        return (values.reshape(_count, n) * Weights()).sum(dim: 0);
    }

    /// <summary>The tangent's direction per row: the call's, or, stacked, each example's repeated over its points.</summary>
    private Tensor RowVector(PathVector along)
    {
        if (!_stacked)
        {
            return Vector(along);
        }

        long[] perPoint = TorchTensors.BatchDimensions(_info.Input.OutputShape, _count);
        perPoint[0] = _examples;
        long[] expanded = new long[perPoint.Length + 1];
        expanded[0] = _examples;
        expanded[1] = _count;
        Array.Copy(perPoint, 1, expanded, 2, perPoint.Length - 1);
        return Vector(along).unsqueeze(1).expand(expanded).reshape(TorchTensors.BatchDimensions(_info.Input.OutputShape, _rows));
    }

    /// <summary>Throws for an operation a stacked call does not support (see <see cref="IStackedPathEngine{T}"/>).</summary>
    private void NotStacked()
    {
        if (_stacked)
        {
            throw new InvalidOperationException("This path operation runs one example at a time; the method's batch must not be stacked.");
        }
    }

    /// <summary>The chunk's weights <c>c_k</c> as a column, <c>[count, 1]</c>.</summary>
    private Tensor Weights() => CallCoefficients().narrow(0, _start, _count).reshape(_count, 1);

    // The plan's nodes live on the device for the method's life; an exact call's own pieces go up once per call (Open).
    private Tensor CallAlphas() => _callAlphas ?? _shared.Alphas;

    private Tensor CallCoefficients() => _callCoefficients ?? _shared.Coefficients;

    private Tensor Vector(PathVector along) => along == PathVector.Direction ? _direction! : _masked!;
}
