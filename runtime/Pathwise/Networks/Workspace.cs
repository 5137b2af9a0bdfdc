using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pathwise;

/// <summary>
/// Caller-held memory for a generated network's passes over up to <see cref="Capacity"/> points, so a pass
/// allocates nothing. For every layer it holds the activations and the gradients of every point as one
/// row-major matrix <c>[points, layer size]</c>; these are the layer hooks. A workspace serves one thread
/// at a time.
/// </summary>
public sealed class Workspace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _activations;
    private readonly T[][] _preActivations;
    private readonly T[][] _gradients;
    private readonly T[][] _preActivationGradients;
    private readonly T[] _pathStart;
    private readonly T[] _pathStep;
    private readonly T[] _pathInputGradient;
    private readonly T[] _gradientScratch;
    private T[][]? _tangents;
    private T[][]? _preActivationTangents;
    private byte[] _pathWinners = [];
    private T[] _pathPacked = [];
    private T[] _pathScratch = [];

    /// <summary>Allocates buffers for <paramref name="capacity"/> points of <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="capacity"/> is below 1, or so large that a layer's buffer (<c>capacity</c> times the layer's
    /// size) would exceed <see cref="Array.MaxLength"/> elements, or that the buffers together (see
    /// <see cref="RequiredBytes"/>) would exceed the memory this process may use; checked before anything is allocated.
    /// </exception>
    public Workspace(NetworkInfo network, int capacity)
        : this(network, capacity, inputGradientSumOnly: false)
    {
    }

    /// <summary>
    /// Allocates buffers for <paramref name="capacity"/> points of <paramref name="network"/>; with
    /// <paramref name="inputGradientSumOnly"/>, for straight-path passes whose only reader is
    /// <see cref="INetwork{T}.BackwardPathSum"/> (see <see cref="InputGradientSumOnly"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="Workspace{T}(NetworkInfo, int)"/>.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Workspace(NetworkInfo network, int capacity, bool inputGradientSumOnly)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        long bytes = RequiredBytes(network, capacity);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && bytes > available)
        {
            throw new ArgumentOutOfRangeException(
                nameof(capacity),
                capacity,
                $"A workspace of {capacity} points of network {network.Name} needs {bytes:N0} bytes; this process may use at most {available:N0}. Expected a smaller capacity (the attribution methods' InternalBatchSize).");
        }

        Info = network;
        Capacity = capacity;
        InputGradientSumOnly = inputGradientSumOnly;

        int layers = network.Layers.Count;
        _activations = new T[layers][];
        _preActivations = new T[layers][];
        _gradients = new T[layers][];
        _preActivationGradients = new T[layers][];
        int widest = 0;
        for (int i = 0; i < layers; i++)
        {
            Layer layer = network.Layers[i];
            widest = Math.Max(widest, layer.Size);
            int source = i == 0 ? 0 : layer.Sources[0];
            if (LayerKindFacts.IsView(network, layer))
            {
                // A view (Flatten): it shares its source's memory.
                _activations[i] = _activations[source];
                _gradients[i] = _gradients[source];
            }
            else
            {
                _activations[i] = new T[capacity * layer.Size];
                _gradients[i] = new T[capacity * layer.Size];
            }

            if (LayerKindFacts.ReadsInputAsPreActivation(network, layer))
            {
                // An activation-only layer's (or an activated flatten's) value before activation is its source's output.
                _preActivations[i] = _activations[source];
                _preActivationGradients[i] = _gradients[source];
            }
            else
            {
                _preActivations[i] = layer.HasActivation ? new T[capacity * layer.Size] : _activations[i];
                _preActivationGradients[i] = layer.HasActivation ? new T[capacity * layer.Size] : _gradients[i];
            }
        }

        // A layer read by several layers sums their gradients: all but the first to write add through this scratch.
        _gradientScratch = network.IsGraph ? new T[capacity * widest] : [];
        _pathStart = new T[widest];
        _pathStep = new T[widest];
        _pathInputGradient = new T[network.InputLength];
    }

    /// <summary>
    /// The bytes a workspace of <paramref name="capacity"/> points of <paramref name="network"/> allocates when built:
    /// <c>capacity * layer size * sizeof(T)</c> for each buffer of each layer (activations and gradients, and their
    /// values before activation for activated layers). Tangent buffers, made on first use, are not counted.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="capacity"/> is below 1, or a layer's buffer would exceed <see cref="Array.MaxLength"/> elements.
    /// </exception>
    public static long RequiredBytes(NetworkInfo network, int capacity)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Layer widest = network.Layers[0];
        foreach (Layer layer in network.Layers)
        {
            widest = layer.Size > widest.Size ? layer : widest;
        }

        if ((long)capacity * widest.Size > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(capacity),
                capacity,
                $"Expected a capacity of at most {Array.MaxLength / widest.Size} points for network {network.Name}: its widest layer '{widest.Name}' holds {widest.Size} values per point and an array holds at most {Array.MaxLength}; got {capacity} (the attribution methods' InternalBatchSize sets it).");
        }

        // At most Array.MaxLength * 16 bytes per buffer, four buffers per layer: the sum stays far inside a long.
        long bytes = 0;
        foreach (Layer layer in network.Layers)
        {
            int buffers = LayerKindFacts.IsView(network, layer) ? 0 : 2;
            if (!LayerKindFacts.ReadsInputAsPreActivation(network, layer) && layer.HasActivation)
            {
                buffers += 2;
            }

            bytes += buffers * (long)capacity * layer.Size * Unsafe.SizeOf<T>();
        }

        if (network.IsGraph)
        {
            bytes += (long)capacity * widest.Size * Unsafe.SizeOf<T>();
        }

        return bytes;
    }

    /// <summary>The network these buffers are shaped for.</summary>
    public NetworkInfo Info { get; }

    /// <summary>The most points one pass may hold.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Whether the straight-path passes in this workspace serve <see cref="INetwork{T}.BackwardPathSum"/> and the
    /// outputs only. A network may then skip storing what nothing else reads: after its
    /// <see cref="INetwork{T}.ForwardPath"/>, the outputs and the input gradient sum are right, but a layer's values,
    /// gradients and tangents may be stale or laid out otherwise (the first affine layer's, where it fuses it with the
    /// pooling that reads it; a convolution after that pooling, which it computes from what changes between points,
    /// keeping its ReLU's values channel-last and neither its values before the ReLU nor any gradient of it).
    /// The other passes (<see cref="INetwork{T}.ForwardFrom"/>, <see cref="INetwork{T}.BackwardFrom(Layer, Workspace{T}, int)"/>, ...)
    /// behave as in any workspace.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool InputGradientSumOnly { get; }

    /// <summary>The input points, <c>[count, input length]</c>.</summary>
    public Span<T> Input(int count) => Activations(Info.Input, count);

    /// <summary>The network outputs, <c>[count, output length]</c>.</summary>
    public Span<T> Output(int count) => Activations(Info.Output, count);

    /// <summary>The gradient of the explained scalar with respect to the outputs, <c>[count, output length]</c>; set it before a backward pass.</summary>
    public Span<T> OutputGradient(int count) => Gradients(Info.Output, count);

    /// <summary>The layer's output (after its activation) for every point, <c>[count, layer size]</c>.</summary>
    public Span<T> Activations(Layer layer, int count) => Slice(_activations, layer, count);

    /// <summary>The layer's value before its activation (its output when it has none).</summary>
    public Span<T> PreActivations(Layer layer, int count) => Slice(_preActivations, layer, count);

    /// <summary>The gradient of the explained scalar with respect to the layer's output, <c>[count, layer size]</c>.</summary>
    public Span<T> Gradients(Layer layer, int count) => Slice(_gradients, layer, count);

    /// <summary>The gradient with respect to the layer's value before its activation (its output gradient when it has none).</summary>
    public Span<T> PreActivationGradients(Layer layer, int count) => Slice(_preActivationGradients, layer, count);

    /// <summary>
    /// The forward-mode tangent of the layer's output for every point, <c>[count, layer size]</c>: the
    /// directional derivative <c>J_y(x_k) v</c> along the direction of the last tangent pass.
    /// </summary>
    public Span<T> Tangents(Layer layer, int count) => Slice(EnsureTangents().Output, layer, count);

    /// <summary>The tangent of the layer's value before its activation (its output tangent when it has none).</summary>
    public Span<T> PreActivationTangents(Layer layer, int count) => Slice(EnsureTangents().PreActivation, layer, count);

    /// <summary>Scratch for the straight path: the first affine layer's value at the path start, one row.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<T> PathStart(Layer layer) => _pathStart.AsSpan(0, layer.Size);

    /// <summary>Scratch for the straight path: the first affine layer's change per unit of alpha, one row.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<T> PathStep(Layer layer) => _pathStep.AsSpan(0, layer.Size);

    /// <summary>Scratch for the straight path: one row of input gradient.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<T> PathInputGradient => _pathInputGradient;

    /// <summary>
    /// Scratch for the straight path in a workspace that serves the input gradient sum only: which position won each
    /// window of the max pooling <paramref name="layer"/>, <c>[count, PathPoolKernel.WinnersLength(layer size)]</c> bytes
    /// (<see cref="CompilerServices.Kernels.PathPoolKernel"/>), written by <see cref="INetwork{T}.ForwardPath"/> and read by
    /// <see cref="INetwork{T}.BackwardPathSum"/>. Made on first use, for the workspace's capacity.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<byte> PathWinners(Layer layer, int count)
    {
        Info.CheckOwns(layer);
        CheckCount(count);

        int bytes = CompilerServices.Kernels.PathPoolKernel.WinnersLength(layer.Size);
        if (_pathWinners.Length < Capacity * bytes)
        {
            _pathWinners = new byte[Capacity * bytes];
        }

        return _pathWinners.AsSpan(0, count * bytes);
    }

    /// <summary>
    /// Scratch for the straight path in a workspace that serves the input gradient sum only: room for the first affine
    /// <paramref name="layer"/>'s start and step rows as a fused kernel rearranges them, <c>2 * layer size</c> elements
    /// (<see cref="CompilerServices.Kernels.PathPoolKernel"/>). Made on first use.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<T> PathPacked(Layer layer)
    {
        Info.CheckOwns(layer);
        if (_pathPacked.Length < 2 * layer.Size)
        {
            _pathPacked = new T[2 * layer.Size];
        }

        return _pathPacked.AsSpan(0, 2 * layer.Size);
    }

    /// <summary>
    /// Scratch for the straight path in a workspace that serves the input gradient sum only: <paramref name="length"/>
    /// elements a fused kernel of <paramref name="layer"/> works in, contents unspecified
    /// (<see cref="CompilerServices.Kernels.PathConvReLUMaxPoolKernel"/>). Made on first use, at the largest length asked for.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<T> PathScratch(Layer layer, int length)
    {
        Info.CheckOwns(layer);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (_pathScratch.Length < length)
        {
            _pathScratch = new T[length];
        }

        return _pathScratch.AsSpan(0, length);
    }

    /// <summary>
    /// Scratch for a graph's backward pass, <c>[count, layer size]</c>: a layer read by several layers receives the sum of
    /// their gradients, so every reader after the first writes its part here and adds it into the layer's gradient.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<T> GradientScratch(Layer layer, int count)
    {
        Info.CheckOwns(layer);
        CheckCount(count);

        if (!Info.IsGraph)
        {
            throw new InvalidOperationException($"Network {Info.Name} is a chain; its workspace has no gradient scratch.");
        }

        return _gradientScratch.AsSpan(0, count * layer.Size);
    }

    /// <summary>
    /// Before a graph's backward pass from <paramref name="from"/> down to <paramref name="to"/>: sets
    /// <c>dF/dy_j = 0</c> for every layer <c>to.Index &lt;= j &lt; from.Index</c> whose gradient is not
    /// <paramref name="from"/>'s own memory (a view's), for the first <paramref name="count"/> points. From a layer a skip
    /// passes over, the reader that overwrites a layer's gradient in a pass from the output may not run; from zero, every
    /// reader that runs adds its part (a layer that does not feed <paramref name="from"/> passes zero on).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void ClearGradientsBelow(Layer from, Layer to, int count)
    {
        Info.CheckOwns(from);
        Info.CheckOwns(to);
        CheckCount(count);

        T[] seeded = _gradients[from.Index];
        for (int j = to.Index; j < from.Index; j++)
        {
            if (!ReferenceEquals(_gradients[j], seeded))
            {
                _gradients[j].AsSpan(0, count * Info.Layers[j].Size).Clear();
            }
        }
    }

    /// <summary>
    /// Before a graph's tangent pass from <paramref name="from"/>: sets <c>dy_j = 0</c> for every layer <c>j</c> below
    /// <paramref name="from"/> that a layer above it reads (what a skip carries past it, <c>NetworkInfo.SkippedOver</c>)
    /// and whose tangent is not <paramref name="from"/>'s own memory, for the first <paramref name="count"/> points. On the
    /// layer-space path <c>y_from(a) = y_from(x') + a (y_from(x) - y_from(x'))</c> the skipped layers stay at their values
    /// at <c>x</c>, so they do not move.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void ClearTangentsSkippedOver(Layer from, int count)
    {
        Info.CheckOwns(from);
        CheckCount(count);

        T[][] tangents = EnsureTangents().Output;
        T[] seeded = tangents[from.Index];
        foreach (Layer skipped in Info.SkippedOver(from))
        {
            if (!ReferenceEquals(tangents[skipped.Index], seeded))
            {
                tangents[skipped.Index].AsSpan(0, count * skipped.Size).Clear();
            }
        }
    }

    /// <summary>Throws unless this workspace belongs to <paramref name="network"/> and holds <paramref name="count"/> points.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Check(NetworkInfo network, int count)
    {
        if (!ReferenceEquals(network, Info))
        {
            throw new ArgumentException($"This workspace was made for network {Info.Name}, not {network.Name}.");
        }

        CheckCount(count);
    }

    /// <summary>Tangent buffers are made on first use, so workspaces of methods without tangents stay lean.</summary>
    private (T[][] Output, T[][] PreActivation) EnsureTangents()
    {
        if (_tangents is null || _preActivationTangents is null)
        {
            int layers = Info.Layers.Count;
            var tangents = new T[layers][];
            var preActivation = new T[layers][];
            for (int i = 0; i < layers; i++)
            {
                Layer layer = Info.Layers[i];
                int source = i == 0 ? 0 : layer.Sources[0];
                tangents[i] = LayerKindFacts.IsView(Info, layer) ? tangents[source] : new T[Capacity * layer.Size];
                preActivation[i] = LayerKindFacts.ReadsInputAsPreActivation(Info, layer) ? tangents[source]
                    : layer.HasActivation ? new T[Capacity * layer.Size]
                    : tangents[i];
            }

            _tangents = tangents;
            _preActivationTangents = preActivation;
        }

        return (_tangents, _preActivationTangents);
    }

    /// <summary>Throws unless <paramref name="count"/> points fit: between 0 and <see cref="Capacity"/>.</summary>
    private void CheckCount(int count)
    {
        if ((uint)count > (uint)Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Expected between 0 and {Capacity} points (the workspace capacity); got {count}.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Span<T> Slice(T[][] buffers, Layer layer, int count)
    {
        Info.CheckOwns(layer);
        CheckCount(count);

        return buffers[layer.Index].AsSpan(0, count * layer.Size);
    }
}
