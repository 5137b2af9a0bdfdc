using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// The one backend capability the gradient methods and the quality metrics need: the network's outputs and the
/// input gradient of a weighted output at a batch of points. The CPU implements it over the generated passes
/// (<see cref="NetworkGradientSource{T}"/>), the TorchSharp backend with one autograd call per chunk of points.
/// </summary>
/// <remarks>
/// Implementations are safe to call from many threads at once and split a batch into chunks of their own size;
/// neither method keeps a reference to a span it was given. Arguments are checked by the callers (the method
/// cores), not here: a source trusts its spans' lengths.
/// </remarks>
internal interface IGradientSource<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The network's layers and shapes.</summary>
    NetworkInfo Info { get; }

    /// <summary>
    /// For each of the <paramref name="count"/> points <c>x_n = points[n, input length]</c> with its output weighting
    /// <c>c_n = outputCoefficients[n, output length]</c>: <c>values[n] = sum_j c_n[j] F_j(x_n)</c> (summed in double) and
    /// <c>gradients[n, i] = d(sum_j c_n[j] F_j)/dx_i at x_n</c>. Both destinations are overwritten.
    /// </summary>
    void Gradients(ReadOnlySpan<T> points, int count, ReadOnlySpan<T> outputCoefficients, Span<double> values, Span<T> gradients, CancellationToken cancellationToken);

    /// <summary>The outputs <c>outputs[n, output length] = F(points[n, input length])</c> of <paramref name="count"/> points, without gradients.</summary>
    void Forward(ReadOnlySpan<T> points, int count, Span<T> outputs, CancellationToken cancellationToken);
}
