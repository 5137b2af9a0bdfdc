using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise;

/// <summary>
/// The shared machinery of every path method: the quadrature points and coefficients, the baseline and the
/// direction <c>x - x'</c>, the explained output weighting, and one workspace walked in chunks of at most
/// its capacity. It allocates only when built (and when <see cref="Scratch"/> first grows).
/// </summary>
/// <remarks>
/// One instance is the state of one call at a time. A method object keeps a <see cref="ScratchPool{TItem}"/> of
/// them, made by <see cref="Clone"/>, so that calls from several threads each rent their own; the points, coefficients
/// and the options' baseline are read-only and shared by every clone. A call's own baseline is copied into the
/// rented state's <see cref="Baseline"/> by <c>Begin</c>, which every call goes through, so it never reaches another call.
/// </remarks>
internal sealed class PathIntegrator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _oneHot;
    private readonly T[] _chunkAlphas;
    private readonly int _internalBatchSize;
    private T[] _scratch = [];
    private int _endpointRow;
    private bool _baselineIsDefault = true;

    /// <summary>A path integrated by the rule, step count, baseline and chunk size of <paramref name="options"/>.</summary>
    public PathIntegrator(INetwork<T> network, IntegratedGradientsOptions options)
        : this(network, Nodes(options), options.Baseline, options.InternalBatchSize)
    {
    }

    /// <summary>A path through the given points, each with its weight (zero coefficients when the path is sampled, not integrated).</summary>
    public PathIntegrator(INetwork<T> network, ReadOnlySpan<double> alphas, ReadOnlySpan<double> coefficients, Baseline baseline, int internalBatchSize)
        : this(network, Convert(alphas), Convert(coefficients), Fill(network, baseline), internalBatchSize)
    {
    }

    private PathIntegrator(INetwork<T> network, QuadratureNodes nodes, Baseline baseline, int internalBatchSize)
        : this(network, nodes.Alphas, nodes.Coefficients, baseline, internalBatchSize)
    {
    }

    private PathIntegrator(INetwork<T> network, T[] alphas, T[] coefficients, T[] defaultBaseline, int internalBatchSize)
    {
        Guard.WeightsSet(network);
        Network = network;
        Info = network.Info;
        Alphas = alphas;
        Coefficients = coefficients;
        DefaultBaseline = defaultBaseline;
        _internalBatchSize = internalBatchSize;
        ChunkCapacity = Math.Max(2, Math.Min(internalBatchSize, alphas.Length));

        // Two rows beyond a chunk carry the endpoints a = 0 and a = 1 along with the last chunk.
        Workspace = new Workspace<T>(Info, ChunkCapacity + 2);
        _chunkAlphas = new T[ChunkCapacity + 2];
        Baseline = (T[])defaultBaseline.Clone();
        Direction = new T[Info.InputLength];
        OutputCoefficients = new T[Info.OutputLength];
        _oneHot = new T[Info.OutputLength];
    }

    public INetwork<T> Network { get; }

    public NetworkInfo Info { get; }

    public Workspace<T> Workspace { get; }

    /// <summary>The most path points in one chunk.</summary>
    public int ChunkCapacity { get; }

    /// <summary>The path points <c>a_k</c>, shared by every clone; read-only.</summary>
    public T[] Alphas { get; }

    /// <summary>The quadrature weight of each point, shared by every clone; read-only.</summary>
    public T[] Coefficients { get; }

    /// <summary>The options' baseline, shared by every clone; read-only.</summary>
    public T[] DefaultBaseline { get; }

    /// <summary>The baseline of the current call: the options' one, or the call's own (see <c>Begin</c>).</summary>
    public T[] Baseline { get; }

    /// <summary><c>x - x'</c> of the current call.</summary>
    public T[] Direction { get; }

    /// <summary>The weighting of the outputs being explained.</summary>
    public T[] OutputCoefficients { get; }

    public int Points => Alphas.Length;

    /// <summary>A path over the same points, coefficients and baseline with its own workspace and buffers, for another call at the same time.</summary>
    public PathIntegrator<T> Clone() => new(Network, Alphas, Coefficients, DefaultBaseline, _internalBatchSize);

    /// <summary>
    /// Method-owned scratch of <paramref name="length"/> elements (a running sum, a copy of layer gradients), kept
    /// with this call state so a warm call allocates nothing; its contents are left from the last use.
    /// </summary>
    public Span<T> Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new T[length];
        }

        return _scratch.AsSpan(0, length);
    }

    /// <summary>
    /// The layer whose neurons a hidden-layer method reports: <paramref name="layer"/> itself, or the layer
    /// before it when attributing to its input. Throws for a layer of another network or the input's input.
    /// </summary>
    public Layer Resolve(Layer layer, bool toLayerInput)
    {
        Info.CheckOwns(layer);
        if (!toLayerInput)
        {
            return layer;
        }

        if (layer.Index == 0)
        {
            throw new ArgumentException($"Layer '{layer.Name}' is the network input; it has no input to attribute to.", nameof(layer));
        }

        return Info.Layers[layer.Index - 1];
    }

    /// <summary>Validates and stores the input and a target output; the path starts at the options' baseline.</summary>
    public void Begin(ReadOnlySpan<T> input, int target) => Begin(input, default, ownBaseline: false, target);

    /// <summary>Validates and stores the input, this call's own <paramref name="baseline"/> and a target output.</summary>
    public void Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target) => Begin(input, baseline, ownBaseline: true, target);

    /// <summary>Validates and stores the input and an output weighting; the path starts at the options' baseline.</summary>
    public void Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients) => Begin(input, default, ownBaseline: false, outputCoefficients);

    /// <summary>Validates and stores the input, this call's own <paramref name="baseline"/> and an output weighting.</summary>
    public void Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients) =>
        Begin(input, baseline, ownBaseline: true, outputCoefficients);

    private void Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, int target)
    {
        Guard.Index(target, Info.OutputLength, nameof(target));
        _oneHot.AsSpan().Clear();
        _oneHot[target] = T.One;
        Begin(input, baseline, ownBaseline, _oneHot);
    }

    /// <summary>
    /// Every call goes through here, so every call sets the baseline it runs against: its own, or the options'
    /// put back when an earlier call on this state had its own. A per-call baseline thus never outlives its call,
    /// and putting the options' one back costs nothing when no call replaced it.
    /// </summary>
    private void Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<T> outputCoefficients)
    {
        Guard.Length(input, Info.InputLength, nameof(input));
        Guard.Finite(input, nameof(input));
        if (ownBaseline)
        {
            Guard.Length(baseline, Info.InputLength, nameof(baseline));
            Guard.Finite(baseline, nameof(baseline));
        }

        Guard.Length(outputCoefficients, Info.OutputLength, nameof(outputCoefficients));
        Guard.Finite(outputCoefficients, nameof(outputCoefficients));

        // Every argument is checked: only now does the call state change.
        if (ownBaseline)
        {
            baseline.CopyTo(Baseline);
            _baselineIsDefault = false;
        }
        else if (!_baselineIsDefault)
        {
            DefaultBaseline.AsSpan().CopyTo(Baseline);
            _baselineIsDefault = true;
        }

        if (!outputCoefficients.Overlaps(OutputCoefficients))
        {
            outputCoefficients.CopyTo(OutputCoefficients);
        }

        for (int i = 0; i < Direction.Length; i++)
        {
            Direction[i] = input[i] - Baseline[i];
        }
    }

    /// <summary>
    /// Runs the forward path pass on the chunk of points starting at <paramref name="start"/>; returns its size.
    /// The last chunk also carries the endpoints <c>a = 0</c> and <c>a = 1</c> as two extra rows after its points,
    /// so <see cref="ReadEndpoints"/> and <see cref="EndpointActivations"/> need no pass of their own; passes over
    /// the returned number of rows leave those rows alone.
    /// </summary>
    public int Forward(int start, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int count = Math.Min(ChunkCapacity, Points - start);
        if (start + count < Points)
        {
            Network.ForwardPath(Baseline, Direction, Alphas.AsSpan(start, count), Workspace);
            return count;
        }

        Alphas.AsSpan(start, count).CopyTo(_chunkAlphas);
        _chunkAlphas[count] = T.Zero;
        _chunkAlphas[count + 1] = T.One;
        Network.ForwardPath(Baseline, Direction, _chunkAlphas.AsSpan(0, count + 2), Workspace);
        _endpointRow = count;
        return count;
    }

    /// <summary><c>(F(x'), F(x))</c> of the explained weighting, from the endpoint rows of the last chunk.</summary>
    public (double AtBaseline, double AtInput) ReadEndpoints()
    {
        ReadOnlySpan<T> outputs = EndpointActivations(Info.Output);
        int length = Info.OutputLength;
        return (Dot(outputs.Slice(0, length), OutputCoefficients), Dot(outputs.Slice(length, length), OutputCoefficients));
    }

    /// <summary>A layer's activations at the baseline (row 0) and the input (row 1), from the endpoint rows of the last chunk.</summary>
    public ReadOnlySpan<T> EndpointActivations(Layer layer) =>
        Workspace.Activations(layer, _endpointRow + 2).Slice(_endpointRow * layer.Size);

    /// <summary>Sets the output gradient of every point of the chunk to the explained weighting.</summary>
    public void SeedOutput(int count) => PathKernel.Broadcast<T>(OutputCoefficients, Workspace.OutputGradient(count));

    /// <summary>Forward, seed and full backward on one chunk; every layer's gradient is then in the workspace.</summary>
    public int ForwardBackward(int start, CancellationToken cancellationToken)
    {
        int count = Forward(start, cancellationToken);
        SeedOutput(count);
        Network.BackwardFrom(Info.Output, Workspace, count);
        return count;
    }

    public static double Dot(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += double.CreateChecked(x[i]) * double.CreateChecked(y[i]);
        }

        return sum;
    }

    public static double Sum(ReadOnlySpan<T> values)
    {
        double sum = 0;
        foreach (T value in values)
        {
            sum += double.CreateChecked(value);
        }

        return sum;
    }

    private static QuadratureNodes Nodes(IntegratedGradientsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return QuadratureNodes.Create(options.Rule, options.Points);
    }

    private static T[] Fill(INetwork<T> network, Baseline baseline)
    {
        ArgumentNullException.ThrowIfNull(network);
        var values = new T[network.Info.InputLength];
        baseline.Fill<T>(values);
        return values;
    }

    private static T[] Convert(ReadOnlySpan<double> values)
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateChecked(values[i]);
        }

        return result;
    }
}
