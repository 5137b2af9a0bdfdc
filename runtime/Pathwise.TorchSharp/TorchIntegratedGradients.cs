using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Integrated Gradients on a torch device:
/// <c>attr_i = (x_i - x'_i) * sum_k w_k dF/dx_i(x' + alpha_k (x - x'))</c>, with the nodes <c>alpha_k</c> and
/// weights <c>w_k</c> of the configured quadrature rule, and the convergence delta
/// <c>sum(attr) - (F(x) - F(x'))</c>. Same options, checks and results as <see cref="IntegratedGradients{T}"/>.
/// </summary>
/// <remarks>
/// Each internal batch of path points is built on the device as one tensor
/// <c>points = x' + alpha[:, None] * (x - x')</c>, run forward once and differentiated once with
/// <c>torch.autograd.grad((F(points) * outputCoefficients).sum(), points)</c>; the per-point gradients are weighted
/// by <c>w_k</c> and summed on the device. Nothing returns to the host until one copy at the end. Every native
/// tensor of a call is released when it returns. Safe to call from many threads at once: each call builds its own
/// tensors and autograd graph, reads the shared device tensors without writing them (nor their <c>.grad</c>), and
/// TorchSharp's dispose scopes and grad mode are per thread; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchIntegratedGradients<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TorchNetwork<T> _network;
    private readonly NetworkInfo _info;
    private readonly int _points;
    private readonly Tensor _alphas;
    private readonly Tensor _weights;
    private readonly Tensor _baseline;
    private bool _disposed;

    /// <summary>Prepares the method for <paramref name="network"/> on its device; throws if an option is invalid.</summary>
    public TorchIntegratedGradients(TorchNetwork<T> network, IntegratedGradientsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new IntegratedGradientsOptions();
        options.Validate();
        _network = network;
        _info = network.Info;
        Options = options;

        QuadratureNodes nodes = QuadratureNodes.Create(options.Rule, options.Points);
        _points = nodes.Count;
        var baseline = new T[_info.InputLength];
        options.Baseline.Fill<T>(baseline);

        // Nodes and weights are rounded to T on the host, exactly as the CPU method rounds them.
        // They live as long as this instance, whatever dispose scope the caller is in.
        using (NewDisposeScope())
        {
            _alphas = Upload(nodes.Alphas, [nodes.Count]).DetachFromDisposeScope();
            _weights = Upload(nodes.Coefficients, [nodes.Count]).DetachFromDisposeScope();
            _baseline = TorchTensors.FromValues(baseline, TorchTensors.BatchDimensions(_info.Input.OutputShape, 1))
                .to(network.Device).DetachFromDisposeScope();
        }
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device => _network.Device;

    /// <summary>Attributes output <paramref name="target"/> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        Guard.Index(target, _info.OutputLength, nameof(target));
        var oneHot = new T[_info.OutputLength];
        oneHot[target] = T.One;
        return Run(input, oneHot, cancellationToken);
    }

    /// <summary>Attributes the weighted output <c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default)
    {
        Guard.Length(outputCoefficients, _info.OutputLength, nameof(outputCoefficients));
        Guard.Finite(outputCoefficients, nameof(outputCoefficients));
        return Run(input, outputCoefficients.ToArray(), cancellationToken);
    }

    /// <summary>Releases the device tensors of the quadrature nodes and the baseline.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _alphas.Dispose();
        _weights.Dispose();
        _baseline.Dispose();
    }

    private Attribution<T> Run(ReadOnlySpan<T> input, T[] outputCoefficients, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int length = _info.InputLength;
        Guard.Length(input, length, nameof(input));
        Guard.Finite(input, nameof(input));

        double[] packed;
        using (NewDisposeScope())
        {
            Device device = _network.Device;
            Tensor x = _network.InputTensor(input, 1);                                            // [1, ...input]
            Tensor direction = x - _baseline;                                                    // [1, ...input]
            Tensor weights = TorchTensors.FromValues(outputCoefficients, [1L, _info.OutputLength]).to(device); // [1, outputs]
            Tensor gradientSum = zeros_like(direction);                                          // [1, ...input]
            long[] pointDimensions = TorchTensors.BatchDimensions(_info.Input.OutputShape, -1);
            long[] nodeDimensions = new long[pointDimensions.Length];
            Array.Fill(nodeDimensions, 1L);
            nodeDimensions[0] = -1;

            int batch = Math.Max(2, Math.Min(Options.InternalBatchSize, Options.Points));
            using (enable_grad())
            {
                for (int start = 0; start < _points; start += batch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int count = Math.Min(batch, _points - start);
                    using (NewDisposeScope())
                    {
                        Tensor alphas = _alphas.narrow(0, start, count).reshape(nodeDimensions);   // [count, 1, ...]
                        Tensor points = (_baseline + alphas * direction).detach().requires_grad_();  // [count, ...input]
                        Tensor outputs = _network.call(points).reshape(count, _info.OutputLength); // [count, outputs]
                        Tensor explained = (outputs * weights).sum();
                        Tensor gradients = autograd.grad([explained], [points])[0];                // [count, ...input]
                        Tensor nodeCoefficients = _weights.narrow(0, start, count).reshape(nodeDimensions);
                        gradientSum.add_((gradients * nodeCoefficients).sum(0, keepdim: true));
                    }
                }
            }

            Tensor attributions = direction * gradientSum;                                       // [1, ...input]
            Tensor endpoints;
            using (no_grad())
            {
                endpoints = _network.call(cat([_baseline, x], 0)).reshape(2 * _info.OutputLength); // [baseline; input]
            }

            // One copy back: the attributions, then both endpoint outputs.
            packed = TorchTensors.ToDoubles(cat([attributions.reshape(length).to(ScalarType.Float64), endpoints.to(ScalarType.Float64)], 0));
        }

        var values = new T[length];
        double sum = 0;
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateChecked(packed[i]);
            sum += double.CreateChecked(values[i]);
        }

        int outputLength = _info.OutputLength;
        double atBaseline = Dot(packed.AsSpan(length, outputLength), outputCoefficients);
        double atInput = Dot(packed.AsSpan(length + outputLength, outputLength), outputCoefficients);
        return new Attribution<T>(values, _info.Input.OutputShape, ConvergenceDelta.From(sum, atInput, atBaseline), _points);
    }

    private Tensor Upload(ReadOnlySpan<double> values, long[] shape)
    {
        var rounded = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            rounded[i] = T.CreateChecked(values[i]);
        }

        return TorchTensors.FromValues(rounded, shape).to(_network.Device);
    }

    private static double Dot(ReadOnlySpan<double> outputs, T[] weights)
    {
        double sum = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            sum += outputs[i] * double.CreateChecked(weights[i]);
        }

        return sum;
    }
}
