using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// The second convolution of a network on the straight path, with its ReLU and the 2x2, stride-2 max pool that reads it,
/// when it reads the first layer's pooling fused by <see cref="PathPoolKernel"/>. That pooling's value at point <c>k</c> is,
/// window by window, one of its four positions' affine functions <c>start + a_k step</c> (or 0 under ReLU), and between
/// nearby points few windows change which: so the convolution is computed once for the pieces of a reference point
/// <c>m</c>, <c>x_k = A + a_k B + R_k</c> with <c>R_k</c> zero wherever window <c>k</c>'s piece is <c>m</c>'s, and per point
/// only <c>conv(R_k)</c> is added, one stamp per window that differs. The backward pass keeps the transposed product of the
/// previous point and adds only what changed: a gradient that moved to another position of its pooling window, or, when
/// the gradients reaching the pool change, a new sum of every non-zero one.
/// </summary>
/// <remarks>
/// <para>
/// The results are the composed kernels' (<see cref="Conv2DReLUMaxPoolKernel"/>), rounded differently: the pooled values
/// to a few units in the last place of the terms' magnitudes, the gradients likewise; the ties and the ReLU's derivative
/// (0 at 0) follow the same rules. Values and weights are taken to be finite, as <see cref="PathPoolKernel"/>'s (a NaN follows
/// no documented rule); a point whose pooled gradients hold a NaN is summed afresh, so it does not spread to other points.
/// </para>
/// <para>
/// Routes (what <see cref="Forward{T}"/> records for <see cref="BackwardInput{T}"/>) are bit masks, <see cref="RoutesLength"/>
/// bytes per point, in blocks of <c>L</c> output channels (<c>L</c> = 8; the last block may be partial): byte
/// <c>4 ((ph PW + pw) B + b) + q</c>, with <c>B</c> blocks, has bit <c>l</c> set when channel <c>b L + l</c> of pooling
/// window <c>(ph, pw)</c> passes its gradient to position <c>q</c> (0 to 3 in row-major order). Sources and destinations
/// must not overlap.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PathConvReLUMaxPoolKernel
{
    private const int Lanes = 8;

    /// <summary>
    /// Whether the kernel computes <paramref name="shape"/>: stride 1, no dilation, one group, an output of at least 2x2.
    /// </summary>
    public static bool Supports(Conv2DShape shape) =>
        shape.StrideHeight == 1 && shape.StrideWidth == 1 && shape.DilationHeight == 1 && shape.DilationWidth == 1
        && shape.Groups == 1 && shape.OutHeight >= 2 && shape.OutWidth >= 2;

    /// <summary>The bytes of one point's routes: <c>4 (OH / 2) (OW / 2) ceil(O / 8)</c>.</summary>
    public static int RoutesLength(Conv2DShape shape)
    {
        Validate(shape);
        return 4 * (shape.OutHeight / 2) * (shape.OutWidth / 2) * Blocks(shape.OutChannels);
    }

    /// <summary>
    /// The scratch <see cref="Forward{T}"/> and <see cref="BackwardInput{T}"/> need, in elements:
    /// <c>2 C H W + 5 O OH OW + O C KH KW + 8 C</c>.
    /// </summary>
    public static int ScratchLength(Conv2DShape shape)
    {
        Validate(shape);
        long outputs = (long)shape.OutChannels * shape.OutHeight * shape.OutWidth;
        long length = 2L * shape.InputLength + 5 * outputs + shape.WeightLength + 8L * shape.InChannels;
        if (length > Array.MaxLength)
        {
            ThrowHelper.ThrowArgument($"Expected a convolution whose path scratch fits one array; got {length} elements.", nameof(shape));
        }

        return (int)length;
    }

    /// <summary>
    /// Forward pass for <c>count = alphas.Length</c> points of one path: <c>z_k = conv(x_k)</c>, <c>y = max(z, 0)</c>,
    /// <c>pooled[k, o, ph, pw] = max_{a, b in {0, 1}} y[k, o, 2ph + a, 2pw + b]</c>, recording each window's route.
    /// </summary>
    /// <param name="x">The convolution's input, the first layer's pooling on the path, <c>[count, C, H, W]</c>, as <see cref="PathPoolKernel.MaxForward{T}"/> wrote it.</param>
    /// <param name="start">The first layer's value at the path start, <c>[C, 2H', 2W']</c> as that pooling read it.</param>
    /// <param name="step">The first layer's change per unit of <c>a</c>, same shape.</param>
    /// <param name="winners">The winners <see cref="PathPoolKernel.MaxForward{T}"/> recorded for <paramref name="x"/>.</param>
    /// <param name="inputPool">That pooling's geometry; its output is <c>[C, H, W]</c>.</param>
    /// <param name="alphas">The path coordinates <c>a_k</c>, <c>[count]</c>, those <paramref name="x"/> was pooled at.</param>
    /// <param name="weight">Weights, <c>[O, C, KH, KW]</c>.</param>
    /// <param name="bias">Bias, <c>[O]</c>, or empty for no bias.</param>
    /// <param name="pooled">Destination, <c>[count, O, OH / 2, OW / 2]</c> (overwritten).</param>
    /// <param name="routes">Destination, <c>[count, RoutesLength(shape)]</c> bytes (overwritten).</param>
    /// <param name="scratch">Scratch of <see cref="ScratchLength"/> elements; contents overwritten.</param>
    /// <param name="shape">The convolution's geometry (<see cref="Supports"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> start, ReadOnlySpan<T> step, ReadOnlySpan<byte> winners, Pool2DShape inputPool,
        ReadOnlySpan<T> alphas, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> pooled, Span<byte> routes, Span<T> scratch,
        Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(shape);
        int count = alphas.Length, inputs = shape.InputLength, o = shape.OutChannels;
        if (inputPool.Kernel != 2 || inputPool.Stride != 2 || inputPool.Channels != shape.InChannels
            || inputPool.OutHeight != shape.Height || inputPool.OutWidth != shape.Width)
        {
            ThrowHelper.ThrowArgument(
                $"Expected a 2x2, stride-2 pooling whose output is the convolution's input [{shape.InChannels}, {shape.Height}, {shape.Width}]; got {inputPool}.",
                nameof(inputPool));
        }

        int winnerBytes = PathPoolKernel.WinnersLength(inputs), routeBytes = RoutesLength(shape);
        int pooledLength = o * (shape.OutHeight / 2) * (shape.OutWidth / 2), outputs = shape.OutputLength;
        ThrowHelper.RequireLength(x.Length, ThrowHelper.Product(count, inputs, "x length"), nameof(x));
        ThrowHelper.RequireLength(start.Length, inputPool.InputLength, nameof(start));
        ThrowHelper.RequireLength(step.Length, inputPool.InputLength, nameof(step));
        ThrowHelper.RequireLength(winners.Length, ThrowHelper.Product(count, winnerBytes, "winners length"), nameof(winners));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireLength(bias.Length, o, nameof(bias));
        }

        ThrowHelper.RequireDestination(pooled.Length, ThrowHelper.Product(count, pooledLength, "pooled length"), nameof(pooled));
        ThrowHelper.RequireDestination(routes.Length, ThrowHelper.Product(count, routeBytes, "routes length"), nameof(routes));
        ThrowHelper.RequireDestination(scratch.Length, ScratchLength(shape), nameof(scratch));
        if (count == 0)
        {
            return;
        }

        // Scratch: the reference pieces [2, C, H, W], their convolutions [2, O, OH, OW], then A and B channel-last
        // [OH OW, O] (A with the bias), one point's z [OH OW, O], the weights as [C, KH, KW, O], and the differences at
        // up to 8 positions [C, 8].
        Span<T> pieces = scratch.Slice(0, 2 * inputs);
        Span<T> convolved = scratch.Slice(2 * inputs, 2 * outputs);
        Span<T> a = scratch.Slice(2 * inputs + 2 * outputs, outputs);
        Span<T> b = scratch.Slice(2 * inputs + 3 * outputs, outputs);
        Span<T> z = scratch.Slice(2 * inputs + 4 * outputs, outputs);
        Span<T> taps = scratch.Slice(2 * inputs + 5 * outputs, shape.WeightLength);
        Span<T> differences = scratch.Slice(2 * inputs + 5 * outputs + shape.WeightLength, 8 * shape.InChannels);

        // The middle point's pieces: fewest windows differ from them on a path whose pieces change along a.
        int reference = count / 2;
        PathPoolKernel.Pieces(start, step, winners.Slice(reference * winnerBytes, winnerBytes), pieces.Slice(0, inputs), pieces.Slice(inputs, inputs), inputPool);
        Conv2DKernel.Forward(pieces, weight, ReadOnlySpan<T>.Empty, convolved, 2, shape);
        ToChannelLast(convolved.Slice(0, outputs), a, o, bias);
        ToChannelLast(convolved.Slice(outputs, outputs), b, o, ReadOnlySpan<T>.Empty);
        OutputMajorTaps(weight, taps, shape);

        var g = new Geometry(shape);
        for (int k = 0; k < count; k++)
        {
            T alpha = alphas[k];
            Interpolate(a, b, alpha, z);
            AddDifferences(x.Slice(k * inputs, inputs), pieces.Slice(0, inputs), pieces.Slice(inputs, inputs), alpha, taps, differences, z, in g);
            ReLUMaxPool(z, pooled.Slice(k * pooledLength, pooledLength), routes.Slice(k * routeBytes, routeBytes), in g);
        }
    }

    /// <summary>
    /// Backward pass through the pool, the ReLU and the convolution for <paramref name="count"/> points:
    /// <c>dx[k] = conv^T(dz_k)</c>, where <c>dz_k</c> holds <c>dPooled[k, o, ph, pw]</c> at the position its route names
    /// and 0 elsewhere. Overwrites <paramref name="dx"/>.
    /// </summary>
    /// <param name="dPooled">The pool's output gradients, <c>[count, O, OH / 2, OW / 2]</c>.</param>
    /// <param name="routes">The routes <see cref="Forward{T}"/> recorded, <c>[count, RoutesLength(shape)]</c> bytes.</param>
    /// <param name="weight">Weights, <c>[O, C, KH, KW]</c>.</param>
    /// <param name="dx">Destination, <c>[count, C, H, W]</c> (overwritten).</param>
    /// <param name="scratch">Scratch of <see cref="ScratchLength"/> elements; contents overwritten.</param>
    /// <param name="count">Number of points.</param>
    /// <param name="shape">The convolution's geometry (<see cref="Supports"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardInput<T>(ReadOnlySpan<T> dPooled, ReadOnlySpan<byte> routes, ReadOnlySpan<T> weight, Span<T> dx, Span<T> scratch, int count, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(shape);
        ThrowHelper.RequireNonNegative(count, nameof(count));
        int inputs = shape.InputLength, routeBytes = RoutesLength(shape);
        int pooledLength = shape.OutChannels * (shape.OutHeight / 2) * (shape.OutWidth / 2);
        ThrowHelper.RequireLength(dPooled.Length, ThrowHelper.Product(count, pooledLength, "dPooled length"), nameof(dPooled));
        ThrowHelper.RequireLength(routes.Length, ThrowHelper.Product(count, routeBytes, "routes length"), nameof(routes));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        ThrowHelper.RequireDestination(dx.Length, ThrowHelper.Product(count, inputs, "dx length"), nameof(dx));
        ThrowHelper.RequireDestination(scratch.Length, ScratchLength(shape), nameof(scratch));
        if (count == 0)
        {
            return;
        }

        // Scratch: the weights as [O, KH, KW, C], and the running dx channel-last, [H W, C].
        Span<T> taps = scratch.Slice(0, shape.WeightLength);
        Span<T> sum = scratch.Slice(shape.WeightLength, inputs);
        InputMajorTaps(weight, taps, shape);

        // A fresh sum at least this often bounds the rounding the updates carry.
        const int Refresh = 16;
        int sinceFresh = 0;
        var g = new Geometry(shape);
        for (int k = 0; k < count; k++)
        {
            ReadOnlySpan<T> gradients = dPooled.Slice(k * pooledLength, pooledLength);
            ReadOnlySpan<byte> route = routes.Slice(k * routeBytes, routeBytes);
            // Updated from the previous point when only routes changed, and few; otherwise summed afresh.
            bool updated = k > 0 && sinceFresh < Refresh
                && SameValues(gradients, dPooled.Slice((k - 1) * pooledLength, pooledLength))
                && UpdateRoutes(gradients, routes.Slice((k - 1) * routeBytes, routeBytes), route, taps, sum, in g);
            if (!updated)
            {
                sum.Clear();
                AddAllRoutes(gradients, route, taps, sum, in g);
                sinceFresh = 0;
            }

            sinceFresh++;
            FromChannelLast(sum, dx.Slice(k * inputs, inputs), g.C);
        }
    }

    // ---- forward ----

    // z = b * alpha + a over [OH OW, O].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Interpolate<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, T alpha, Span<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, n = z.Length;
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T zr = ref MemoryMarshal.GetReference(z);
        if (VectorMath.CanVectorize<T>())
        {
            var va = Vector256.Create(alpha);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                ((Vector256.LoadUnsafe(ref br, (nuint)i) * va) + Vector256.LoadUnsafe(ref ar, (nuint)i)).StoreUnsafe(ref zr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref zr, i) = (Unsafe.Add(ref br, i) * alpha) + Unsafe.Add(ref ar, i);
        }
    }

    // For every input unit whose value is not its reference piece's, r = x - (step * alpha + start) (rounded as
    // PathPoolKernel rounds the pieces, so r is exactly 0 where the piece is the reference's), and z += conv(r) there:
    // position by position, every channel's r at once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddDifferences<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> start, ReadOnlySpan<T> step, T alpha, ReadOnlySpan<T> taps, Span<T> differences, Span<T> z, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.H * g.W, s = 0;
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T sr = ref MemoryMarshal.GetReference(start);
        ref T tr = ref MemoryMarshal.GetReference(step);
        ref T d0 = ref MemoryMarshal.GetReference(differences);
        if (VectorMath.CanVectorize<T>())
        {
            // differences[c, lane]: channel c's r at position s + lane; bit `lane` of `any` when some channel's is not 0.
            int width = Vector256<T>.Count;
            var va = Vector256.Create(alpha);
            for (; s <= plane - width; s += width)
            {
                uint any = 0;
                for (int c = 0; c < g.C; c++)
                {
                    nuint at = (nuint)(c * plane + s);
                    Vector256<T> r = Vector256.LoadUnsafe(ref xr, at) - ((Vector256.LoadUnsafe(ref tr, at) * va) + Vector256.LoadUnsafe(ref sr, at));
                    r.StoreUnsafe(ref d0, (nuint)(c * width));
                    any |= ~Vector256.Equals(r, Vector256<T>.Zero).ExtractMostSignificantBits();
                }

                any &= (1u << width) - 1;
                while (any != 0)
                {
                    int lane = BitOperations.TrailingZeroCount(any);
                    any &= any - 1;
                    StampForward(ref Unsafe.Add(ref d0, lane), width, (s + lane) / g.W, (s + lane) % g.W, taps, z, in g);
                }
            }
        }

        for (; s < plane; s++)
        {
            bool any = false;
            for (int c = 0; c < g.C; c++)
            {
                int at = c * plane + s;
                T r = Unsafe.Add(ref xr, at) - ((Unsafe.Add(ref tr, at) * alpha) + Unsafe.Add(ref sr, at));
                Unsafe.Add(ref d0, c) = r;
                any |= r != T.Zero;
            }

            if (any)
            {
                StampForward(ref d0, 1, s / g.W, s % g.W, taps, z, in g);
            }
        }
    }

    // z[oh, ow, :] += sum_c r[c] * taps[c, kh, kw, :] for every output (oh, ow) that reads input position (ih, iw), with
    // r[c] at differences[c * stride]; channels whose r is 0 are skipped.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StampForward<T>(ref T differences, int stride, int ih, int iw, ReadOnlySpan<T> taps, Span<T> z, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = g.O, area = g.KH * g.KW;
        ref T t0 = ref MemoryMarshal.GetReference(taps);
        ref T z0 = ref MemoryMarshal.GetReference(z);
        int i0 = Math.Max(0, ih + g.PH - g.OH + 1), i1 = Math.Min(g.KH, ih + g.PH + 1);
        int j0 = Math.Max(0, iw + g.PW - g.OW + 1), j1 = Math.Min(g.KW, iw + g.PW + 1);
        for (int c = 0; c < g.C; c++)
        {
            T r = Unsafe.Add(ref differences, c * stride);
            if (r == T.Zero)
            {
                continue;
            }

            for (int i = i0; i < i1; i++)
            {
                int oh = ih + g.PH - i;
                for (int j = j0; j < j1; j++)
                {
                    int ow = iw + g.PW - j;
                    Axpy(r, ref Unsafe.Add(ref t0, ((c * g.KH + i) * g.KW + j) * o), ref Unsafe.Add(ref z0, (oh * g.OW + ow) * o), o);
                }
            }
        }
    }

    // y[0, n) += r * x[0, n).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy<T>(T r, ref T x, ref T y, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (VectorMath.CanVectorize<T>())
        {
            var vr = Vector256.Create(r);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                VectorMath.MultiplyAdd(vr, Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) += r * Unsafe.Add(ref x, i);
        }
    }

    // The ReLU and the pool over channel-last z: pooled in [O, PH, PW], routes as the remarks say.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReLUMaxPool<T>(ReadOnlySpan<T> z, Span<T> pooled, Span<byte> routes, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int o = g.O, outWidth = g.OW, ph = g.PooledHeight, pw = g.PooledWidth, windows = ph * pw, blocks = g.Blocks;
        bool vector = VectorMath.CanVectorize<T>() && Vector256<T>.Count <= Lanes;
        int width = vector ? Vector256<T>.Count : 1;
        Span<T> max = stackalloc T[Lanes];
        ref T zr = ref MemoryMarshal.GetReference(z);
        for (int h = 0; h < ph; h++)
        {
            for (int w = 0; w < pw; w++)
            {
                int window = h * pw + w;
                int p0 = (2 * h * outWidth + 2 * w) * o, p1 = p0 + o, p2 = p0 + outWidth * o, p3 = p2 + o;
                for (int block = 0; block < blocks; block++)
                {
                    int first = block * Lanes, lanes = Math.Min(Lanes, o - first);
                    uint b0 = 0, b1 = 0, b2 = 0, b3 = 0;
                    int l = 0;
                    if (vector)
                    {
                        for (; l + width <= lanes; l += width)
                        {
                            nuint at = (nuint)(first + l);
                            Vector256<T> y0 = Vector256.Max(Vector256.LoadUnsafe(ref zr, (nuint)p0 + at), Vector256<T>.Zero);
                            Vector256<T> y1 = Vector256.Max(Vector256.LoadUnsafe(ref zr, (nuint)p1 + at), Vector256<T>.Zero);
                            Vector256<T> y2 = Vector256.Max(Vector256.LoadUnsafe(ref zr, (nuint)p2 + at), Vector256<T>.Zero);
                            Vector256<T> y3 = Vector256.Max(Vector256.LoadUnsafe(ref zr, (nuint)p3 + at), Vector256<T>.Zero);
                            Vector256<T> m = Vector256.Max(Vector256.Max(y0, y1), Vector256.Max(y2, y3));
                            uint active = Vector256.GreaterThan(m, Vector256<T>.Zero).ExtractMostSignificantBits();
                            uint e0 = Vector256.Equals(y0, m).ExtractMostSignificantBits() & active;
                            uint e1 = Vector256.Equals(y1, m).ExtractMostSignificantBits() & active & ~e0;
                            uint e2 = Vector256.Equals(y2, m).ExtractMostSignificantBits() & active & ~(e0 | e1);
                            b0 |= e0 << l;
                            b1 |= e1 << l;
                            b2 |= e2 << l;
                            b3 |= (active & ~(e0 | e1 | e2)) << l;
                            m.StoreUnsafe(ref MemoryMarshal.GetReference(max), (nuint)l);
                        }
                    }

                    for (; l < lanes; l++)
                    {
                        int at = first + l;
                        T y0 = T.Max(Unsafe.Add(ref zr, p0 + at), T.Zero), y1 = T.Max(Unsafe.Add(ref zr, p1 + at), T.Zero);
                        T y2 = T.Max(Unsafe.Add(ref zr, p2 + at), T.Zero), y3 = T.Max(Unsafe.Add(ref zr, p3 + at), T.Zero);
                        T m = T.Max(T.Max(y0, y1), T.Max(y2, y3));
                        max[l] = m;
                        if (m > T.Zero)
                        {
                            uint bit = 1u << l;
                            if (y0 == m)
                            {
                                b0 |= bit;
                            }
                            else if (y1 == m)
                            {
                                b1 |= bit;
                            }
                            else if (y2 == m)
                            {
                                b2 |= bit;
                            }
                            else
                            {
                                b3 |= bit;
                            }
                        }
                    }

                    for (l = 0; l < lanes; l++)
                    {
                        pooled[(first + l) * windows + window] = max[l];
                    }

                    int route = 4 * (window * blocks + block);
                    routes[route] = (byte)b0;
                    routes[route + 1] = (byte)b1;
                    routes[route + 2] = (byte)b2;
                    routes[route + 3] = (byte)b3;
                }
            }
        }
    }

    // ---- backward ----

    // Whether two points' pooled gradients are equal, element by element (a NaN equals nothing).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SameValues<T>(ReadOnlySpan<T> current, ReadOnlySpan<T> previous)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, n = current.Length;
        ref T cr = ref MemoryMarshal.GetReference(current);
        ref T pr = ref MemoryMarshal.GetReference(previous);
        if (VectorMath.CanVectorize<T>())
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                if (!Vector256.EqualsAll(Vector256.LoadUnsafe(ref cr, (nuint)i), Vector256.LoadUnsafe(ref pr, (nuint)i)))
                {
                    return false;
                }
            }
        }

        for (; i < n; i++)
        {
            if (Unsafe.Add(ref cr, i) != Unsafe.Add(ref pr, i))
            {
                return false;
            }
        }

        return true;
    }

    // sum += conv^T of every routed gradient.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddAllRoutes<T>(ReadOnlySpan<T> gradients, ReadOnlySpan<byte> route, ReadOnlySpan<T> taps, Span<T> sum, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int windows = g.PooledHeight * g.PooledWidth;
        for (int window = 0; window < windows; window++)
        {
            int at = 4 * window * g.Blocks;
            for (int q = 0; q < 4; q++)
            {
                StampBackward(gradients, route.Slice(at + q), default, window, q, taps, sum, in g);
            }
        }
    }

    // With the pooled gradients unchanged, moves each gradient whose route changed from its old position to its new
    // one. Returns false, having done nothing, when that takes more stamps than a fresh sum.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool UpdateRoutes<T>(ReadOnlySpan<T> gradients, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> route, ReadOnlySpan<T> taps, Span<T> sum, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<uint> before = MemoryMarshal.Cast<byte, uint>(previous);
        ReadOnlySpan<uint> after = MemoryMarshal.Cast<byte, uint>(route);
        int moved = 0, routed = 0;
        for (int i = 0; i < after.Length; i++)
        {
            routed += BitOperations.PopCount(after[i]);
            moved += BitOperations.PopCount(before[i] ^ after[i]);
        }

        // A changed bit is one gradient to add or take away (a moved gradient is two); a fresh sum adds every routed one.
        if (moved > routed)
        {
            return false;
        }

        int windows = g.PooledHeight * g.PooledWidth;
        for (int window = 0; window < windows; window++)
        {
            int at = 4 * window * g.Blocks;
            if (before.Slice(window * g.Blocks, g.Blocks).SequenceEqual(after.Slice(window * g.Blocks, g.Blocks)))
            {
                continue;
            }

            for (int q = 0; q < 4; q++)
            {
                StampBackward(gradients, route.Slice(at + q), previous.Slice(at + q), window, q, taps, sum, in g);
            }
        }

        return true;
    }

    // sum[ih, iw, :] += sum_o d[o] * taps[o, kh, kw, :] over the inputs (ih, iw) that output position q of pooling window
    // `window` reads, for the channels o routed there: with `previous` empty, every channel whose byte (every 4th from
    // routes[0]) has its bit; otherwise those whose bit changed, d taken away where it was set before.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StampBackward<T>(ReadOnlySpan<T> gradients, ReadOnlySpan<byte> routes, ReadOnlySpan<byte> previous, int window, int q, ReadOnlySpan<T> taps, Span<T> sum, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int windows = g.PooledHeight * g.PooledWidth, c = g.C, area = g.KH * g.KW;
        int oh = 2 * (window / g.PooledWidth) + (q >> 1), ow = 2 * (window % g.PooledWidth) + (q & 1);
        Span<int> channels = stackalloc int[Math.Min(g.O, MaxGroup)];
        Span<T> values = stackalloc T[channels.Length];
        ref T t0 = ref MemoryMarshal.GetReference(taps);
        ref T s0 = ref MemoryMarshal.GetReference(sum);
        for (int block = 0; block < g.Blocks;)
        {
            int n = 0;
            for (; block < g.Blocks && n + Lanes <= channels.Length; block++)
            {
                uint now = routes[4 * block], was = previous.IsEmpty ? 0u : previous[4 * block];
                uint bits = now ^ was;
                while (bits != 0)
                {
                    int lane = BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                    int o = block * Lanes + lane;
                    T d = gradients[o * windows + window];
                    if (d != T.Zero)
                    {
                        channels[n] = o;
                        values[n++] = ((was >> lane) & 1) != 0 ? -d : d;
                    }
                }
            }

            if (n == 0)
            {
                continue;
            }

            for (int i = 0; i < g.KH; i++)
            {
                int ih = oh - g.PH + i;
                if ((uint)ih >= (uint)g.H)
                {
                    continue;
                }

                for (int j = 0; j < g.KW; j++)
                {
                    int iw = ow - g.PW + j;
                    if ((uint)iw < (uint)g.W)
                    {
                        // taps[o, i, j, :] for channel o starts at (o * area + tap) * C.
                        GroupAxpy(values.Slice(0, n), channels.Slice(0, n), ref Unsafe.Add(ref t0, (i * g.KW + j) * c), area * c, ref Unsafe.Add(ref s0, (ih * g.W + iw) * c), c);
                    }
                }
            }
        }
    }

    // ---- layout ----

    // Channels gathered per stamp at most: their indices live on the stack.
    private const int MaxGroup = 256;

    // y[0, n) += sum_e values[e] * x[rows[e] * rowStride + (0, n)]: the sum in registers, one store per vector.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GroupAxpy<T>(ReadOnlySpan<T> values, ReadOnlySpan<int> rows, ref T x, int rowStride, ref T y, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        ref int r0 = ref MemoryMarshal.GetReference(rows);
        ref T v0 = ref MemoryMarshal.GetReference(values);
        if (VectorMath.CanVectorize<T>())
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                Vector256<T> sum = Vector256.LoadUnsafe(ref y, (nuint)i);
                for (int e = 0; e < rows.Length; e++)
                {
                    sum = VectorMath.MultiplyAdd(Vector256.Create(Unsafe.Add(ref v0, e)), Vector256.LoadUnsafe(ref x, (nuint)(Unsafe.Add(ref r0, e) * rowStride + i)), sum);
                }

                sum.StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            T sum = Unsafe.Add(ref y, i);
            for (int e = 0; e < rows.Length; e++)
            {
                sum += Unsafe.Add(ref v0, e) * Unsafe.Add(ref x, Unsafe.Add(ref r0, e) * rowStride + i);
            }

            Unsafe.Add(ref y, i) = sum;
        }
    }

    // [O, S] planes to channel-last [S, O], plus the bias of each channel when given.
    private static void ToChannelLast<T>(ReadOnlySpan<T> planes, Span<T> rows, int channels, ReadOnlySpan<T> bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = planes.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            T add = bias.IsEmpty ? T.Zero : bias[c];
            for (int s = 0; s < size; s++)
            {
                rows[s * channels + c] = planes[c * size + s] + add;
            }
        }
    }

    // Channel-last [S, C] to planes [C, S]: vector-sized blocks where whole, element by element at the edges.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FromChannelLast<T>(ReadOnlySpan<T> rows, Span<T> planes, int channels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = rows.Length / channels, s = 0, c = 0;
        ref T rr = ref MemoryMarshal.GetReference(rows);
        ref T pr = ref MemoryMarshal.GetReference(planes);
        if (VectorMath.CanVectorize<T>())
        {
            int n = Vector256<T>.Count;
            for (; s <= size - n; s += n)
            {
                for (c = 0; c <= channels - n; c += n)
                {
                    Simd256<T>.TransposeBlock(ref Unsafe.Add(ref rr, s * channels + c), (nuint)channels, n, ref Unsafe.Add(ref pr, c * size + s), (nuint)size);
                }

                for (; c < channels; c++)
                {
                    for (int t = s; t < s + n; t++)
                    {
                        Unsafe.Add(ref pr, c * size + t) = Unsafe.Add(ref rr, t * channels + c);
                    }
                }
            }
        }

        for (; s < size; s++)
        {
            for (c = 0; c < channels; c++)
            {
                Unsafe.Add(ref pr, c * size + s) = Unsafe.Add(ref rr, s * channels + c);
            }
        }
    }

    // weight [O, C, KH, KW] as taps [C, KH, KW, O]: one input unit's taps to every output channel side by side.
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

    // weight [O, C, KH, KW] as taps [O, KH, KW, C]: one output unit's taps from every input channel side by side.
    private static void InputMajorTaps<T>(ReadOnlySpan<T> weight, Span<T> taps, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = shape.InChannels, area = shape.KernelHeight * shape.KernelWidth;
        for (int i = 0; i < shape.OutChannels; i++)
        {
            for (int j = 0; j < c; j++)
            {
                for (int t = 0; t < area; t++)
                {
                    taps[(i * area + t) * c + j] = weight[(i * c + j) * area + t];
                }
            }
        }
    }

    private static int Blocks(int channels) => (channels + Lanes - 1) / Lanes;

    // The shape's numbers the per-point loops read, computed once per call.
    private readonly struct Geometry(Conv2DShape shape)
    {
        public readonly int C = shape.InChannels, H = shape.Height, W = shape.Width, O = shape.OutChannels;
        public readonly int KH = shape.KernelHeight, KW = shape.KernelWidth, PH = shape.PaddingHeight, PW = shape.PaddingWidth;
        public readonly int OH = shape.OutHeight, OW = shape.OutWidth;
        public readonly int PooledHeight = shape.OutHeight / 2, PooledWidth = shape.OutWidth / 2, Blocks = Blocks(shape.OutChannels);
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
