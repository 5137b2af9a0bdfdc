using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise.Kernels;

/// <summary>Fully connected layer kernels in PyTorch <c>nn.Linear</c> layout (weight is <c>[outputs, inputs]</c>).</summary>
/// <remarks>
/// The products are register-blocked: four rows of <c>x</c> against four rows of the weight (dot-product form) in
/// <see cref="Forward{T}"/>, and four rows of <c>dy</c> against two vectors of weight columns (axpy form, contiguous)
/// in <see cref="BackwardInput{T}"/>. Accumulation happens in the element type (float sums in float), as PyTorch does.
/// Sources and destinations must not overlap.
/// </remarks>
public static class DenseKernel
{
    /// <summary>Forward pass: <c>y[n, o] = bias[o] + sum_i x[n, i] * weight[o, i]</c>.</summary>
    /// <param name="x">Inputs, <c>[count, inputs]</c>.</param>
    /// <param name="weight">Weights, <c>[outputs, inputs]</c>.</param>
    /// <param name="bias">Bias, <c>[outputs]</c>, or empty for no bias.</param>
    /// <param name="y">Destination, <c>[count, outputs]</c> (overwritten).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="inputs">Input features.</param>
    /// <param name="outputs">Output features.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(x.Length, ThrowHelper.Product(count, inputs, "x length"), nameof(x));
        ThrowHelper.RequireLength(weight.Length, ThrowHelper.Product(outputs, inputs, "weight length"), nameof(weight));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireLength(bias.Length, outputs, nameof(bias));
        }

        ThrowHelper.RequireDestination(y.Length, ThrowHelper.Product(count, outputs, "y length"), nameof(y));
        if (count == 0 || outputs == 0)
        {
            return;
        }

        bool hasBias = !bias.IsEmpty;
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T wRef = ref MemoryMarshal.GetReference(weight);
        ref T bRef = ref MemoryMarshal.GetReference(bias);
        ref T yRef = ref MemoryMarshal.GetReference(y);

        if (!VectorMath.CanVectorize<T>() || inputs < Vector256<T>.Count)
        {
            // Small or non-SIMD case: one dot product per output, low overhead.
            for (int n = 0; n < count; n++)
            {
                ReadOnlySpan<T> row = x.Slice(n * inputs, inputs);
                for (int o = 0; o < outputs; o++)
                {
                    T sum = TensorPrimitives.Dot(row, weight.Slice(o * inputs, inputs));
                    Unsafe.Add(ref yRef, n * outputs + o) = hasBias ? Unsafe.Add(ref bRef, o) + sum : sum;
                }
            }

            return;
        }

        int n0 = 0;
        for (; n0 <= count - 4; n0 += 4)
        {
            int o0 = 0;
            for (; o0 <= outputs - 4; o0 += 4)
            {
                Dot4x4(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n0, o0, inputs, outputs);
            }

            for (; o0 < outputs; o0++)
            {
                Dot4x1(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n0, o0, inputs, outputs);
            }
        }

        for (; n0 < count; n0++)
        {
            int o0 = 0;
            for (; o0 <= outputs - 4; o0 += 4)
            {
                Dot1x4(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n0, o0, inputs, outputs);
            }

            for (; o0 < outputs; o0++)
            {
                T sum = TensorPrimitives.Dot(x.Slice(n0 * inputs, inputs), weight.Slice(o0 * inputs, inputs));
                Unsafe.Add(ref yRef, n0 * outputs + o0) = hasBias ? Unsafe.Add(ref bRef, o0) + sum : sum;
            }
        }
    }

    /// <summary>
    /// Gradient with respect to the input: <c>dx[n, i] = sum_o dy[n, o] * weight[o, i]</c>. Overwrites <paramref name="dx"/>.
    /// </summary>
    /// <param name="dy">Output gradient, <c>[count, outputs]</c>.</param>
    /// <param name="weight">Weights, <c>[outputs, inputs]</c>.</param>
    /// <param name="dx">Destination, <c>[count, inputs]</c> (overwritten, not accumulated into).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="inputs">Input features.</param>
    /// <param name="outputs">Output features.</param>
    public static void BackwardInput<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(dy.Length, ThrowHelper.Product(count, outputs, "dy length"), nameof(dy));
        ThrowHelper.RequireLength(weight.Length, ThrowHelper.Product(outputs, inputs, "weight length"), nameof(weight));
        ThrowHelper.RequireDestination(dx.Length, ThrowHelper.Product(count, inputs, "dx length"), nameof(dx));
        if (count == 0 || inputs == 0)
        {
            return;
        }

        ref T dyRef = ref MemoryMarshal.GetReference(dy);
        ref T wRef = ref MemoryMarshal.GetReference(weight);
        ref T dxRef = ref MemoryMarshal.GetReference(dx);

        if (!VectorMath.CanVectorize<T>() || inputs < Vector256<T>.Count)
        {
            // Small or non-SIMD case: dx row = sum_o dy[n, o] * weight row o.
            for (int n = 0; n < count; n++)
            {
                Span<T> row = dx.Slice(n * inputs, inputs);
                row.Clear();
                for (int o = 0; o < outputs; o++)
                {
                    T scale = Unsafe.Add(ref dyRef, n * outputs + o);
                    for (int i = 0; i < inputs; i++)
                    {
                        row[i] += scale * Unsafe.Add(ref wRef, o * inputs + i);
                    }
                }
            }

            return;
        }

        // Column strips outermost: one strip of the weight ([outputs, 2 vectors]) stays in L1 while every block of
        // dy rows streams past it.
        int width = Vector256<T>.Count;
        int fullRows = count - count % 4;
        int i0 = 0;
        for (; i0 <= inputs - 2 * width; i0 += 2 * width)
        {
            int n0 = 0;
            for (; n0 < fullRows; n0 += 4)
            {
                Axpy4x2(ref dyRef, ref wRef, ref dxRef, n0, i0, inputs, outputs);
            }

            for (; n0 < count; n0++)
            {
                Axpy1x2(ref dyRef, ref wRef, ref dxRef, n0, i0, inputs, outputs);
            }
        }

        for (; i0 <= inputs - width; i0 += width)
        {
            int n0 = 0;
            for (; n0 < fullRows; n0 += 4)
            {
                Axpy4x1(ref dyRef, ref wRef, ref dxRef, n0, i0, inputs, outputs);
            }

            for (; n0 < count; n0++)
            {
                Axpy1x1(ref dyRef, ref wRef, ref dxRef, n0, i0, inputs, outputs);
            }
        }

        for (int n = 0; n < count; n++)
        {
            ScalarColumns(ref dyRef, ref wRef, ref dxRef, n, i0, inputs, outputs);
        }
    }

    // ---- Forward micro-kernels (dot-product form over the contiguous input dimension) ----

    private static void Dot4x4<T>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int n0, int o0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref Unsafe.Add(ref xRef, n0 * inputs);
        ref T x1 = ref Unsafe.Add(ref x0, inputs);
        ref T x2 = ref Unsafe.Add(ref x1, inputs);
        ref T x3 = ref Unsafe.Add(ref x2, inputs);
        ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);
        ref T w1 = ref Unsafe.Add(ref w0, inputs);
        ref T w2 = ref Unsafe.Add(ref w1, inputs);
        ref T w3 = ref Unsafe.Add(ref w2, inputs);

        Vector256<T> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<T> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<T> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<T> a30 = default, a31 = default, a32 = default, a33 = default;

        int width = Vector256<T>.Count;
        int i = 0;
        for (; i <= inputs - width; i += width)
        {
            nuint k = (nuint)i;
            Vector256<T> xv0 = Vector256.LoadUnsafe(ref x0, k);
            Vector256<T> xv1 = Vector256.LoadUnsafe(ref x1, k);
            Vector256<T> xv2 = Vector256.LoadUnsafe(ref x2, k);
            Vector256<T> xv3 = Vector256.LoadUnsafe(ref x3, k);

            Vector256<T> wv = Vector256.LoadUnsafe(ref w0, k);
            a00 = VectorMath.MultiplyAdd(xv0, wv, a00);
            a10 = VectorMath.MultiplyAdd(xv1, wv, a10);
            a20 = VectorMath.MultiplyAdd(xv2, wv, a20);
            a30 = VectorMath.MultiplyAdd(xv3, wv, a30);

            wv = Vector256.LoadUnsafe(ref w1, k);
            a01 = VectorMath.MultiplyAdd(xv0, wv, a01);
            a11 = VectorMath.MultiplyAdd(xv1, wv, a11);
            a21 = VectorMath.MultiplyAdd(xv2, wv, a21);
            a31 = VectorMath.MultiplyAdd(xv3, wv, a31);

            wv = Vector256.LoadUnsafe(ref w2, k);
            a02 = VectorMath.MultiplyAdd(xv0, wv, a02);
            a12 = VectorMath.MultiplyAdd(xv1, wv, a12);
            a22 = VectorMath.MultiplyAdd(xv2, wv, a22);
            a32 = VectorMath.MultiplyAdd(xv3, wv, a32);

            wv = Vector256.LoadUnsafe(ref w3, k);
            a03 = VectorMath.MultiplyAdd(xv0, wv, a03);
            a13 = VectorMath.MultiplyAdd(xv1, wv, a13);
            a23 = VectorMath.MultiplyAdd(xv2, wv, a23);
            a33 = VectorMath.MultiplyAdd(xv3, wv, a33);
        }

        T s00 = Vector256.Sum(a00), s01 = Vector256.Sum(a01), s02 = Vector256.Sum(a02), s03 = Vector256.Sum(a03);
        T s10 = Vector256.Sum(a10), s11 = Vector256.Sum(a11), s12 = Vector256.Sum(a12), s13 = Vector256.Sum(a13);
        T s20 = Vector256.Sum(a20), s21 = Vector256.Sum(a21), s22 = Vector256.Sum(a22), s23 = Vector256.Sum(a23);
        T s30 = Vector256.Sum(a30), s31 = Vector256.Sum(a31), s32 = Vector256.Sum(a32), s33 = Vector256.Sum(a33);

        for (; i < inputs; i++)
        {
            T xs0 = Unsafe.Add(ref x0, i), xs1 = Unsafe.Add(ref x1, i), xs2 = Unsafe.Add(ref x2, i), xs3 = Unsafe.Add(ref x3, i);
            T ws0 = Unsafe.Add(ref w0, i), ws1 = Unsafe.Add(ref w1, i), ws2 = Unsafe.Add(ref w2, i), ws3 = Unsafe.Add(ref w3, i);
            s00 += xs0 * ws0; s01 += xs0 * ws1; s02 += xs0 * ws2; s03 += xs0 * ws3;
            s10 += xs1 * ws0; s11 += xs1 * ws1; s12 += xs1 * ws2; s13 += xs1 * ws3;
            s20 += xs2 * ws0; s21 += xs2 * ws1; s22 += xs2 * ws2; s23 += xs2 * ws3;
            s30 += xs3 * ws0; s31 += xs3 * ws1; s32 += xs3 * ws2; s33 += xs3 * ws3;
        }

        if (hasBias)
        {
            T b0 = Unsafe.Add(ref bRef, o0), b1 = Unsafe.Add(ref bRef, o0 + 1), b2 = Unsafe.Add(ref bRef, o0 + 2), b3 = Unsafe.Add(ref bRef, o0 + 3);
            s00 += b0; s01 += b1; s02 += b2; s03 += b3;
            s10 += b0; s11 += b1; s12 += b2; s13 += b3;
            s20 += b0; s21 += b1; s22 += b2; s23 += b3;
            s30 += b0; s31 += b1; s32 += b2; s33 += b3;
        }

        ref T y0 = ref Unsafe.Add(ref yRef, n0 * outputs + o0);
        ref T y1 = ref Unsafe.Add(ref y0, outputs);
        ref T y2 = ref Unsafe.Add(ref y1, outputs);
        ref T y3 = ref Unsafe.Add(ref y2, outputs);
        y0 = s00; Unsafe.Add(ref y0, 1) = s01; Unsafe.Add(ref y0, 2) = s02; Unsafe.Add(ref y0, 3) = s03;
        y1 = s10; Unsafe.Add(ref y1, 1) = s11; Unsafe.Add(ref y1, 2) = s12; Unsafe.Add(ref y1, 3) = s13;
        y2 = s20; Unsafe.Add(ref y2, 1) = s21; Unsafe.Add(ref y2, 2) = s22; Unsafe.Add(ref y2, 3) = s23;
        y3 = s30; Unsafe.Add(ref y3, 1) = s31; Unsafe.Add(ref y3, 2) = s32; Unsafe.Add(ref y3, 3) = s33;
    }

    private static void Dot4x1<T>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int n0, int o0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref Unsafe.Add(ref xRef, n0 * inputs);
        ref T x1 = ref Unsafe.Add(ref x0, inputs);
        ref T x2 = ref Unsafe.Add(ref x1, inputs);
        ref T x3 = ref Unsafe.Add(ref x2, inputs);
        ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);

        Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default;
        int width = Vector256<T>.Count;
        int i = 0;
        for (; i <= inputs - width; i += width)
        {
            nuint k = (nuint)i;
            Vector256<T> wv = Vector256.LoadUnsafe(ref w0, k);
            a0 = VectorMath.MultiplyAdd(Vector256.LoadUnsafe(ref x0, k), wv, a0);
            a1 = VectorMath.MultiplyAdd(Vector256.LoadUnsafe(ref x1, k), wv, a1);
            a2 = VectorMath.MultiplyAdd(Vector256.LoadUnsafe(ref x2, k), wv, a2);
            a3 = VectorMath.MultiplyAdd(Vector256.LoadUnsafe(ref x3, k), wv, a3);
        }

        T s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < inputs; i++)
        {
            T ws = Unsafe.Add(ref w0, i);
            s0 += Unsafe.Add(ref x0, i) * ws;
            s1 += Unsafe.Add(ref x1, i) * ws;
            s2 += Unsafe.Add(ref x2, i) * ws;
            s3 += Unsafe.Add(ref x3, i) * ws;
        }

        if (hasBias)
        {
            T b = Unsafe.Add(ref bRef, o0);
            s0 += b; s1 += b; s2 += b; s3 += b;
        }

        ref T y0 = ref Unsafe.Add(ref yRef, n0 * outputs + o0);
        y0 = s0;
        Unsafe.Add(ref y0, outputs) = s1;
        Unsafe.Add(ref y0, 2 * outputs) = s2;
        Unsafe.Add(ref y0, 3 * outputs) = s3;
    }

    private static void Dot1x4<T>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int n0, int o0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x0 = ref Unsafe.Add(ref xRef, n0 * inputs);
        ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);
        ref T w1 = ref Unsafe.Add(ref w0, inputs);
        ref T w2 = ref Unsafe.Add(ref w1, inputs);
        ref T w3 = ref Unsafe.Add(ref w2, inputs);

        Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default;
        int width = Vector256<T>.Count;
        int i = 0;
        for (; i <= inputs - width; i += width)
        {
            nuint k = (nuint)i;
            Vector256<T> xv = Vector256.LoadUnsafe(ref x0, k);
            a0 = VectorMath.MultiplyAdd(xv, Vector256.LoadUnsafe(ref w0, k), a0);
            a1 = VectorMath.MultiplyAdd(xv, Vector256.LoadUnsafe(ref w1, k), a1);
            a2 = VectorMath.MultiplyAdd(xv, Vector256.LoadUnsafe(ref w2, k), a2);
            a3 = VectorMath.MultiplyAdd(xv, Vector256.LoadUnsafe(ref w3, k), a3);
        }

        T s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < inputs; i++)
        {
            T xs = Unsafe.Add(ref x0, i);
            s0 += xs * Unsafe.Add(ref w0, i);
            s1 += xs * Unsafe.Add(ref w1, i);
            s2 += xs * Unsafe.Add(ref w2, i);
            s3 += xs * Unsafe.Add(ref w3, i);
        }

        if (hasBias)
        {
            s0 += Unsafe.Add(ref bRef, o0);
            s1 += Unsafe.Add(ref bRef, o0 + 1);
            s2 += Unsafe.Add(ref bRef, o0 + 2);
            s3 += Unsafe.Add(ref bRef, o0 + 3);
        }

        ref T y0 = ref Unsafe.Add(ref yRef, n0 * outputs + o0);
        y0 = s0;
        Unsafe.Add(ref y0, 1) = s1;
        Unsafe.Add(ref y0, 2) = s2;
        Unsafe.Add(ref y0, 3) = s3;
    }

    // ---- BackwardInput micro-kernels (axpy form: rows of weight scaled by dy, contiguous in inputs) ----

    private static void Axpy4x2<T>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector256<T>.Count;
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T d1 = ref Unsafe.Add(ref d0, outputs);
        ref T d2 = ref Unsafe.Add(ref d1, outputs);
        ref T d3 = ref Unsafe.Add(ref d2, outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);

        Vector256<T> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector256<T> a20 = default, a21 = default, a30 = default, a31 = default;
        for (int o = 0; o < outputs; o++)
        {
            nuint k = (nuint)(o * inputs);
            Vector256<T> wv0 = Vector256.LoadUnsafe(ref w, k);
            Vector256<T> wv1 = Vector256.LoadUnsafe(ref w, k + (nuint)width);

            Vector256<T> b = Vector256.Create(Unsafe.Add(ref d0, o));
            a00 = VectorMath.MultiplyAdd(b, wv0, a00);
            a01 = VectorMath.MultiplyAdd(b, wv1, a01);
            b = Vector256.Create(Unsafe.Add(ref d1, o));
            a10 = VectorMath.MultiplyAdd(b, wv0, a10);
            a11 = VectorMath.MultiplyAdd(b, wv1, a11);
            b = Vector256.Create(Unsafe.Add(ref d2, o));
            a20 = VectorMath.MultiplyAdd(b, wv0, a20);
            a21 = VectorMath.MultiplyAdd(b, wv1, a21);
            b = Vector256.Create(Unsafe.Add(ref d3, o));
            a30 = VectorMath.MultiplyAdd(b, wv0, a30);
            a31 = VectorMath.MultiplyAdd(b, wv1, a31);
        }

        ref T x0 = ref Unsafe.Add(ref dxRef, n0 * inputs + i0);
        nuint stride = (nuint)inputs;
        nuint second = (nuint)width;
        a00.StoreUnsafe(ref x0, 0);
        a01.StoreUnsafe(ref x0, second);
        a10.StoreUnsafe(ref x0, stride);
        a11.StoreUnsafe(ref x0, stride + second);
        a20.StoreUnsafe(ref x0, 2 * stride);
        a21.StoreUnsafe(ref x0, 2 * stride + second);
        a30.StoreUnsafe(ref x0, 3 * stride);
        a31.StoreUnsafe(ref x0, 3 * stride + second);
    }

    private static void Axpy4x1<T>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T d1 = ref Unsafe.Add(ref d0, outputs);
        ref T d2 = ref Unsafe.Add(ref d1, outputs);
        ref T d3 = ref Unsafe.Add(ref d2, outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);

        Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int o = 0; o < outputs; o++)
        {
            Vector256<T> wv = Vector256.LoadUnsafe(ref w, (nuint)(o * inputs));
            a0 = VectorMath.MultiplyAdd(Vector256.Create(Unsafe.Add(ref d0, o)), wv, a0);
            a1 = VectorMath.MultiplyAdd(Vector256.Create(Unsafe.Add(ref d1, o)), wv, a1);
            a2 = VectorMath.MultiplyAdd(Vector256.Create(Unsafe.Add(ref d2, o)), wv, a2);
            a3 = VectorMath.MultiplyAdd(Vector256.Create(Unsafe.Add(ref d3, o)), wv, a3);
        }

        ref T x0 = ref Unsafe.Add(ref dxRef, n0 * inputs + i0);
        nuint stride = (nuint)inputs;
        a0.StoreUnsafe(ref x0, 0);
        a1.StoreUnsafe(ref x0, stride);
        a2.StoreUnsafe(ref x0, 2 * stride);
        a3.StoreUnsafe(ref x0, 3 * stride);
    }

    private static void Axpy1x2<T>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector256<T>.Count;
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);
        Vector256<T> a0 = default, a1 = default;
        for (int o = 0; o < outputs; o++)
        {
            nuint k = (nuint)(o * inputs);
            Vector256<T> b = Vector256.Create(Unsafe.Add(ref d0, o));
            a0 = VectorMath.MultiplyAdd(b, Vector256.LoadUnsafe(ref w, k), a0);
            a1 = VectorMath.MultiplyAdd(b, Vector256.LoadUnsafe(ref w, k + (nuint)width), a1);
        }

        ref T x0 = ref Unsafe.Add(ref dxRef, n0 * inputs + i0);
        a0.StoreUnsafe(ref x0, 0);
        a1.StoreUnsafe(ref x0, (nuint)width);
    }

    private static void Axpy1x1<T>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);
        Vector256<T> a0 = default;
        for (int o = 0; o < outputs; o++)
        {
            a0 = VectorMath.MultiplyAdd(Vector256.Create(Unsafe.Add(ref d0, o)), Vector256.LoadUnsafe(ref w, (nuint)(o * inputs)), a0);
        }

        a0.StoreUnsafe(ref Unsafe.Add(ref dxRef, n0 * inputs + i0));
    }

    // dx[n, i] for i in [i0, inputs): the fewer-than-one-vector tail, gathered down the weight columns.
    private static void ScalarColumns<T>(ref T dyRef, ref T wRef, ref T dxRef, int n, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T d = ref Unsafe.Add(ref dyRef, n * outputs);
        for (int i = i0; i < inputs; i++)
        {
            T sum = T.Zero;
            for (int o = 0; o < outputs; o++)
            {
                sum += Unsafe.Add(ref d, o) * Unsafe.Add(ref wRef, o * inputs + i);
            }

            Unsafe.Add(ref dxRef, n * inputs + i) = sum;
        }
    }
}
