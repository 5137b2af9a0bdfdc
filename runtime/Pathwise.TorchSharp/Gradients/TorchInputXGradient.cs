using System;
using System.Numerics;
using System.Threading;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// On a torch device: Input times gradient (Shrikumar et al., arXiv 1605.01713; Captum's <c>InputXGradient</c>):
/// <c>attr_i = x_i * dF/dx_i(x)</c>. One gradient evaluation per input; no convergence delta (the sum equals
/// <c>F(x) - F(0)</c> only for a network that is linear without bias).
/// </summary>
/// <remarks>
/// Runs on the module's device: each internal batch of inputs is one tensor that requires grad, run forward once and
/// differentiated once with <c>torch.autograd.grad</c>; every native tensor of a call is released when it returns.
/// Same options, checks and results as <see cref="InputXGradient{T}"/>. Safe to call from many threads at once; dispose
/// the instance only once no call is running.
/// </remarks>
public sealed class TorchInputXGradient<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly GradientMethod<T> _method;
    private readonly TorchGradientSource<T> _source;
    private bool _disposed;

    /// <summary>Prepares the method for <paramref name="network"/> on its device; throws if an option is invalid.</summary>
    public TorchInputXGradient(TorchNetwork<T> network, GradientMethodOptions? options = null)
    {
        options ??= new GradientMethodOptions();
        options.Validate();
        Options = options;
        _method = new GradientMethod<T>(_source = new TorchGradientSource<T>(network, options.InternalBatchSize), GradientRule.InputXGradient);
    }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device => _source.Device;

    /// <summary>The validated settings.</summary>
    public GradientMethodOptions Options { get; }

    /// <summary><c>x_i * dF_target/dx_i(x)</c> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        Method.Attribute(input, target, cancellationToken);

    /// <summary><c>x_i * d(sum_j outputCoefficients[j] F_j)/dx_i(x)</c> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        Method.Attribute(input, outputCoefficients, cancellationToken);

    /// <summary>Writes <c>x_i * dF_target/dx_i(x)</c> into <paramref name="attributions"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="input"/> a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken = default) =>
        Method.Attribute(input, target, attributions, cancellationToken);

    /// <summary>Writes <c>x_i * d(sum_j outputCoefficients[j] F_j)/dx_i(x)</c> into <paramref name="attributions"/>.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, Span<T> attributions, CancellationToken cancellationToken = default) =>
        Method.Attribute(input, outputCoefficients, attributions, cancellationToken);

    /// <summary>
    /// <c>x_i * dF/dx_i</c> for many inputs, <c>inputs[m, input length]</c>, each for its own target: one gradient evaluation
    /// per input, all inputs in the same passes. Returns one new result per input, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is not one row per target, or holds a non-finite value.</exception>
    public FeatureAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        Method.AttributeBatch(inputs, targets, cancellationToken);

    /// <summary>Ends the use of the instance: later calls throw <see cref="ObjectDisposedException"/>. It holds no device tensors between calls.</summary>
    public void Dispose() => _disposed = true;

    private GradientMethod<T> Method
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _method;
        }
    }
}
