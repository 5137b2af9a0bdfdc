using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Saliency (Simonyan et al., arXiv 1312.6034; Captum's <c>Saliency</c>): the gradient of the explained output at the
/// input, <c>attr_i = |dF/dx_i(x)|</c> (or the signed <c>dF/dx_i(x)</c> when <see cref="SaliencyOptions.Absolute"/> is
/// false). One gradient evaluation per input; no convergence delta, since a gradient promises no sum.
/// </summary>
/// <remarks>
/// An instance is safe to call from many threads at once: each call rents a workspace from a pool the instance owns,
/// so once warm the span-out overloads allocate nothing. <c>AttributeBatch</c> runs all its inputs through one
/// forward and one backward pass per internal batch.
/// </remarks>
public sealed class Saliency<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly GradientMethod<T> _method;

    /// <summary>Prepares the method for <paramref name="network"/>; throws if an option is invalid or the weights were never set.</summary>
    public Saliency(INetwork<T> network, SaliencyOptions? options = null)
    {
        options ??= new SaliencyOptions();
        options.Validate();
        Options = options;
        _method = new GradientMethod<T>(new NetworkGradientSource<T>(network, options.InternalBatchSize), options.Absolute ? GradientRule.AbsoluteGradient : GradientRule.Gradient);
    }

    /// <summary>The validated settings.</summary>
    public SaliencyOptions Options { get; }

    /// <summary>The gradient of output <paramref name="target"/> at <paramref name="input"/>, <c>|dF_target/dx_i|</c>; returns a new result.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default) =>
        _method.Attribute(input, target, cancellationToken);

    /// <summary>The gradient of the weighted output <c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default) =>
        _method.Attribute(input, outputCoefficients, cancellationToken);

    /// <summary>Writes <c>|dF_target/dx_i|</c> at <paramref name="input"/> into <paramref name="attributions"/>; allocates nothing once warm.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="input"/> a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken = default) =>
        _method.Attribute(input, target, attributions, cancellationToken);

    /// <summary>Writes the gradient of <c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/> into <paramref name="attributions"/>; allocates nothing once warm.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, Span<T> attributions, CancellationToken cancellationToken = default) =>
        _method.Attribute(input, outputCoefficients, attributions, cancellationToken);

    /// <summary>
    /// The saliency of many inputs, <c>inputs[m, input length]</c>, each for its own target: one gradient evaluation per
    /// input, all inputs in the same passes (chunks of <see cref="GradientMethodOptions.InternalBatchSize"/>). Returns one new result per input, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is not one row per target, or holds a non-finite value.</exception>
    public FeatureAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default) =>
        _method.AttributeBatch(inputs, targets, cancellationToken);
}
