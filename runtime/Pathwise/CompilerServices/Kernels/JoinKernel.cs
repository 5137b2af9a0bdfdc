using System;
using System.ComponentModel;
using System.Numerics;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// The kernels of the layers that read several layers: a residual sum (<c>[Add]</c>) and a concatenation
/// (<c>[Concat]</c>) of row-major <c>[count, features]</c> matrices, one row per point.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class JoinKernel
{
    /// <summary>Sums two matrices: <c>destination[i] = x[i] + y[i]</c> (overwritten, not accumulated into).</summary>
    /// <param name="x">The first term, <c>[count, features]</c>.</param>
    /// <param name="y">The second term, the same length.</param>
    /// <param name="destination">The sum, the same length; may be <paramref name="x"/> or <paramref name="y"/>.</param>
    public static void Add<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireLength(y.Length, x.Length, nameof(y));
        ThrowHelper.RequireLength(destination.Length, x.Length, nameof(destination));
        ElementwiseDriver.Binary<T, AddOperator<T>>(x, y, destination, default);
    }

    /// <summary>
    /// Writes a source's rows into their block of the concatenation:
    /// <c>destination[k, offset + i] = source[k, i]</c> for <c>k &lt; count</c>, <c>i &lt; sourceLength</c> (the block is
    /// overwritten; the rest of <paramref name="destination"/> is left as it is).
    /// </summary>
    /// <param name="source">One of the concatenated outputs, <c>[count, sourceLength]</c>.</param>
    /// <param name="destination">The concatenation, <c>[count, destinationLength]</c>.</param>
    /// <param name="count">The number of points (rows).</param>
    /// <param name="sourceLength">Elements per row of <paramref name="source"/>.</param>
    /// <param name="destinationLength">Elements per row of <paramref name="destination"/>.</param>
    /// <param name="offset">Where the block starts in a destination row; <c>offset + sourceLength &lt;= destinationLength</c>.</param>
    public static void ConcatForward<T>(ReadOnlySpan<T> source, Span<T> destination, int count, int sourceLength, int destinationLength, int offset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBlock(source.Length, destination.Length, count, sourceLength, destinationLength, offset);
        for (int k = 0; k < count; k++)
        {
            source.Slice(k * sourceLength, sourceLength).CopyTo(destination.Slice(k * destinationLength + offset, sourceLength));
        }
    }

    /// <summary>
    /// The gradient of one concatenated source: <c>dx[k, i] = dz[k, offset + i]</c>, or <c>dx[k, i] += dz[k, offset + i]</c>
    /// when <paramref name="accumulate"/> (its source is read by a layer whose gradient was written already).
    /// </summary>
    /// <param name="dz">The gradient of the concatenation, <c>[count, destinationLength]</c>.</param>
    /// <param name="dx">The source's gradient, <c>[count, sourceLength]</c>: overwritten, or accumulated into when <paramref name="accumulate"/>.</param>
    /// <param name="count">The number of points (rows).</param>
    /// <param name="sourceLength">Elements per row of <paramref name="dx"/>.</param>
    /// <param name="destinationLength">Elements per row of <paramref name="dz"/>.</param>
    /// <param name="offset">Where the source's block starts in a row of <paramref name="dz"/>.</param>
    /// <param name="accumulate">Whether to add into <paramref name="dx"/> rather than overwrite it.</param>
    public static void ConcatBackward<T>(ReadOnlySpan<T> dz, Span<T> dx, int count, int sourceLength, int destinationLength, int offset, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBlock(dx.Length, dz.Length, count, sourceLength, destinationLength, offset);
        for (int k = 0; k < count; k++)
        {
            ReadOnlySpan<T> block = dz.Slice(k * destinationLength + offset, sourceLength);
            Span<T> row = dx.Slice(k * sourceLength, sourceLength);
            if (accumulate)
            {
                ElementwiseDriver.Binary<T, AddOperator<T>>(row, block, row, default);
            }
            else
            {
                block.CopyTo(row);
            }
        }
    }

    private static void CheckBlock(int sourceElements, int destinationElements, int count, int sourceLength, int destinationLength, int offset)
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequireNonNegative(sourceLength, nameof(sourceLength));
        ThrowHelper.RequireNonNegative(offset, nameof(offset));
        if ((long)offset + sourceLength > destinationLength)
        {
            ThrowHelper.ThrowArgument($"Expected offset + sourceLength <= destinationLength ({destinationLength}); got {offset} + {sourceLength}.", nameof(offset));
        }

        ThrowHelper.RequireLength(sourceElements, count * sourceLength, "source");
        ThrowHelper.RequireLength(destinationElements, count * destinationLength, "destination");
    }
}
