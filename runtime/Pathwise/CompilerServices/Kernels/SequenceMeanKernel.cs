using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// The mean over a sequence, <c>[count, length, features]</c> to <c>[count, features]</c>: PyTorch's <c>x.mean(dim=1)</c>
/// on a <c>[batch, T, D]</c> tensor, ONNX's <c>ReduceMean</c> over axis 1 without kept dimensions. A linear map, so its
/// tangent is <see cref="Forward{T}"/> applied to the input's tangent.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SequenceMeanKernel
{
    /// <summary>Forward pass: <c>y[n, d] = (1 / length) sum_t x[n, t, d]</c>. Overwrites <paramref name="y"/>.</summary>
    /// <param name="x">Inputs, <c>[count, length, features]</c>.</param>
    /// <param name="y">Destination, <c>[count, features]</c> (overwritten, not accumulated into).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="length">Sequence length, <c>T</c>.</param>
    /// <param name="features">Features per position, <c>D</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int count, int length, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(x.Length, nameof(x), y.Length, nameof(y), count, length, features);
        T inverse = T.One / T.CreateChecked(length);
        for (int n = 0; n < count; n++)
        {
            // [length, features] -> [features]
            Span<T> row = y.Slice(n * features, features);
            ReadOnlySpan<T> sequence = x.Slice(n * length * features, length * features);
            sequence.Slice(0, features).CopyTo(row);
            for (int t = 1; t < length; t++)
            {
                TensorPrimitives.Add(row, sequence.Slice(t * features, features), row);
            }

            TensorPrimitives.Multiply(row, inverse, row);
        }
    }

    /// <summary>Gradient: <c>dx[n, t, d] = dy[n, d] / length</c>. Overwrites <paramref name="dx"/>, not accumulated into.</summary>
    /// <param name="dy">Output gradient, <c>[count, features]</c>.</param>
    /// <param name="dx">Destination, <c>[count, length, features]</c> (overwritten).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="length">Sequence length, <c>T</c>.</param>
    /// <param name="features">Features per position, <c>D</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> dy, Span<T> dx, int count, int length, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(dx.Length, nameof(dx), dy.Length, nameof(dy), count, length, features);
        T inverse = T.One / T.CreateChecked(length);
        for (int n = 0; n < count; n++)
        {
            // [features] -> [length, features]
            Span<T> first = dx.Slice(n * length * features, features);
            TensorPrimitives.Multiply(dy.Slice(n * features, features), inverse, first);
            for (int t = 1; t < length; t++)
            {
                first.CopyTo(dx.Slice((n * length + t) * features, features));
            }
        }
    }

    // The sequence buffer holds count * length * features, the pooled one count * features; both checked up front.
    private static void Validate(int sequenceLength, string sequenceName, int pooledLength, string pooledName, int count, int length, int features)
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequirePositive(length, nameof(length));
        ThrowHelper.RequirePositive(features, nameof(features));
        int pooled = ThrowHelper.Product(count, features, "count * features");
        int full = ThrowHelper.Product(pooled, length, "count * length * features");
        ThrowHelper.RequireLength(sequenceLength, full, sequenceName);
        ThrowHelper.RequireLength(pooledLength, pooled, pooledName);
    }
}
