using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;
using Pathwise.CompilerServices;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise;

/// <summary>
/// The CPU engine: the path operations over a generated network's passes and its own <see cref="Workspace{T}"/> of
/// <c>ChunkCapacity + 2</c> points (two rows beyond a chunk carry the endpoints with the last chunk). It allocates
/// when built and when an accumulator or scratch row first grows; a warm call allocates nothing.
/// </summary>
internal sealed class CpuPathEngine<T> : IPathEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly INetwork<T> _network;
    private readonly NetworkInfo _info;
    private readonly Workspace<T> _workspace;
    private readonly T[] _chunkAlphas;
    private T[][] _accumulators = new T[2][];
    private int[] _lengths = new int[2];
    private int _accumulatorCount;
    private double[] _sums = new double[1];
    private int _sumCount;
    private T[] _row = [];
    private T[] _layerGradients = [];
    private bool _layerGradientsSaved;
    private Layer? _tangentsOf;
    private PathVector _tangentsAlong;
    private int _start;
    private int _count;
    private int _endpointRow;
    private Layer[] _heldLayers = [];
    private T[][] _heldRows = [];

    // The held rows in float64 by layer index, for the exact rule's search (entries of other origins are never read).
    private Dictionary<int, double[]>? _heldWide;

    public CpuPathEngine(INetwork<T> network, PathPlan<T> plan)
    {
        _network = network;
        _info = plan.Info;
        Plan = plan;
        Call = new PathCall<T>(plan);
        _workspace = new Workspace<T>(_info, plan.ChunkCapacity + 2, inputGradientSumOnly: plan.InputGradientSumOnly && !plan.InLayerSpace);
        _chunkAlphas = new T[plan.ChunkCapacity + 2];
    }

    public PathPlan<T> Plan { get; }

    public PathCall<T> Call { get; }

    /// <summary>The engine's workspace, for tests that look at which buffers a call's passes wrote.</summary>
    internal Workspace<T> Workspace => _workspace;

    /// <summary>The host whose pool this engine belongs to: a split call rents its second engine there.</summary>
    public PathHost<T>? Owner { get; set; }

    /// <summary>This engine's reusable half-call job of type <typeparamref name="TJob"/> (one steps type per method object).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TJob Job<TJob>() where TJob : class, new() => _job as TJob ?? (TJob)(_job = new TJob());

    private object? _job;

    /// <summary>
    /// A host for a CPU method: the options checked first, then the network (its weights must be set), then the
    /// plan and a first engine, made now so that a workspace too large for this process fails the constructor. A method
    /// that reads nothing per chunk but <see cref="AddInputGradientSum"/> and the outputs says so with
    /// <paramref name="inputGradientSumOnly"/> (<see cref="PathPlan{T}.InputGradientSumOnly"/>); its engines refuse every other reading.
    /// </summary>
    public static PathHost<T> Host(INetwork<T> network, IntegratedGradientsOptions options, bool inputGradientSumOnly = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentNullException.ThrowIfNull(network);
        var plan = new PathPlan<T>(network.Info, options);
        if (inputGradientSumOnly)
        {
            plan = plan.ForInputGradientSums();
        }

        return Host(network, plan.WithRule(options, PiecewiseLinearPath.Source(network)));
    }

    /// <summary>
    /// A host for a method written in evaluations at free points (<see cref="AtPoints"/>), in chunks of
    /// <paramref name="internalBatchSize"/> points; the network's weights must be set.
    /// </summary>
    public static PathHost<T> PointsHost(INetwork<T> network, int internalBatchSize)
    {
        Guard.WeightsSet(network);
        return Host(network, PathPlan<T>.ForPoints(network.Info, internalBatchSize));
    }

    /// <summary>A host for a CPU method on the given plan.</summary>
    public static PathHost<T> Host(INetwork<T> network, PathPlan<T> plan)
    {
        Guard.WeightsSet(network);
        PathHost<T>? host = null;
        var first = new CpuPathEngine<T>(network, plan);
        host = new PathHost<T>(plan, first, () => new CpuPathEngine<T>(network, plan) { Owner = host }, parallelBatches: true);
        first.Owner = host;
        return host;
    }

    public void Open()
    {
        _accumulatorCount = 0;
        _sumCount = 0;
    }

    public void Close()
    {
    }

    public void BeginLayerPath()
    {
        if (!Plan.InLayerSpace)
        {
            return;
        }

        // x' and x through the layers up to the origin (and, as ForwardFrom runs them all, above it: two rows only).
        Layer origin = Plan.Origin;
        int length = _info.InputLength;
        Span<T> inputs = _workspace.Input(2);
        Call.Baseline.AsSpan().CopyTo(inputs);
        Call.Input.AsSpan().CopyTo(inputs.Slice(length));
        _network.ForwardFrom(_info.Input, _workspace, 2);
        HoldSkippedLayers(origin);
        Dictionary<int, double[]>? held = null;
        for (int i = 0; i < _heldLayers.Length; i++)
        {
            // The exact rule's search reads the held layers in float64; the rows are kept from call to call.
            held = _heldWide ??= [];
            if (!held.TryGetValue(_heldLayers[i].Index, out double[]? values) || values.Length != _heldRows[i].Length)
            {
                values = new double[_heldRows[i].Length];
                held[_heldLayers[i].Index] = values;
            }

            for (int j = 0; j < values.Length; j++)
            {
                values[j] = double.CreateChecked(_heldRows[i][j]);
            }
        }

        Call.BeginLayerPath(_workspace.Activations(origin, 2), held);
    }

    /// <summary>
    /// In a graph, a skip connection may pass over the origin: a layer above it reads a layer below it. As in Captum,
    /// only the origin moves along the path; every layer that does not take its value through the origin stays at its
    /// value at x. Keeps x's row (row 1 of the two-point pass) of each layer below the origin that a layer above it
    /// reads, for <see cref="ForwardPath"/> to copy into every row.
    /// </summary>
    private void HoldSkippedLayers(Layer origin)
    {
        Layer[] held = _info.SkippedOver(origin);
        if (_heldRows.Length < held.Length)
        {
            Array.Resize(ref _heldRows, held.Length);
        }

        for (int i = 0; i < held.Length; i++)
        {
            int size = held[i].Size;
            if (_heldRows[i] is null || _heldRows[i].Length != size)
            {
                _heldRows[i] = new T[size];
            }

            _workspace.Activations(held[i], 2).Slice(size, size).CopyTo(_heldRows[i]);
        }

        _heldLayers = held;
    }

    /// <summary>For a split call: the layers held at x, and their rows, as <paramref name="primary"/>'s <see cref="BeginLayerPath"/> kept them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void HoldFrom(CpuPathEngine<T> primary)
    {
        if (_heldRows.Length < primary._heldLayers.Length)
        {
            Array.Resize(ref _heldRows, primary._heldLayers.Length);
        }

        for (int i = 0; i < primary._heldLayers.Length; i++)
        {
            T[] row = primary._heldRows[i];
            if (_heldRows[i] is null || _heldRows[i].Length != row.Length)
            {
                _heldRows[i] = new T[row.Length];
            }

            row.CopyTo(_heldRows[i], 0);
        }

        _heldLayers = primary._heldLayers;
    }

    public int NewAccumulator(int length)
    {
        if (_accumulatorCount == _accumulators.Length)
        {
            Array.Resize(ref _accumulators, 2 * _accumulators.Length);
            Array.Resize(ref _lengths, 2 * _lengths.Length);
        }

        int handle = _accumulatorCount++;
        if (_accumulators[handle] is null || _accumulators[handle].Length < length)
        {
            _accumulators[handle] = new T[length];
        }

        _lengths[handle] = length;
        _accumulators[handle].AsSpan(0, length).Clear();
        return handle;
    }

    public int NewSum()
    {
        if (_sumCount == _sums.Length)
        {
            Array.Resize(ref _sums, 2 * _sums.Length);
        }

        _sums[_sumCount] = 0;
        return _sumCount++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Forward(int start, int count)
    {
        _start = start;
        _count = count;
        _layerGradientsSaved = false;
        _tangentsOf = null;
        if (start + count < Call.Points)
        {
            ForwardPath(Call.Alphas.AsSpan(start, count));
            return count;
        }

        Call.Alphas.AsSpan(start, count).CopyTo(_chunkAlphas);
        _chunkAlphas[count] = T.Zero;
        _chunkAlphas[count + 1] = T.One;
        ForwardPath(_chunkAlphas.AsSpan(0, count + 2));
        _endpointRow = count;
        return count;
    }

    /// <summary>The forward pass at the path points <paramref name="alphas"/>: in the input's space, or above a hidden origin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardPath(ReadOnlySpan<T> alphas)
    {
        if (!Plan.InLayerSpace)
        {
            _network.ForwardPath(Call.Baseline, Call.Direction, alphas, _workspace);
            return;
        }

        // The origin's rows are the points y(x') + a_k (y(x) - y(x')); only the layers above it run.
        Layer origin = Plan.Origin;
        int size = origin.Size;
        Span<T> rows = _workspace.Activations(origin, alphas.Length);
        ReadOnlySpan<T> start = Call.LayerBaseline;
        ReadOnlySpan<T> direction = Call.LayerDirection;
        for (int k = 0; k < alphas.Length; k++)
        {
            T alpha = alphas[k];
            Span<T> row = rows.Slice(k * size, size);
            for (int j = 0; j < size; j++)
            {
                row[j] = start[j] + (alpha * direction[j]);
            }
        }

        for (int i = 0; i < _heldLayers.Length; i++)
        {
            PathKernel.Broadcast<T>(_heldRows[i], _workspace.Activations(_heldLayers[i], alphas.Length));
        }

        _network.ForwardFrom(origin, _workspace, alphas.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddInputGradientSum(int accumulator, int target = -1)
    {
        if (target < 0)
        {
            SeedOutput();
        }
        else
        {
            SeedOutput(target);
        }

        _network.BackwardPathSum(Weights, _workspace, Values(accumulator));
    }

    public void BackwardFromOutput(Layer layer, bool throughInput, int target = -1)
    {
        RequireLayerValues(nameof(BackwardFromOutput));
        // Only the layers above the one read run, unless the input's gradient is needed too.
        if (target < 0)
        {
            SeedOutput();
        }
        else
        {
            SeedOutput(target);
        }

        _network.BackwardFrom(_info.Output, throughInput ? _info.Input : layer, _workspace, _count);
        _layerGradientsSaved = false;
    }

    public void AddLayerGradientSum(Layer layer, int accumulator)
    {
        RequireLayerValues(nameof(AddLayerGradientSum));
        Span<T> row = Row(layer.Size);
        PathKernel.WeightedRowSum<T>(_workspace.Gradients(layer, _count), Weights, row);
        Span<T> destination = Values(accumulator);
        PathKernel.AddTo<T>(row, destination);
    }

    public void AddConductance(Layer layer, PathVector along, int accumulator)
    {
        RequireLayerValues(nameof(AddConductance));
        // dy/da is needed at the layer only: the tangent pass stops there. It does not depend on the output seeded, so
        // several targets of one chunk (AttributeTargets) share it; backward passes leave the tangents alone.
        if (!ReferenceEquals(_tangentsOf, layer) || _tangentsAlong != along)
        {
            _network.TangentPath(Vector(along), layer, _workspace, _count);
            _tangentsOf = layer;
            _tangentsAlong = along;
        }

        ReadOnlySpan<T> gradients = _workspace.Gradients(layer, _count);
        ReadOnlySpan<T> tangents = _workspace.Tangents(layer, _count);
        ReadOnlySpan<T> weights = Weights;
        Span<T> destination = Values(accumulator);
        int size = destination.Length;
        for (int k = 0; k < weights.Length; k++)
        {
            T weight = weights[k];
            ReadOnlySpan<T> g = gradients.Slice(k * size, size);
            ReadOnlySpan<T> t = tangents.Slice(k * size, size);
            for (int j = 0; j < size; j++)
            {
                destination[j] += weight * g[j] * t[j];
            }
        }
    }

    public void AddInputGradientDot(PathVector along, int sum)
    {
        RequireLayerValues(nameof(AddInputGradientDot));
        ReadOnlySpan<T> vector = Vector(along);
        ReadOnlySpan<T> weights = Weights;
        ReadOnlySpan<T> gradients = _workspace.Gradients(_info.Input, _count);
        int length = _info.InputLength;
        double total = _sums[sum];
        for (int k = 0; k < weights.Length; k++)
        {
            total += double.CreateChecked(weights[k]) * PathSums.Dot(gradients.Slice(k * length, length), vector);
        }

        _sums[sum] = total;
    }

    public void AddNeuronInputGradientSum(Layer layer, int neuron, NeuronSeed seed, int accumulator, int offset)
    {
        RequireLayerValues(nameof(AddNeuronInputGradientSum));
        int size = layer.Size;
        int count = _count;
        Span<T> gradients = _workspace.Gradients(layer, count);
        if (seed == NeuronSeed.OutputGradient && !_layerGradientsSaved)
        {
            // Each neuron's backward pass overwrites the layer's gradients: keep dF/dy of the chunk.
            if (_layerGradients.Length < gradients.Length)
            {
                _layerGradients = new T[Plan.ChunkCapacity * size];
            }

            gradients.CopyTo(_layerGradients);
            _layerGradientsSaved = true;
        }

        gradients.Clear();
        for (int k = 0; k < count; k++)
        {
            gradients[k * size + neuron] = seed == NeuronSeed.One ? T.One : _layerGradients[k * size + neuron];
        }

        _network.BackwardFrom(layer, _workspace, count);
        int length = _info.InputLength;
        Span<T> row = Row(length);
        PathKernel.WeightedRowSum<T>(_workspace.Gradients(_info.Input, count), Weights, row);
        Span<T> destination = Values(accumulator).Slice(offset, length);
        PathKernel.AddTo<T>(row, destination);
    }

    public void CopyInputGradients(int accumulator, int row)
    {
        RequireLayerValues(nameof(CopyInputGradients));
        _workspace.Gradients(_info.Input, _count).CopyTo(Values(accumulator).Slice(row * _info.InputLength));
    }

    public void CopyOutputs(int accumulator, int row) =>
        _workspace.Output(_count).CopyTo(Values(accumulator).Slice(row * _info.OutputLength));

    public void AtPoints(ReadOnlySpan<T> points, int count, ReadOnlySpan<T> outputCoefficients, Span<T> outputs, Span<T> gradients, CancellationToken cancellationToken)
    {
        // Per chunk: one forward pass from the input; the output gradient seeded with the points' weightings and one
        // backward pass down to the input.
        int inputs = _info.InputLength;
        int outputLength = _info.OutputLength;
        for (int start = 0; start < count; start += Plan.ChunkCapacity)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Plan.ChunkSize(start, count);
            points.Slice(start * inputs, rows * inputs).CopyTo(_workspace.Input(rows));                                // [rows, inputs]
            _network.ForwardFrom(_info.Input, _workspace, rows);
            if (!outputs.IsEmpty)
            {
                _workspace.Output(rows).CopyTo(outputs.Slice(start * outputLength, rows * outputLength));              // [rows, outputs]
            }

            if (!gradients.IsEmpty)
            {
                outputCoefficients.Slice(start * outputLength, rows * outputLength).CopyTo(_workspace.OutputGradient(rows)); // dy = c
                _network.BackwardFrom(_info.Output, _workspace, rows);
                _workspace.Gradients(_info.Input, rows).CopyTo(gradients.Slice(start * inputs, rows * inputs));          // dx, [rows, inputs]
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Finish(Layer? layer)
    {
        // The endpoints ran with the last chunk; the accumulators are already on the host.
    }

    public ReadOnlySpan<T> Accumulated(int accumulator) => Values(accumulator);

    /// <summary>
    /// Adds the accumulators and sums of <paramref name="other"/>, which ran the first half of this call's points with
    /// the same steps (so the same handles): this engine's half plus the other's, in that order, whoever ran which.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddFrom(CpuPathEngine<T> other)
    {
        for (int a = 0; a < _accumulatorCount; a++)
        {
            PathKernel.AddTo<T>(other.Values(a), Values(a));
        }

        for (int s = 0; s < _sumCount; s++)
        {
            _sums[s] += other._sums[s];
        }
    }

    public double Sum(int sum) => _sums[sum];

    public int AccumulatorCount => _accumulatorCount;

    public int SumCount => _sumCount;

    public Span<T> Results(int accumulator) => Values(accumulator);

    public void SetSum(int sum, double value) => _sums[sum] = value;

    public ReadOnlySpan<T> Endpoints(Layer layer)
    {
        if (!ReferenceEquals(layer, _info.Output))
        {
            RequireLayerValues(nameof(Endpoints));
        }

        return _workspace.Activations(layer, _endpointRow + 2).Slice(_endpointRow * layer.Size);
    }

    private ReadOnlySpan<T> Weights => Call.Coefficients.AsSpan(_start, _count);

    /// <summary>
    /// Throws for a reading of the layers' per-point values in an engine whose plan reads the input gradient sum and the
    /// outputs only (<see cref="PathPlan{T}.InputGradientSumOnly"/>): its forward passes may leave them stale.
    /// </summary>
    private void RequireLayerValues(string operation)
    {
        if (_workspace.InputGradientSumOnly)
        {
            throw new InvalidOperationException(
                $"{operation} reads the layers' values at the path points, but this method's plan reads only the input gradient sum and the outputs, " +
                "so its passes need not store them. Build the plan without PathPlan.ForInputGradientSums for a method that reads them.");
        }
    }

    private Span<T> Values(int accumulator) => _accumulators[accumulator].AsSpan(0, _lengths[accumulator]);

    private ReadOnlySpan<T> Vector(PathVector along) => Call.Vector(along);

    /// <summary>Engine-owned scratch of one row, contents left from the last use.</summary>
    private Span<T> Row(int length)
    {
        if (_row.Length < length)
        {
            _row = new T[Math.Max(length, Math.Max(_info.InputLength, 16))];
        }

        return _row.AsSpan(0, length);
    }

    /// <summary>Sets the output gradient of every point of the chunk to the explained weighting.</summary>
    private void SeedOutput() => PathKernel.Broadcast<T>(Call.OutputCoefficients, _workspace.OutputGradient(_count));

    /// <summary>Sets the output gradient of every point of the chunk to output <paramref name="target"/>'s one-hot.</summary>
    private void SeedOutput(int target)
    {
        Span<T> seed = _workspace.OutputGradient(_count);
        seed.Clear();
        int outputs = _info.OutputLength;
        for (int k = 0; k < _count; k++)
        {
            seed[k * outputs + target] = T.One;
        }
    }
}
