using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// Global average pooling over <c>[count, channels, spatial]</c> (<c>spatial = H * W</c>): PyTorch's
/// <c>AdaptiveAvgPool2d(1)</c>, ONNX's <c>GlobalAveragePool</c>. A linear map, so its tangent is <see cref="AvgForward{T}"/>
/// applied to the input's tangent.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GlobalPoolKernel
{
    /// <summary>Forward pass: <c>y[n, c] = (1 / spatial) sum_s x[n, c, s]</c>.</summary>
    /// <param name="x">Inputs, <c>[count, channels, spatial]</c>.</param>
    /// <param name="y">Destination, <c>[count, channels]</c> (overwritten).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Elements per channel, <c>H * W</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward<T>(ReadOnlySpan<T> x, Span<T> y, int count, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(x.Length, nameof(x), y.Length, nameof(y), count, channels, spatial);
        T inverse = T.One / T.CreateChecked(spatial);
        int planes = count * channels;
        for (int p = 0; p < planes; p++)
        {
            // [spatial] -> one value
            y[p] = TensorPrimitives.Sum(x.Slice(p * spatial, spatial)) * inverse;
        }
    }

    /// <summary>Gradient: <c>dx[n, c, s] = dy[n, c] / spatial</c>. Overwrites <paramref name="dx"/>, not accumulated into.</summary>
    /// <param name="dy">Output gradient, <c>[count, channels]</c>.</param>
    /// <param name="dx">Destination, <c>[count, channels, spatial]</c> (overwritten).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Elements per channel, <c>H * W</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int count, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(dx.Length, nameof(dx), dy.Length, nameof(dy), count, channels, spatial);
        T inverse = T.One / T.CreateChecked(spatial);
        int planes = count * channels;
        for (int p = 0; p < planes; p++)
        {
            // one value -> [spatial]
            dx.Slice(p * spatial, spatial).Fill(dy[p] * inverse);
        }
    }

    // The spatial buffer holds count * channels * spatial, the pooled one count * channels; both checked up front.
    private static void Validate(int spatialLength, string spatialName, int pooledLength, string pooledName, int count, int channels, int spatial)
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequirePositive(channels, nameof(channels));
        ThrowHelper.RequirePositive(spatial, nameof(spatial));
        int pooled = ThrowHelper.Product(count, channels, "count * channels");
        int full = ThrowHelper.Product(pooled, spatial, "count * channels * spatial");
        ThrowHelper.RequireLength(spatialLength, full, spatialName);
        ThrowHelper.RequireLength(pooledLength, pooled, pooledName);
    }
}
