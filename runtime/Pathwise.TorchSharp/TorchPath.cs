using System;
using System.Numerics;
using Pathwise.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// The device side of <c>PathIntegrator</c>: the validated options, the quadrature nodes and coefficients and the
/// options' baseline as device tensors, the chunk size, and the argument checks of the CPU methods (a call's own
/// baseline among them) in the same order with the same exceptions. The device tensors live until
/// <see cref="Dispose"/>, whatever scope built them; a call's own baseline lives in that call's scope.
/// </summary>
/// <remarks>
/// Read-only after construction, so the method objects built on it are safe to share across threads: every call
/// makes its own tensors (in its own thread's dispose scope, since TorchSharp's dispose-scope manager is
/// thread-static) and differentiates with <c>torch.autograd.grad</c>, which returns gradients instead of
/// accumulating them into <c>.grad</c>; the module's parameters do not require grad. libtorch's grad mode, which
/// <c>enable_grad</c> and <c>no_grad</c> set, is thread-local too.
/// </remarks>
internal sealed class TorchPath<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly long[] _nodeDimensions;
    private bool _disposed;

    public TorchPath(TorchNetwork<T> network, IntegratedGradientsOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Network = network;
        Info = network.Info;
        QuadratureNodes nodes = QuadratureNodes.Create(options.Rule, options.Points);
        Points = nodes.Count;
        ChunkCapacity = Math.Max(2, Math.Min(options.InternalBatchSize, options.Points));
        BaselineValues = new T[Info.InputLength];
        options.Baseline.Fill<T>(BaselineValues);
        _nodeDimensions = TorchTensors.BatchDimensions(Info.Input.OutputShape, -1);
        Array.Fill(_nodeDimensions, 1L, 1, _nodeDimensions.Length - 1);

        // Nodes and coefficients are rounded to T on the host, exactly as the CPU methods round them.
        using (NewDisposeScope())
        {
            Alphas = Upload(nodes.Alphas).DetachFromDisposeScope();
            Coefficients = Upload(nodes.Coefficients).DetachFromDisposeScope();
            Baseline = Input(BaselineValues).DetachFromDisposeScope();
        }
    }

    public TorchNetwork<T> Network { get; }

    public NetworkInfo Info { get; }

    public Device Device => Network.Device;

    /// <summary>The number of quadrature nodes.</summary>
    public int Points { get; }

    /// <summary>The most path points in one chunk: <c>max(2, min(InternalBatchSize, Points))</c>, as on the CPU.</summary>
    public int ChunkCapacity { get; }

    /// <summary>The nodes <c>a_k</c>, <c>[steps]</c>.</summary>
    public Tensor Alphas { get; }

    /// <summary>The quadrature coefficients <c>c_k</c>, <c>[steps]</c>.</summary>
    public Tensor Coefficients { get; }

    /// <summary>The options' baseline, <c>[1, ...input shape]</c>.</summary>
    public Tensor Baseline { get; }

    /// <summary>The options' baseline on the host.</summary>
    public T[] BaselineValues { get; }

    /// <summary>The reported layer: <paramref name="layer"/>, or the one before it for its input; the CPU checks and messages.</summary>
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

    /// <summary>Like <see cref="Resolve"/>, releasing this path's device tensors when the layer is rejected (for constructors).</summary>
    public Layer ResolveOrRelease(Layer layer, bool toLayerInput)
    {
        try
        {
            return Resolve(layer, toLayerInput);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Checks the input and a target output as the CPU does; the call runs from the options' baseline.</summary>
    public Call Begin(ReadOnlySpan<T> input, int target) => Begin(input, default, ownBaseline: false, target);

    /// <summary>Checks the input, the call's own <paramref name="baseline"/> and a target output as the CPU does.</summary>
    public Call Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target) => Begin(input, baseline, ownBaseline: true, target);

    /// <summary>Checks the input and an output weighting as the CPU does; the call runs from the options' baseline.</summary>
    public Call Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients) => Begin(input, default, ownBaseline: false, outputCoefficients);

    /// <summary>Checks the input, the call's own <paramref name="baseline"/> and an output weighting as the CPU does.</summary>
    public Call Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<T> outputCoefficients) =>
        Begin(input, baseline, ownBaseline: true, outputCoefficients);

    /// <summary>
    /// The baseline <paramref name="call"/> runs from, <c>[1, ...input shape]</c>: the options' shared tensor, or the call's
    /// own uploaded into the current dispose scope (so it goes with the call's other tensors).
    /// </summary>
    public Tensor BaselineOf(Call call) => call.Baseline is null ? Baseline : Input(call.Baseline);

    private Call Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, int target)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Guard.Index(target, Info.OutputLength, nameof(target));
        var oneHot = new T[Info.OutputLength];
        oneHot[target] = T.One;
        return Begin(input, baseline, ownBaseline, oneHot);
    }

    // The checks of PathIntegrator.Begin, in its order.
    private Call Begin(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, bool ownBaseline, ReadOnlySpan<T> outputCoefficients)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Guard.Length(input, Info.InputLength, nameof(input));
        Guard.Finite(input, nameof(input));
        if (ownBaseline)
        {
            Guard.Length(baseline, Info.InputLength, nameof(baseline));
            Guard.Finite(baseline, nameof(baseline));
        }

        Guard.Length(outputCoefficients, Info.OutputLength, nameof(outputCoefficients));
        Guard.Finite(outputCoefficients, nameof(outputCoefficients));
        return new Call(outputCoefficients.ToArray(), ownBaseline ? baseline.ToArray() : null);
    }

    /// <summary>One point, <c>[1, ...input shape]</c>, on the device.</summary>
    public Tensor Input(ReadOnlySpan<T> values) => Network.InputTensor(values, 1);

    /// <summary>An output weighting, <c>[1, outputs]</c>, on the device.</summary>
    public Tensor OutputCoefficients(T[] outputCoefficients) => TorchTensors.FromValues(outputCoefficients, [1L, Info.OutputLength]).to(Device);

    /// <summary>A zero accumulator of <typeparamref name="T"/> on the device.</summary>
    public Tensor Zeros(params long[] shape) => zeros(shape, dtype: Network.DType, device: Device);

    /// <summary>A per-point vector <c>[count]</c> reshaped to broadcast over <c>[count, ...input shape]</c>.</summary>
    public Tensor PerPoint(Tensor values) => values.reshape(_nodeDimensions);

    /// <summary>
    /// The path points <c>x' + a_k d</c> of nodes <c>start .. start + count</c>, <c>[count, ...input shape]</c>, as
    /// a fresh leaf that requires grad, so every layer computed from it is differentiable with respect to it.
    /// </summary>
    public Tensor ChunkPoints(Tensor baseline, Tensor direction, int start, int count) =>
        PathPoints(baseline, direction, Alphas.narrow(0, start, count));

    /// <summary><c>x' + alphas d</c> for any nodes <c>alphas</c> <c>[count]</c>, as a leaf that requires grad.</summary>
    public Tensor PathPoints(Tensor baseline, Tensor direction, Tensor alphas) =>
        (baseline + PerPoint(alphas) * direction).detach().requires_grad_();

    /// <summary>The coefficients of nodes <c>start .. start + count</c> as a column, <c>[count, 1]</c>.</summary>
    public Tensor NodeCoefficients(int start, int count) => Coefficients.narrow(0, start, count).reshape(count, 1);

    /// <summary>The explained output <c>sum_{k,j} outputCoefficients[j] F_j(points_k)</c> from the network's last activation.</summary>
    public Tensor Explained(Tensor output, Tensor outputCoefficients, int count) =>
        (output.reshape(count, Info.OutputLength) * outputCoefficients).sum();

    /// <summary>
    /// The forward-mode tangent <c>J_y(points) direction</c>, <c>[count, ...y]</c>, exactly, by two reverse passes:
    /// <c>v(u) = J_y^T u</c> is linear in <c>u</c>, so the gradient of <c>direction . v(u)</c> with respect to
    /// <c>u</c> is <c>J_y direction</c>. <paramref name="y"/> must be computed from the leaf <paramref name="points"/>;
    /// the graph is released afterwards, so take every reverse-mode gradient first.
    /// </summary>
    public static Tensor Tangent(Tensor y, Tensor points, Tensor direction)
    {
        Tensor u = zeros_like(y).requires_grad_();
        Tensor v = autograd.grad([y], [points], [u], create_graph: true)[0];  // [count, ...input]
        return autograd.grad([v], [u], [direction.expand_as(v)])[0];           // [count, ...y]
    }

    /// <summary>Every activation of <paramref name="layer"/> and of the output at the baseline (row 0) and the input (row 1), without a graph.</summary>
    public (Tensor Layer, Tensor Output) Endpoints(Tensor baseline, Tensor x, Layer layer)
    {
        using (no_grad())
        {
            Tensor[] activations = Network.ForwardAll(cat([baseline, x], 0));
            return (activations[layer.Index].reshape(2, layer.Size), activations[^1].reshape(2, Info.OutputLength));
        }
    }

    /// <summary>One copy to the host: every part flattened and concatenated, as doubles (exact for float32 and float64).</summary>
    public static double[] Download(params Tensor[] parts)
    {
        var flat = new Tensor[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            flat[i] = parts[i].reshape(-1).to(ScalarType.Float64);
        }

        return TorchTensors.ToDoubles(cat(flat, 0));
    }

    /// <summary><c>packed[offset .. offset + length]</c> rounded to <typeparamref name="T"/> (exact: they came from T).</summary>
    public static T[] Values(double[] packed, int offset, int length)
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateChecked(packed[offset + i]);
        }

        return values;
    }

    /// <summary><c>sum_j outputs[j] * coefficients[j]</c> in double, as the CPU's <c>PathIntegrator.Dot</c>.</summary>
    public static double Dot(ReadOnlySpan<double> outputs, T[] coefficients)
    {
        double sum = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            sum += outputs[i] * double.CreateChecked(coefficients[i]);
        }

        return sum;
    }

    /// <summary>The sum in double, as the CPU's <c>PathIntegrator.Sum</c>.</summary>
    public static double Sum(ReadOnlySpan<T> values)
    {
        double sum = 0;
        foreach (T value in values)
        {
            sum += double.CreateChecked(value);
        }

        return sum;
    }

    /// <summary>Host values rounded to T, as a 1-D device tensor.</summary>
    public Tensor Upload(ReadOnlySpan<double> values)
    {
        var rounded = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            rounded[i] = T.CreateChecked(values[i]);
        }

        return TorchTensors.FromValues(rounded, [(long)values.Length]).to(Device);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Alphas.Dispose();
        Coefficients.Dispose();
        Baseline.Dispose();
    }

    /// <summary>The checked arguments of one call: its output weighting, and its own baseline (null: the options').</summary>
    public readonly record struct Call(T[] OutputCoefficients, T[]? Baseline);
}
