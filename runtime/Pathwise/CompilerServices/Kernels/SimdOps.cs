using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// The few vector operations the blocked GEMM-style micro-kernels need, abstracted over the register width so one
/// micro-kernel body serves <see cref="Vector256{T}"/> and <see cref="Vector512{T}"/>. Implementations are structs;
/// the JIT specializes and inlines every call.
/// </summary>
internal interface ISimdOps<T, TVector>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVector : struct
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    static abstract TVector Load(ref T source, nuint offset);

    static abstract void Store(TVector value, ref T destination, nuint offset);

    static abstract TVector Broadcast(T value);

    /// <summary><c>a * b + c</c>, fused where the hardware has FMA.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary><c>a + b</c>.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary>Zeroes lanes <c>[0, skip)</c> of <paramref name="value"/>, keeps lanes <c>[skip, Count)</c>.</summary>
    static abstract TVector ZeroLeading(TVector value, int skip);

    /// <summary>Sum of all lanes.</summary>
    static abstract T Sum(TVector value);

    /// <summary><c>destination[j] = sum(a_j) (+ bias[j])</c> for <c>j</c> in 0..3 (four horizontal sums at once).</summary>
    static abstract void StoreSums4(TVector a0, TVector a1, TVector a2, TVector a3, ref T destination, ref T bias, bool hasBias);

    /// <summary>
    /// Transposes a <c>Count x Count</c> block: <c>destination[c * destinationStride + r] = source[min(r, rows - 1) *
    /// sourceStride + c]</c> for <c>r, c</c> in <c>[0, Count)</c>, so source rows past <paramref name="rows"/> (1 to
    /// <c>Count</c>) repeat the last one and are never read. The blocks must not overlap.
    /// </summary>
    static abstract void TransposeBlock(ref T source, nuint sourceStride, int rows, ref T destination, nuint destinationStride);
}

/// <summary><see cref="ISimdOps{T, TVector}"/> over <see cref="Vector256{T}"/>.</summary>
internal readonly struct Simd256<T> : ISimdOps<T, Vector256<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => VectorMath.MultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ZeroLeading(Vector256<T> value, int skip)
    {
        if (typeof(T) == typeof(float))
        {
            Vector256<int> keep = Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(skip));
            return (value.AsInt32() & keep).As<int, T>();
        }

        Vector256<long> keep64 = Vector256.GreaterThanOrEqual(Vector256<long>.Indices, Vector256.Create((long)skip));
        return (value.AsInt64() & keep64).As<long, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector256<T> value) => Vector256.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSums4(Vector256<T> a0, Vector256<T> a1, Vector256<T> a2, Vector256<T> a3, ref T destination, ref T bias, bool hasBias)
    {
        if (Avx.IsSupported && typeof(T) == typeof(float))
        {
            Vector256<float> h = Avx.HorizontalAdd(
                Avx.HorizontalAdd(a0.AsSingle(), a1.AsSingle()),
                Avx.HorizontalAdd(a2.AsSingle(), a3.AsSingle()));
            Vector128<float> s = h.GetLower() + h.GetUpper();
            if (hasBias)
            {
                s += Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref bias));
            }

            s.StoreUnsafe(ref Unsafe.As<T, float>(ref destination));
            return;
        }

        if (Avx.IsSupported && typeof(T) == typeof(double))
        {
            Vector256<double> h01 = Avx.HorizontalAdd(a0.AsDouble(), a1.AsDouble());
            Vector256<double> h23 = Avx.HorizontalAdd(a2.AsDouble(), a3.AsDouble());
            Vector256<double> s = Vector256.Create(h01.GetLower() + h01.GetUpper(), h23.GetLower() + h23.GetUpper());
            if (hasBias)
            {
                s += Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref bias));
            }

            s.StoreUnsafe(ref Unsafe.As<T, double>(ref destination));
            return;
        }

        T s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        if (hasBias)
        {
            s0 += bias;
            s1 += Unsafe.Add(ref bias, 1);
            s2 += Unsafe.Add(ref bias, 2);
            s3 += Unsafe.Add(ref bias, 3);
        }

        destination = s0;
        Unsafe.Add(ref destination, 1) = s1;
        Unsafe.Add(ref destination, 2) = s2;
        Unsafe.Add(ref destination, 3) = s3;
    }

    // Too large to inline; compiled fully optimised on first call (a call per block costs little).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposeBlock(ref T source, nuint sourceStride, int rows, ref T destination, nuint destinationStride)
    {
        int last = rows - 1;
        if (Avx.IsSupported && typeof(T) == typeof(float))
        {
            // 8 x 8: pairs of rows interleaved, then pairs of pairs, then the 128-bit halves exchanged.
            ref float s = ref Unsafe.As<T, float>(ref source);
            Vector256<float> r0 = Vector256.LoadUnsafe(ref s), r1 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(1, last) * sourceStride);
            Vector256<float> r2 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(2, last) * sourceStride), r3 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(3, last) * sourceStride);
            Vector256<float> r4 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(4, last) * sourceStride), r5 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(5, last) * sourceStride);
            Vector256<float> r6 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(6, last) * sourceStride), r7 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(7, last) * sourceStride);
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
            Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
            Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            ref float d = ref Unsafe.As<T, float>(ref destination);
            Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref d);
            Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref d, destinationStride);
            Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref d, 2 * destinationStride);
            Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref d, 3 * destinationStride);
            Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref d, 4 * destinationStride);
            Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref d, 5 * destinationStride);
            Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref d, 6 * destinationStride);
            Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref d, 7 * destinationStride);
            return;
        }

        if (Avx.IsSupported && typeof(T) == typeof(double))
        {
            // 4 x 4: pairs of rows interleaved, then the 128-bit halves exchanged.
            ref double s = ref Unsafe.As<T, double>(ref source);
            Vector256<double> r0 = Vector256.LoadUnsafe(ref s), r1 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(1, last) * sourceStride);
            Vector256<double> r2 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(2, last) * sourceStride), r3 = Vector256.LoadUnsafe(ref s, (nuint)Math.Min(3, last) * sourceStride);
            Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<double> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            ref double d = ref Unsafe.As<T, double>(ref destination);
            Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref d);
            Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref d, destinationStride);
            Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref d, 2 * destinationStride);
            Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref d, 3 * destinationStride);
            return;
        }

        int count = Vector256<T>.Count;
        for (int r = 0; r < count; r++)
        {
            for (int c = 0; c < count; c++)
            {
                Unsafe.Add(ref destination, (nint)((nuint)c * destinationStride) + r) = Unsafe.Add(ref source, (nint)((nuint)Math.Min(r, last) * sourceStride) + c);
            }
        }
    }
}

/// <summary><see cref="ISimdOps{T, TVector}"/> over <see cref="Vector512{T}"/>.</summary>
internal readonly struct Simd512<T> : ISimdOps<T, Vector512<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }

        if (typeof(T) == typeof(double))
        {
            return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        }

        return (a * b) + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ZeroLeading(Vector512<T> value, int skip)
    {
        if (typeof(T) == typeof(float))
        {
            Vector512<int> keep = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(skip));
            return (value.AsInt32() & keep).As<int, T>();
        }

        Vector512<long> keep64 = Vector512.GreaterThanOrEqual(Vector512<long>.Indices, Vector512.Create((long)skip));
        return (value.AsInt64() & keep64).As<long, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector512<T> value) => Vector512.Sum(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreSums4(Vector512<T> a0, Vector512<T> a1, Vector512<T> a2, Vector512<T> a3, ref T destination, ref T bias, bool hasBias) =>
        Simd256<T>.StoreSums4(
            a0.GetLower() + a0.GetUpper(),
            a1.GetLower() + a1.GetUpper(),
            a2.GetLower() + a2.GetUpper(),
            a3.GetLower() + a3.GetUpper(),
            ref destination,
            ref bias,
            hasBias);

    // Too large to inline; compiled fully optimised on first call (a call per block costs little).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposeBlock(ref T source, nuint sourceStride, int rows, ref T destination, nuint destinationStride)
    {
        // Four Vector256 blocks: quadrant (r, c) of the source is quadrant (c, r) of the destination. When the lower
        // half has no rows of its own, it repeats the last row of the upper half.
        int half = Vector256<T>.Count;
        int upper = Math.Min(rows, half);
        ref T lower = ref Unsafe.Add(ref source, (nint)((nuint)(rows > half ? half : rows - 1) * sourceStride));
        int lowerRows = rows > half ? rows - half : 1;
        Simd256<T>.TransposeBlock(ref source, sourceStride, upper, ref destination, destinationStride);
        Simd256<T>.TransposeBlock(ref Unsafe.Add(ref source, half), sourceStride, upper, ref Unsafe.Add(ref destination, (nint)((nuint)half * destinationStride)), destinationStride);
        Simd256<T>.TransposeBlock(ref lower, sourceStride, lowerRows, ref Unsafe.Add(ref destination, half), destinationStride);
        Simd256<T>.TransposeBlock(ref Unsafe.Add(ref lower, half), sourceStride, lowerRows, ref Unsafe.Add(ref destination, (nint)((nuint)half * destinationStride) + half), destinationStride);
    }
}
