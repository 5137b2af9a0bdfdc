using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>Per-channel affine map <c>y = x * scale[c] + shift[c]</c>: inference-mode BatchNorm folded by <see cref="Fold{T}"/>.</summary>
/// <remarks>Data is <c>[count, channels, spatial]</c>, with <c>spatial = H * W</c> (1 after a dense layer).</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ChannelAffineKernel
{
    /// <summary>Forward pass: <c>y[n, c, s] = x[n, c, s] * scale[c] + shift[c]</c>. <paramref name="y"/> may be <paramref name="x"/> (in place).</summary>
    /// <param name="x">Inputs, <c>[count, channels, spatial]</c>.</param>
    /// <param name="scale">Per-channel scale, <c>[channels]</c>.</param>
    /// <param name="shift">Per-channel shift, <c>[channels]</c>.</param>
    /// <param name="y">Destination, <c>[count, channels, spatial]</c> (overwritten).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Elements per channel.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> scale, ReadOnlySpan<T> shift, Span<T> y, int count, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(x.Length, nameof(x), y.Length, nameof(y), scale.Length, count, channels, spatial);
        ThrowHelper.RequireLength(shift.Length, channels, nameof(shift));
        if (spatial == 1)
        {
            int rowLength = channels;
            for (int n = 0; n < count; n++)
            {
                // [channels] rows: the product, then the shift added (each rounded, as one multiply-add would be unfused).
                Span<T> row = y.Slice(n * rowLength, rowLength);
                ElementwiseDriver.Binary<T, MultiplyOperator<T>>(x.Slice(n * rowLength, rowLength), scale, row, default);
                ElementwiseDriver.Binary<T, AddOperator<T>>(row, shift, row, default);
            }

            return;
        }

        for (int n = 0; n < count; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int offset = (n * channels + c) * spatial;
                ElementwiseDriver.Unary(x.Slice(offset, spatial), y.Slice(offset, spatial), new AffineOperator<T>(scale[c], shift[c]));
            }
        }
    }

    /// <summary>Gradient: <c>dx[n, c, s] = dy[n, c, s] * scale[c]</c>. Overwrites <paramref name="dx"/>, which may be <paramref name="dy"/>.</summary>
    /// <param name="dy">Output gradient, <c>[count, channels, spatial]</c>.</param>
    /// <param name="scale">Per-channel scale, <c>[channels]</c>.</param>
    /// <param name="dx">Destination, <c>[count, channels, spatial]</c> (overwritten).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Elements per channel.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> scale, Span<T> dx, int count, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(dy.Length, nameof(dy), dx.Length, nameof(dx), scale.Length, count, channels, spatial);
        if (spatial == 1)
        {
            for (int n = 0; n < count; n++)
            {
                ElementwiseDriver.Binary<T, MultiplyOperator<T>>(dy.Slice(n * channels, channels), scale, dx.Slice(n * channels, channels), default);
            }

            return;
        }

        for (int n = 0; n < count; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                int offset = (n * channels + c) * spatial;
                ElementwiseDriver.Unary(dy.Slice(offset, spatial), dx.Slice(offset, spatial), new ScaleOperator<T>(scale[c]));
            }
        }
    }

    /// <summary>
    /// Folds inference BatchNorm statistics: <c>scale[c] = gamma[c] / sqrt(variance[c] + epsilon)</c>,
    /// <c>shift[c] = beta[c] - mean[c] * scale[c]</c>.
    /// </summary>
    /// <param name="gamma">BatchNorm weight, <c>[channels]</c>.</param>
    /// <param name="beta">BatchNorm bias, <c>[channels]</c>.</param>
    /// <param name="mean">Running mean, <c>[channels]</c>.</param>
    /// <param name="variance">Running variance, <c>[channels]</c>.</param>
    /// <param name="epsilon">BatchNorm epsilon.</param>
    /// <param name="scale">Destination scale, <c>[channels]</c>.</param>
    /// <param name="shift">Destination shift, <c>[channels]</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fold<T>(ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, ReadOnlySpan<T> mean, ReadOnlySpan<T> variance, T epsilon, Span<T> scale, Span<T> shift)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int channels = gamma.Length;
        ThrowHelper.RequireLength(beta.Length, channels, nameof(beta));
        ThrowHelper.RequireLength(mean.Length, channels, nameof(mean));
        ThrowHelper.RequireLength(variance.Length, channels, nameof(variance));
        ThrowHelper.RequireDestination(scale.Length, channels, nameof(scale));
        ThrowHelper.RequireDestination(shift.Length, channels, nameof(shift));
        for (int c = 0; c < channels; c++)
        {
            T s = gamma[c] / T.Sqrt(variance[c] + epsilon);
            scale[c] = s;
            shift[c] = beta[c] - mean[c] * s;
        }
    }

    private static int Validate(int sourceLength, string sourceName, int destinationLength, string destinationName, int scaleLength, int count, int channels, int spatial)
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequireNonNegative(channels, nameof(channels));
        ThrowHelper.RequireNonNegative(spatial, nameof(spatial));
        int total = ThrowHelper.Product(ThrowHelper.Product(count, channels, "count * channels"), spatial, "data length");
        ThrowHelper.RequireLength(sourceLength, total, sourceName);
        ThrowHelper.RequireLength(scaleLength, channels, "scale");
        ThrowHelper.RequireDestination(destinationLength, total, destinationName);
        return total;
    }
}
