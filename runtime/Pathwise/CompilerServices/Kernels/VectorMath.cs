using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>Small SIMD helpers shared by the kernels.</summary>
internal static class VectorMath
{
    /// <summary>True when the kernels may use <see cref="Vector256{T}"/> for <typeparamref name="T"/>.</summary>
    public static bool CanVectorize<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;

    /// <summary><c>a * b + c</c>, fused when the hardware has FMA (float and double), otherwise multiply then add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
            }
        }

        return (a * b) + c;
    }

    /// <summary><c>y[j] += alpha * x[j]</c> for <c>j</c> in <c>[0, length)</c>; x and y must not overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy<T>(T alpha, ref T x, ref T y, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (CanVectorize<T>() && length >= Vector256<T>.Count)
        {
            Vector256<T> a = Vector256.Create(alpha);
            int last = length - Vector256<T>.Count;
            for (; j <= last; j += Vector256<T>.Count)
            {
                Vector256<T> yv = Vector256.LoadUnsafe(ref y, (nuint)j);
                MultiplyAdd(a, Vector256.LoadUnsafe(ref x, (nuint)j), yv).StoreUnsafe(ref y, (nuint)j);
            }
        }

        for (; j < length; j++)
        {
            Unsafe.Add(ref y, j) += alpha * Unsafe.Add(ref x, j);
        }
    }

    /// <summary>
    /// <c>destination[j] = source[j]</c> for <c>j</c> in <c>[0, length)</c>, by whole vectors with the last one overlapping:
    /// for rows too short for a memmove call to pay. The two must not overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyShort<T>(ref T source, ref T destination, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector256<T>.Count;
        if (!CanVectorize<T>() || length < lanes)
        {
            for (int j = 0; j < length; j++)
            {
                Unsafe.Add(ref destination, j) = Unsafe.Add(ref source, j);
            }

            return;
        }

        for (int j = 0; j < length - lanes; j += lanes)
        {
            Vector256.LoadUnsafe(ref source, (nuint)j).StoreUnsafe(ref destination, (nuint)j);
        }

        Vector256.LoadUnsafe(ref source, (nuint)(length - lanes)).StoreUnsafe(ref destination, (nuint)(length - lanes));
    }

    /// <summary>
    /// Copies <paramref name="planes"/> planes of <paramref name="rows"/> rows of <paramref name="width"/> elements between
    /// two strided layouts, <c>destination[p * destinationPlane + r * destinationRow + j] = source[p * sourcePlane + r * sourceRow + j]</c>,
    /// row by row with <see cref="CopyShort{T}"/>: images into zero-padded planes and back. The two must not overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CopyPlanes<T>(ref T source, int sourcePlane, int sourceRow, ref T destination, int destinationPlane, int destinationRow, int planes, int rows, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < planes; p++)
        {
            ref T from = ref Unsafe.Add(ref source, p * sourcePlane);
            ref T to = ref Unsafe.Add(ref destination, p * destinationPlane);
            for (int r = 0; r < rows; r++)
            {
                CopyShort(ref Unsafe.Add(ref from, r * sourceRow), ref Unsafe.Add(ref to, r * destinationRow), width);
            }
        }
    }

    /// <summary>
    /// How many elements differ between two rows of the same length, counting no further than just past
    /// <paramref name="limit"/>: the count, or a number above the limit; <see cref="int.MaxValue"/> when a differing pair
    /// holds a value that is not finite (a NaN differs from everything, itself included), so that a sum carried from one
    /// row to the next never carries it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CountChanges<T>(ReadOnlySpan<T> current, ReadOnlySpan<T> previous, int limit)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, n = current.Length, changes = 0;
        ref T cr = ref MemoryMarshal.GetReference(current);
        ref T pr = ref MemoryMarshal.GetReference(previous);
        if (CanVectorize<T>())
        {
            for (; i <= n - Vector256<T>.Count && changes <= limit; i += Vector256<T>.Count)
            {
                Vector256<T> now = Vector256.LoadUnsafe(ref cr, (nuint)i), was = Vector256.LoadUnsafe(ref pr, (nuint)i);
                Vector256<T> same = Vector256.Equals(now, was);
                if (same == Vector256<T>.AllBitsSet)
                {
                    continue;
                }

                // x - x is 0 for a finite x only.
                Vector256<T> finite = Vector256.Equals(now - now, Vector256<T>.Zero) & Vector256.Equals(was - was, Vector256<T>.Zero);
                if ((~same & ~finite) != Vector256<T>.Zero)
                {
                    return int.MaxValue;
                }

                changes += Vector256<T>.Count - BitOperations.PopCount(same.ExtractMostSignificantBits());
            }
        }

        for (; i < n && changes <= limit; i++)
        {
            T now = Unsafe.Add(ref cr, i), was = Unsafe.Add(ref pr, i);
            if (now != was)
            {
                if (!T.IsFinite(now) || !T.IsFinite(was))
                {
                    return int.MaxValue;
                }

                changes++;
            }
        }

        return changes;
    }
}
