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
}
