using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// The shared machinery of every path method: the quadrature points and weights, the baseline and the
/// direction <c>x - x'</c>, the explained output weighting, and one workspace walked in chunks of at most
/// its capacity. It allocates only when built.
/// </summary>
internal sealed class PathIntegrator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _oneHot;
    private readonly T[] _chunkAlphas;

    public PathIntegrator(INetwork<T> network, IntegratedGradientsOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Network = network;
        Info = network.Info;
        QuadratureNodes nodes = QuadratureNodes.Create(options.Rule, options.Steps);
        Alphas = Convert(nodes.Alphas);
        Weights = Convert(nodes.Weights);
        ChunkCapacity = Math.Max(2, Math.Min(options.InternalBatchSize, options.Steps));

        // Two rows beyond a chunk carry the endpoints a = 0 and a = 1 along with the last chunk.
        Workspace = new Workspace<T>(Info, ChunkCapacity + 2);
        _chunkAlphas = new T[ChunkCapacity + 2];
        Baseline = new T[Info.InputLength];
        options.Baseline.Fill<T>(Baseline);
        Direction = new T[Info.InputLength];
        OutputWeights = new T[Info.OutputLength];
        _oneHot = new T[Info.OutputLength];
    }

    public INetwork<T> Network { get; }

    public NetworkInfo Info { get; }

    public Workspace<T> Workspace { get; }

    /// <summary>The most path points in one chunk.</summary>
    public int ChunkCapacity { get; }

    public T[] Alphas { get; }

    public T[] Weights { get; }

    /// <summary>The baseline of the current call (the options' baseline unless a call sets another).</summary>
    public T[] Baseline { get; }

    /// <summary><c>x - x'</c> of the current call.</summary>
    public T[] Direction { get; }

    /// <summary>The weighting of the outputs being explained.</summary>
    public T[] OutputWeights { get; }

    public int Steps => Alphas.Length;

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

    /// <summary>Validates and stores the input (against the current baseline) and a target output.</summary>
    public void Begin(ReadOnlySpan<T> input, int target)
    {
        Guard.Index(target, Info.OutputLength, nameof(target));
        _oneHot.AsSpan().Clear();
        _oneHot[target] = T.One;
        Begin(input, _oneHot);
    }

    /// <summary>Validates and stores the input (against the current baseline) and an output weighting.</summary>
    public void Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> outputWeights)
    {
        Guard.Length(input, Info.InputLength, nameof(input));
        Guard.Finite(input, nameof(input));
        Guard.Length(outputWeights, Info.OutputLength, nameof(outputWeights));
        Guard.Finite(outputWeights, nameof(outputWeights));
        if (!outputWeights.Overlaps(OutputWeights))
        {
            outputWeights.CopyTo(OutputWeights);
        }

        for (int i = 0; i < Direction.Length; i++)
        {
            Direction[i] = input[i] - Baseline[i];
        }
    }

    /// <summary>Replaces the baseline for the next calls.</summary>
    public void SetBaseline(ReadOnlySpan<T> baseline)
    {
        Guard.Length(baseline, Info.InputLength, nameof(baseline));
        Guard.Finite(baseline, nameof(baseline));
        baseline.CopyTo(Baseline);
    }

    /// <summary>Runs the forward path pass on the chunk of points starting at <paramref name="start"/>; returns its size.</summary>
    public int Forward(int start, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int count = Math.Min(ChunkCapacity, Steps - start);
        Network.ForwardPath(Baseline, Direction, Alphas.AsSpan(start, count), Workspace);
        return count;
    }

    /// <summary>
    /// Like <see cref="Forward"/>, with the endpoints <c>a = 0</c> and <c>a = 1</c> run as two extra rows after
    /// the chunk's points, so <see cref="ReadEndpoints"/> needs no pass of its own; returns the chunk's size
    /// without them (backward passes over that many rows leave the endpoints out).
    /// </summary>
    public int ForwardWithEndpoints(int start, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int count = Math.Min(ChunkCapacity, Steps - start);
        Alphas.AsSpan(start, count).CopyTo(_chunkAlphas);
        _chunkAlphas[count] = T.Zero;
        _chunkAlphas[count + 1] = T.One;
        Network.ForwardPath(Baseline, Direction, _chunkAlphas.AsSpan(0, count + 2), Workspace);
        return count;
    }

    /// <summary><c>(F(x'), F(x))</c> from the endpoint rows that <see cref="ForwardWithEndpoints"/> left after <paramref name="count"/> points.</summary>
    public (double AtBaseline, double AtInput) ReadEndpoints(int count)
    {
        int length = Info.OutputLength;
        ReadOnlySpan<T> outputs = Workspace.Output(count + 2);
        return (Dot(outputs.Slice(count * length, length), OutputWeights), Dot(outputs.Slice((count + 1) * length, length), OutputWeights));
    }

    /// <summary>Sets the output gradient of every point of the chunk to the explained weighting.</summary>
    public void SeedOutput(int count) => Kernels.PathKernel.Broadcast<T>(OutputWeights, Workspace.OutputGradient(count));

    /// <summary>Forward, seed and full backward on one chunk; every layer's gradient is then in the workspace.</summary>
    public int ForwardBackward(int start, CancellationToken cancellationToken)
    {
        int count = Forward(start, cancellationToken);
        SeedOutput(count);
        Network.BackwardFrom(Info.Output, Workspace, count);
        return count;
    }

    /// <summary><c>(F(x'), F(x))</c> of the explained weighting, by a plain forward pass.</summary>
    public (double AtBaseline, double AtInput) Endpoints(ReadOnlySpan<T> input)
    {
        ReadOnlySpan<T> outputs = EndpointActivations(input, Info.Output);
        int length = Info.OutputLength;
        return (Dot(outputs.Slice(0, length), OutputWeights), Dot(outputs.Slice(length, length), OutputWeights));
    }

    /// <summary>A layer's activations at the baseline (row 0) and the input (row 1).</summary>
    public ReadOnlySpan<T> EndpointActivations(ReadOnlySpan<T> input, Layer layer)
    {
        Span<T> points = Workspace.Input(2);
        Baseline.AsSpan().CopyTo(points);
        input.CopyTo(points.Slice(Info.InputLength));
        Network.ForwardFrom(Info.Input, Workspace, 2);
        return Workspace.Activations(layer, 2);
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

    private static T[] Convert(double[] values)
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateChecked(values[i]);
        }

        return result;
    }
}
