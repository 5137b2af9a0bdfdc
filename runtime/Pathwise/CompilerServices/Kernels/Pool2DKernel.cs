using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>Max and average pooling over <c>[count, C, H, W]</c> (PyTorch <c>MaxPool2d</c>/<c>AvgPool2d</c>, floor mode, no padding).</summary>
/// <remarks>Sources and destinations must not overlap.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Pool2DKernel
{
    /// <summary>Max pooling: <c>y[n, c, oh, ow] = max_{kh, kw} x[n, c, oh*S + kh, ow*S + kw]</c> (a NaN in the window wins).</summary>
    /// <param name="x">Inputs, <c>[count, C, H, W]</c>.</param>
    /// <param name="y">Destination, <c>[count, C, OH, OW]</c> (overwritten).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Pooling geometry.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, int count, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = Validate(x.Length, "x", y.Length, "y", count, shape, forward: true);
        int plane = shape.Height * shape.Width, outHeight = shape.OutHeight, outWidth = shape.OutWidth, outPlane = outHeight * outWidth;
        if (shape.Kernel == 2 && shape.Stride == 2)
        {
            MaxForwardPairs(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), planes, shape.Height, shape.Width);
            return;
        }

        for (int p = 0; p < planes; p++)
        {
            ref T xPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), p * plane);
            ref T yPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), p * outPlane);
            for (int oh = 0; oh < outHeight; oh++)
            {
                for (int ow = 0; ow < outWidth; ow++)
                {
                    int arg = ArgMax(ref xPlane, oh, ow, shape);
                    Unsafe.Add(ref yPlane, oh * outWidth + ow) = Unsafe.Add(ref xPlane, arg);
                }
            }
        }
    }

    /// <summary>
    /// Max pooling gradient: <c>dx[n, c, argmax(window)] += dy[n, c, oh, ow]</c> for every window, where the argmax is
    /// recomputed from <paramref name="x"/> and ties go to the first maximum in row-major order (PyTorch's rule).
    /// Overlapping windows add their contributions. Overwrites <paramref name="dx"/> (zeroed first).
    /// </summary>
    /// <param name="x">Forward inputs, <c>[count, C, H, W]</c>.</param>
    /// <param name="dy">Output gradient, <c>[count, C, OH, OW]</c>.</param>
    /// <param name="dx">Destination, <c>[count, C, H, W]</c> (overwritten).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Pooling geometry.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int count, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = Validate(dy.Length, "dy", dx.Length, "dx", count, shape, forward: false);
        ThrowHelper.RequireLength(x.Length, planes * shape.Height * shape.Width, nameof(x));
        int plane = shape.Height * shape.Width, outHeight = shape.OutHeight, outWidth = shape.OutWidth, outPlane = outHeight * outWidth;
        if (shape.Kernel == 2 && shape.Stride == 2)
        {
            MaxBackwardPairs(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(dy), ref MemoryMarshal.GetReference(dx), planes, shape.Height, shape.Width);
            return;
        }

        dx.Slice(0, planes * plane).Clear();
        for (int p = 0; p < planes; p++)
        {
            ref T xPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), p * plane);
            ref T dyPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(dy), p * outPlane);
            ref T dxPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(dx), p * plane);
            for (int oh = 0; oh < outHeight; oh++)
            {
                for (int ow = 0; ow < outWidth; ow++)
                {
                    int arg = ArgMax(ref xPlane, oh, ow, shape);
                    Unsafe.Add(ref dxPlane, arg) += Unsafe.Add(ref dyPlane, oh * outWidth + ow);
                }
            }
        }
    }

    /// <summary>
    /// Forward-mode tangent of max pooling: <c>ty[n, c, oh, ow] = tx[n, c, argmax]</c>, the argmax taken over
    /// the window of <paramref name="x"/> with ties to the first maximum in row-major order (the same rule as
    /// <see cref="MaxBackward{T}"/>, so the tangent is the transpose of the backward pass).
    /// </summary>
    /// <param name="x">The pooling inputs, <c>[count, C, H, W]</c>, which choose the argmax.</param>
    /// <param name="tx">The input tangents, <c>[count, C, H, W]</c>.</param>
    /// <param name="ty">Destination, <c>[count, C, OH, OW]</c> (overwritten).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Pooling geometry.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxTangent<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> tx, Span<T> ty, int count, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = Validate(tx.Length, "tx", ty.Length, "ty", count, shape, forward: true);
        ThrowHelper.RequireLength(x.Length, planes * shape.Height * shape.Width, nameof(x));
        int plane = shape.Height * shape.Width, outPlane = shape.OutHeight * shape.OutWidth;
        if (shape.Kernel == 2 && shape.Stride == 2)
        {
            MaxTangentPairs(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(tx), ref MemoryMarshal.GetReference(ty), planes, shape.Height, shape.Width);
            return;
        }

        for (int p = 0; p < planes; p++)
        {
            ref T xPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), p * plane);
            ref T txPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(tx), p * plane);
            ref T tyPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(ty), p * outPlane);
            for (int oh = 0; oh < shape.OutHeight; oh++)
            {
                for (int ow = 0; ow < shape.OutWidth; ow++)
                {
                    Unsafe.Add(ref tyPlane, oh * shape.OutWidth + ow) = Unsafe.Add(ref txPlane, ArgMax(ref xPlane, oh, ow, shape));
                }
            }
        }
    }

    /// <summary>Average pooling: <c>y[n, c, oh, ow] = (1 / K^2) sum_{kh, kw} x[n, c, oh*S + kh, ow*S + kw]</c>.</summary>
    /// <param name="x">Inputs, <c>[count, C, H, W]</c>.</param>
    /// <param name="y">Destination, <c>[count, C, OH, OW]</c> (overwritten).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Pooling geometry.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward<T>(ReadOnlySpan<T> x, Span<T> y, int count, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = Validate(x.Length, "x", y.Length, "y", count, shape, forward: true);
        int plane = shape.Height * shape.Width, outPlane = shape.OutHeight * shape.OutWidth;
        int k = shape.Kernel;
        T area = T.CreateChecked(k * k);
        for (int p = 0; p < planes; p++)
        {
            ref T xPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), p * plane);
            ref T yPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), p * outPlane);
            for (int oh = 0; oh < shape.OutHeight; oh++)
            {
                for (int ow = 0; ow < shape.OutWidth; ow++)
                {
                    T sum = T.Zero;
                    ref T corner = ref Unsafe.Add(ref xPlane, oh * shape.Stride * shape.Width + ow * shape.Stride);
                    for (int kh = 0; kh < k; kh++)
                    {
                        for (int kw = 0; kw < k; kw++)
                        {
                            sum += Unsafe.Add(ref corner, kh * shape.Width + kw);
                        }
                    }

                    Unsafe.Add(ref yPlane, oh * shape.OutWidth + ow) = sum / area;
                }
            }
        }
    }

    /// <summary>
    /// Average pooling gradient: <c>dx[n, c, oh*S + kh, ow*S + kw] += dy[n, c, oh, ow] / K^2</c> over every window and tap.
    /// Overwrites <paramref name="dx"/> (zeroed first).
    /// </summary>
    /// <param name="dy">Output gradient, <c>[count, C, OH, OW]</c>.</param>
    /// <param name="dx">Destination, <c>[count, C, H, W]</c> (overwritten).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Pooling geometry.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int count, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = Validate(dy.Length, "dy", dx.Length, "dx", count, shape, forward: false);
        int plane = shape.Height * shape.Width, outPlane = shape.OutHeight * shape.OutWidth;
        int k = shape.Kernel;
        T area = T.CreateChecked(k * k);
        dx.Slice(0, planes * plane).Clear();
        for (int p = 0; p < planes; p++)
        {
            ref T dyPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(dy), p * outPlane);
            ref T dxPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(dx), p * plane);
            for (int oh = 0; oh < shape.OutHeight; oh++)
            {
                for (int ow = 0; ow < shape.OutWidth; ow++)
                {
                    T g = Unsafe.Add(ref dyPlane, oh * shape.OutWidth + ow) / area;
                    ref T corner = ref Unsafe.Add(ref dxPlane, oh * shape.Stride * shape.Width + ow * shape.Stride);
                    for (int kh = 0; kh < k; kh++)
                    {
                        for (int kw = 0; kw < k; kw++)
                        {
                            Unsafe.Add(ref corner, kh * shape.Width + kw) += g;
                        }
                    }
                }
            }
        }
    }

    // Index within the plane of the first maximum (row-major) of the window at (oh, ow); the first NaN wins.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ArgMax<T>(ref T plane, int oh, int ow, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int start = oh * shape.Stride * shape.Width + ow * shape.Stride;
        int best = start;
        T bestValue = Unsafe.Add(ref plane, start);
        if (T.IsNaN(bestValue))
        {
            return best;
        }

        for (int kh = 0; kh < shape.Kernel; kh++)
        {
            int row = start + kh * shape.Width;
            for (int kw = 0; kw < shape.Kernel; kw++)
            {
                T v = Unsafe.Add(ref plane, row + kw);
                if (v > bestValue)
                {
                    bestValue = v;
                    best = row + kw;
                }
                else if (T.IsNaN(v))
                {
                    return row + kw;
                }
            }
        }

        return best;
    }

    // ---- 2x2 window, stride 2: a pair of input rows at a time, vectorised across output columns ----
    // Window [a b; c d]. The first maximum in row-major order is the top winner (b if b > a, else a) unless the
    // bottom winner (d if d > c, else c) is strictly greater. A vector holding a NaN window takes the scalar path.

    // [planes, H, W] -> [planes, H / 2, W / 2]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxForwardPairs<T>(ref T x, ref T y, int planes, int height, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outHeight = height / 2, outWidth = width / 2, plane = height * width, outPlane = outHeight * outWidth;
        for (int p = 0; p < planes; p++)
        {
            ref T xPlane = ref Unsafe.Add(ref x, p * plane);
            ref T yPlane = ref Unsafe.Add(ref y, p * outPlane);
            for (int oh = 0; oh < outHeight; oh++)
            {
                MaxForwardRowPair(ref Unsafe.Add(ref xPlane, 2 * oh * width), width, ref Unsafe.Add(ref yPlane, oh * outWidth), outWidth);
            }
        }
    }

    // One output row of the 2x2/stride-2 max pool: yRow[ow] = max of top[2ow], top[2ow + 1], top[width + 2ow], top[width + 2ow + 1].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MaxForwardRowPair<T>(ref T top, int width, ref T yRow, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ow = 0;
        if (Pair256<T>.IsSupported && outWidth >= Pair256<T>.Count)
        {
            ow = ForwardVector<T, Vector256<T>, Pair256<T>>(ref top, width, ref yRow, outWidth);
        }
        else if (Pair128<T>.IsSupported && outWidth >= Pair128<T>.Count)
        {
            ow = ForwardVector<T, Vector128<T>, Pair128<T>>(ref top, width, ref yRow, outWidth);
        }

        for (; ow < outWidth; ow++)
        {
            Unsafe.Add(ref yRow, ow) = Unsafe.Add(ref top, ArgMaxPair(ref top, width, ow));
        }
    }

    // dx [planes, H, W] (overwritten: argmax positions get 0 + dy, the rest of the window and any odd row/column 0)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxBackwardPairs<T>(ref T x, ref T dy, ref T dx, int planes, int height, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outHeight = height / 2, outWidth = width / 2, plane = height * width, outPlane = outHeight * outWidth;
        for (int p = 0; p < planes; p++)
        {
            ref T xPlane = ref Unsafe.Add(ref x, p * plane);
            ref T dyPlane = ref Unsafe.Add(ref dy, p * outPlane);
            ref T dxPlane = ref Unsafe.Add(ref dx, p * plane);
            for (int oh = 0; oh < outHeight; oh++)
            {
                int offset = 2 * oh * width;
                MaxBackwardRowPair(ref Unsafe.Add(ref xPlane, offset), width, ref Unsafe.Add(ref dyPlane, oh * outWidth), ref Unsafe.Add(ref dxPlane, offset), outWidth);
            }

            if ((height & 1) != 0)
            {
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref dxPlane, (height - 1) * width), width).Clear();
            }
        }
    }

    // One row pair of the 2x2/stride-2 max pool's gradient: both dx rows (width each, rows top and top + width) are
    // overwritten, 0 + dy[ow] at each window's argmax and 0 elsewhere, an odd last column included.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MaxBackwardRowPair<T>(ref T top, int width, ref T dyRow, ref T dxTop, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ow = 0;
        if (Pair256<T>.IsSupported && outWidth >= Pair256<T>.Count)
        {
            ow = BackwardVector<T, Vector256<T>, Pair256<T>>(ref top, width, ref dyRow, ref dxTop, outWidth);
        }
        else if (Pair128<T>.IsSupported && outWidth >= Pair128<T>.Count)
        {
            ow = BackwardVector<T, Vector128<T>, Pair128<T>>(ref top, width, ref dyRow, ref dxTop, outWidth);
        }

        for (; ow < outWidth; ow++)
        {
            BackwardScalar(ref top, width, Unsafe.Add(ref dyRow, ow), ref dxTop, ow);
        }

        if ((width & 1) != 0)
        {
            Unsafe.Add(ref dxTop, width - 1) = T.Zero;
            Unsafe.Add(ref dxTop, 2 * width - 1) = T.Zero;
        }
    }

    // The forward of a ReLU followed by this pool, one row pair: from z's two rows at source (row stride sourceWidth,
    // e.g. a convolution's wide rows), zTop and yTop (row stride width) get z and y = max(z, 0) in columns [0, width),
    // pooledRow the pool of y, computed as max(window's max z, 0): equal, as ReLU is monotone, NaN propagating through
    // both and +0 the ReLU of any non-positive maximum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ReLUMaxForwardRowPair<T>(ref T source, int sourceWidth, ref T zTop, ref T yTop, int width, ref T pooledRow, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ow = 0;
        if (Pair256<T>.IsSupported && outWidth >= Pair256<T>.Count)
        {
            ow = ReLUForwardVector<T, Vector256<T>, Pair256<T>>(ref source, sourceWidth, ref zTop, ref yTop, width, ref pooledRow, outWidth);
        }
        else if (Pair128<T>.IsSupported && outWidth >= Pair128<T>.Count)
        {
            ow = ReLUForwardVector<T, Vector128<T>, Pair128<T>>(ref source, sourceWidth, ref zTop, ref yTop, width, ref pooledRow, outWidth);
        }

        // The vectors copied columns [0, 2 ow); the rest (all without vectors, else an odd last column) go one by one.
        int copied = 2 * ow;
        for (; ow < outWidth; ow++)
        {
            T best = Unsafe.Add(ref source, ArgMaxPair(ref source, sourceWidth, ow));
            Unsafe.Add(ref pooledRow, ow) = default(ReLUOperator<T>).Invoke(best);
        }

        for (int r = 0; r < 2; r++)
        {
            for (int j = copied; j < width; j++)
            {
                T v = Unsafe.Add(ref source, r * sourceWidth + j);
                Unsafe.Add(ref zTop, r * width + j) = v;
                Unsafe.Add(ref yTop, r * width + j) = default(ReLUOperator<T>).Invoke(v);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ReLUForwardVector<T, TV, TOps>(ref T source, int sourceWidth, ref T zTop, ref T yTop, int width, ref T pooledRow, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TOps : struct, IPairOps<T, TV>
    {
        int n = TOps.Count;
        nuint below = (nuint)sourceWidth, destinationBelow = (nuint)width, un = (nuint)n;
        for (int ow = 0; ow < outWidth; ow += n)
        {
            if (ow > outWidth - n)
            {
                ow = outWidth - n;
            }

            nuint i = (nuint)(2 * ow);
            TV t0 = TOps.Load(ref source, i), t1 = TOps.Load(ref source, i + un);
            TV u0 = TOps.Load(ref source, i + below), u1 = TOps.Load(ref source, i + below + un);
            TOps.Store(t0, ref zTop, i);
            TOps.Store(t1, ref zTop, i + un);
            TOps.Store(u0, ref zTop, i + destinationBelow);
            TOps.Store(u1, ref zTop, i + destinationBelow + un);
            TOps.Store(TOps.ReLU(t0), ref yTop, i);
            TOps.Store(TOps.ReLU(t1), ref yTop, i + un);
            TOps.Store(TOps.ReLU(u0), ref yTop, i + destinationBelow);
            TOps.Store(TOps.ReLU(u1), ref yTop, i + destinationBelow + un);
            TV upper = TOps.Max(TOps.Evens(t0, t1), TOps.Odds(t0, t1));
            TV lower = TOps.Max(TOps.Evens(u0, u1), TOps.Odds(u0, u1));
            TOps.Store(TOps.Fix(TOps.ReLU(TOps.Max(upper, lower))), ref pooledRow, (nuint)ow);
        }

        return outWidth;
    }

    // The backward of a ReLU followed by this pool (y = max(z, 0), the pool over y), one row pair: dy as
    // MaxBackwardRowPair writes it (0 + g at each window's argmax over y, 0 elsewhere, odd last column included), and
    // the ReLU's gradient dz = z > 0 ? dy : 0 into both dzTop (row stride width) and planeTop (row stride planeWidth).
    // Where dy is non-zero it sits at the window's max y, and there z > 0 exactly when y > 0 (y = max(z, 0); NaN is
    // neither), so dz = y > 0 ? dy : 0 needs no z.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MaxReLUBackwardRowPair<T>(ref T top, int width, ref T dyRow, ref T dyTop, ref T dzTop, ref T planeTop, int planeWidth, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ow = 0;
        if (Pair256<T>.IsSupported && outWidth >= Pair256<T>.Count)
        {
            ow = ReLUBackwardVector<T, Vector256<T>, Pair256<T>>(ref top, width, ref dyRow, ref dyTop, ref dzTop, ref planeTop, planeWidth, outWidth);
        }
        else if (Pair128<T>.IsSupported && outWidth >= Pair128<T>.Count)
        {
            ow = ReLUBackwardVector<T, Vector128<T>, Pair128<T>>(ref top, width, ref dyRow, ref dyTop, ref dzTop, ref planeTop, planeWidth, outWidth);
        }

        for (; ow < outWidth; ow++)
        {
            ReLUBackwardScalar(ref top, width, Unsafe.Add(ref dyRow, ow), ref dyTop, ref dzTop, ref planeTop, planeWidth, ow);
        }

        if ((width & 1) != 0)
        {
            Unsafe.Add(ref dyTop, width - 1) = T.Zero;
            Unsafe.Add(ref dyTop, 2 * width - 1) = T.Zero;
            Unsafe.Add(ref dzTop, width - 1) = T.Zero;
            Unsafe.Add(ref dzTop, 2 * width - 1) = T.Zero;
            Unsafe.Add(ref planeTop, width - 1) = T.Zero;
            Unsafe.Add(ref planeTop, planeWidth + width - 1) = T.Zero;
        }
    }

    // Window ow of MaxReLUBackwardRowPair: all four positions of dy, dz and the plane, 0 but at the argmax.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReLUBackwardScalar<T>(ref T top, int width, T g, ref T dyTop, ref T dzTop, ref T planeTop, int planeWidth, int ow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 2 * ow;
        int arg = ArgMaxPair(ref top, width, ow);
        Unsafe.Add(ref dyTop, i) = T.Zero;
        Unsafe.Add(ref dyTop, i + 1) = T.Zero;
        Unsafe.Add(ref dyTop, i + width) = T.Zero;
        Unsafe.Add(ref dyTop, i + width + 1) = T.Zero;
        Unsafe.Add(ref dzTop, i) = T.Zero;
        Unsafe.Add(ref dzTop, i + 1) = T.Zero;
        Unsafe.Add(ref dzTop, i + width) = T.Zero;
        Unsafe.Add(ref dzTop, i + width + 1) = T.Zero;
        Unsafe.Add(ref planeTop, i) = T.Zero;
        Unsafe.Add(ref planeTop, i + 1) = T.Zero;
        Unsafe.Add(ref planeTop, i + planeWidth) = T.Zero;
        Unsafe.Add(ref planeTop, i + planeWidth + 1) = T.Zero;
        T dy = T.Zero + g;
        T dz = Unsafe.Add(ref top, arg) > T.Zero ? dy : T.Zero;
        Unsafe.Add(ref dyTop, arg) = dy;
        Unsafe.Add(ref dzTop, arg) = dz;
        Unsafe.Add(ref planeTop, arg >= width ? arg - width + planeWidth : arg) = dz;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ReLUBackwardVector<T, TV, TOps>(ref T top, int width, ref T dyRow, ref T dyTop, ref T dzTop, ref T planeTop, int planeWidth, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TOps : struct, IPairOps<T, TV>
    {
        int n = TOps.Count;
        nuint below = (nuint)width, planeBelow = (nuint)planeWidth, un = (nuint)n;
        for (int ow = 0; ow < outWidth; ow += n)
        {
            if (ow > outWidth - n)
            {
                ow = outWidth - n;
            }

            LoadWindows<T, TV, TOps>(ref top, width, ow, out TV a, out TV b, out TV c, out TV d);
            if (TOps.HasNaN(a, b, c, d))
            {
                for (int k = ow; k < ow + n; k++)
                {
                    ReLUBackwardScalar(ref top, width, Unsafe.Add(ref dyRow, k), ref dyTop, ref dzTop, ref planeTop, planeWidth, k);
                }

                continue;
            }

            TV right = TOps.GreaterThan(b, a);
            TV lowerRight = TOps.GreaterThan(d, c);
            TV upper = TOps.Select(right, b, a);
            TV lower = TOps.Select(lowerRight, d, c);
            TV down = TOps.GreaterThan(lower, upper);

            // 0 + dy, as if accumulated into a cleared dx (turns -0 into +0); the ReLU passes it where the max is positive.
            TV g = TOps.AddZero(TOps.Fix(TOps.Load(ref dyRow, (nuint)ow)));
            TV gz = TOps.And(g, TOps.Positive(TOps.Select(down, lower, upper)));
            TV gUpper = TOps.AndNot(g, down), gLower = TOps.And(g, down);
            TV ga = TOps.AndNot(gUpper, right), gb = TOps.And(gUpper, right);
            TV gc = TOps.AndNot(gLower, lowerRight), gd = TOps.And(gLower, lowerRight);
            TV zUpper = TOps.AndNot(gz, down), zLower = TOps.And(gz, down);
            TV za = TOps.AndNot(zUpper, right), zb = TOps.And(zUpper, right);
            TV zc = TOps.AndNot(zLower, lowerRight), zd = TOps.And(zLower, lowerRight);
            nuint i = (nuint)(2 * ow);
            TOps.Store(TOps.InterleaveLower(ga, gb), ref dyTop, i);
            TOps.Store(TOps.InterleaveUpper(ga, gb), ref dyTop, i + un);
            TOps.Store(TOps.InterleaveLower(gc, gd), ref dyTop, i + below);
            TOps.Store(TOps.InterleaveUpper(gc, gd), ref dyTop, i + below + un);
            TV z0 = TOps.InterleaveLower(za, zb), z1 = TOps.InterleaveUpper(za, zb);
            TV z2 = TOps.InterleaveLower(zc, zd), z3 = TOps.InterleaveUpper(zc, zd);
            TOps.Store(z0, ref dzTop, i);
            TOps.Store(z1, ref dzTop, i + un);
            TOps.Store(z2, ref dzTop, i + below);
            TOps.Store(z3, ref dzTop, i + below + un);
            TOps.Store(z0, ref planeTop, i);
            TOps.Store(z1, ref planeTop, i + un);
            TOps.Store(z2, ref planeTop, i + planeBelow);
            TOps.Store(z3, ref planeTop, i + planeBelow + un);
        }

        return outWidth;
    }

    // ---- A ReLU and this pool over whole planes, in column space (AVX2) ----
    // The sinks of Conv2DReLUMaxPoolKernel call these once per image. A 256-bit vector holds N columns (N / 2 windows)
    // of a row pair's top row t and, loaded alongside, of its bottom row u; a row pair's vectors start at columns 0, N,
    // 2N, ... and the last at 2 outWidth - N (even), overlapping the one before, so a row of 14 floats is two vectors
    // (columns 0..7 and 6..13) and no load or store leaves the row's columns [0, width). Every window lies whole in
    // one vector and swapping the lanes of each pair gives a lane its row neighbour, so only the pooled values'
    // compaction (forward) and dPooled's expansion to columns (backward) cross 128-bit lanes. Rows of one or two
    // vectors (8..16 floats, 4..8 doubles) are straight-line code. Any NaN among a row pair's values (or mixed
    // infinities, which add to NaN) sends the row pair to the row-pair path above (IEEE max, window by window), or in
    // longer rows the vector's windows to the scalar rules; without NaN the native max and compares give exactly
    // those rules' values: max(v, +0) is +0 for -0 and every negative. Measured (AVX2, Zen 3, the Fashion CNN's 16
    // channels of 14x14 floats): about 0.75 us forward and 1.0 us backward per image where the row-pair calls took 2.0
    // and 2.0, so Conv2DReLUMaxPoolKernel's 8 -> 16 convolution over 16 images went from 113 to 97 us forward and
    // 114 to 102 us backward; the stores (z, y, dy, dz and the padded plane, many across cache lines) now bound it.

    /// <summary>
    /// ReLU and 2x2/stride-2 max pool over <paramref name="planes"/> planes of z, as <see cref="ReLUMaxForwardRowPair{T}"/>
    /// row pair by row pair: plane <c>p</c>'s rows are at <c>source + p * sourcePlane + r * sourceWidth</c> (columns
    /// <c>[0, width)</c> read); z and y get <c>[planes, height, width]</c> (z and <c>max(z, 0)</c>, the odd last row
    /// and column included), pooled <c>[planes, height / 2, width / 2]</c> the pool of y.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ReLUMaxForwardPlanes<T>(ref T source, int sourcePlane, int sourceWidth, ref T z, ref T y, ref T pooled, int planes, int height, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outHeight = height / 2, outWidth = width / 2, plane = height * width, pooledPlane = outHeight * outWidth;
        if (!Pair256<T>.IsSupported || 2 * outWidth < Vector256<T>.Count)
        {
            for (int p = 0; p < planes; p++)
            {
                ref T sPlane = ref Unsafe.Add(ref source, p * sourcePlane);
                ref T zPlane = ref Unsafe.Add(ref z, p * plane);
                ref T yPlane = ref Unsafe.Add(ref y, p * plane);
                ref T pPlane = ref Unsafe.Add(ref pooled, p * pooledPlane);
                for (int ph = 0; ph < outHeight; ph++)
                {
                    int row = 2 * ph * width;
                    ReLUMaxForwardRowPair(
                        ref Unsafe.Add(ref sPlane, 2 * ph * sourceWidth), sourceWidth, ref Unsafe.Add(ref zPlane, row), ref Unsafe.Add(ref yPlane, row), width,
                        ref Unsafe.Add(ref pPlane, ph * outWidth), outWidth);
                }

                if ((height & 1) != 0)
                {
                    int last = height - 1;
                    ReLURow(ref Unsafe.Add(ref sPlane, last * sourceWidth), ref Unsafe.Add(ref zPlane, last * width), ref Unsafe.Add(ref yPlane, last * width), width);
                }
            }

            return;
        }

        nuint n = (nuint)Vector256<T>.Count, lastVector = (nuint)(2 * outWidth) - n;
        nuint below = (nuint)sourceWidth, destinationBelow = (nuint)width;
        bool twoVectors = lastVector <= n;
        for (int p = 0; p < planes; p++)
        {
            ref T top = ref Unsafe.Add(ref source, p * sourcePlane);
            ref T zTop = ref Unsafe.Add(ref z, p * plane);
            ref T yTop = ref Unsafe.Add(ref y, p * plane);
            ref T pRow = ref Unsafe.Add(ref pooled, p * pooledPlane);
            for (int ph = 0; ph < outHeight; ph++)
            {
                if (twoVectors)
                {
                    Vector256<T> t0 = Vector256.LoadUnsafe(ref top), u0 = Vector256.LoadUnsafe(ref top, below);
                    Vector256<T> t1 = Vector256.LoadUnsafe(ref top, lastVector), u1 = Vector256.LoadUnsafe(ref top, lastVector + below);
                    Vector256<T> sum = (t0 + u0) + (t1 + u1);
                    if (Vector256.EqualsAll(sum, sum))
                    {
                        ReLUPoolColumns(t0, u0, ref zTop, ref yTop, 0, destinationBelow, ref pRow);
                        ReLUPoolColumns(t1, u1, ref zTop, ref yTop, lastVector, destinationBelow, ref pRow);
                    }
                    else
                    {
                        ReLUMaxForwardRowPairOutOfLine(ref top, sourceWidth, ref zTop, ref yTop, width, ref pRow, outWidth);
                    }
                }
                else
                {
                    for (nuint s = 0; ; s += n)
                    {
                        if (s > lastVector)
                        {
                            s = lastVector;
                        }

                        Vector256<T> t = Vector256.LoadUnsafe(ref top, s), u = Vector256.LoadUnsafe(ref top, s + below);
                        Vector256<T> sum = t + u;
                        if (Vector256.EqualsAll(sum, sum))
                        {
                            ReLUPoolColumns(t, u, ref zTop, ref yTop, s, destinationBelow, ref pRow);
                        }
                        else
                        {
                            ReLUPoolWindows(ref top, sourceWidth, ref zTop, ref yTop, width, ref pRow, (int)s / 2, (int)n / 2);
                        }

                        if (s == lastVector)
                        {
                            break;
                        }
                    }
                }

                if ((width & 1) != 0)
                {
                    // The odd last column no window reads: z and y only.
                    T v = Unsafe.Add(ref top, width - 1), w = Unsafe.Add(ref top, sourceWidth + width - 1);
                    Unsafe.Add(ref zTop, width - 1) = v;
                    Unsafe.Add(ref zTop, 2 * width - 1) = w;
                    Unsafe.Add(ref yTop, width - 1) = default(ReLUOperator<T>).Invoke(v);
                    Unsafe.Add(ref yTop, 2 * width - 1) = default(ReLUOperator<T>).Invoke(w);
                }

                top = ref Unsafe.Add(ref top, 2 * sourceWidth);
                zTop = ref Unsafe.Add(ref zTop, 2 * width);
                yTop = ref Unsafe.Add(ref yTop, 2 * width);
                pRow = ref Unsafe.Add(ref pRow, outWidth);
            }

            if ((height & 1) != 0)
            {
                // The odd last row no window reads: z and y only (top and the others now point at it).
                ReLURow(ref top, ref zTop, ref yTop, width);
            }
        }
    }

    // Columns [i, i + N) of a row pair without NaN: z = t, u; y = max(z, 0); the N / 2 windows' pool of y to pRow + i / 2.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReLUPoolColumns<T>(Vector256<T> t, Vector256<T> u, ref T zTop, ref T yTop, nuint i, nuint below, ref T pRow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> yt = PoolColumns<T>.ReLU(t), yu = PoolColumns<T>.ReLU(u);
        t.StoreUnsafe(ref zTop, i);
        u.StoreUnsafe(ref zTop, i + below);
        yt.StoreUnsafe(ref yTop, i);
        yu.StoreUnsafe(ref yTop, i + below);
        Vector256<T> m = PoolColumns<T>.Max(yt, yu);
        PoolColumns<T>.StoreEvens(PoolColumns<T>.Max(m, PoolColumns<T>.SwapPairs(m)), ref pRow, i / 2);
    }

    // A row pair holding a NaN: the general row-pair path (IEEE max, window by window).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReLUMaxForwardRowPairOutOfLine<T>(ref T source, int sourceWidth, ref T zTop, ref T yTop, int width, ref T pooledRow, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ReLUMaxForwardRowPair(ref source, sourceWidth, ref zTop, ref yTop, width, ref pooledRow, outWidth);

    // Windows [first, first + windows) of a row pair holding a NaN: z, y = max(z, 0) and the pool, by the scalar rules.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReLUPoolWindows<T>(ref T source, int sourceWidth, ref T zTop, ref T yTop, int width, ref T pRow, int first, int windows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = first; k < first + windows; k++)
        {
            for (int r = 0; r < 2; r++)
            {
                for (int j = 2 * k; j < 2 * k + 2; j++)
                {
                    T v = Unsafe.Add(ref source, r * sourceWidth + j);
                    Unsafe.Add(ref zTop, r * width + j) = v;
                    Unsafe.Add(ref yTop, r * width + j) = default(ReLUOperator<T>).Invoke(v);
                }
            }

            Unsafe.Add(ref pRow, k) = default(ReLUOperator<T>).Invoke(Unsafe.Add(ref source, ArgMaxPair(ref source, sourceWidth, k)));
        }
    }

    /// <summary>
    /// The backward of <see cref="ReLUMaxForwardPlanes{T}"/> over <paramref name="planes"/> planes, as
    /// <see cref="MaxReLUBackwardRowPair{T}"/> row pair by row pair: from y and dPooled (<c>[planes, height, width]</c>,
    /// <c>[planes, height / 2, width / 2]</c>), dy and dz get <c>[planes, height, width]</c> (0 + g at each window's first
    /// maximum of y, dz that where y there is positive, 0 elsewhere, the odd last row and column included), and plane
    /// <c>p</c>'s rows at <c>padded + p * paddedPlane + r * paddedWidth</c> get dz's (columns <c>[0, width)</c> only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaxReLUBackwardPlanes<T>(ref T y, ref T dPooled, ref T dy, ref T dz, ref T padded, int paddedPlane, int paddedWidth, int planes, int height, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outHeight = height / 2, outWidth = width / 2, plane = height * width, pooledPlane = outHeight * outWidth;
        if (!Pair256<T>.IsSupported || 2 * outWidth < Vector256<T>.Count)
        {
            for (int p = 0; p < planes; p++)
            {
                ref T yPlane = ref Unsafe.Add(ref y, p * plane);
                ref T dyPlane = ref Unsafe.Add(ref dy, p * plane);
                ref T dzPlane = ref Unsafe.Add(ref dz, p * plane);
                ref T pPlane = ref Unsafe.Add(ref dPooled, p * pooledPlane);
                ref T sPlane = ref Unsafe.Add(ref padded, p * paddedPlane);
                for (int ph = 0; ph < outHeight; ph++)
                {
                    int row = 2 * ph * width;
                    MaxReLUBackwardRowPair(
                        ref Unsafe.Add(ref yPlane, row), width, ref Unsafe.Add(ref pPlane, ph * outWidth),
                        ref Unsafe.Add(ref dyPlane, row), ref Unsafe.Add(ref dzPlane, row), ref Unsafe.Add(ref sPlane, 2 * ph * paddedWidth), paddedWidth, outWidth);
                }

                if ((height & 1) != 0)
                {
                    int last = height - 1;
                    ClearRow(ref Unsafe.Add(ref dyPlane, last * width), ref Unsafe.Add(ref dzPlane, last * width), ref Unsafe.Add(ref sPlane, last * paddedWidth), width);
                }
            }

            return;
        }

        nuint n = (nuint)Vector256<T>.Count, lastVector = (nuint)(2 * outWidth) - n;
        nuint below = (nuint)width, paddedBelow = (nuint)paddedWidth;
        bool twoVectors = lastVector <= n;
        for (int p = 0; p < planes; p++)
        {
            ref T top = ref Unsafe.Add(ref y, p * plane);
            ref T dyTop = ref Unsafe.Add(ref dy, p * plane);
            ref T dzTop = ref Unsafe.Add(ref dz, p * plane);
            ref T sTop = ref Unsafe.Add(ref padded, p * paddedPlane);
            ref T gRow = ref Unsafe.Add(ref dPooled, p * pooledPlane);
            for (int ph = 0; ph < outHeight; ph++)
            {
                if (twoVectors)
                {
                    Vector256<T> t0 = Vector256.LoadUnsafe(ref top), u0 = Vector256.LoadUnsafe(ref top, below);
                    Vector256<T> t1 = Vector256.LoadUnsafe(ref top, lastVector), u1 = Vector256.LoadUnsafe(ref top, lastVector + below);
                    Vector256<T> sum = (t0 + u0) + (t1 + u1);
                    if (Vector256.EqualsAll(sum, sum))
                    {
                        GradientColumns(t0, u0, PoolColumns<T>.Expand(ref gRow, 0), ref dyTop, ref dzTop, ref sTop, 0, below, paddedBelow);
                        GradientColumns(t1, u1, PoolColumns<T>.Expand(ref gRow, lastVector / 2), ref dyTop, ref dzTop, ref sTop, lastVector, below, paddedBelow);
                    }
                    else
                    {
                        MaxReLUBackwardRowPairOutOfLine(ref top, width, ref gRow, ref dyTop, ref dzTop, ref sTop, paddedWidth, outWidth);
                    }
                }
                else
                {
                    for (nuint s = 0; ; s += n)
                    {
                        if (s > lastVector)
                        {
                            s = lastVector;
                        }

                        Vector256<T> t = Vector256.LoadUnsafe(ref top, s), u = Vector256.LoadUnsafe(ref top, s + below);
                        Vector256<T> sum = t + u;
                        if (Vector256.EqualsAll(sum, sum))
                        {
                            GradientColumns(t, u, PoolColumns<T>.Expand(ref gRow, s / 2), ref dyTop, ref dzTop, ref sTop, s, below, paddedBelow);
                        }
                        else
                        {
                            GradientWindows(ref top, width, ref gRow, ref dyTop, ref dzTop, ref sTop, paddedWidth, (int)s / 2, (int)n / 2);
                        }

                        if (s == lastVector)
                        {
                            break;
                        }
                    }
                }

                if ((width & 1) != 0)
                {
                    // The odd last column no window reads: no gradient.
                    Unsafe.Add(ref dyTop, width - 1) = T.Zero;
                    Unsafe.Add(ref dyTop, 2 * width - 1) = T.Zero;
                    Unsafe.Add(ref dzTop, width - 1) = T.Zero;
                    Unsafe.Add(ref dzTop, 2 * width - 1) = T.Zero;
                    Unsafe.Add(ref sTop, width - 1) = T.Zero;
                    Unsafe.Add(ref sTop, paddedWidth + width - 1) = T.Zero;
                }

                top = ref Unsafe.Add(ref top, 2 * width);
                dyTop = ref Unsafe.Add(ref dyTop, 2 * width);
                dzTop = ref Unsafe.Add(ref dzTop, 2 * width);
                sTop = ref Unsafe.Add(ref sTop, 2 * paddedWidth);
                gRow = ref Unsafe.Add(ref gRow, outWidth);
            }

            if ((height & 1) != 0)
            {
                // The odd last row no window reads: no gradient (the row pointers now point at it).
                ClearRow(ref dyTop, ref dzTop, ref sTop, width);
            }
        }
    }

    // Columns [i, i + N) of a row pair without NaN, g = dPooled expanded to them: each window's first maximum (the
    // bottom row's when that row's max is strictly greater; in the winning row the left column unless the right one
    // is strictly greater) gets dy = 0 + g (turning -0 into +0) and dz = dy where y there is positive; the rest 0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumns<T>(Vector256<T> t, Vector256<T> u, Vector256<T> g, ref T dyTop, ref T dzTop, ref T sTop, nuint i, nuint below, nuint paddedBelow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        g += Vector256<T>.Zero;
        Vector256<T> ts = PoolColumns<T>.SwapPairs(t), us = PoolColumns<T>.SwapPairs(u);
        Vector256<T> down = Vector256.GreaterThan(PoolColumns<T>.Max(u, us), PoolColumns<T>.Max(t, ts));
        Vector256<T> gt = Vector256.AndNot(g & PoolColumns<T>.FirstOfPair(t, ts), down);
        Vector256<T> gu = g & PoolColumns<T>.FirstOfPair(u, us) & down;
        Vector256<T> zt = gt & Vector256.GreaterThan(t, Vector256<T>.Zero);
        Vector256<T> zu = gu & Vector256.GreaterThan(u, Vector256<T>.Zero);
        gt.StoreUnsafe(ref dyTop, i);
        gu.StoreUnsafe(ref dyTop, i + below);
        zt.StoreUnsafe(ref dzTop, i);
        zu.StoreUnsafe(ref dzTop, i + below);
        zt.StoreUnsafe(ref sTop, i);
        zu.StoreUnsafe(ref sTop, i + paddedBelow);
    }

    // A row pair holding a NaN: the general row-pair path (window by window where a vector holds a NaN).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MaxReLUBackwardRowPairOutOfLine<T>(ref T top, int width, ref T dyRow, ref T dyTop, ref T dzTop, ref T planeTop, int planeWidth, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        MaxReLUBackwardRowPair(ref top, width, ref dyRow, ref dyTop, ref dzTop, ref planeTop, planeWidth, outWidth);

    // Windows [first, first + windows) of a row pair holding a NaN, by the scalar rules.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GradientWindows<T>(ref T top, int width, ref T gRow, ref T dyTop, ref T dzTop, ref T planeTop, int planeWidth, int first, int windows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = first; k < first + windows; k++)
        {
            ReLUBackwardScalar(ref top, width, Unsafe.Add(ref gRow, k), ref dyTop, ref dzTop, ref planeTop, planeWidth, k);
        }
    }

    // A row no window reads (dy, dz, the padded plane's): no gradient.
    private static void ClearRow<T>(ref T dyRow, ref T dzRow, ref T planeRow, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MemoryMarshal.CreateSpan(ref dyRow, width).Clear();
        MemoryMarshal.CreateSpan(ref dzRow, width).Clear();
        MemoryMarshal.CreateSpan(ref planeRow, width).Clear();
    }

    // z[i] = source[i], y[i] = max(source[i], 0) for i < length; ActivationKernel.ReLU's operator, lane for lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ReLURow<T>(ref T source, ref T z, ref T y, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (VectorMath.CanVectorize<T>() && length >= Vector256<T>.Count)
        {
            int width = Vector256<T>.Count;
            for (; ; i += width)
            {
                if (i > length - width)
                {
                    i = length - width; // the last vector overlaps the one before: same values written twice
                }

                Vector256<T> v = Vector256.LoadUnsafe(ref source, (nuint)i);
                v.StoreUnsafe(ref z, (nuint)i);
                default(ReLUOperator<T>).Invoke(v).StoreUnsafe(ref y, (nuint)i);
                if (i == length - width)
                {
                    return;
                }
            }
        }

        for (; i < length; i++)
        {
            T v = Unsafe.Add(ref source, i);
            Unsafe.Add(ref z, i) = v;
            Unsafe.Add(ref y, i) = default(ReLUOperator<T>).Invoke(v);
        }
    }

    // [planes, H, W] -> [planes, H / 2, W / 2]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxTangentPairs<T>(ref T x, ref T tx, ref T ty, int planes, int height, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outHeight = height / 2, outWidth = width / 2, plane = height * width, outPlane = outHeight * outWidth;
        for (int p = 0; p < planes; p++)
        {
            ref T xPlane = ref Unsafe.Add(ref x, p * plane);
            ref T txPlane = ref Unsafe.Add(ref tx, p * plane);
            ref T tyPlane = ref Unsafe.Add(ref ty, p * outPlane);
            for (int oh = 0; oh < outHeight; oh++)
            {
                ref T top = ref Unsafe.Add(ref xPlane, 2 * oh * width);
                ref T tTop = ref Unsafe.Add(ref txPlane, 2 * oh * width);
                ref T tyRow = ref Unsafe.Add(ref tyPlane, oh * outWidth);
                int ow = 0;
                if (Pair256<T>.IsSupported && outWidth >= Pair256<T>.Count)
                {
                    ow = TangentVector<T, Vector256<T>, Pair256<T>>(ref top, ref tTop, width, ref tyRow, outWidth);
                }
                else if (Pair128<T>.IsSupported && outWidth >= Pair128<T>.Count)
                {
                    ow = TangentVector<T, Vector128<T>, Pair128<T>>(ref top, ref tTop, width, ref tyRow, outWidth);
                }

                for (; ow < outWidth; ow++)
                {
                    Unsafe.Add(ref tyRow, ow) = Unsafe.Add(ref tTop, ArgMaxPair(ref top, width, ow));
                }
            }
        }
    }

    // Offset from top of the first maximum (row-major) of window ow in the row pair; the first NaN wins.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ArgMaxPair<T>(ref T top, int width, int ow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 2 * ow, j = i + width;
        T a = Unsafe.Add(ref top, i), b = Unsafe.Add(ref top, i + 1), c = Unsafe.Add(ref top, j), d = Unsafe.Add(ref top, j + 1);
        if (T.IsNaN(a))
        {
            return i;
        }

        if (T.IsNaN(b))
        {
            return i + 1;
        }

        if (T.IsNaN(c))
        {
            return j;
        }

        if (T.IsNaN(d))
        {
            return j + 1;
        }

        int best = b > a ? i + 1 : i;
        T value = b > a ? b : a;
        if (c > value)
        {
            value = c;
            best = j;
        }

        return d > value ? j + 1 : best;
    }

    // Writes all four dx positions of window ow: 0 + g at the argmax, 0 elsewhere.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardScalar<T>(ref T top, int width, T g, ref T dxTop, int ow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 2 * ow;
        int arg = ArgMaxPair(ref top, width, ow);
        Unsafe.Add(ref dxTop, i) = T.Zero;
        Unsafe.Add(ref dxTop, i + 1) = T.Zero;
        Unsafe.Add(ref dxTop, i + width) = T.Zero;
        Unsafe.Add(ref dxTop, i + width + 1) = T.Zero;
        Unsafe.Add(ref dxTop, arg) = T.Zero + g;
    }

    // Deinterleaves the windows ow..ow+N of the row pair into a, b, c, d (in TOps' lane order).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadWindows<T, TV, TOps>(ref T top, int width, int ow, out TV a, out TV b, out TV c, out TV d)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TOps : struct, IPairOps<T, TV>
    {
        nuint i = (nuint)(2 * ow), j = i + (nuint)width, n = (nuint)TOps.Count;
        TV t0 = TOps.Load(ref top, i), t1 = TOps.Load(ref top, i + n);
        TV u0 = TOps.Load(ref top, j), u1 = TOps.Load(ref top, j + n);
        a = TOps.Evens(t0, t1);
        b = TOps.Odds(t0, t1);
        c = TOps.Evens(u0, u1);
        d = TOps.Odds(u0, u1);
    }

    // Processes all outWidth (>= N) windows, the last vector overlapping; returns outWidth.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ForwardVector<T, TV, TOps>(ref T top, int width, ref T yRow, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TOps : struct, IPairOps<T, TV>
    {
        int n = TOps.Count;
        for (int ow = 0; ow < outWidth; ow += n)
        {
            if (ow > outWidth - n)
            {
                ow = outWidth - n;
            }

            LoadWindows<T, TV, TOps>(ref top, width, ow, out TV a, out TV b, out TV c, out TV d);
            if (TOps.HasNaN(a, b, c, d))
            {
                for (int k = ow; k < ow + n; k++)
                {
                    Unsafe.Add(ref yRow, k) = Unsafe.Add(ref top, ArgMaxPair(ref top, width, k));
                }

                continue;
            }

            TV upper = TOps.Select(TOps.GreaterThan(b, a), b, a);
            TV lower = TOps.Select(TOps.GreaterThan(d, c), d, c);
            TOps.Store(TOps.Fix(TOps.Select(TOps.GreaterThan(lower, upper), lower, upper)), ref yRow, (nuint)ow);
        }

        return outWidth;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int BackwardVector<T, TV, TOps>(ref T top, int width, ref T dyRow, ref T dxTop, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TOps : struct, IPairOps<T, TV>
    {
        int n = TOps.Count;
        nuint below = (nuint)width, un = (nuint)n;
        for (int ow = 0; ow < outWidth; ow += n)
        {
            if (ow > outWidth - n)
            {
                ow = outWidth - n;
            }

            LoadWindows<T, TV, TOps>(ref top, width, ow, out TV a, out TV b, out TV c, out TV d);
            if (TOps.HasNaN(a, b, c, d))
            {
                for (int k = ow; k < ow + n; k++)
                {
                    BackwardScalar(ref top, width, Unsafe.Add(ref dyRow, k), ref dxTop, k);
                }

                continue;
            }

            TV right = TOps.GreaterThan(b, a);
            TV lowerRight = TOps.GreaterThan(d, c);
            TV upper = TOps.Select(right, b, a);
            TV lower = TOps.Select(lowerRight, d, c);
            TV down = TOps.GreaterThan(lower, upper);

            // 0 + dy, as if accumulated into a cleared dx (turns -0 into +0).
            TV g = TOps.AddZero(TOps.Fix(TOps.Load(ref dyRow, (nuint)ow)));
            TV gUpper = TOps.AndNot(g, down), gLower = TOps.And(g, down);
            TV ga = TOps.AndNot(gUpper, right), gb = TOps.And(gUpper, right);
            TV gc = TOps.AndNot(gLower, lowerRight), gd = TOps.And(gLower, lowerRight);
            nuint i = (nuint)(2 * ow);
            TOps.Store(TOps.InterleaveLower(ga, gb), ref dxTop, i);
            TOps.Store(TOps.InterleaveUpper(ga, gb), ref dxTop, i + un);
            TOps.Store(TOps.InterleaveLower(gc, gd), ref dxTop, i + below);
            TOps.Store(TOps.InterleaveUpper(gc, gd), ref dxTop, i + below + un);
        }

        return outWidth;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int TangentVector<T, TV, TOps>(ref T top, ref T tTop, int width, ref T tyRow, int outWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TV : struct
        where TOps : struct, IPairOps<T, TV>
    {
        int n = TOps.Count;
        for (int ow = 0; ow < outWidth; ow += n)
        {
            if (ow > outWidth - n)
            {
                ow = outWidth - n;
            }

            LoadWindows<T, TV, TOps>(ref top, width, ow, out TV a, out TV b, out TV c, out TV d);
            if (TOps.HasNaN(a, b, c, d))
            {
                for (int k = ow; k < ow + n; k++)
                {
                    Unsafe.Add(ref tyRow, k) = Unsafe.Add(ref tTop, ArgMaxPair(ref top, width, k));
                }

                continue;
            }

            LoadWindows<T, TV, TOps>(ref tTop, width, ow, out TV ta, out TV tb, out TV tc, out TV td);
            TV right = TOps.GreaterThan(b, a);
            TV lowerRight = TOps.GreaterThan(d, c);
            TV down = TOps.GreaterThan(TOps.Select(lowerRight, d, c), TOps.Select(right, b, a));
            TV t = TOps.Select(down, TOps.Select(lowerRight, td, tc), TOps.Select(right, tb, ta));
            TOps.Store(TOps.Fix(t), ref tyRow, (nuint)ow);
        }

        return outWidth;
    }

    // Validates shape, count and the (source, destination) pair; returns the number of planes (count * C).
    private static int Validate(int sourceLength, string sourceName, int destinationLength, string destinationName, int count, Pool2DShape shape, bool forward)
    {
        shape.Validate();
        ThrowHelper.RequireNonNegative(count, nameof(count));
        int planes = ThrowHelper.Product(count, shape.Channels, "count * channels");
        int inputTotal = ThrowHelper.Product(count, shape.InputLength, "input length");
        int outputTotal = ThrowHelper.Product(count, shape.OutputLength, "output length");
        ThrowHelper.RequireLength(sourceLength, forward ? inputTotal : outputTotal, sourceName);
        ThrowHelper.RequireDestination(destinationLength, forward ? outputTotal : inputTotal, destinationName);
        return planes;
    }
}

/// <summary>
/// Vector operations of the 2x2/stride-2 max-pool path over one register width. <see cref="Evens"/>/<see cref="Odds"/>
/// deinterleave two loads (2N inputs) into N windows' left/right values in a lane order that <see cref="Fix"/> maps to
/// output order (and back, it is an involution); <see cref="InterleaveLower"/>/<see cref="InterleaveUpper"/> undo the
/// deinterleave.
/// </summary>
internal interface IPairOps<T, TVector>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVector : struct
{
    static abstract int Count { get; }

    static abstract TVector Load(ref T source, nuint offset);

    static abstract void Store(TVector value, ref T destination, nuint offset);

    static abstract TVector Evens(TVector lower, TVector upper);

    static abstract TVector Odds(TVector lower, TVector upper);

    static abstract TVector Fix(TVector value);

    static abstract TVector InterleaveLower(TVector even, TVector odd);

    static abstract TVector InterleaveUpper(TVector even, TVector odd);

    static abstract TVector GreaterThan(TVector left, TVector right);

    static abstract TVector Select(TVector mask, TVector whenTrue, TVector whenFalse);

    static abstract TVector And(TVector value, TVector mask);

    static abstract TVector AndNot(TVector value, TVector mask);

    static abstract TVector AddZero(TVector value);

    /// <summary>Lanes where <paramref name="value"/> &gt; 0 (all bits set), others 0; false for NaN.</summary>
    static abstract TVector Positive(TVector value);

    /// <summary>Lane-wise IEEE maximum (NaN propagates, <c>+0 &gt; -0</c>).</summary>
    static abstract TVector Max(TVector left, TVector right);

    /// <summary><c>max(value, 0)</c> lane-wise, as <c>ActivationKernel.ReLU</c> computes it.</summary>
    static abstract TVector ReLU(TVector value);

    /// <summary>True when any lane of any argument is NaN (may also be true for mixed infinities).</summary>
    static abstract bool HasNaN(TVector a, TVector b, TVector c, TVector d);
}

/// <summary><see cref="IPairOps{T, TVector}"/> over <see cref="Vector256{T}"/> (AVX2; lanes in 64-bit-chunk order 0, 2, 1, 3).</summary>
internal readonly struct Pair256<T> : IPairOps<T, Vector256<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool IsSupported => Avx2.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Evens(Vector256<T> lower, Vector256<T> upper) => typeof(T) == typeof(float)
        ? Avx.Shuffle(lower.AsSingle(), upper.AsSingle(), 0b10_00_10_00).As<float, T>()
        : Avx.Shuffle(lower.AsDouble(), upper.AsDouble(), 0b0000).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Odds(Vector256<T> lower, Vector256<T> upper) => typeof(T) == typeof(float)
        ? Avx.Shuffle(lower.AsSingle(), upper.AsSingle(), 0b11_01_11_01).As<float, T>()
        : Avx.Shuffle(lower.AsDouble(), upper.AsDouble(), 0b1111).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fix(Vector256<T> value) => Avx2.Permute4x64(value.AsDouble(), 0b11_01_10_00).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> InterleaveLower(Vector256<T> even, Vector256<T> odd) => typeof(T) == typeof(float)
        ? Avx.UnpackLow(even.AsSingle(), odd.AsSingle()).As<float, T>()
        : Avx.UnpackLow(even.AsDouble(), odd.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> InterleaveUpper(Vector256<T> even, Vector256<T> odd) => typeof(T) == typeof(float)
        ? Avx.UnpackHigh(even.AsSingle(), odd.AsSingle()).As<float, T>()
        : Avx.UnpackHigh(even.AsDouble(), odd.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> GreaterThan(Vector256<T> left, Vector256<T> right) => Vector256.GreaterThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> whenTrue, Vector256<T> whenFalse) =>
        Vector256.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> And(Vector256<T> value, Vector256<T> mask) => value & mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> AndNot(Vector256<T> value, Vector256<T> mask) => Vector256.AndNot(value, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> AddZero(Vector256<T> value) => value + Vector256<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Positive(Vector256<T> value) => Vector256.GreaterThan(value, Vector256<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> left, Vector256<T> right) => Vector256.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ReLU(Vector256<T> value) => default(ReLUOperator<T>).Invoke(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasNaN(Vector256<T> a, Vector256<T> b, Vector256<T> c, Vector256<T> d)
    {
        Vector256<T> sum = (a + b) + (c + d);
        return !Vector256.EqualsAll(sum, sum);
    }
}

/// <summary><see cref="IPairOps{T, TVector}"/> over <see cref="Vector128{T}"/> (SSE2; lanes already in output order).</summary>
internal readonly struct Pair128<T> : IPairOps<T, Vector128<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool IsSupported => Sse2.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Evens(Vector128<T> lower, Vector128<T> upper) => typeof(T) == typeof(float)
        ? Sse.Shuffle(lower.AsSingle(), upper.AsSingle(), 0b10_00_10_00).As<float, T>()
        : Sse2.Shuffle(lower.AsDouble(), upper.AsDouble(), 0b00).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Odds(Vector128<T> lower, Vector128<T> upper) => typeof(T) == typeof(float)
        ? Sse.Shuffle(lower.AsSingle(), upper.AsSingle(), 0b11_01_11_01).As<float, T>()
        : Sse2.Shuffle(lower.AsDouble(), upper.AsDouble(), 0b11).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Fix(Vector128<T> value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> InterleaveLower(Vector128<T> even, Vector128<T> odd) => typeof(T) == typeof(float)
        ? Sse.UnpackLow(even.AsSingle(), odd.AsSingle()).As<float, T>()
        : Sse2.UnpackLow(even.AsDouble(), odd.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> InterleaveUpper(Vector128<T> even, Vector128<T> odd) => typeof(T) == typeof(float)
        ? Sse.UnpackHigh(even.AsSingle(), odd.AsSingle()).As<float, T>()
        : Sse2.UnpackHigh(even.AsDouble(), odd.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> GreaterThan(Vector128<T> left, Vector128<T> right) => Vector128.GreaterThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Select(Vector128<T> mask, Vector128<T> whenTrue, Vector128<T> whenFalse) =>
        Vector128.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> And(Vector128<T> value, Vector128<T> mask) => value & mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> AndNot(Vector128<T> value, Vector128<T> mask) => Vector128.AndNot(value, mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> AddZero(Vector128<T> value) => value + Vector128<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Positive(Vector128<T> value) => Vector128.GreaterThan(value, Vector128<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max(Vector128<T> left, Vector128<T> right) => Vector128.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ReLU(Vector128<T> value) => Vector128.Max(value, Vector128<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasNaN(Vector128<T> a, Vector128<T> b, Vector128<T> c, Vector128<T> d)
    {
        Vector128<T> sum = (a + b) + (c + d);
        return !Vector128.EqualsAll(sum, sum);
    }
}

/// <summary>
/// Column-space operations of the 2x2/stride-2 max pool's plane walkers over <see cref="Vector256{T}"/> (AVX2, float or
/// double; <see cref="Pair256{T}.IsSupported"/>): a vector holds N adjacent columns of one row, so window <c>k</c>'s
/// two columns of that row are lanes <c>2k</c> and <c>2k + 1</c>. Max and ReLU are the native instructions, exact
/// only without NaN (the callers check first).
/// </summary>
internal static class PoolColumns<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Each lane's pair neighbour: lanes <c>(0 1)(2 3)...</c> swapped, within 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> SwapPairs(Vector256<T> value) => typeof(T) == typeof(float)
        ? Avx.Permute(value.AsSingle(), 0b10_11_00_01).As<float, T>()
        : Avx.Permute(value.AsDouble(), 0b0101).As<double, T>();

    /// <summary><c>left &gt; right ? left : right</c> (vmaxps/vmaxpd; no NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> left, Vector256<T> right) => typeof(T) == typeof(float)
        ? Avx.Max(left.AsSingle(), right.AsSingle()).As<float, T>()
        : Avx.Max(left.AsDouble(), right.AsDouble()).As<double, T>();

    /// <summary><c>value &gt; 0 ? value : +0</c>: <c>max(value, 0)</c> with +0 for -0 and every negative (no NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ReLU(Vector256<T> value) => Max(value, Vector256<T>.Zero);

    /// <summary>
    /// Where the lane is its pair's first maximum (all bits set): even lanes <c>value &gt;= swapped</c>, odd lanes
    /// <c>value &gt; swapped</c>, for <paramref name="swapped"/> = <see cref="SwapPairs"/>(<paramref name="value"/>); no NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> FirstOfPair(Vector256<T> value, Vector256<T> swapped) => typeof(T) == typeof(float)
        ? Avx.Blend(Avx.CompareGreaterThanOrEqual(value.AsSingle(), swapped.AsSingle()), Avx.CompareGreaterThan(value.AsSingle(), swapped.AsSingle()), 0b1010_1010).As<float, T>()
        : Avx.Blend(Avx.CompareGreaterThanOrEqual(value.AsDouble(), swapped.AsDouble()), Avx.CompareGreaterThan(value.AsDouble(), swapped.AsDouble()), 0b1010).As<double, T>();

    /// <summary>The N / 2 values at <c>source + offset</c>, each in two adjacent lanes: <c>[s0, s0, s1, s1, ...]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Expand(ref T source, nuint offset)
    {
        Vector256<T> half = Vector128.LoadUnsafe(ref source, offset).ToVector256Unsafe();
        return typeof(T) == typeof(float)
            ? Avx2.PermuteVar8x32(half.AsSingle(), Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3)).As<float, T>()
            : Avx2.Permute4x64(half.AsDouble(), 0b01_01_00_00).As<double, T>();
    }

    /// <summary>Stores the even lanes <c>value[0], value[2], ...</c> (N / 2 values) at <c>destination + offset</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreEvens(Vector256<T> value, ref T destination, nuint offset)
    {
        Vector256<T> packed = typeof(T) == typeof(float)
            ? Avx2.PermuteVar8x32(value.AsSingle(), Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6)).As<float, T>()
            : Avx2.Permute4x64(value.AsDouble(), 0b10_00_10_00).As<double, T>();
        packed.GetLower().StoreUnsafe(ref destination, offset);
    }
}
