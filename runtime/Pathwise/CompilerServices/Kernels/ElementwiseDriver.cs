using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>An elementwise operator of one argument, in scalar and <see cref="Vector256{T}"/> form.</summary>
internal interface IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x);

    Vector256<T> Invoke(Vector256<T> x);
}

/// <summary>An elementwise operator of two arguments, in scalar and <see cref="Vector256{T}"/> form.</summary>
internal interface IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    T Invoke(T x, T y);

    Vector256<T> Invoke(Vector256<T> x, Vector256<T> y);
}

/// <summary>
/// Runs elementwise operators over spans: full vectors first, then a scalar tail (never an overlapping last vector,
/// so a destination that is exactly one of the sources is safe). Callers validate lengths.
/// </summary>
internal static class ElementwiseDriver
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unary<T, TOperator>(ReadOnlySpan<T> x, Span<T> destination, TOperator op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOperator : struct, IUnaryOperator<T>
    {
        int length = x.Length;
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (VectorMath.CanVectorize<T>())
        {
            int width = Vector256<T>.Count;
            for (; i <= length - width; i += width)
            {
                op.Invoke(Vector256.LoadUnsafe(ref xRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref dRef, i) = op.Invoke(Unsafe.Add(ref xRef, i));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Binary<T, TOperator>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination, TOperator op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOperator : struct, IBinaryOperator<T>
    {
        int length = x.Length;
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        ref T dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (VectorMath.CanVectorize<T>())
        {
            int width = Vector256<T>.Count;
            for (; i <= length - width; i += width)
            {
                nuint k = (nuint)i;
                op.Invoke(Vector256.LoadUnsafe(ref xRef, k), Vector256.LoadUnsafe(ref yRef, k)).StoreUnsafe(ref dRef, k);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref dRef, i) = op.Invoke(Unsafe.Add(ref xRef, i), Unsafe.Add(ref yRef, i));
        }
    }
}
