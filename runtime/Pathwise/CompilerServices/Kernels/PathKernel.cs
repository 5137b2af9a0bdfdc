using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>Helpers for the straight integration path <c>x' + alpha_k (x - x')</c> of Integrated Gradients.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PathKernel
{
    /// <summary>
    /// Points on the path: <c>points[k, i] = baseline[i] + alphas[k] * direction[i]</c>, for <c>k &lt; alphas.Length</c>.
    /// </summary>
    /// <param name="baseline">Baseline <c>x'</c>, <c>[features]</c>.</param>
    /// <param name="direction">Direction <c>x - x'</c>, <c>[features]</c>.</param>
    /// <param name="alphas">Path coordinates, <c>[count]</c>.</param>
    /// <param name="points">Destination, <c>[count, features]</c> (overwritten).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Interpolate<T>(ReadOnlySpan<T> baseline, ReadOnlySpan<T> direction, ReadOnlySpan<T> alphas, Span<T> points)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int features = baseline.Length;
        ThrowHelper.RequireLength(direction.Length, features, nameof(direction));
        ThrowHelper.RequireDestination(points.Length, ThrowHelper.Product(alphas.Length, features, "points length"), nameof(points));
        for (int k = 0; k < alphas.Length; k++)
        {
            // [features] row k: direction * alpha + baseline.
            ElementwiseDriver.Binary(direction, baseline, points.Slice(k * features, features), new ScaleAddOperator<T>(alphas[k]));
        }
    }

    /// <summary>
    /// Weighted sum of rows: <c>destination[i] = sum_k weights[k] * rows[k, i]</c>. Overwrites <paramref name="destination"/>,
    /// whose length is the row length (<c>rows.Length == weights.Length * destination.Length</c>).
    /// </summary>
    /// <param name="rows">Rows, <c>[count, features]</c>.</param>
    /// <param name="weights">Row weights, <c>[count]</c>.</param>
    /// <param name="destination">Destination, <c>[features]</c> (overwritten).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightedRowSum<T>(ReadOnlySpan<T> rows, ReadOnlySpan<T> weights, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int features = destination.Length;
        ThrowHelper.RequireLength(rows.Length, ThrowHelper.Product(weights.Length, features, "rows length"), nameof(rows));
        if (weights.IsEmpty)
        {
            destination.Clear();
            return;
        }

        ElementwiseDriver.Unary(rows.Slice(0, features), destination, new ScaleOperator<T>(weights[0]));
        for (int k = 1; k < weights.Length; k++)
        {
            ElementwiseDriver.Binary(rows.Slice(k * features, features), destination, destination, new ScaleAddOperator<T>(weights[k]));
        }
    }

    /// <summary>Adds a row into another: <c>destination[i] += source[i]</c>.</summary>
    /// <param name="source">The row added, <c>[features]</c>.</param>
    /// <param name="destination">The row added to, <c>[features]</c> (accumulated into).</param>
    public static void AddTo<T>(ReadOnlySpan<T> source, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireLength(source.Length, destination.Length, nameof(source));
        ElementwiseDriver.Binary<T, AddOperator<T>>(destination, source, destination, default);
    }

    /// <summary>Repeats one row: <c>destination[k, i] = row[i]</c> for every whole row of <paramref name="destination"/> (overwritten).</summary>
    /// <param name="row">The row, <c>[features]</c>.</param>
    /// <param name="destination">Destination, <c>[rows, features]</c>; its length must be a multiple of the row's.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Broadcast<T>(ReadOnlySpan<T> row, Span<T> destination)
    {
        if (row.Length == 0 ? destination.Length != 0 : destination.Length % row.Length != 0)
        {
            ThrowHelper.ThrowArgument($"Expected destination length to be a multiple of {row.Length}; got {destination.Length}.", nameof(destination));
        }

        for (int offset = 0; offset < destination.Length; offset += row.Length)
        {
            row.CopyTo(destination.Slice(offset, row.Length));
        }
    }
}
