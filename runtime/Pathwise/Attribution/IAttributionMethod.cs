using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// A path attribution method that explains one output, <c>F_target</c>, along the straight path
/// <c>x(a) = x' + a (x - x')</c>, from the options' baseline or from a call's own, and returns a
/// <typeparamref name="TResult"/>: the result family (<see cref="Attribution{T}"/> for input attributions,
/// <see cref="LayerAttribution{T}"/>, <see cref="LayerInfluence{T}"/>, <see cref="NeuronAttribution{T}"/>,
/// <see cref="InteriorGradientsResult{T}"/>).
/// </summary>
/// <remarks>
/// Each method's CPU class and its TorchSharp twin implement the same interface with the same options, checks and
/// results, so code written against it switches backend by changing the one line that builds the method:
/// <code>
/// IAttributionMethod&lt;double, Attribution&lt;double&gt;&gt; ig = new IntegratedGradients&lt;double&gt;(network);
/// // or: = new TorchIntegratedGradients&lt;double&gt;(network.ToTorch("cuda"));
/// </code>
/// </remarks>
/// <typeparam name="T">The network's element type.</typeparam>
/// <typeparam name="TResult">What one call returns.</typeparam>
public interface IAttributionMethod<T, TResult> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Explains output <paramref name="target"/> at <paramref name="input"/>, along the path from the options' baseline.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not of the input length, or holds a non-finite value.</exception>
    TResult Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default);

    /// <summary>
    /// Explains output <paramref name="target"/> at <paramref name="input"/>, along the path from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>x(a) = x' + a (x - x')</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    TResult Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default);

    /// <summary>
    /// Explains several outputs of one input in one pass, <c>result[t] = Attribute(input, targets[t])</c>: per chunk the path
    /// points run forward once and only the backward pass is repeated per target (one result per target, in order).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index (the error names <c>targets</c>).</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not of the input length, or holds a non-finite value.</exception>
    TResult[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default);

    /// <summary>
    /// Explains several outputs of one input in one pass along the path from this call's own <paramref name="baseline"/>
    /// <c>x'</c>, <c>result[t] = Attribute(input, baseline, targets[t])</c>; one result per target, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index (the error names <c>targets</c>).</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    TResult[] AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default);

    /// <summary>
    /// Explains a batch, Captum's shape: <c>result[m] = Attribute(inputs[m], baselines[m], targets[m])</c> for the inputs
    /// <paramref name="inputs"/> <c>[n, input length]</c>, one target each, and the options' baseline when
    /// <paramref name="baselines"/> is empty, else one per input, <c>[n, input length]</c>. On the CPU the inputs run in
    /// parallel over the cores and each result equals its single call's exactly; on a device the inputs' path points are
    /// stacked in one tensor per internal batch.
    /// <paramref name="progress"/>, when given, hears the number of inputs done.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs are not a whole number of inputs, the targets not one per input, the baselines neither empty nor one per input, or a row holds a non-finite value (the error names the row, e.g. <c>inputs[3]</c>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index (the error names it, e.g. <c>targets[3]</c>).</exception>
    TResult[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, ReadOnlySpan<T> baselines = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default);
}
