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
/// The products are register-blocked with <see cref="Vector512{T}"/> where it is accelerated, else
/// <see cref="Vector256{T}"/>. <see cref="Forward{T}"/> with many rows (16 or more, or 8 with 32 outputs or more; and
/// 10 or more outputs) copies <c>x</c> transposed into scratch (rows in the vector lanes, padded to whole vectors with
/// copies of the last row) and computes <c>y^T = W x^T</c> in axpy form: tiles of six (or four) weight rows, each
/// element broadcast, by two vectors of rows (12 accumulators, no horizontal sums), with the bias as the tiles'
/// starting value and the inputs blocked so the packed block stays in L1; the result is transposed back. With fewer
/// rows it runs four rows of <c>x</c> against four rows of the weight (dot-product form, 16 accumulators, the four
/// horizontal sums of a row reduced together), tiled over outputs so a weight tile stays in L1.
/// <see cref="BackwardInput{T}"/> runs the same tiles (six rows of <c>dy</c> broadcast by two vectors of a weight row)
/// where they were measured faster, else four rows of <c>dy</c> against two or four vectors of weight columns (axpy
/// form, contiguous), and for one to three rows a single in-order pass over the weight. Partial vectors are handled by
/// overlapping the last full vector (masked where it would double count), not by scalar tails. Inputs narrower than
/// one <see cref="Vector256{T}"/> take a low-overhead scalar path. Accumulation happens in the element type (float
/// sums in float), as PyTorch does.
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
            bool wide = Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && count >= Vector512<T>.Count;
            int width = wide ? Vector512<T>.Count : Vector256<T>.Count;

            // Up to half a vector of rows past whole vectors goes to the dot-product blocks below: padding them would
            // cost a whole vector of lanes (and a strip of one vector) in every tile.
            int rest = count % width;
            int packed = rest <= width / 2 ? count - rest : count;
            if (wide)
            {
                ForwardPacked<T, Vector512<T>, Simd512<T>>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, packed, inputs, outputs);
            }
            else
            {
                ForwardPacked<T, Vector256<T>, Simd256<T>>(ref xRef, ref wRef, ref bRef, hasBias, ref yRef, packed, inputs, outputs);
            }

            if (packed == count)
            {
                return;
            }

            // The rest, at most half a vector of rows, falls through to the paths below.
            x = x.Slice(packed * inputs);
            y = y.Slice(packed * outputs);
            xRef = ref MemoryMarshal.GetReference(x);
            yRef = ref MemoryMarshal.GetReference(y);
            count -= packed;
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
    /// <see cref="BackwardInput{T}"/> for the rows of one straight path in order, computed from what changes between
    /// consecutive rows: on a piecewise-linear path the gradients reaching a layer change in few entries from one point
    /// to the next, so row <c>k</c> is row <c>k - 1</c> plus <c>(dy[k, o] - dy[k - 1, o]) weight[o, :]</c> over the
    /// entries <c>o</c> that changed; a row where more than a quarter changed, the first, and one at least every
    /// 16 rows are computed afresh. The results are
    /// <see cref="BackwardInput{T}"/>'s up to the rounding of the carried sums. Small layers take
    /// <see cref="BackwardInput{T}"/> itself.
    /// </summary>
    /// <param name="dy">Output gradient, <c>[count, outputs]</c>.</param>
    /// <param name="weight">Weights, <c>[outputs, inputs]</c>.</param>
    /// <param name="dx">Destination, <c>[count, inputs]</c> (overwritten, not accumulated into).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="inputs">Input features.</param>
    /// <param name="outputs">Output features.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardInputAlongPath<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Below this many weights a batched product costs about what comparing rows does (the generator emits this call
        // only from this size: DenseLayer.SmallestCarried).
        const int SmallestCarried = 4096;
        if ((long)inputs * outputs < SmallestCarried || count < 2)
        {
            BackwardInput(dy, weight, dx, count, inputs, outputs);
            return;
        }

        ThrowHelper.RequireLength(dy.Length, ThrowHelper.Product(count, outputs, "dy length"), nameof(dy));
        ThrowHelper.RequireLength(weight.Length, ThrowHelper.Product(outputs, inputs, "weight length"), nameof(weight));
        ThrowHelper.RequireDestination(dx.Length, ThrowHelper.Product(count, inputs, "dx length"), nameof(dx));
        int limit = Math.Max(1, outputs / 4), carried = 0;
        ref T w0 = ref MemoryMarshal.GetReference(weight);
        for (int k = 0; k < count; k++)
        {
            ReadOnlySpan<T> row = dy.Slice(k * outputs, outputs);
            Span<T> destination = dx.Slice(k * inputs, inputs);
            if (k == 0 || carried + 1 >= 16
                || VectorMath.CountChanges(row, dy.Slice((k - 1) * outputs, outputs), limit) > limit)
            {
                BackwardInput(row, weight, destination, 1, inputs, outputs);
                carried = 0;
                continue;
            }

            carried++;
            ReadOnlySpan<T> previous = dy.Slice((k - 1) * outputs, outputs);
            dx.Slice((k - 1) * inputs, inputs).CopyTo(destination);
            for (int o = 0; o < outputs; o++)
            {
                if (row[o] != previous[o])
                {
                    VectorMath.Axpy(row[o] - previous[o], ref Unsafe.Add(ref w0, o * inputs), ref MemoryMarshal.GetReference(destination), inputs);
                }
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

    // The one rule for the packed forward, measured against the dot-product blocks (AVX2, float, Zen 3): it copies x
    // transposed (count * inputs elements, and the count * outputs results back) to run axpy-form tiles with no
    // horizontal sums. That pays from 16 rows, or 8 with 32 outputs or more (with fewer rows, padded lanes and per-tile
    // overhead make it 0.2-0.9x of the 4-row dot blocks; 8 to 12 rows are 1.1-1.3x at 784 -> 64 and 256 -> 128 but
    // 0.8-0.9x at 10 to 16 outputs), and 10 outputs (tiles of 6 and 4 weight rows; fewer outputs leave them mostly
    // empty), with at least 16 inputs or outputs (else the copies cost what the products save). Up to half a vector
    // of rows past whole vectors stays on the dot blocks (see Forward). Measured at 16..70 rows: 1.5-1.75x at
    // 784 -> 64, 1.65-1.95x at 256 -> 128, 1.15-1.4x at 128 -> 10, 1.3-1.5x at 16 -> 12, 2.2x at 8 -> 16 (64 rows).
    // The scratch (x^T and y^T) is capped at 2^24 elements.
    private static bool PacksRows(int count, int inputs, int outputs) =>
        count >= (outputs >= 32 ? 8 : 16) && outputs >= 10 && (inputs >= 16 || outputs >= 16)
        && (count + 16L) * ((long)inputs + outputs) <= 1 << 24;

    // Elements of one strip of the packed x^T block kept in L1 (16 KB of float or double) while every block of weight
    // rows passes it.
    private const int PackedBlockBytes = 16384;

    // Rows per GEMM tile: 6 rows by 2 vectors is 12 accumulators, 2 vectors of the packed operand and a broadcast, 15
    // of the 16 registers of AVX2 (the shape of the common AVX2 SGEMM kernels), enough independent FMA chains to hide
    // the FMA latency.
    private const int GemmRows = 6;

    // Rows of the next GEMM tile when remaining rows are left: 6, except 7 and 8 split 4 + 3 or 4 + 4, and at most 4
    // go to the four-row tile; so the rows computed and thrown away (a short tile repeats its last row) stay few.
    private static int GemmBlockRows(int remaining) => remaining is 7 or 8 ? 4 : Math.Min(remaining, GemmRows);

    // y[n, o] = b[o] + sum_i x[n, i] w[o, i], computed as yt[o, n] = b[o] + sum_i w[o, i] xt[i, n]: x transposed into
    // xt with the rows (padded to whole vectors) in the lanes, so a weight element is broadcast once per strip of
    // rows and no horizontal sums are needed. xt is stored strip by strip ([inputs, 2 vectors] each, the last one
    // possibly one vector), inputs are blocked so a strip's block stays in L1; yt [outputs, padded] is then
    // transposed into y.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPacked<T, TVector, TOps>(ref T xRef, ref T wRef, ref T bRef, bool hasBias, ref T yRef, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        int width = TOps.Count;
        int strip = 2 * width;
        int padded = (count + width - 1) / width * width;
        T[] scratch = KernelScratch<T>.Rent(padded * (inputs + outputs)); // at most 2^24 (PacksRows)
        ref T xt = ref MemoryMarshal.GetArrayDataReference(scratch);
        ref T yt = ref Unsafe.Add(ref xt, (nint)padded * inputs);
        PackTransposed<T, TVector, TOps>(ref xRef, count, inputs, padded, ref xt);

        int kc = Math.Max(16, PackedBlockBytes / (strip * Unsafe.SizeOf<T>()));
        for (int k0 = 0; k0 < inputs; k0 += kc)
        {
            int depth = Math.Min(kc, inputs - k0);
            GemmStart start = k0 != 0 ? GemmStart.Accumulate : hasBias ? GemmStart.RowBias : GemmStart.Zero;
            for (int j0 = 0; j0 < padded; j0 += strip)
            {
                int stripWidth = Math.Min(strip, padded - j0);
                ref T block = ref Unsafe.Add(ref xt, (nint)j0 * inputs + (nint)k0 * stripWidth);
                for (int m0 = 0, rows; m0 < outputs; m0 += rows)
                {
                    rows = GemmBlockRows(outputs - m0);
                    GemmTile<T, TVector, TOps>(
                        ref Unsafe.Add(ref wRef, (nint)m0 * inputs + k0),
                        inputs,
                        ref block,
                        stripWidth,
                        ref Unsafe.Add(ref yt, (nint)m0 * padded + j0),
                        padded,
                        depth,
                        rows,
                        stripWidth / width,
                        start,
                        ref Unsafe.Add(ref bRef, m0));
                }
            }
        }

        if (inputs == 0)
        {
            // No products: yt is the bias (or zero) in every lane.
            for (int o = 0; o < outputs; o++)
            {
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref yt, (nint)o * padded), padded).Fill(hasBias ? Unsafe.Add(ref bRef, o) : T.Zero);
            }
        }

        // y[n, o] = yt[o, n], by whole blocks, then the edges.
        int n0 = 0;
        for (; n0 + width <= count; n0 += width)
        {
            int o0 = 0;
            for (; o0 + width <= outputs; o0 += width)
            {
                TOps.TransposeBlock(ref Unsafe.Add(ref yt, (nint)o0 * padded + n0), (nuint)padded, width, ref Unsafe.Add(ref yRef, (nint)n0 * outputs + o0), (nuint)outputs);
            }

            for (; o0 < outputs; o0++)
            {
                for (int r = 0; r < width; r++)
                {
                    Unsafe.Add(ref yRef, (nint)(n0 + r) * outputs + o0) = Unsafe.Add(ref yt, (nint)o0 * padded + n0 + r);
                }
            }
        }

        for (; n0 < count; n0++)
        {
            for (int o = 0; o < outputs; o++)
            {
                Unsafe.Add(ref yRef, (nint)n0 * outputs + o) = Unsafe.Add(ref yt, (nint)o * padded + n0);
            }
        }

        KernelScratch<T>.Return(scratch);
    }

    // xt = x^T by strips: x [count, inputs] -> for each strip of 2 vectors of rows (the last may be one vector),
    // [inputs, strip width] with element (i, n) at i * stripWidth + n % (2 vectors). The padding lanes count..padded
    // repeat row count - 1: their results are never read, and a copy keeps the last block a whole-vector transpose.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposed<T, TVector, TOps>(ref T xRef, int count, int inputs, int padded, ref T xt)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        int width = TOps.Count;
        int strip = 2 * width;
        for (int n0 = 0; n0 < padded; n0 += width)
        {
            int s0 = n0 - n0 % strip;
            int stripWidth = Math.Min(strip, padded - s0);
            ref T destination = ref Unsafe.Add(ref xt, (nint)s0 * inputs + (n0 - s0));
            ref T source = ref Unsafe.Add(ref xRef, (nint)n0 * inputs);
            int rows = Math.Min(width, count - n0);
            int i0 = 0;
            for (; i0 + width <= inputs; i0 += width)
            {
                TOps.TransposeBlock(ref Unsafe.Add(ref source, i0), (nuint)inputs, rows, ref Unsafe.Add(ref destination, (nint)i0 * stripWidth), (nuint)stripWidth);
            }

            for (; i0 < inputs; i0++)
            {
                for (int r = 0; r < width; r++)
                {
                    Unsafe.Add(ref destination, (nint)i0 * stripWidth + r) = Unsafe.Add(ref source, (nint)Math.Min(r, rows - 1) * inputs + i0);
                }
            }
        }
    }

    // How a GEMM tile's accumulators start: zero, the destination's values, or each row's bias broadcast.
    private enum GemmStart
    {
        Zero,
        Accumulate,
        RowBias,
    }

    // c[r, 0 .. vectors * width) = start + sum_k a[r * lda + k] * b[k * ldb + ...] for r < rows (1 to GemmRows),
    // vectors 1 or 2, with start zero, c itself or rowBias[r]. Rows past rows repeat the last one (computed, not
    // stored), so every tile runs the same unrolled body.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GemmTile<T, TVector, TOps>(ref T a, int lda, ref T b, int ldb, ref T c, int ldc, int depth, int rows, int vectors, GemmStart start, ref T rowBias)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        if (vectors == 1)
        {
            GemmTile6x1<T, TVector, TOps>(ref a, lda, ref b, ldb, ref c, ldc, depth, rows, start, ref rowBias);
        }
        else if (rows <= 4)
        {
            GemmTile4x2<T, TVector, TOps>(ref a, lda, ref b, ldb, ref c, ldc, depth, rows, start, ref rowBias);
        }
        else
        {
            GemmTile6x2<T, TVector, TOps>(ref a, lda, ref b, ldb, ref c, ldc, depth, rows, start, ref rowBias);
        }
    }

    // Four rows (or fewer, the last repeated): 8 accumulators, nothing spent on rows 5 and 6.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GemmTile4x2<T, TVector, TOps>(ref T a, int lda, ref T b, int ldb, ref T c, int ldc, int depth, int rows, GemmStart start, ref T rowBias)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nint r1 = Math.Min(1, rows - 1), r2 = Math.Min(2, rows - 1), r3 = Math.Min(3, rows - 1);
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a, r1 * lda);
        ref T a2 = ref Unsafe.Add(ref a, r2 * lda);
        ref T a3 = ref Unsafe.Add(ref a, r3 * lda);
        nuint second = (nuint)TOps.Count;
        nuint stride = (nuint)ldc;
        ref T bk = ref b;
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        if (start == GemmStart.RowBias)
        {
            c00 = c01 = TOps.Broadcast(rowBias);
            c10 = c11 = TOps.Broadcast(Unsafe.Add(ref rowBias, r1));
            c20 = c21 = TOps.Broadcast(Unsafe.Add(ref rowBias, r2));
            c30 = c31 = TOps.Broadcast(Unsafe.Add(ref rowBias, r3));
        }
        else if (start == GemmStart.Accumulate)
        {
            c00 = TOps.Load(ref c, 0);
            c01 = TOps.Load(ref c, second);
            c10 = TOps.Load(ref c, (nuint)r1 * stride);
            c11 = TOps.Load(ref c, (nuint)r1 * stride + second);
            c20 = TOps.Load(ref c, (nuint)r2 * stride);
            c21 = TOps.Load(ref c, (nuint)r2 * stride + second);
            c30 = TOps.Load(ref c, (nuint)r3 * stride);
            c31 = TOps.Load(ref c, (nuint)r3 * stride + second);
        }

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
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GemmTile6x2<T, TVector, TOps>(ref T a, int lda, ref T b, int ldb, ref T c, int ldc, int depth, int rows, GemmStart start, ref T rowBias)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nint r1 = Math.Min(1, rows - 1), r2 = Math.Min(2, rows - 1), r3 = Math.Min(3, rows - 1), r4 = Math.Min(4, rows - 1), r5 = Math.Min(5, rows - 1);
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a, r1 * lda);
        ref T a2 = ref Unsafe.Add(ref a, r2 * lda);
        ref T a3 = ref Unsafe.Add(ref a, r3 * lda);
        ref T a4 = ref Unsafe.Add(ref a, r4 * lda);
        ref T a5 = ref Unsafe.Add(ref a, r5 * lda);
        nuint second = (nuint)TOps.Count;
        nuint stride = (nuint)ldc;
        ref T bk = ref b;
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (start == GemmStart.RowBias)
        {
            c00 = c01 = TOps.Broadcast(rowBias);
            c10 = c11 = TOps.Broadcast(Unsafe.Add(ref rowBias, r1));
            c20 = c21 = TOps.Broadcast(Unsafe.Add(ref rowBias, r2));
            c30 = c31 = TOps.Broadcast(Unsafe.Add(ref rowBias, r3));
            c40 = c41 = TOps.Broadcast(Unsafe.Add(ref rowBias, r4));
            c50 = c51 = TOps.Broadcast(Unsafe.Add(ref rowBias, r5));
        }
        else if (start == GemmStart.Accumulate)
        {
            c00 = TOps.Load(ref c, 0);
            c01 = TOps.Load(ref c, second);
            c10 = TOps.Load(ref c, (nuint)r1 * stride);
            c11 = TOps.Load(ref c, (nuint)r1 * stride + second);
            c20 = TOps.Load(ref c, (nuint)r2 * stride);
            c21 = TOps.Load(ref c, (nuint)r2 * stride + second);
            c30 = TOps.Load(ref c, (nuint)r3 * stride);
            c31 = TOps.Load(ref c, (nuint)r3 * stride + second);
            c40 = TOps.Load(ref c, (nuint)r4 * stride);
            c41 = TOps.Load(ref c, (nuint)r4 * stride + second);
            c50 = TOps.Load(ref c, (nuint)r5 * stride);
            c51 = TOps.Load(ref c, (nuint)r5 * stride + second);
        }

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GemmTile6x1<T, TVector, TOps>(ref T a, int lda, ref T b, int ldb, ref T c, int ldc, int depth, int rows, GemmStart start, ref T rowBias)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nint r1 = Math.Min(1, rows - 1), r2 = Math.Min(2, rows - 1), r3 = Math.Min(3, rows - 1), r4 = Math.Min(4, rows - 1), r5 = Math.Min(5, rows - 1);
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a, r1 * lda);
        ref T a2 = ref Unsafe.Add(ref a, r2 * lda);
        ref T a3 = ref Unsafe.Add(ref a, r3 * lda);
        ref T a4 = ref Unsafe.Add(ref a, r4 * lda);
        ref T a5 = ref Unsafe.Add(ref a, r5 * lda);
        nuint stride = (nuint)ldc;
        ref T bk = ref b;
        TVector c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        if (start == GemmStart.RowBias)
        {
            c0 = TOps.Broadcast(rowBias);
            c1 = TOps.Broadcast(Unsafe.Add(ref rowBias, r1));
            c2 = TOps.Broadcast(Unsafe.Add(ref rowBias, r2));
            c3 = TOps.Broadcast(Unsafe.Add(ref rowBias, r3));
            c4 = TOps.Broadcast(Unsafe.Add(ref rowBias, r4));
            c5 = TOps.Broadcast(Unsafe.Add(ref rowBias, r5));
        }
        else if (start == GemmStart.Accumulate)
        {
            c0 = TOps.Load(ref c, 0);
            c1 = TOps.Load(ref c, (nuint)r1 * stride);
            c2 = TOps.Load(ref c, (nuint)r2 * stride);
            c3 = TOps.Load(ref c, (nuint)r3 * stride);
            c4 = TOps.Load(ref c, (nuint)r4 * stride);
            c5 = TOps.Load(ref c, (nuint)r5 * stride);
        }

        // Two steps of k at a time into two sets of accumulators, added at the end: 12 independent FMA chains, as
        // in the two-vector tiles (6 chains would leave the FMA units waiting on their latency).
        TVector d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        nuint next = (nuint)ldb;
        int k = 0;
        for (; k < depth - 1; k += 2)
        {
            TVector b0 = TOps.Load(ref bk, 0);
            TVector b1 = TOps.Load(ref bk, next);
            bk = ref Unsafe.Add(ref bk, 2 * (nint)ldb);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a0, k)), b0, c0);
            d0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a0, k + 1)), b1, d0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a1, k)), b0, c1);
            d1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a1, k + 1)), b1, d1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a2, k)), b0, c2);
            d2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a2, k + 1)), b1, d2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a3, k)), b0, c3);
            d3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a3, k + 1)), b1, d3);
            c4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a4, k)), b0, c4);
            d4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a4, k + 1)), b1, d4);
            c5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a5, k)), b0, c5);
            d5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a5, k + 1)), b1, d5);
        }

        if (k < depth)
        {
            TVector b0 = TOps.Load(ref bk, 0);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a0, k)), b0, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a1, k)), b0, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a2, k)), b0, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a3, k)), b0, c3);
            c4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a4, k)), b0, c4);
            c5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a5, k)), b0, c5);
        }

        c0 = TOps.Add(c0, d0);
        c1 = TOps.Add(c1, d1);
        c2 = TOps.Add(c2, d2);
        c3 = TOps.Add(c3, d3);
        c4 = TOps.Add(c4, d4);
        c5 = TOps.Add(c5, d5);
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

        if (typeof(TVector) == typeof(Vector256<T>) && BackwardTiles(count, inputs, outputs))
        {
            BackwardGemm<T, TVector, TOps>(ref dyRef, ref wRef, ref dxRef, count, inputs, outputs);
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

    // The one rule for BackwardInput's GEMM tiles (Vector256 only; with 32 registers the 4 x 4 axpy blocks stay),
    // measured against the 4-row axpy blocks (AVX2, float, Zen 3): the tiles win when those blocks would leave 2 or 3
    // rows to the one-row kernel (1.1-2x at 6 or 7 rows), and on wide layers (inputs >= 128, outputs >= 32: 1.03x at
    // 16 rows 784 <- 64, 1.1-1.3x at 12-64 rows 256 <- 32..128); on narrower layers with a multiple of 4 rows the
    // axpy blocks' lower overhead per block wins (the tiles are 0.8-1.0x there).
    private static bool BackwardTiles(int count, int inputs, int outputs) =>
        count >= 6 && (count % 4 >= 2 || (inputs >= 128 && outputs >= 32));

    // dx[n, i] = sum_o dy[n, o] w[o, i] by GemmTile: a = dy (rows count, depth outputs, broadcast), b = w (columns
    // inputs, contiguous), c = dx. Strips of 2 vectors of inputs outermost, so a strip of the weight ([outputs, 2
    // vectors]) stays in L1 while every block of rows passes it. A last partial vector of inputs overlaps the
    // previous one (recomputing the same values). inputs >= TOps.Count.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardGemm<T, TVector, TOps>(ref T dyRef, ref T wRef, ref T dxRef, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        int width = TOps.Count;
        for (int j0 = 0; j0 < inputs; j0 += 2 * width)
        {
            // Two vectors where they fit (ending at inputs when fewer than two are left), else one.
            int vectors = inputs >= 2 * width ? 2 : 1;
            int start = Math.Min(j0, inputs - vectors * width);
            for (int m0 = 0, rows; m0 < count; m0 += rows)
            {
                rows = GemmBlockRows(count - m0);
                GemmTile<T, TVector, TOps>(
                    ref Unsafe.Add(ref dyRef, (nint)m0 * outputs),
                    outputs,
                    ref Unsafe.Add(ref wRef, start),
                    inputs,
                    ref Unsafe.Add(ref dxRef, (nint)m0 * inputs + start),
                    inputs,
                    outputs,
                    rows,
                    vectors,
                    GemmStart.Zero,
                    ref dyRef);
            }

            if (vectors == 1 && start + width < inputs)
            {
                // Fewer than two vectors of inputs in all: the second, overlapping vector.
                for (int m0 = 0, rows; m0 < count; m0 += rows)
                {
                    rows = GemmBlockRows(count - m0);
                    GemmTile<T, TVector, TOps>(
                        ref Unsafe.Add(ref dyRef, (nint)m0 * outputs),
                        outputs,
                        ref Unsafe.Add(ref wRef, inputs - width),
                        inputs,
                        ref Unsafe.Add(ref dxRef, (nint)m0 * inputs + inputs - width),
                        inputs,
                        outputs,
                        rows,
                        1,
                        GemmStart.Zero,
                        ref dyRef);
                }
            }
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
