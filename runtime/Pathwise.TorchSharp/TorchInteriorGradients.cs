using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Interior gradients on a torch device: <c>dF/dx (x' + a_k (x - x'))</c> at the configured scaling factors, with
/// the outputs <c>F(x' + a_k (x - x'))</c> along the path and their saturation. Same options, checks and results
/// as <see cref="InteriorGradients{T}"/>.
/// </summary>
/// <remarks>
/// One forward and one reverse pass per batch of scaled inputs; gradients and outputs stay on the device until one
/// copy at the end. Every native tensor of a call is released when it returns. Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchInteriorGradients<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchPath<T> _path;
    private readonly double[] _alphas;
    private readonly Tensor _typedAlphas;

    /// <summary>Prepares the method for <paramref name="network"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A scaling factor is outside [0, 1], or the count is below 1.</exception>
    public TorchInteriorGradients(TorchNetwork<T> network, InteriorGradientsOptions? options = null)
    {
        Options = options ?? new InteriorGradientsOptions();
        _alphas = Options.ResolveAlphas();
        _path = new TorchPath<T>(network, new IntegratedGradientsOptions { Points = Math.Max(2, _alphas.Length), Baseline = Options.Baseline, Rule = QuadratureRule.RiemannLeft });
        using (NewDisposeScope())
        {
            // Rounded to T on the host, as the CPU method rounds them.
            _typedAlphas = _path.Upload(_alphas).DetachFromDisposeScope();
        }
    }

    /// <summary>The settings.</summary>
    public InteriorGradientsOptions Options { get; }

    /// <summary>The device the gradients are computed on (the network's).</summary>
    public Device Device => _path.Device;

    /// <summary>The gradients of output <paramref name="target"/> at every scaled input.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public InteriorGradientsResult<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        Run(input, _path.Begin(input, target), cancellationToken);

    /// <summary>
    /// The gradients of output <paramref name="target"/> at every scaled input, scaled from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>dF/dx (x' + a_k (x - x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public InteriorGradientsResult<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default) =>
        Run(input, _path.Begin(input, baseline, target), cancellationToken);

    private InteriorGradientsResult<T> Run(ReadOnlySpan<T> input, TorchPath<T>.Call call, CancellationToken cancellationToken)
    {
        T[] outputCoefficients = call.OutputCoefficients;
        int length = _path.Info.InputLength;
        int outputs = _path.Info.OutputLength;
        int points = _alphas.Length;
        double[] packed;
        using (NewDisposeScope())
        {
            Tensor x = _path.Input(input);                         // [1, ...input]
            Tensor baseline = _path.BaselineOf(call);              // [1, ...input]
            Tensor direction = x - baseline;                       // [1, ...input]
            Tensor weights = _path.OutputCoefficients(outputCoefficients);   // [1, outputs]
            var gradients = new List<Tensor>();
            var values = new List<Tensor>();
            using (enable_grad())
            {
                for (int start = 0; start < points; start += _path.ChunkCapacity)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int count = Math.Min(_path.ChunkCapacity, points - start);
                    using (NewDisposeScope())
                    {
                        Tensor scaled = _path.PathPoints(baseline, direction, _typedAlphas.narrow(0, start, count)); // [count, ...input]
                        Tensor output = _path.Network.call(scaled).reshape(count, outputs);                               // [count, outputs]
                        Tensor gradient = autograd.grad([(output * weights).sum()], [scaled])[0];                        // [count, ...input]
                        gradients.Add(gradient.reshape(count, length).MoveToOuterDisposeScope());
                        values.Add(output.detach().MoveToOuterDisposeScope());
                    }
                }
            }

            Tensor endpoints;
            using (no_grad())
            {
                endpoints = _path.Network.call(cat([baseline, x], 0)).reshape(2, outputs); // [baseline; input]
            }

            packed = TorchPath<T>.Download(cat(gradients, 0), cat(values, 0), endpoints);
        }

        T[] gradientValues = TorchPath<T>.Values(packed, 0, points * length);
        int offset = points * length;
        var outputValues = new double[points];
        for (int k = 0; k < points; k++)
        {
            outputValues[k] = TorchPath<T>.Dot(packed.AsSpan(offset + k * outputs, outputs), outputCoefficients);
        }

        offset += points * outputs;
        double atBaseline = TorchPath<T>.Dot(packed.AsSpan(offset, outputs), outputCoefficients);
        double atInput = TorchPath<T>.Dot(packed.AsSpan(offset + outputs, outputs), outputCoefficients);
        return new InteriorGradientsResult<T>((double[])_alphas.Clone(), gradientValues, outputValues, atBaseline, atInput, _path.Info.Input.OutputShape);
    }

    /// <summary>Releases the device tensors of the scaling factors and the baseline.</summary>
    public void Dispose()
    {
        _path.Dispose();
        _typedAlphas.Dispose();
    }
}
