using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pathwise.Kernels;

/// <summary>Max and average pooling over <c>[count, C, H, W]</c> (PyTorch <c>MaxPool2d</c>/<c>AvgPool2d</c>, floor mode, no padding).</summary>
/// <remarks>Sources and destinations must not overlap.</remarks>
public static class Pool2DKernel
{
    /// <summary>Max pooling: <c>y[n, c, oh, ow] = max_{kh, kw} x[n, c, oh*S + kh, ow*S + kw]</c> (a NaN in the window wins).</summary>
    /// <param name="x">Inputs, <c>[count, C, H, W]</c>.</param>
    /// <param name="y">Destination, <c>[count, C, OH, OW]</c> (overwritten).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Pooling geometry.</param>
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, int count, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = Validate(x.Length, "x", y.Length, "y", count, shape, forward: true);
        int plane = shape.Height * shape.Width, outHeight = shape.OutHeight, outWidth = shape.OutWidth, outPlane = outHeight * outWidth;
        bool pairs = shape.Kernel == 2 && shape.Stride == 2;
        for (int p = 0; p < planes; p++)
        {
            ref T xPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), p * plane);
            ref T yPlane = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), p * outPlane);
            for (int oh = 0; oh < outHeight; oh++)
            {
                for (int ow = 0; ow < outWidth; ow++)
                {
                    int arg = pairs ? ArgMax2x2(ref xPlane, oh, ow, shape) : ArgMax(ref xPlane, oh, ow, shape);
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
    public static void MaxBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int count, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = Validate(dy.Length, "dy", dx.Length, "dx", count, shape, forward: false);
        ThrowHelper.RequireLength(x.Length, planes * shape.Height * shape.Width, nameof(x));
        int plane = shape.Height * shape.Width, outHeight = shape.OutHeight, outWidth = shape.OutWidth, outPlane = outHeight * outWidth;
        bool pairs = shape.Kernel == 2 && shape.Stride == 2;
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
                    int arg = pairs ? ArgMax2x2(ref xPlane, oh, ow, shape) : ArgMax(ref xPlane, oh, ow, shape);
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
    public static void MaxTangent<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> tx, Span<T> ty, int count, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = Validate(tx.Length, "tx", ty.Length, "ty", count, shape, forward: true);
        ThrowHelper.RequireLength(x.Length, planes * shape.Height * shape.Width, nameof(x));
        int plane = shape.Height * shape.Width, outPlane = shape.OutHeight * shape.OutWidth;
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
    /// <summary>
    /// <see cref="ArgMax{T}"/> for the common 2x2 window with stride 2, unrolled: strict comparisons keep the
    /// first maximum in row-major order; a window holding a NaN takes the general path, where the NaN wins.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ArgMax2x2<T>(ref T plane, int oh, int ow, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int start = 2 * (oh * shape.Width + ow);
        int below = start + shape.Width;
        T a = Unsafe.Add(ref plane, start);
        T b = Unsafe.Add(ref plane, start + 1);
        T c = Unsafe.Add(ref plane, below);
        T d = Unsafe.Add(ref plane, below + 1);
        if (T.IsNaN(a) || T.IsNaN(b) || T.IsNaN(c) || T.IsNaN(d))
        {
            return ArgMax(ref plane, oh, ow, shape);
        }

        int best = start;
        T value = a;
        if (b > value)
        {
            value = b;
            best = start + 1;
        }

        if (c > value)
        {
            value = c;
            best = below;
        }

        return d > value ? below + 1 : best;
    }

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
