using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Expected gradients on a torch device: <c>E_{x' ~ D}[IG(x; x')]</c>, exact over a given baseline set or estimated
/// from baselines drawn by <c>new Random(seed).Next(count)</c>, with completeness against <c>F(x) - E_D[F(x')]</c>.
/// Same options, checks, draws and results as <see cref="ExpectedGradients{T}"/>.
/// </summary>
/// <remarks>
/// The path points of every (baseline, node) pair are laid end to end and run in internal batches of
/// <c>max(2, min(InternalBatchSize, Points))</c> points, so one batch may mix baselines; each point's weighted
/// gradient is added into its baseline's sum on the device (<c>index_add_</c>), and the per-baseline IGs are summed
/// there too. One copy back at the end. The options' own baseline is validated but unused, as on the CPU. The baseline
/// set is the constructor's, or each call's own (the overloads with a <c>baselines</c> argument), as on the CPU.
/// Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchExpectedGradients<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchPath<T> _path;
    private readonly Tensor _baselines;
    private readonly int _length;

    /// <summary>Prepares the method with the baseline set <paramref name="baselines"/>, <c>[count, input length]</c>.</summary>
    /// <exception cref="ArgumentException">The set is empty, not a whole number of inputs, or holds a non-finite value; or an option is invalid.</exception>
    public TorchExpectedGradients(TorchNetwork<T> network, ReadOnlySpan<T> baselines, IntegratedGradientsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        _length = network.Info.InputLength;
        CheckSet(baselines, _length);
        BaselineCount = baselines.Length / _length;
        Options = options ?? new IntegratedGradientsOptions();
        _path = new TorchPath<T>(network, Options);
        try
        {
            using (NewDisposeScope())
            {
                _baselines = network.InputTensor(baselines, BaselineCount).DetachFromDisposeScope(); // [count, ...input]
            }
        }
        catch
        {
            // Nothing half-built outlives a failed constructor: the path's device tensors go too.
            _path.Dispose();
            throw;
        }
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>The number of baselines in the set.</summary>
    public int BaselineCount { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device => _path.Device;

    /// <summary>The exact expectation over the baseline set, each baseline weighted equally.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        Run(input, null, target, Every(BaselineCount), cancellationToken);

    /// <summary>
    /// The exact expectation over this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>,
    /// instead of the constructor's: <c>(1/count) sum_b IG(x; x'_b)</c>, each baseline weighted equally.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">
    /// The set is empty, not a whole number of inputs, or holds a non-finite value; or <paramref name="input"/> has the wrong
    /// length or a non-finite value.
    /// </exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, CancellationToken cancellationToken = default)
    {
        CheckSet(baselines, _length);
        return Run(input, baselines.ToArray(), target, Every(baselines.Length / _length), cancellationToken);
    }

    /// <summary>An estimate from <paramref name="samples"/> baselines drawn uniformly, with replacement, by a generator seeded with <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is below 1, or <paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T> AttributeSampled(ReadOnlySpan<T> input, int target, int samples, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        return Run(input, null, target, Draw(BaselineCount, samples, seed), cancellationToken);
    }

    /// <summary>
    /// An estimate from <paramref name="samples"/> baselines drawn uniformly, with replacement, by a generator seeded with
    /// <paramref name="seed"/>, from this call's own baseline set <paramref name="baselines"/>, <c>[count, input length]</c>:
    /// <c>(1/samples) sum_s IG(x; x'_{b_s})</c>. The same draws as the CPU's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is below 1, or <paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">
    /// The set is empty, not a whole number of inputs, or holds a non-finite value; or <paramref name="input"/> has the wrong
    /// length or a non-finite value.
    /// </exception>
    public Attribution<T> AttributeSampled(ReadOnlySpan<T> input, ReadOnlySpan<T> baselines, int target, int samples, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        CheckSet(baselines, _length);
        return Run(input, baselines.ToArray(), target, Draw(baselines.Length / _length, samples, seed), cancellationToken);
    }

    /// <summary>Releases the device tensors of the baseline set and the quadrature nodes.</summary>
    public void Dispose()
    {
        _path.Dispose();
        _baselines.Dispose();
    }

    /// <summary>Throws unless <paramref name="baselines"/> is one or more finite inputs of <paramref name="length"/> features (the CPU's check).</summary>
    private static void CheckSet(ReadOnlySpan<T> baselines, int length)
    {
        if (baselines.Length == 0 || baselines.Length % length != 0)
        {
            throw new ArgumentException($"Expected one or more baselines of length {length}; got {baselines.Length} values.", nameof(baselines));
        }

        Guard.Finite(baselines, nameof(baselines));
    }

    private static int[] Every(int count)
    {
        var picks = new int[count];
        for (int b = 0; b < picks.Length; b++)
        {
            picks[b] = b;
        }

        return picks;
    }

    /// <summary>The CPU's draws: <c>new Random(seed).Next(count)</c>, <paramref name="samples"/> times.</summary>
    private static int[] Draw(int count, int samples, int seed)
    {
        var random = new Random(seed);
        var picks = new int[samples];
        for (int s = 0; s < samples; s++)
        {
            picks[s] = random.Next(count);
        }

        return picks;
    }

    /// <summary>The expectation over the drawn rows <paramref name="picks"/> of <paramref name="set"/>, <c>[count, input length]</c> (null: the constructor's set).</summary>
    private Attribution<T> Run(ReadOnlySpan<T> input, T[]? set, int target, int[] picks, CancellationToken cancellationToken)
    {
        T[] outputCoefficients = _path.Begin(input, target).OutputCoefficients;
        int outputs = _path.Info.OutputLength;
        int steps = _path.Points;
        long total = (long)picks.Length * steps;
        var slots = new long[total];   // point p belongs to draw p / steps ...
        var nodes = new long[total];   // ... and sits at node p % steps
        for (long p = 0; p < total; p++)
        {
            slots[p] = p / steps;
            nodes[p] = p % steps;
        }

        var distinct = new List<long>();
        var seen = new HashSet<int>();
        foreach (int pick in picks)
        {
            if (seen.Add(pick))
            {
                distinct.Add(pick);
            }
        }

        double[] packed;
        using (NewDisposeScope())
        {
            Device device = _path.Device;
            Tensor x = _path.Input(input);                                             // [1, ...input]
            Tensor baselines = set is null ? _baselines : _path.Network.InputTensor(set, set.Length / _length); // [count, ...input]
            Tensor weights = _path.OutputCoefficients(outputCoefficients);                       // [1, outputs]
            Tensor used = baselines.index_select(0, tensor(Array.ConvertAll(picks, p => (long)p)).to(device)); // [draws, ...input]
            Tensor directions = x - used;                                              // [draws, ...input]
            Tensor gradientSums = zeros_like(used);                                    // [draws, ...input]
            Tensor slotIndex = tensor(slots).to(device);
            Tensor nodeIndex = tensor(nodes).to(device);
            using Scalar one = 1.0;
            using (enable_grad())
            {
                for (long start = 0; start < total; start += _path.ChunkCapacity)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long count = Math.Min(_path.ChunkCapacity, total - start);
                    using (NewDisposeScope())
                    {
                        Tensor slot = slotIndex.narrow(0, start, count);
                        Tensor node = nodeIndex.narrow(0, start, count);
                        Tensor points = _path.PathPoints(used.index_select(0, slot), directions.index_select(0, slot), _path.Alphas.index_select(0, node));
                        Tensor explained = _path.Explained(_path.Network.call(points), weights, (int)count);
                        Tensor gradients = autograd.grad([explained], [points])[0];   // [count, ...input]
                        gradientSums.index_add_(0, slot, gradients * _path.PerPoint(_path.Coefficients.index_select(0, node)), one);
                    }
                }
            }

            Tensor integratedGradients = (directions * gradientSums).sum(dim: 0);     // sum over draws of IG(x; x'_draw)
            var endpoints = new List<Tensor>();
            using (no_grad())
            {
                Tensor endpointInputs = cat([baselines.index_select(0, tensor(distinct.ToArray()).to(device)), x], 0); // [distinct + 1, ...input]
                for (long start = 0; start < endpointInputs.shape[0]; start += _path.ChunkCapacity)
                {
                    long count = Math.Min(_path.ChunkCapacity, endpointInputs.shape[0] - start);
                    endpoints.Add(_path.Network.call(endpointInputs.narrow(0, start, count)).reshape(count, outputs));
                }
            }

            packed = TorchPath<T>.Download(integratedGradients, cat(endpoints, 0));
        }

        // Scaled on the host in T, as the CPU scales its sum.
        T[] values = TorchPath<T>.Values(packed, 0, _length);
        T scale = T.One / T.CreateChecked(picks.Length);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= scale;
        }

        var rowOf = new Dictionary<int, int>();
        for (int r = 0; r < distinct.Count; r++)
        {
            rowOf[(int)distinct[r]] = r;
        }

        double baselineSum = 0;
        foreach (int pick in picks)
        {
            baselineSum += TorchPath<T>.Dot(packed.AsSpan(_length + rowOf[pick] * outputs, outputs), outputCoefficients);
        }

        double atInput = TorchPath<T>.Dot(packed.AsSpan(_length + distinct.Count * outputs, outputs), outputCoefficients);
        var delta = ConvergenceDelta.From(TorchPath<T>.Sum(values), atInput, baselineSum / picks.Length);
        return new Attribution<T>(values, _path.Info.Input.OutputShape, delta, steps * picks.Length);
    }
}
