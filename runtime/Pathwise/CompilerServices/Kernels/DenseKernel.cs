using System;
using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>Fully connected layer kernels in PyTorch <c>nn.Linear</c> layout (weight is <c>[outputs, inputs]</c>).</summary>
/// <remarks>
/// The products are register-blocked with <see cref="Vector512{T}"/> where it is accelerated, else <see cref="Vector256{T}"/>:
/// four rows of <c>x</c> against four rows of the weight (dot-product form, 16 accumulators, the four horizontal sums of
/// a row reduced together) in <see cref="Forward{T}"/>, tiled over outputs so a weight tile stays in L1; four rows of
/// <c>dy</c> against two or four vectors of weight columns (axpy form, contiguous) in <see cref="BackwardInput{T}"/>,
/// and for one to three rows a single in-order pass over the weight. Partial vectors are handled by overlapping the
/// last full vector (masked where it would double count), not by scalar tails. Inputs narrower than one
/// <see cref="Vector256{T}"/> take a low-overhead scalar path. Accumulation happens in the element type (float sums in
/// float), as PyTorch does.
/// Sources and destinations must not overlap.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

        if (VectorMath.CanVectorize<T>() && PacksRows(count, inputs, outputs))
        {
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && count >= Vector512<T>.Count)
            {
                ForwardPacked<T, Vector512<T>, Simd512<T>>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, count, inputs, outputs);
            }
            else
            {
                ForwardPacked<T, Vector256<T>, Simd256<T>>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, count, inputs, outputs);
            }

            return;
        }

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

        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && inputs >= Vector512<T>.Count)
        {
            ForwardBlocked<T, Vector512<T>, Simd512<T>>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, count, inputs, outputs);
        }
        else
        {
            ForwardBlocked<T, Vector256<T>, Simd256<T>>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, count, inputs, outputs);
        }
    }

    /// <summary>
    /// The first layer's two products on a straight path from <c>x'</c> along <c>d</c>: <c>start[o] = bias[o] + sum_i
    /// x'[i] * weight[o, i]</c> and <c>step[o] = sum_i d[i] * weight[o, i]</c>. A large weight is read from memory once,
    /// not once per product: with an all-zero baseline (the default) <c>start</c> is the bias and only <c>step</c> is a
    /// product; otherwise both rows go through one blocked product.
    /// </summary>
    /// <param name="baseline">The path's start <c>x'</c>, <c>[inputs]</c>.</param>
    /// <param name="direction">The path's direction <c>d = x - x'</c>, <c>[inputs]</c>.</param>
    /// <param name="weight">Weights, <c>[outputs, inputs]</c>.</param>
    /// <param name="bias">Bias, <c>[outputs]</c>, or empty for no bias.</param>
    /// <param name="start">Destination of <c>z(x')</c>, <c>[outputs]</c> (overwritten).</param>
    /// <param name="step">Destination of <c>W d</c>, <c>[outputs]</c> (overwritten).</param>
    /// <param name="inputs">Input features.</param>
    /// <param name="outputs">Output features.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PathEnds<T>(ReadOnlySpan<T> baseline, ReadOnlySpan<T> direction, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> start, Span<T> step, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(inputs, nameof(inputs));
        ThrowHelper.RequireNonNegative(outputs, nameof(outputs));
        ThrowHelper.RequireLength(baseline.Length, inputs, nameof(baseline));
        ThrowHelper.RequireDestination(start.Length, outputs, nameof(start));
        if (baseline.ContainsAnyExcept(T.Zero))
        {
            ThrowHelper.RequireLength(direction.Length, inputs, nameof(direction));
            T[] scratch = KernelScratch<T>.Rent(2 * (inputs + outputs));
            Span<T> rows = scratch.AsSpan(0, 2 * inputs);
            Span<T> ends = scratch.AsSpan(2 * inputs, 2 * outputs);
            baseline.CopyTo(rows);
            direction.CopyTo(rows.Slice(inputs));
            Forward<T>(rows, weight, default, ends, 2, inputs, outputs);
            ends.Slice(outputs, outputs).CopyTo(step);
            if (bias.IsEmpty)
            {
                ends.Slice(0, outputs).CopyTo(start);
            }
            else
            {
                ThrowHelper.RequireLength(bias.Length, outputs, nameof(bias));
                TensorPrimitives.Add(bias, ends.Slice(0, outputs), start);
            }

            KernelScratch<T>.Return(scratch);
            return;
        }

        Forward<T>(direction, weight, default, step, 1, inputs, outputs);
        if (bias.IsEmpty)
        {
            start.Slice(0, outputs).Clear();
        }
        else
        {
            ThrowHelper.RequireLength(bias.Length, outputs, nameof(bias));
            bias.CopyTo(start);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && inputs >= Vector512<T>.Count)
        {
            BackwardBlocked<T, Vector512<T>, Simd512<T>>(ref dyRef, ref wRef, ref dxRef, count, inputs, outputs);
        }
        else
        {
            BackwardBlocked<T, Vector256<T>, Simd256<T>>(ref dyRef, ref wRef, ref dxRef, count, inputs, outputs);
        }
    }

    // ---- Packed forward: y^T = W x^T as a GEMM with the rows of x in the vector lanes ----

    // The one rule for the packed forward: it copies x transposed (count * inputs elements, plus count * outputs for
    // the transposed result) to run axpy-form micro-kernels with no horizontal sums; that pays once there are enough
    // rows to fill the vector lanes.
    private static bool PacksRows(int count, int inputs, int outputs) => count >= 4;

    // y[n, o] = b[o] + sum_i x[n, i] w[o, i], computed as yt[o, n] = sum_i w[o, i] xt[i, n] with xt = x^T packed
    // [inputs, padded] (rows zero-padded to whole vectors), so each weight element is broadcast once per strip of
    // rows and the rows are the lanes; yt [outputs, padded] is then written back transposed, with the bias.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPacked<T, TVector, TOps>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        int width = TOps.Count;
        int padded = (count + width - 1) / width * width;
        T[] scratch = KernelScratch<T>.Rent(checked(padded * (inputs + outputs)));
        ref T xt = ref MemoryMarshal.GetArrayDataReference(scratch);
        ref T yt = ref Unsafe.Add(ref xt, (nint)padded * inputs);

        // xt[i, n] = x[n, i]; lanes n >= count are zero.
        for (int i = 0; i < inputs; i++)
        {
            ref T column = ref Unsafe.Add(ref xt, (nint)i * padded);
            ref T source = ref Unsafe.Add(ref xRef, i);
            for (int n = 0; n < count; n++)
            {
                Unsafe.Add(ref column, n) = Unsafe.Add(ref source, (nint)n * inputs);
            }

            for (int n = count; n < padded; n++)
            {
                Unsafe.Add(ref column, n) = T.Zero;
            }
        }

        Gemm<T, TVector, TOps>(ref wRef, inputs, ref xt, padded, ref yt, padded, outputs, padded, inputs, stripsOuter: false);

        for (int n = 0; n < count; n++)
        {
            ref T row = ref Unsafe.Add(ref yRef, (nint)n * outputs);
            ref T column = ref Unsafe.Add(ref yt, n);
            for (int o = 0; o < outputs; o++)
            {
                T sum = Unsafe.Add(ref column, (nint)o * padded);
                Unsafe.Add(ref row, o) = hasBias ? Unsafe.Add(ref bRef, o) + sum : sum;
            }
        }

        KernelScratch<T>.Return(scratch);
    }

    // c[m, j] = sum_k a[m * lda + k] * b[k * ldb + j] for m < rows, j < columns (overwritten), in blocks of
    // GemmRows rows by two vectors (one at the end): GemmRows * 2 accumulators, the a elements broadcast, the b row
    // contiguous. A last partial vector of columns overlaps the previous one (recomputing the same values); columns
    // must be at least one vector. stripsOuter keeps one strip of b ([depth, 2 vectors]) in L1 while every block of
    // rows passes (b large, a small); otherwise a block of a rows ([rows, depth]) stays while the strips pass.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gemm<T, TVector, TOps>(ref T a, int lda, ref T b, int ldb, ref T c, int ldc, int rows, int columns, int depth, bool stripsOuter)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        int width = TOps.Count;
        int blocks = (rows + GemmRows - 1) / GemmRows;
        int strips = (columns + 2 * width - 1) / (2 * width);
        int outer = stripsOuter ? strips : blocks;
        int inner = stripsOuter ? blocks : strips;
        for (int p = 0; p < outer; p++)
        {
            for (int q = 0; q < inner; q++)
            {
                int block = stripsOuter ? q : p;
                int strip = stripsOuter ? p : q;
                int m0 = block * GemmRows;
                int j0 = strip * 2 * width;
                int blockRows = Math.Min(GemmRows, rows - m0);
                ref T ab = ref Unsafe.Add(ref a, (nint)m0 * lda);
                ref T cb = ref Unsafe.Add(ref c, (nint)m0 * ldc);
                if (j0 + 2 * width <= columns)
                {
                    GemmTile<T, TVector, TOps>(ref ab, lda, ref Unsafe.Add(ref b, j0), ldb, ref Unsafe.Add(ref cb, j0), ldc, depth, blockRows, 2);
                }
                else if (j0 + width >= columns || columns < 2 * width)
                {
                    // One vector's worth or less left: a single vector, ending at columns.
                    int start = Math.Min(j0, columns - width);
                    GemmTile<T, TVector, TOps>(ref ab, lda, ref Unsafe.Add(ref b, start), ldb, ref Unsafe.Add(ref cb, start), ldc, depth, blockRows, 1);
                    if (j0 + width < columns)
                    {
                        // columns < 2 * width: the second, overlapping vector.
                        GemmTile<T, TVector, TOps>(ref ab, lda, ref Unsafe.Add(ref b, columns - width), ldb, ref Unsafe.Add(ref cb, columns - width), ldc, depth, blockRows, 1);
                    }
                }
                else
                {
                    // Between one and two vectors left: two vectors ending at columns.
                    int start = columns - 2 * width;
                    GemmTile<T, TVector, TOps>(ref ab, lda, ref Unsafe.Add(ref b, start), ldb, ref Unsafe.Add(ref cb, start), ldc, depth, blockRows, 2);
                }
            }
        }
    }

    // Rows per GEMM block: 6 rows by 2 vectors is 12 accumulators, 2 b vectors and a broadcast, 15 of the 16
    // registers of AVX2 (the shape of the common AVX2 SGEMM kernels); enough independent FMA chains to hide latency.
    private const int GemmRows = 6;

    // c[r, 0 .. vectors * width) = sum_k a[r * lda + k] * b[k * ldb + ...] for r < rows (1 to GemmRows). Rows past
    // rows repeat the last one (computed, not stored), so every block runs the same unrolled body.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GemmTile<T, TVector, TOps>(ref T a, int lda, ref T b, int ldb, ref T c, int ldc, int depth, int rows, int vectors)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a, (nint)Math.Min(1, rows - 1) * lda);
        ref T a2 = ref Unsafe.Add(ref a, (nint)Math.Min(2, rows - 1) * lda);
        ref T a3 = ref Unsafe.Add(ref a, (nint)Math.Min(3, rows - 1) * lda);
        ref T a4 = ref Unsafe.Add(ref a, (nint)Math.Min(4, rows - 1) * lda);
        ref T a5 = ref Unsafe.Add(ref a, (nint)Math.Min(5, rows - 1) * lda);
        nuint second = (nuint)TOps.Count;
        nuint stride = (nuint)ldc;
        if (vectors == 2)
        {
            TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            ref T bk = ref b;
            for (int k = 0; k < depth; k++)
            {
                TVector b0 = TOps.Load(ref bk, 0);
                TVector b1 = TOps.Load(ref bk, second);
                bk = ref Unsafe.Add(ref bk, ldb);
                TVector s = TOps.Broadcast(Unsafe.Add(ref a0, k));
                c00 = TOps.MultiplyAdd(s, b0, c00);
                c01 = TOps.MultiplyAdd(s, b1, c01);
                s = TOps.Broadcast(Unsafe.Add(ref a1, k));
                c10 = TOps.MultiplyAdd(s, b0, c10);
                c11 = TOps.MultiplyAdd(s, b1, c11);
                s = TOps.Broadcast(Unsafe.Add(ref a2, k));
                c20 = TOps.MultiplyAdd(s, b0, c20);
                c21 = TOps.MultiplyAdd(s, b1, c21);
                s = TOps.Broadcast(Unsafe.Add(ref a3, k));
                c30 = TOps.MultiplyAdd(s, b0, c30);
                c31 = TOps.MultiplyAdd(s, b1, c31);
                s = TOps.Broadcast(Unsafe.Add(ref a4, k));
                c40 = TOps.MultiplyAdd(s, b0, c40);
                c41 = TOps.MultiplyAdd(s, b1, c41);
                s = TOps.Broadcast(Unsafe.Add(ref a5, k));
                c50 = TOps.MultiplyAdd(s, b0, c50);
                c51 = TOps.MultiplyAdd(s, b1, c51);
            }

            TOps.Store(c00, ref c, 0);
            TOps.Store(c01, ref c, second);
            if (rows > 1)
            {
                TOps.Store(c10, ref c, stride);
                TOps.Store(c11, ref c, stride + second);
            }

            if (rows > 2)
            {
                TOps.Store(c20, ref c, 2 * stride);
                TOps.Store(c21, ref c, 2 * stride + second);
            }

            if (rows > 3)
            {
                TOps.Store(c30, ref c, 3 * stride);
                TOps.Store(c31, ref c, 3 * stride + second);
            }

            if (rows > 4)
            {
                TOps.Store(c40, ref c, 4 * stride);
                TOps.Store(c41, ref c, 4 * stride + second);
            }

            if (rows > 5)
            {
                TOps.Store(c50, ref c, 5 * stride);
                TOps.Store(c51, ref c, 5 * stride + second);
            }
        }
        else
        {
            TVector c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
            ref T bk = ref b;
            for (int k = 0; k < depth; k++)
            {
                TVector b0 = TOps.Load(ref bk, 0);
                bk = ref Unsafe.Add(ref bk, ldb);
                c0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a0, k)), b0, c0);
                c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a1, k)), b0, c1);
                c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a2, k)), b0, c2);
                c3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a3, k)), b0, c3);
                c4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a4, k)), b0, c4);
                c5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a5, k)), b0, c5);
            }

            TOps.Store(c0, ref c, 0);
            if (rows > 1)
            {
                TOps.Store(c1, ref c, stride);
            }

            if (rows > 2)
            {
                TOps.Store(c2, ref c, 2 * stride);
            }

            if (rows > 3)
            {
                TOps.Store(c3, ref c, 3 * stride);
            }

            if (rows > 4)
            {
                TOps.Store(c4, ref c, 4 * stride);
            }

            if (rows > 5)
            {
                TOps.Store(c5, ref c, 5 * stride);
            }
        }
    }

    // ---- Blocked drivers, one body for Vector256 and Vector512 (TOps supplies the width) ----

    // y[n, o] for all rows. Outputs are tiled so a tile of weight rows (about 16 KB) stays in L1 while every block
    // of 4 x rows streams past it; inside a tile, 4x4 blocks of (rows, outputs), then the tails. inputs >= TOps.Count.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlocked<T, TVector, TOps>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        // In long: a row of 2^29 float64 inputs is 4 GiB, past int, and its tile is the minimum of 4 rows.
        int tile = (int)Math.Max(4, 16384 / ((long)inputs * Unsafe.SizeOf<T>()) & ~3L);
        int fullRows = count - count % 4;
        int rest = count - fullRows;
        for (int t0 = 0; t0 < outputs; t0 += tile)
        {
            int tileEnd = Math.Min(outputs, t0 + tile);
            int n0 = 0;
            for (; n0 < fullRows; n0 += 4)
            {
                int o0 = t0;
                for (; o0 <= tileEnd - 4; o0 += 4)
                {
                    Dot4x4<T, TVector, TOps>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n0, o0, inputs, outputs, 4);
                }

                for (; o0 < tileEnd; o0++)
                {
                    Dot4x1<T, TVector, TOps>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n0, o0, inputs, outputs);
                }
            }

            if (rest == 0)
            {
                continue;
            }

            // 1 to 3 rows left: 3 run the 4-row kernel with the last row repeated (stored once); 2 and 1 their own.
            int oe = t0;
            for (; oe <= tileEnd - 4; oe += 4)
            {
                if (rest == 3)
                {
                    Dot4x4<T, TVector, TOps>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n0, oe, inputs, outputs, 3);
                }
                else if (rest == 2)
                {
                    Dot2x4<T, TVector, TOps>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n0, oe, inputs, outputs);
                }
                else
                {
                    Dot1x4<T, TVector, TOps>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n0, oe, inputs, outputs);
                }
            }

            for (; oe < tileEnd; oe++)
            {
                for (int n = n0; n < count; n++)
                {
                    Dot1x1<T, TVector, TOps>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, n, oe, inputs, outputs);
                }
            }
        }
    }

    // dx[n, :] for all rows: column strips outermost, so one strip of the weight ([outputs, 2 or 4 vectors]) stays
    // in L1 while every block of dy rows streams past it. The last partial strip overlaps the previous one
    // (recomputing the same values), so there is no scalar tail. inputs >= TOps.Count.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardBlocked<T, TVector, TOps>(ref T dyRef, ref T wRef, ref T dxRef, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        if (count < 4)
        {
            BackwardFewRows<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, count, inputs, outputs);
            return;
        }

        int width = TOps.Count;
        int fullRows = count - count % 4;
        int i0 = 0;
        if (typeof(TVector) == typeof(Vector512<T>))
        {
            // 32 registers: 4 rows x 4 vectors of accumulators.
            for (; i0 <= inputs - 4 * width; i0 += 4 * width)
            {
                int n0 = 0;
                for (; n0 < fullRows; n0 += 4)
                {
                    Axpy4x4<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, n0, i0, inputs, outputs);
                }

                for (; n0 < count; n0++)
                {
                    Axpy1x2<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, n0, i0, inputs, outputs);
                    Axpy1x2<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, n0, i0 + 2 * width, inputs, outputs);
                }
            }
        }

        for (; i0 <= inputs - 2 * width; i0 += 2 * width)
        {
            int n0 = 0;
            for (; n0 < fullRows; n0 += 4)
            {
                Axpy4x2<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, n0, i0, inputs, outputs);
            }

            for (; n0 < count; n0++)
            {
                Axpy1x2<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, n0, i0, inputs, outputs);
            }
        }

        while (i0 < inputs)
        {
            int start = Math.Min(i0, inputs - width);
            int n0 = 0;
            for (; n0 < fullRows; n0 += 4)
            {
                Axpy4x1<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, n0, start, inputs, outputs);
            }

            for (; n0 < count; n0++)
            {
                Axpy1x1<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, n0, start, inputs, outputs);
            }

            i0 = start + width;
        }
    }

    // 1 to 3 rows (the count-1 matrix-vector product of the path algebra, and endpoint pairs): the weight streams
    // once, 4 rows at a time, in order, while the dx rows (small, in L1) are updated: dx[n, :] = sum_o dy[n, o] * w[o, :].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardFewRows<T, TVector, TOps>(ref T dyRef, ref T wRef, ref T dxRef, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        MemoryMarshal.CreateSpan(ref dxRef, count * inputs).Clear();
        int width = TOps.Count;
        int vectorEnd = inputs - inputs % width;
        int o0 = 0;
        for (; o0 < outputs; o0 += 4)
        {
            int block = Math.Min(4, outputs - o0);
            ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);
            ref T w1 = ref Unsafe.Add(ref w0, block > 1 ? inputs : 0); // rows past a short block are never read
            ref T w2 = ref Unsafe.Add(ref w0, block > 2 ? 2 * inputs : 0);
            ref T w3 = ref Unsafe.Add(ref w0, block > 3 ? 3 * inputs : 0);
            for (int n = 0; n < count; n++)
            {
                ref T d = ref Unsafe.Add(ref dyRef, n * outputs + o0);
                ref T dx = ref Unsafe.Add(ref dxRef, n * inputs);
                if (block == 4)
                {
                    T c0 = d, c1 = Unsafe.Add(ref d, 1), c2 = Unsafe.Add(ref d, 2), c3 = Unsafe.Add(ref d, 3);
                    TVector b0 = TOps.Broadcast(c0), b1 = TOps.Broadcast(c1), b2 = TOps.Broadcast(c2), b3 = TOps.Broadcast(c3);
                    for (int i = 0; i < vectorEnd; i += width)
                    {
                        nuint k = (nuint)i;
                        TVector acc = TOps.Load(ref dx, k);
                        acc = TOps.MultiplyAdd(b0, TOps.Load(ref w0, k), acc);
                        acc = TOps.MultiplyAdd(b1, TOps.Load(ref w1, k), acc);
                        acc = TOps.MultiplyAdd(b2, TOps.Load(ref w2, k), acc);
                        acc = TOps.MultiplyAdd(b3, TOps.Load(ref w3, k), acc);
                        TOps.Store(acc, ref dx, k);
                    }

                    for (int i = vectorEnd; i < inputs; i++)
                    {
                        Unsafe.Add(ref dx, i) += c0 * Unsafe.Add(ref w0, i) + c1 * Unsafe.Add(ref w1, i) + c2 * Unsafe.Add(ref w2, i) + c3 * Unsafe.Add(ref w3, i);
                    }
                }
                else
                {
                    for (int j = 0; j < block; j++)
                    {
                        T c = Unsafe.Add(ref d, j);
                        ref T wj = ref Unsafe.Add(ref w0, j * inputs);
                        TVector bj = TOps.Broadcast(c);
                        for (int i = 0; i < vectorEnd; i += width)
                        {
                            nuint k = (nuint)i;
                            TOps.Store(TOps.MultiplyAdd(bj, TOps.Load(ref wj, k), TOps.Load(ref dx, k)), ref dx, k);
                        }

                        for (int i = vectorEnd; i < inputs; i++)
                        {
                            Unsafe.Add(ref dx, i) += c * Unsafe.Add(ref wj, i);
                        }
                    }
                }
            }
        }
    }

    // ---- Forward micro-kernels (dot-product form over the contiguous input dimension) ----
    // The last partial vector is read ending at inputs (overlapping the previous one) with its leading,
    // already-summed lanes of x zeroed, so there is no scalar tail.

    // rows is 3 or 4: with 3 the last x row is read twice and its result stored once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x4<T, TVector, TOps>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int n0, int o0, int inputs, int outputs, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        ref T x0 = ref Unsafe.Add(ref xRef, n0 * inputs);
        ref T x1 = ref Unsafe.Add(ref x0, inputs);
        ref T x2 = ref Unsafe.Add(ref x1, inputs);
        ref T x3 = ref Unsafe.Add(ref x2, (rows - 3) * inputs);
        ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);
        ref T w1 = ref Unsafe.Add(ref w0, inputs);
        ref T w2 = ref Unsafe.Add(ref w1, inputs);
        ref T w3 = ref Unsafe.Add(ref w2, inputs);

        TVector a00 = default, a01 = default, a02 = default, a03 = default;
        TVector a10 = default, a11 = default, a12 = default, a13 = default;
        TVector a20 = default, a21 = default, a22 = default, a23 = default;
        TVector a30 = default, a31 = default, a32 = default, a33 = default;

        int width = TOps.Count;
        int i = 0;
        int skip = 0;
        while (true)
        {
            nuint k = (nuint)i;
            TVector xv0 = TOps.Load(ref x0, k);
            TVector xv1 = TOps.Load(ref x1, k);
            TVector xv2 = TOps.Load(ref x2, k);
            TVector xv3 = TOps.Load(ref x3, k);
            if (skip != 0)
            {
                xv0 = TOps.ZeroLeading(xv0, skip);
                xv1 = TOps.ZeroLeading(xv1, skip);
                xv2 = TOps.ZeroLeading(xv2, skip);
                xv3 = TOps.ZeroLeading(xv3, skip);
            }

            TVector wv = TOps.Load(ref w0, k);
            a00 = TOps.MultiplyAdd(xv0, wv, a00);
            a10 = TOps.MultiplyAdd(xv1, wv, a10);
            a20 = TOps.MultiplyAdd(xv2, wv, a20);
            a30 = TOps.MultiplyAdd(xv3, wv, a30);

            wv = TOps.Load(ref w1, k);
            a01 = TOps.MultiplyAdd(xv0, wv, a01);
            a11 = TOps.MultiplyAdd(xv1, wv, a11);
            a21 = TOps.MultiplyAdd(xv2, wv, a21);
            a31 = TOps.MultiplyAdd(xv3, wv, a31);

            wv = TOps.Load(ref w2, k);
            a02 = TOps.MultiplyAdd(xv0, wv, a02);
            a12 = TOps.MultiplyAdd(xv1, wv, a12);
            a22 = TOps.MultiplyAdd(xv2, wv, a22);
            a32 = TOps.MultiplyAdd(xv3, wv, a32);

            wv = TOps.Load(ref w3, k);
            a03 = TOps.MultiplyAdd(xv0, wv, a03);
            a13 = TOps.MultiplyAdd(xv1, wv, a13);
            a23 = TOps.MultiplyAdd(xv2, wv, a23);
            a33 = TOps.MultiplyAdd(xv3, wv, a33);

            i += width;
            if (i > inputs - width)
            {
                if (i == inputs || skip != 0)
                {
                    break;
                }

                skip = i - (inputs - width);
                i = inputs - width;
            }
        }

        ref T y0 = ref Unsafe.Add(ref yRef, n0 * outputs + o0);
        ref T b = ref Unsafe.Add(ref bRef, o0);
        TOps.StoreSums4(a00, a01, a02, a03, ref y0, ref b, hasBias);
        TOps.StoreSums4(a10, a11, a12, a13, ref Unsafe.Add(ref y0, outputs), ref b, hasBias);
        TOps.StoreSums4(a20, a21, a22, a23, ref Unsafe.Add(ref y0, 2 * outputs), ref b, hasBias);
        if (rows == 4)
        {
            TOps.StoreSums4(a30, a31, a32, a33, ref Unsafe.Add(ref y0, 3 * outputs), ref b, hasBias);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot2x4<T, TVector, TOps>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int n0, int o0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        ref T x0 = ref Unsafe.Add(ref xRef, n0 * inputs);
        ref T x1 = ref Unsafe.Add(ref x0, inputs);
        ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);
        ref T w1 = ref Unsafe.Add(ref w0, inputs);
        ref T w2 = ref Unsafe.Add(ref w1, inputs);
        ref T w3 = ref Unsafe.Add(ref w2, inputs);

        TVector a00 = default, a01 = default, a02 = default, a03 = default;
        TVector a10 = default, a11 = default, a12 = default, a13 = default;
        int width = TOps.Count;
        int i = 0;
        int skip = 0;
        while (true)
        {
            nuint k = (nuint)i;
            TVector xv0 = TOps.Load(ref x0, k);
            TVector xv1 = TOps.Load(ref x1, k);
            if (skip != 0)
            {
                xv0 = TOps.ZeroLeading(xv0, skip);
                xv1 = TOps.ZeroLeading(xv1, skip);
            }

            TVector wv = TOps.Load(ref w0, k);
            a00 = TOps.MultiplyAdd(xv0, wv, a00);
            a10 = TOps.MultiplyAdd(xv1, wv, a10);
            wv = TOps.Load(ref w1, k);
            a01 = TOps.MultiplyAdd(xv0, wv, a01);
            a11 = TOps.MultiplyAdd(xv1, wv, a11);
            wv = TOps.Load(ref w2, k);
            a02 = TOps.MultiplyAdd(xv0, wv, a02);
            a12 = TOps.MultiplyAdd(xv1, wv, a12);
            wv = TOps.Load(ref w3, k);
            a03 = TOps.MultiplyAdd(xv0, wv, a03);
            a13 = TOps.MultiplyAdd(xv1, wv, a13);

            i += width;
            if (i > inputs - width)
            {
                if (i == inputs || skip != 0)
                {
                    break;
                }

                skip = i - (inputs - width);
                i = inputs - width;
            }
        }

        ref T y0 = ref Unsafe.Add(ref yRef, n0 * outputs + o0);
        ref T b = ref Unsafe.Add(ref bRef, o0);
        TOps.StoreSums4(a00, a01, a02, a03, ref y0, ref b, hasBias);
        TOps.StoreSums4(a10, a11, a12, a13, ref Unsafe.Add(ref y0, outputs), ref b, hasBias);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x1<T, TVector, TOps>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int n0, int o0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        ref T x0 = ref Unsafe.Add(ref xRef, n0 * inputs);
        ref T x1 = ref Unsafe.Add(ref x0, inputs);
        ref T x2 = ref Unsafe.Add(ref x1, inputs);
        ref T x3 = ref Unsafe.Add(ref x2, inputs);
        ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);

        TVector a0 = default, a1 = default, a2 = default, a3 = default;
        int width = TOps.Count;
        int i = 0;
        int skip = 0;
        while (true)
        {
            nuint k = (nuint)i;
            TVector wv = TOps.Load(ref w0, k);
            if (skip != 0)
            {
                wv = TOps.ZeroLeading(wv, skip);
            }

            a0 = TOps.MultiplyAdd(TOps.Load(ref x0, k), wv, a0);
            a1 = TOps.MultiplyAdd(TOps.Load(ref x1, k), wv, a1);
            a2 = TOps.MultiplyAdd(TOps.Load(ref x2, k), wv, a2);
            a3 = TOps.MultiplyAdd(TOps.Load(ref x3, k), wv, a3);

            i += width;
            if (i > inputs - width)
            {
                if (i == inputs || skip != 0)
                {
                    break;
                }

                skip = i - (inputs - width);
                i = inputs - width;
            }
        }

        T b = hasBias ? Unsafe.Add(ref bRef, o0) : T.Zero;
        ref T y0 = ref Unsafe.Add(ref yRef, n0 * outputs + o0);
        y0 = b + TOps.Sum(a0);
        Unsafe.Add(ref y0, outputs) = b + TOps.Sum(a1);
        Unsafe.Add(ref y0, 2 * outputs) = b + TOps.Sum(a2);
        Unsafe.Add(ref y0, 3 * outputs) = b + TOps.Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x4<T, TVector, TOps>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int n0, int o0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        ref T x0 = ref Unsafe.Add(ref xRef, n0 * inputs);
        ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);
        ref T w1 = ref Unsafe.Add(ref w0, inputs);
        ref T w2 = ref Unsafe.Add(ref w1, inputs);
        ref T w3 = ref Unsafe.Add(ref w2, inputs);

        TVector a0 = default, a1 = default, a2 = default, a3 = default;
        int width = TOps.Count;
        int i = 0;
        int skip = 0;
        while (true)
        {
            nuint k = (nuint)i;
            TVector xv = TOps.Load(ref x0, k);
            if (skip != 0)
            {
                xv = TOps.ZeroLeading(xv, skip);
            }

            a0 = TOps.MultiplyAdd(xv, TOps.Load(ref w0, k), a0);
            a1 = TOps.MultiplyAdd(xv, TOps.Load(ref w1, k), a1);
            a2 = TOps.MultiplyAdd(xv, TOps.Load(ref w2, k), a2);
            a3 = TOps.MultiplyAdd(xv, TOps.Load(ref w3, k), a3);

            i += width;
            if (i > inputs - width)
            {
                if (i == inputs || skip != 0)
                {
                    break;
                }

                skip = i - (inputs - width);
                i = inputs - width;
            }
        }

        TOps.StoreSums4(a0, a1, a2, a3, ref Unsafe.Add(ref yRef, n0 * outputs + o0), ref Unsafe.Add(ref bRef, o0), hasBias);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x1<T, TVector, TOps>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int n0, int o0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        ref T x0 = ref Unsafe.Add(ref xRef, n0 * inputs);
        ref T w0 = ref Unsafe.Add(ref wRef, o0 * inputs);
        TVector a0 = default, a1 = default;
        int width = TOps.Count;
        int i = 0;
        for (; i <= inputs - 2 * width; i += 2 * width)
        {
            a0 = TOps.MultiplyAdd(TOps.Load(ref x0, (nuint)i), TOps.Load(ref w0, (nuint)i), a0);
            a1 = TOps.MultiplyAdd(TOps.Load(ref x0, (nuint)(i + width)), TOps.Load(ref w0, (nuint)(i + width)), a1);
        }

        if (i <= inputs - width)
        {
            a0 = TOps.MultiplyAdd(TOps.Load(ref x0, (nuint)i), TOps.Load(ref w0, (nuint)i), a0);
            i += width;
        }

        if (i < inputs)
        {
            nuint k = (nuint)(inputs - width);
            TVector xv = TOps.ZeroLeading(TOps.Load(ref x0, k), i - (inputs - width));
            a1 = TOps.MultiplyAdd(xv, TOps.Load(ref w0, k), a1);
        }

        T sum = TOps.Sum(a0) + TOps.Sum(a1);
        Unsafe.Add(ref yRef, n0 * outputs + o0) = hasBias ? Unsafe.Add(ref bRef, o0) + sum : sum;
    }

    // ---- BackwardInput micro-kernels (axpy form: rows of weight scaled by dy, contiguous in inputs) ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy4x2<T, TVector, TOps>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nuint second = (nuint)TOps.Count;
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T d1 = ref Unsafe.Add(ref d0, outputs);
        ref T d2 = ref Unsafe.Add(ref d1, outputs);
        ref T d3 = ref Unsafe.Add(ref d2, outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);

        TVector a00 = default, a01 = default, a10 = default, a11 = default;
        TVector a20 = default, a21 = default, a30 = default, a31 = default;
        for (int o = 0; o < outputs; o++)
        {
            TVector wv0 = TOps.Load(ref w, 0);
            TVector wv1 = TOps.Load(ref w, second);
            w = ref Unsafe.Add(ref w, inputs);

            TVector b = TOps.Broadcast(Unsafe.Add(ref d0, o));
            a00 = TOps.MultiplyAdd(b, wv0, a00);
            a01 = TOps.MultiplyAdd(b, wv1, a01);
            b = TOps.Broadcast(Unsafe.Add(ref d1, o));
            a10 = TOps.MultiplyAdd(b, wv0, a10);
            a11 = TOps.MultiplyAdd(b, wv1, a11);
            b = TOps.Broadcast(Unsafe.Add(ref d2, o));
            a20 = TOps.MultiplyAdd(b, wv0, a20);
            a21 = TOps.MultiplyAdd(b, wv1, a21);
            b = TOps.Broadcast(Unsafe.Add(ref d3, o));
            a30 = TOps.MultiplyAdd(b, wv0, a30);
            a31 = TOps.MultiplyAdd(b, wv1, a31);
        }

        ref T x0 = ref Unsafe.Add(ref dxRef, n0 * inputs + i0);
        nuint stride = (nuint)inputs;
        TOps.Store(a00, ref x0, 0);
        TOps.Store(a01, ref x0, second);
        TOps.Store(a10, ref x0, stride);
        TOps.Store(a11, ref x0, stride + second);
        TOps.Store(a20, ref x0, 2 * stride);
        TOps.Store(a21, ref x0, 2 * stride + second);
        TOps.Store(a30, ref x0, 3 * stride);
        TOps.Store(a31, ref x0, 3 * stride + second);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy4x4<T, TVector, TOps>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nuint v1 = (nuint)TOps.Count, v2 = 2 * v1, v3 = 3 * v1;
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T d1 = ref Unsafe.Add(ref d0, outputs);
        ref T d2 = ref Unsafe.Add(ref d1, outputs);
        ref T d3 = ref Unsafe.Add(ref d2, outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);

        TVector a00 = default, a01 = default, a02 = default, a03 = default;
        TVector a10 = default, a11 = default, a12 = default, a13 = default;
        TVector a20 = default, a21 = default, a22 = default, a23 = default;
        TVector a30 = default, a31 = default, a32 = default, a33 = default;
        for (int o = 0; o < outputs; o++)
        {
            TVector wv0 = TOps.Load(ref w, 0);
            TVector wv1 = TOps.Load(ref w, v1);
            TVector wv2 = TOps.Load(ref w, v2);
            TVector wv3 = TOps.Load(ref w, v3);
            w = ref Unsafe.Add(ref w, inputs);

            TVector b = TOps.Broadcast(Unsafe.Add(ref d0, o));
            a00 = TOps.MultiplyAdd(b, wv0, a00);
            a01 = TOps.MultiplyAdd(b, wv1, a01);
            a02 = TOps.MultiplyAdd(b, wv2, a02);
            a03 = TOps.MultiplyAdd(b, wv3, a03);
            b = TOps.Broadcast(Unsafe.Add(ref d1, o));
            a10 = TOps.MultiplyAdd(b, wv0, a10);
            a11 = TOps.MultiplyAdd(b, wv1, a11);
            a12 = TOps.MultiplyAdd(b, wv2, a12);
            a13 = TOps.MultiplyAdd(b, wv3, a13);
            b = TOps.Broadcast(Unsafe.Add(ref d2, o));
            a20 = TOps.MultiplyAdd(b, wv0, a20);
            a21 = TOps.MultiplyAdd(b, wv1, a21);
            a22 = TOps.MultiplyAdd(b, wv2, a22);
            a23 = TOps.MultiplyAdd(b, wv3, a23);
            b = TOps.Broadcast(Unsafe.Add(ref d3, o));
            a30 = TOps.MultiplyAdd(b, wv0, a30);
            a31 = TOps.MultiplyAdd(b, wv1, a31);
            a32 = TOps.MultiplyAdd(b, wv2, a32);
            a33 = TOps.MultiplyAdd(b, wv3, a33);
        }

        ref T x0 = ref Unsafe.Add(ref dxRef, n0 * inputs + i0);
        ref T x1 = ref Unsafe.Add(ref x0, inputs);
        ref T x2 = ref Unsafe.Add(ref x1, inputs);
        ref T x3 = ref Unsafe.Add(ref x2, inputs);
        TOps.Store(a00, ref x0, 0); TOps.Store(a01, ref x0, v1); TOps.Store(a02, ref x0, v2); TOps.Store(a03, ref x0, v3);
        TOps.Store(a10, ref x1, 0); TOps.Store(a11, ref x1, v1); TOps.Store(a12, ref x1, v2); TOps.Store(a13, ref x1, v3);
        TOps.Store(a20, ref x2, 0); TOps.Store(a21, ref x2, v1); TOps.Store(a22, ref x2, v2); TOps.Store(a23, ref x2, v3);
        TOps.Store(a30, ref x3, 0); TOps.Store(a31, ref x3, v1); TOps.Store(a32, ref x3, v2); TOps.Store(a33, ref x3, v3);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy4x1<T, TVector, TOps>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T d1 = ref Unsafe.Add(ref d0, outputs);
        ref T d2 = ref Unsafe.Add(ref d1, outputs);
        ref T d3 = ref Unsafe.Add(ref d2, outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);

        TVector a0 = default, a1 = default, a2 = default, a3 = default;
        for (int o = 0; o < outputs; o++)
        {
            TVector wv = TOps.Load(ref w, 0);
            w = ref Unsafe.Add(ref w, inputs);
            a0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref d0, o)), wv, a0);
            a1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref d1, o)), wv, a1);
            a2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref d2, o)), wv, a2);
            a3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref d3, o)), wv, a3);
        }

        ref T x0 = ref Unsafe.Add(ref dxRef, n0 * inputs + i0);
        nuint stride = (nuint)inputs;
        TOps.Store(a0, ref x0, 0);
        TOps.Store(a1, ref x0, stride);
        TOps.Store(a2, ref x0, 2 * stride);
        TOps.Store(a3, ref x0, 3 * stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy1x2<T, TVector, TOps>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nuint second = (nuint)TOps.Count;
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);
        TVector a0 = default, a1 = default;
        for (int o = 0; o < outputs; o++)
        {
            TVector b = TOps.Broadcast(Unsafe.Add(ref d0, o));
            a0 = TOps.MultiplyAdd(b, TOps.Load(ref w, 0), a0);
            a1 = TOps.MultiplyAdd(b, TOps.Load(ref w, second), a1);
            w = ref Unsafe.Add(ref w, inputs);
        }

        ref T x0 = ref Unsafe.Add(ref dxRef, n0 * inputs + i0);
        TOps.Store(a0, ref x0, 0);
        TOps.Store(a1, ref x0, second);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy1x1<T, TVector, TOps>(ref T dyRef, ref T wRef, ref T dxRef, int n0, int i0, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        ref T d0 = ref Unsafe.Add(ref dyRef, n0 * outputs);
        ref T w = ref Unsafe.Add(ref wRef, i0);
        TVector a0 = default;
        for (int o = 0; o < outputs; o++)
        {
            a0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref d0, o)), TOps.Load(ref w, 0), a0);
            w = ref Unsafe.Add(ref w, inputs);
        }

        TOps.Store(a0, ref Unsafe.Add(ref dxRef, n0 * inputs + i0), 0);
    }
}
