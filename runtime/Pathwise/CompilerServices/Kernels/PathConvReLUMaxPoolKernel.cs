using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// The convolution after the first layer's fused pooling (<see cref="PathPoolKernel"/>) on the straight path, with its ReLU
/// and the 2x2, stride-2 max pool that reads it, computed from what changes between consecutive points.
/// </summary>
/// <remarks>
/// <para>
/// The pooling's value at point <c>k</c> is, window by window, the affine piece <c>start[p] + a_k step[p]</c> of the
/// position <c>p</c> that won (or 0 under ReLU), so <c>x_k = A_k + a_k B_k</c> and, the convolution being linear,
/// <c>z_k = conv(A_k) + a_k conv(B_k)</c>. <see cref="Forward{T}"/> convolves a point's two piece images once and then,
/// point by point, adds the convolution of only the windows whose winner changed. <see cref="BackwardSum{T}"/> needs no
/// point's transposed product: it sums the points' output gradients, and a window whose winner changes takes one column
/// product of the running sum.
/// </para>
/// <para>
/// The results are <see cref="Conv2DReLUMaxPoolKernel"/>'s and <see cref="PathPoolKernel.MaxBackwardSum{T}"/>'s up to
/// rounding: each is a different sum of the same terms, and a carried sum adds a few units in the last place of the terms'
/// magnitude per change. Values and weights are taken to be finite, as <see cref="PathPoolKernel"/>'s (a NaN follows no
/// documented rule). Sources and destinations must not overlap.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PathConvReLUMaxPoolKernel
{
    /// <summary>Whether the kernel computes <paramref name="shape"/>: stride 1, no dilation, one group, an output of at least 2x2.</summary>
    public static bool Supports(Conv2DShape shape) =>
        shape.StrideHeight == 1 && shape.StrideWidth == 1 && shape.DilationHeight == 1 && shape.DilationWidth == 1
        && shape.Groups == 1 && shape.OutHeight >= 2 && shape.OutWidth >= 2;

    /// <summary>The scratch <see cref="Forward{T}"/> and <see cref="BackwardSum{T}"/> need, in elements: <c>2 C H W + 5 O OH OW + O C KH KW</c>.</summary>
    public static int ScratchLength(Conv2DShape shape)
    {
        Validate(shape);
        long length = 2L * shape.InputLength + 5L * shape.OutputLength + shape.WeightLength;
        if (length > Array.MaxLength)
        {
            ThrowHelper.ThrowArgument($"Expected a convolution whose path scratch fits one array; got {length} elements.", nameof(shape));
        }

        return (int)length;
    }

    /// <summary>
    /// Forward pass for <c>count = alphas.Length</c> points of one path: <c>z_k = conv(x_k)</c> where <c>x_k</c> is the
    /// first layer's pooling at <c>a_k</c>; writes <c>y = max(z, 0)</c>, channel-last, for <see cref="BackwardSum{T}"/>, and
    /// <c>pooled</c>, the 2x2 max pool of <c>y</c> as <see cref="Conv2DReLUMaxPoolKernel.Forward{T}"/> writes it.
    /// </summary>
    /// <param name="x">The convolution's input, <c>[count, C, H, W]</c>: the first layer's pooling as <see cref="PathPoolKernel.MaxForward{T}"/> wrote it.</param>
    /// <param name="start">The first layer's value at the path start, <c>[C, 2H, 2W]</c> (at least; as the pooling read it).</param>
    /// <param name="step">The first layer's change per unit of <c>a</c>, same shape.</param>
    /// <param name="winners">The winners <see cref="PathPoolKernel.MaxForward{T}"/> recorded at the same points.</param>
    /// <param name="inputPool">That pooling's geometry; its output is the convolution's input <c>[C, H, W]</c>.</param>
    /// <param name="alphas">The path coordinates <c>a_k</c>, <c>[count]</c>.</param>
    /// <param name="weight">Weights, <c>[O, C, KH, KW]</c>.</param>
    /// <param name="bias">Bias, <c>[O]</c>, or empty for no bias.</param>
    /// <param name="y">The ReLU's output channel-last, <c>[count, OH, OW, O]</c> (overwritten).</param>
    /// <param name="pooled">The pool's output, <c>[count, O, OH / 2, OW / 2]</c> (overwritten).</param>
    /// <param name="scratch">Scratch of <see cref="ScratchLength"/> elements; contents overwritten.</param>
    /// <param name="shape">The convolution's geometry (<see cref="Supports"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> start, ReadOnlySpan<T> step, ReadOnlySpan<byte> winners, Pool2DShape inputPool, ReadOnlySpan<T> alphas,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> pooled, Span<T> scratch, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(shape);
        int count = alphas.Length, inputs = shape.InputLength, outputs = shape.OutputLength, o = shape.OutChannels;
        CheckInputPool(inputPool, shape);

        int winnerBytes = PathPoolKernel.WinnersLength(inputs), outHeight = shape.OutHeight, outWidth = shape.OutWidth;
        int pooledLength = o * (outHeight / 2) * (outWidth / 2);
        ThrowHelper.RequireLength(x.Length, ThrowHelper.Product(count, inputs, "x length"), nameof(x));
        ThrowHelper.RequireLength(start.Length, inputPool.InputLength, nameof(start));
        ThrowHelper.RequireLength(step.Length, inputPool.InputLength, nameof(step));
        ThrowHelper.RequireLength(winners.Length, ThrowHelper.Product(count, winnerBytes, "winners length"), nameof(winners));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireLength(bias.Length, o, nameof(bias));
        }

        int all = ThrowHelper.Product(count, outputs, "y length");
        ThrowHelper.RequireDestination(y.Length, all, nameof(y));
        ThrowHelper.RequireDestination(pooled.Length, ThrowHelper.Product(count, pooledLength, "pooled length"), nameof(pooled));
        ThrowHelper.RequireDestination(scratch.Length, ScratchLength(shape), nameof(scratch));
        if (count == 0)
        {
            return;
        }

        // Scratch: the first point's pieces [2, C, H, W]; their convolutions [2, O, OH, OW]; then, channel-last
        // [OH OW, O], conv(A_k) + bias and conv(B_k), kept current point by point, and one point's z; the weights as
        // [C, KH, KW, O]. Between rebases the convolutions' room holds a far point's planes and one point's pool
        // channel-last.
        Span<T> pieces = scratch.Slice(0, 2 * inputs);
        Span<T> convolved = scratch.Slice(2 * inputs, 2 * outputs);
        Span<T> a = scratch.Slice(2 * inputs + 2 * outputs, outputs);
        Span<T> b = scratch.Slice(2 * inputs + 3 * outputs, outputs);
        Span<T> point = scratch.Slice(2 * inputs + 4 * outputs, outputs);
        Span<T> planes = convolved.Slice(0, outputs);
        Span<T> rows = convolved.Slice(outputs, pooledLength);
        Span<T> taps = scratch.Slice(2 * inputs + 5 * outputs, shape.WeightLength);
        OutputMajorTaps(weight, taps, shape);
        var geometry = new Geometry(shape, inputPool);

        // Stamping a changed window costs about 2 KH KW O multiply-adds, convolving two piece images afresh about
        // 2 C H W KH KW O / 2: past one window in 8, the convolution is cheaper. A point that far from the carried pieces
        // is convolved alone, once (the path's two ends, appended to a chunk, are far from the points and from each
        // other but the second is next to the last point); the pieces are convolved afresh only when two far points follow
        // each other.
        int limit = Math.Max(1, inputs / 8), carried = -1;
        bool lastFar = false;
        for (int k = 0; k < count; k++)
        {
            ReadOnlySpan<byte> now = winners.Slice(k * winnerBytes, winnerBytes);
            bool far = carried < 0 || CountChangedWindows(winners.Slice(carried * winnerBytes, winnerBytes), now, limit) > limit;
            if (far && !lastFar && carried >= 0)
            {
                lastFar = true;
                Conv2DKernel.Forward(x.Slice(k * inputs, inputs), weight, bias, planes, 1, shape);
                Transpose(planes, point, o, outHeight * outWidth);
                ReLUMaxPool(point, point, T.Zero, y.Slice(k * outputs, outputs), rows, pooled.Slice(k * pooledLength, pooledLength), in geometry);
                continue;
            }

            lastFar = false;
            if (far)
            {
                PathPoolKernel.Pieces(start, step, now, pieces.Slice(0, inputs), pieces.Slice(inputs, inputs), inputPool);
                Conv2DKernel.Forward(pieces, weight, ReadOnlySpan<T>.Empty, convolved, 2, shape);
                ToChannelLast(convolved.Slice(0, outputs), a, o, bias);
                ToChannelLast(convolved.Slice(outputs, outputs), b, o, ReadOnlySpan<T>.Empty);
            }
            else
            {
                AddChangedPieces(start, step, winners.Slice(carried * winnerBytes, winnerBytes), now, taps, a, b, in geometry);
            }

            carried = k;

            ReLUMaxPool(a, b, alphas[k], y.Slice(k * outputs, outputs), rows, pooled.Slice(k * pooledLength, pooledLength), in geometry);
        }
    }

    /// <summary>
    /// The backward pass through the pool, the ReLU, the convolution and the first layer's pooling, summed over the
    /// points of one path: <c>destination[p] = sum_k c_k dx_k[w] [point k's winners give window w to position p]</c>,
    /// where <c>dx_k = conv^T(dz_k)</c> and <c>dz_k</c> is <c>dPooled[k]</c> at its window's first maximum of <c>y</c>
    /// where that is positive (<see cref="Conv2DReLUMaxPoolKernel.Backward{T}"/>'s routing). That is
    /// <see cref="PathPoolKernel.MaxBackwardSum{T}"/> of every point's <c>dx_k</c>, without them: a window that keeps its
    /// winner from point <c>k1</c> to <c>k2</c> passes <c>&lt;sum_{k1..k2} c_k dz_k, column w&gt;</c>, the difference of two
    /// prefix sums' products with the convolution's column, so the kernel keeps the prefix sum <c>sum c_k dz_k</c>, takes
    /// one column product per window whose winner changes, and one transposed product of the whole sum at the end.
    /// </summary>
    /// <param name="y">The forward pass's ReLU output, channel-last, <c>[count, OH, OW, O]</c>.</param>
    /// <param name="dPooled">The pool's output gradients, <c>[count, O, OH / 2, OW / 2]</c>.</param>
    /// <param name="pointCoefficients">The point weights <c>c_k</c>, <c>[count]</c>.</param>
    /// <param name="winners">The first layer's pooling's winners at the same points, <c>[count, PathPoolKernel.WinnersLength(C H W)]</c> bytes (more rows are ignored).</param>
    /// <param name="inputPool">That pooling's geometry; its output is the convolution's input <c>[C, H, W]</c>.</param>
    /// <param name="weight">Weights, <c>[O, C, KH, KW]</c>.</param>
    /// <param name="destination">The first layer's gradient summed over the points, <c>[C, 2H', 2W']</c> as the pooling reads it (overwritten).</param>
    /// <param name="scratch">Scratch of <see cref="ScratchLength"/> elements; contents overwritten.</param>
    /// <param name="shape">The convolution's geometry (<see cref="Supports"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardSum<T>(
        ReadOnlySpan<T> y, ReadOnlySpan<T> dPooled, ReadOnlySpan<T> pointCoefficients, ReadOnlySpan<byte> winners, Pool2DShape inputPool,
        ReadOnlySpan<T> weight, Span<T> destination, Span<T> scratch, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(shape);
        CheckInputPool(inputPool, shape);
        int count = pointCoefficients.Length, inputs = shape.InputLength, outputs = shape.OutputLength;
        int outHeight = shape.OutHeight, outWidth = shape.OutWidth, winnerBytes = PathPoolKernel.WinnersLength(inputs);
        int pooledLength = shape.OutChannels * (outHeight / 2) * (outWidth / 2), all = ThrowHelper.Product(count, outputs, "y length");
        ThrowHelper.RequireLength(y.Length, all, nameof(y));
        ThrowHelper.RequireLength(dPooled.Length, ThrowHelper.Product(count, pooledLength, "dPooled length"), nameof(dPooled));
        ThrowHelper.RequireDestination(winners.Length, ThrowHelper.Product(count, winnerBytes, "winners length"), nameof(winners));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        ThrowHelper.RequireLength(destination.Length, inputPool.InputLength, nameof(destination));
        ThrowHelper.RequireDestination(scratch.Length, ScratchLength(shape), nameof(scratch));
        destination.Clear();
        if (count == 0)
        {
            return;
        }

        // Scratch: the prefix sum channel-last [OH OW, O] (a column product then reads whole rows of it); per window,
        // the prefix's column product when its current winner took over [C, H, W]; at the end, the whole sum's
        // [C, H, W]; one point's pooled gradients channel-last, then the sum as planes; the weights as [C, KH, KW, O].
        Span<T> prefix = scratch.Slice(0, outputs);
        Span<T> opened = scratch.Slice(outputs, inputs);
        Span<T> closing = scratch.Slice(outputs + inputs, inputs);
        Span<T> rows = scratch.Slice(outputs + 2 * inputs, outputs);
        Span<T> taps = scratch.Slice(2 * outputs + 2 * inputs, shape.WeightLength);
        prefix.Clear();
        opened.Clear();
        OutputMajorTaps(weight, taps, shape);
        int o = shape.OutChannels, size = outHeight * outWidth;
        var g = new Geometry(shape, inputPool);
        for (int k = 0; k < count; k++)
        {
            if (k > 0)
            {
                CloseChangedWindows(winners.Slice((k - 1) * winnerBytes, winnerBytes), winners.Slice(k * winnerBytes, winnerBytes), prefix, taps, opened, destination, in g);
            }

            Transpose(dPooled.Slice(k * pooledLength, pooledLength), rows, o, pooledLength / o);
            AddRouted(y.Slice(k * outputs, outputs), rows.Slice(0, pooledLength), pointCoefficients[k], prefix, in g);
        }

        Transpose(prefix, rows, size, o);
        Conv2DKernel.BackwardInput(rows, weight, closing, 1, shape);
        ReadOnlySpan<byte> last = winners.Slice((count - 1) * winnerBytes, winnerBytes);
        for (int w = 0; w < inputs; w++)
        {
            int position = g.WinnerPosition(PathPoolKernel.WinnerGroup(last, w >> 3), w);
            if (position >= 0)
            {
                destination[position] += closing[w] - opened[w];
            }
        }
    }

    // ---- forward ----

    // How many windows' winners differ between two points, counting no further than just past `limit`.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int CountChangedWindows(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, int limit)
    {
        int groups = after.Length / 4, changes = 0;
        for (int group = 0; group < groups && changes <= limit; group++)
        {
            changes += BitOperations.PopCount(PathPoolKernel.ChangedInGroup(before, after, group));
        }

        return changes;
    }

    // For each window whose winner differs between two consecutive points, adds the change of its piece,
    // conv(e_w (start[p'] - start[p])) to a and conv(e_w (step[p'] - step[p])) to b (p, p' the old and new winners, a
    // window without one contributing 0).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddChangedPieces<T>(
        ReadOnlySpan<T> start, ReadOnlySpan<T> step, ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, ReadOnlySpan<T> taps,
        Span<T> a, Span<T> b, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T s0 = ref MemoryMarshal.GetReference(start);
        ref T t0 = ref MemoryMarshal.GetReference(step);
        foreach (int w in new PathPoolKernel.ChangedWindows(before, after, g.C * g.H * g.W))
        {
            T da = T.Zero, db = T.Zero;
            int now = g.WinnerPosition(PathPoolKernel.WinnerGroup(after, w >> 3), w);
            if (now >= 0)
            {
                da = Unsafe.Add(ref s0, now);
                db = Unsafe.Add(ref t0, now);
            }

            int was = g.WinnerPosition(PathPoolKernel.WinnerGroup(before, w >> 3), w);
            if (was >= 0)
            {
                da -= Unsafe.Add(ref s0, was);
                db -= Unsafe.Add(ref t0, was);
            }

            Stamp(da, db, w, taps, a, b, in g);
        }
    }

    // a[oh, ow, :] += da * taps[c, i, j, :] and b likewise with db, for every output (oh, ow) that reads input unit w = (c, ih, iw).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stamp<T>(T da, T db, int w, ReadOnlySpan<T> taps, Span<T> a, Span<T> b, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int c, int ih, int iw) = g.Unit(w);
        (int i0, int i1, int j0, int j1) = g.Taps(ih, iw);
        int o = g.O;
        ref T t0 = ref MemoryMarshal.GetReference(taps);
        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        for (int i = i0; i < i1; i++)
        {
            int row = (ih + g.PH - i) * g.OW + iw + g.PW;
            for (int j = j0; j < j1; j++)
            {
                ref T tap = ref Unsafe.Add(ref t0, ((c * g.KH + i) * g.KW + j) * o);
                VectorMath.Axpy(da, ref tap, ref Unsafe.Add(ref a0, (row - j) * o), o);
                VectorMath.Axpy(db, ref tap, ref Unsafe.Add(ref b0, (row - j) * o), o);
            }
        }
    }

    // [O, S] planes to channel-last [S, O], plus the bias of each channel when given.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToChannelLast<T>(ReadOnlySpan<T> planes, Span<T> rows, int channels, ReadOnlySpan<T> bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = planes.Length / channels;
        Transpose(planes, rows, channels, size);
        if (!bias.IsEmpty)
        {
            for (int s = 0; s < size; s++)
            {
                Span<T> row = rows.Slice(s * channels, channels);
                ElementwiseDriver.Binary(row, bias, row, new AddOperator<T>());
            }
        }
    }

    // y = max(z, 0) for z = b * alpha + a (rounded as PathKernel.Interpolate rounds it; with alpha 0 and b finite, z = a)
    // over channel-last [OH OW, O], and the pool of y [O, PH, PW] (through rows, [PH PW, O]).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReLUMaxPool<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, T alpha, Span<T> y, Span<T> rows, Span<T> pooled, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = g.O, n = 0, i = 0;
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T yr = ref MemoryMarshal.GetReference(y);
        ref T rr = ref MemoryMarshal.GetReference(rows);
        if (VectorMath.CanVectorize<T>())
        {
            n = o - o % Vector256<T>.Count;
            var va = Vector256.Create(alpha);
            for (; i <= y.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                Vector256<T> z = (Vector256.LoadUnsafe(ref br, (nuint)i) * va) + Vector256.LoadUnsafe(ref ar, (nuint)i);
                Vector256.Max(z, Vector256<T>.Zero).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < y.Length; i++)
        {
            Unsafe.Add(ref yr, i) = T.Max((Unsafe.Add(ref br, i) * alpha) + Unsafe.Add(ref ar, i), T.Zero);
        }

        int windows = 0;
        for (int ph = 0; ph < g.OH / 2; ph++)
        {
            for (int pw = 0; pw < g.OW / 2; pw++, windows++)
            {
                int p0 = (2 * ph * g.OW + 2 * pw) * o, p1 = p0 + o, p2 = p0 + g.OW * o, p3 = p2 + o, at = windows * o;
                for (int l = 0; l < n; l += Vector256<T>.Count)
                {
                    Vector256<T> top = Vector256.Max(Vector256.LoadUnsafe(ref yr, (nuint)(p0 + l)), Vector256.LoadUnsafe(ref yr, (nuint)(p1 + l)));
                    Vector256<T> bottom = Vector256.Max(Vector256.LoadUnsafe(ref yr, (nuint)(p2 + l)), Vector256.LoadUnsafe(ref yr, (nuint)(p3 + l)));
                    Vector256.Max(top, bottom).StoreUnsafe(ref rr, (nuint)(at + l));
                }

                for (int l = n; l < o; l++)
                {
                    T top = T.Max(Unsafe.Add(ref yr, p0 + l), Unsafe.Add(ref yr, p1 + l));
                    Unsafe.Add(ref rr, at + l) = T.Max(top, T.Max(Unsafe.Add(ref yr, p2 + l), Unsafe.Add(ref yr, p3 + l)));
                }
            }
        }

        Transpose(rows.Slice(0, windows * o), pooled, windows, o);
    }

    // prefix[position, o] += c * gradients[window, o] at each window's first maximum of y, where that maximum is positive
    // (Pool2DKernel.MaxBackward's rule and the ReLU's derivative, 0 at 0); y and prefix channel-last, gradients [windows, O].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddRouted<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gradients, T c, Span<T> prefix, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = g.O, n = VectorMath.CanVectorize<T>() ? o - o % Vector256<T>.Count : 0, window = 0;
        ref T yr = ref MemoryMarshal.GetReference(y);
        ref T gr = ref MemoryMarshal.GetReference(gradients);
        ref T pr = ref MemoryMarshal.GetReference(prefix);
        Vector256<T> scale = n > 0 ? Vector256.Create(c) : default;
        for (int ph = 0; ph < g.OH / 2; ph++)
        {
            for (int pw = 0; pw < g.OW / 2; pw++, window++)
            {
                nuint p0 = (nuint)((2 * ph * g.OW + 2 * pw) * o), p1 = p0 + (nuint)o, p2 = p0 + (nuint)(g.OW * o), p3 = p2 + (nuint)o;
                for (int l = 0; l < n; l += Vector256<T>.Count)
                {
                    nuint at = (nuint)l;
                    Vector256<T> y0 = Vector256.LoadUnsafe(ref yr, p0 + at), y1 = Vector256.LoadUnsafe(ref yr, p1 + at);
                    Vector256<T> y2 = Vector256.LoadUnsafe(ref yr, p2 + at), y3 = Vector256.LoadUnsafe(ref yr, p3 + at);
                    Vector256<T> max = Vector256.Max(Vector256.Max(y0, y1), Vector256.Max(y2, y3));
                    Vector256<T> left = Vector256.GreaterThan(max, Vector256<T>.Zero);
                    Vector256<T> value = scale * Vector256.LoadUnsafe(ref gr, (nuint)(window * o + l));
                    Vector256<T> e0 = Vector256.Equals(y0, max) & left;
                    left &= ~e0;
                    Vector256<T> e1 = Vector256.Equals(y1, max) & left;
                    left &= ~e1;
                    Vector256<T> e2 = Vector256.Equals(y2, max) & left;
                    left &= ~e2;
                    (Vector256.LoadUnsafe(ref pr, p0 + at) + (value & e0)).StoreUnsafe(ref pr, p0 + at);
                    (Vector256.LoadUnsafe(ref pr, p1 + at) + (value & e1)).StoreUnsafe(ref pr, p1 + at);
                    (Vector256.LoadUnsafe(ref pr, p2 + at) + (value & e2)).StoreUnsafe(ref pr, p2 + at);
                    (Vector256.LoadUnsafe(ref pr, p3 + at) + (value & left)).StoreUnsafe(ref pr, p3 + at);
                }

                for (int l = n; l < o; l++)
                {
                    T y0 = Unsafe.Add(ref yr, (nint)p0 + l), y1 = Unsafe.Add(ref yr, (nint)p1 + l);
                    T y2 = Unsafe.Add(ref yr, (nint)p2 + l), y3 = Unsafe.Add(ref yr, (nint)p3 + l);
                    T max = T.Max(T.Max(y0, y1), T.Max(y2, y3));
                    if (max > T.Zero)
                    {
                        nint position = y0 == max ? (nint)p0 : y1 == max ? (nint)p1 : y2 == max ? (nint)p2 : (nint)p3;
                        Unsafe.Add(ref pr, position + l) += c * Unsafe.Add(ref gr, window * o + l);
                    }
                }
            }
        }
    }

    // destination [columns, rowCount] = source [rowCount, columns] transposed: vector-sized blocks where whole, element by
    // element at the edges.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose<T>(ReadOnlySpan<T> source, Span<T> destination, int rowCount, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = 0, c;
        ref T sr = ref MemoryMarshal.GetReference(source);
        ref T dr = ref MemoryMarshal.GetReference(destination);
        if (VectorMath.CanVectorize<T>())
        {
            int n = Vector256<T>.Count;
            for (; r <= rowCount - n; r += n)
            {
                for (c = 0; c <= columns - n; c += n)
                {
                    Simd256<T>.TransposeBlock(ref Unsafe.Add(ref sr, r * columns + c), (nuint)columns, n, ref Unsafe.Add(ref dr, c * rowCount + r), (nuint)rowCount);
                }

                for (; c < columns; c++)
                {
                    for (int t = r; t < r + n; t++)
                    {
                        Unsafe.Add(ref dr, c * rowCount + t) = Unsafe.Add(ref sr, t * columns + c);
                    }
                }
            }
        }

        for (; r < rowCount; r++)
        {
            for (c = 0; c < columns; c++)
            {
                Unsafe.Add(ref dr, c * rowCount + r) = Unsafe.Add(ref sr, r * columns + c);
            }
        }
    }

    // weight [O, C, KH, KW] as taps [C, KH, KW, O]: one input unit's taps to every output channel side by side.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputMajorTaps<T>(ReadOnlySpan<T> weight, Span<T> taps, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = shape.OutChannels, rest = shape.InChannels * shape.KernelHeight * shape.KernelWidth;
        for (int i = 0; i < o; i++)
        {
            for (int r = 0; r < rest; r++)
            {
                taps[r * o + i] = weight[i * rest + r];
            }
        }
    }

    // ---- backward ----

    // For each window whose winner changes between two consecutive points: the prefix's column product e closes the
    // old winner's run, which passes e - opened[w] to its position, and opens the new one's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CloseChangedWindows<T>(
        ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, ReadOnlySpan<T> prefix, ReadOnlySpan<T> taps, Span<T> opened, Span<T> destination, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int w in new PathPoolKernel.ChangedWindows(before, after, g.C * g.H * g.W))
        {
            T e = ColumnProduct(prefix, taps, w, in g);
            int position = g.WinnerPosition(PathPoolKernel.WinnerGroup(before, w >> 3), w);
            if (position >= 0)
            {
                destination[position] += e - opened[w];
            }

            opened[w] = e;
        }
    }

    // <prefix, column of input unit w>: the sum over i, j and o of taps[c, i, j, o] prefix[ih + P - i, iw + P - j, o].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T ColumnProduct<T>(ReadOnlySpan<T> prefix, ReadOnlySpan<T> taps, int w, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int c, int ih, int iw) = g.Unit(w);
        (int i0, int i1, int j0, int j1) = g.Taps(ih, iw);
        int o = g.O, n = 0;
        ref T t0 = ref MemoryMarshal.GetReference(taps);
        ref T p0 = ref MemoryMarshal.GetReference(prefix);
        T sum = T.Zero;
        if (VectorMath.CanVectorize<T>())
        {
            // Whole vectors of output channels: one sum per lane, added across at the end.
            n = o - o % Vector256<T>.Count;
            Vector256<T> lanes = Vector256<T>.Zero;
            for (int i = i0; i < i1; i++)
            {
                int row = (ih + g.PH - i) * g.OW + iw + g.PW;
                for (int j = j0; j < j1; j++)
                {
                    ref T tap = ref Unsafe.Add(ref t0, ((c * g.KH + i) * g.KW + j) * o);
                    ref T at = ref Unsafe.Add(ref p0, (row - j) * o);
                    for (int l = 0; l < n; l += Vector256<T>.Count)
                    {
                        lanes = VectorMath.MultiplyAdd(Vector256.LoadUnsafe(ref tap, (nuint)l), Vector256.LoadUnsafe(ref at, (nuint)l), lanes);
                    }
                }
            }

            sum = Vector256.Sum(lanes);
        }

        for (int i = i0; i < i1; i++)
        {
            int row = (ih + g.PH - i) * g.OW + iw + g.PW;
            for (int j = j0; j < j1; j++)
            {
                ref T tap = ref Unsafe.Add(ref t0, ((c * g.KH + i) * g.KW + j) * o);
                ref T at = ref Unsafe.Add(ref p0, (row - j) * o);
                for (int l = n; l < o; l++)
                {
                    sum += Unsafe.Add(ref tap, l) * Unsafe.Add(ref at, l);
                }
            }
        }

        return sum;
    }

    // The shape's numbers the per-point loops read, computed once per call, and the first layer's planes the pooling
    // reads ([C, SH, SW]: twice the pooled ones, or a row and a column more, which the pool skips).
    private readonly struct Geometry(Conv2DShape shape, Pool2DShape pool)
    {
        public readonly int C = shape.InChannels, H = shape.Height, W = shape.Width, O = shape.OutChannels;
        public readonly int KH = shape.KernelHeight, KW = shape.KernelWidth, PH = shape.PaddingHeight, PW = shape.PaddingWidth;
        public readonly int OH = shape.OutHeight, OW = shape.OutWidth;
        private readonly int _sourceHeight = pool.Height, _sourceWidth = pool.Width;

        // Input unit (pooling window) w as (channel, row, column).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (int C, int Row, int Column) Unit(int w)
        {
            int plane = H * W, c = w / plane, rest = w - c * plane, row = rest / W;
            return (c, row, rest - row * W);
        }

        // The kernel taps [i0, i1) x [j0, j1) through which some output reads input (ih, iw): output (ih + PH - i, iw + PW - j).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (int I0, int I1, int J0, int J1) Taps(int ih, int iw) =>
            (Math.Max(0, ih + PH - OH + 1), Math.Min(KH, ih + PH + 1), Math.Max(0, iw + PW - OW + 1), Math.Min(KW, iw + PW + 1));

        // The position in the first layer's planes that a group's winner bytes give window w, or -1.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int WinnerPosition(uint bytes, int w)
        {
            int q = PathPoolKernel.Winner(bytes, w & 7);
            if (q < 0)
            {
                return -1;
            }

            (int c, int row, int column) = Unit(w);
            return (c * _sourceHeight + 2 * row + (q >> 1)) * _sourceWidth + 2 * column + (q & 1);
        }
    }

    private static void CheckInputPool(Pool2DShape inputPool, Conv2DShape shape)
    {
        if (inputPool.Kernel != 2 || inputPool.Stride != 2 || inputPool.Channels != shape.InChannels
            || inputPool.OutHeight != shape.Height || inputPool.OutWidth != shape.Width)
        {
            ThrowHelper.ThrowArgument(
                $"Expected a 2x2, stride-2 pooling whose output is the convolution's input [{shape.InChannels}, {shape.Height}, {shape.Width}]; got {inputPool}.",
                nameof(inputPool));
        }
    }

    private static void Validate(Conv2DShape shape)
    {
        shape.Validate();
        if (!Supports(shape))
        {
            ThrowHelper.ThrowArgument($"Expected a stride-1, undilated, one-group convolution with an output of at least 2x2; got {shape}.", nameof(shape));
        }
    }
}
