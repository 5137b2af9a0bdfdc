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

    /// <summary>Zeroes lanes <c>[0, skip)</c> of <paramref name="value"/>, keeps lanes <c>[skip, Count)</c>.</summary>
    static abstract TVector ZeroLeading(TVector value, int skip);

    /// <summary>Sum of all lanes.</summary>
    static abstract T Sum(TVector value);

    /// <summary><c>destination[j] = sum(a_j) (+ bias[j])</c> for <c>j</c> in 0..3 (four horizontal sums at once).</summary>
    static abstract void StoreSums4(TVector a0, TVector a1, TVector a2, TVector a3, ref T destination, ref T bias, bool hasBias);
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
}
