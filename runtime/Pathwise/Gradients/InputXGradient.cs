using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Input times gradient (Shrikumar et al., arXiv 1605.01713; Captum's <c>InputXGradient</c>):
/// <c>attr_i = x_i * dF/dx_i(x)</c>. One gradient evaluation per input; no convergence delta (the sum equals
/// <c>F(x) - F(0)</c> only for a network that is linear without bias).
/// </summary>
/// <remarks>
/// An instance is safe to call from many threads at once: each call rents a workspace from a pool the instance owns,
/// so once warm the span-out overloads allocate nothing. <c>AttributeBatch</c> runs all its inputs through one
/// forward and one backward pass per internal batch.
/// </remarks>
public sealed class InputXGradient<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly GradientMethod<T> _method;

    /// <summary>Prepares the method for <paramref name="network"/>; throws if an option is invalid or the weights were never set.</summary>
    public InputXGradient(INetwork<T> network, GradientMethodOptions? options = null)
    {
        options ??= new GradientMethodOptions();
        options.Validate();
        Options = options;
        _method = new GradientMethod<T>(new NetworkGradientSource<T>(network, options.InternalBatchSize), GradientRule.InputXGradient);
    }

    /// <summary>The validated settings.</summary>
    public GradientMethodOptions Options { get; }

    /// <summary><c>x_i * dF_target/dx_i(x)</c> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        _method.Attribute(input, target, cancellationToken);

    /// <summary><c>x_i * d(sum_j outputCoefficients[j] F_j)/dx_i(x)</c> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        _method.Attribute(input, outputCoefficients, cancellationToken);

    /// <summary>Writes <c>x_i * dF_target/dx_i(x)</c> into <paramref name="attributions"/>; allocates nothing once warm.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="input"/> a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken = default) =>
        _method.Attribute(input, target, attributions, cancellationToken);

    /// <summary>Writes <c>x_i * d(sum_j outputCoefficients[j] F_j)/dx_i(x)</c> into <paramref name="attributions"/>; allocates nothing once warm.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, Span<T> attributions, CancellationToken cancellationToken = default) =>
        _method.Attribute(input, outputCoefficients, attributions, cancellationToken);

    /// <summary>
    /// <c>x_i * dF/dx_i</c> for many inputs, <c>inputs[m, input length]</c>, each for its own target: one gradient evaluation
    /// per input, all inputs in the same passes. Returns one new result per input, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is not one row per target, or holds a non-finite value.</exception>
    public FeatureAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        _method.AttributeBatch(inputs, targets, cancellationToken);
}
