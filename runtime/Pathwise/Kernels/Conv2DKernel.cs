using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pathwise.Kernels;

/// <summary>2-D convolution kernels (PyTorch <c>Conv2d</c>: cross-correlation, zero padding, weight <c>[O, C, K, K]</c>).</summary>
/// <remarks>
/// Direct loops whose innermost step is an axpy over a contiguous output row (stride 1) or a strided gather
/// (stride &gt; 1); out-of-image taps are skipped, which is zero padding. Sources and destinations must not overlap.
/// </remarks>
public static class Conv2DKernel
{
    /// <summary>
    /// Forward pass: <c>y[n, o, oh, ow] = bias[o] + sum_{c, kh, kw} weight[o, c, kh, kw] * x[n, c, oh*S + kh - P, ow*S + kw - P]</c>,
    /// where taps outside the image read zero.
    /// </summary>
    /// <param name="x">Inputs, <c>[count, C, H, W]</c>.</param>
    /// <param name="weight">Weights, <c>[O, C, K, K]</c>.</param>
    /// <param name="bias">Bias, <c>[O]</c>, or empty for no bias.</param>
    /// <param name="y">Destination, <c>[count, O, OH, OW]</c> (overwritten).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Convolution geometry.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int count, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate();
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequireLength(x.Length, ThrowHelper.Product(count, shape.InputLength, "x length"), nameof(x));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireLength(bias.Length, shape.OutChannels, nameof(bias));
        }

        ThrowHelper.RequireDestination(y.Length, ThrowHelper.Product(count, shape.OutputLength, "y length"), nameof(y));

        int channels = shape.InChannels, height = shape.Height, width = shape.Width;
        int kernel = shape.Kernel, padding = shape.Padding, stride = shape.Stride;
        int outHeight = shape.OutHeight, outWidth = shape.OutWidth;
        int plane = height * width, outPlane = outHeight * outWidth;
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T wRef = ref MemoryMarshal.GetReference(weight);

        for (int n = 0; n < count; n++)
        {
            for (int o = 0; o < shape.OutChannels; o++)
            {
                Span<T> yPlane = y.Slice((n * shape.OutChannels + o) * outPlane, outPlane);
                yPlane.Fill(bias.IsEmpty ? T.Zero : bias[o]);
                ref T yBase = ref MemoryMarshal.GetReference(yPlane);

                for (int c = 0; c < channels; c++)
                {
                    ref T xPlane = ref Unsafe.Add(ref xRef, (n * channels + c) * plane);
                    ref T wTaps = ref Unsafe.Add(ref wRef, (o * channels + c) * kernel * kernel);
                    for (int kh = 0; kh < kernel; kh++)
                    {
                        ValidRange(kh, padding, stride, height, outHeight, out int ohLo, out int ohHi);
                        for (int kw = 0; kw < kernel; kw++)
                        {
                            T w = Unsafe.Add(ref wTaps, kh * kernel + kw);
                            ValidRange(kw, padding, stride, width, outWidth, out int owLo, out int owHi);
                            int length = owHi - owLo;
                            if (length <= 0)
                            {
                                continue;
                            }

                            for (int oh = ohLo; oh < ohHi; oh++)
                            {
                                ref T xRow = ref Unsafe.Add(ref xPlane, (oh * stride + kh - padding) * width + owLo * stride + kw - padding);
                                ref T yRow = ref Unsafe.Add(ref yBase, oh * outWidth + owLo);
                                if (stride == 1)
                                {
                                    VectorMath.Axpy(w, ref xRow, ref yRow, length);
                                }
                                else
                                {
                                    for (int j = 0; j < length; j++)
                                    {
                                        Unsafe.Add(ref yRow, j) += w * Unsafe.Add(ref xRow, j * stride);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Gradient with respect to the input:
    /// <c>dx[n, c, ih, iw] = sum_{o, kh, kw : ih = oh*S + kh - P, iw = ow*S + kw - P} weight[o, c, kh, kw] * dy[n, o, oh, ow]</c>.
    /// Overwrites <paramref name="dx"/>.
    /// </summary>
    /// <param name="dy">Output gradient, <c>[count, O, OH, OW]</c>.</param>
    /// <param name="weight">Weights, <c>[O, C, K, K]</c>.</param>
    /// <param name="dx">Destination, <c>[count, C, H, W]</c> (zeroed, then accumulated; not added into).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Convolution geometry.</param>
    public static void BackwardInput<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, int count, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate();
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequireLength(dy.Length, ThrowHelper.Product(count, shape.OutputLength, "dy length"), nameof(dy));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        int total = ThrowHelper.Product(count, shape.InputLength, "dx length");
        ThrowHelper.RequireDestination(dx.Length, total, nameof(dx));
        dx.Slice(0, total).Clear();

        int channels = shape.InChannels, height = shape.Height, width = shape.Width;
        int kernel = shape.Kernel, padding = shape.Padding, stride = shape.Stride;
        int outHeight = shape.OutHeight, outWidth = shape.OutWidth;
        int plane = height * width, outPlane = outHeight * outWidth;
        ref T dyRef = ref MemoryMarshal.GetReference(dy);
        ref T wRef = ref MemoryMarshal.GetReference(weight);
        ref T dxRef = ref MemoryMarshal.GetReference(dx);

        for (int n = 0; n < count; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                ref T dxPlane = ref Unsafe.Add(ref dxRef, (n * channels + c) * plane);
                for (int o = 0; o < shape.OutChannels; o++)
                {
                    ref T dyPlane = ref Unsafe.Add(ref dyRef, (n * shape.OutChannels + o) * outPlane);
                    ref T wTaps = ref Unsafe.Add(ref wRef, (o * channels + c) * kernel * kernel);
                    for (int kh = 0; kh < kernel; kh++)
                    {
                        ValidRange(kh, padding, stride, height, outHeight, out int ohLo, out int ohHi);
                        for (int kw = 0; kw < kernel; kw++)
                        {
                            T w = Unsafe.Add(ref wTaps, kh * kernel + kw);
                            ValidRange(kw, padding, stride, width, outWidth, out int owLo, out int owHi);
                            int length = owHi - owLo;
                            if (length <= 0)
                            {
                                continue;
                            }

                            for (int oh = ohLo; oh < ohHi; oh++)
                            {
                                ref T dyRow = ref Unsafe.Add(ref dyPlane, oh * outWidth + owLo);
                                ref T dxRow = ref Unsafe.Add(ref dxPlane, (oh * stride + kh - padding) * width + owLo * stride + kw - padding);
                                if (stride == 1)
                                {
                                    VectorMath.Axpy(w, ref dyRow, ref dxRow, length);
                                }
                                else
                                {
                                    for (int j = 0; j < length; j++)
                                    {
                                        Unsafe.Add(ref dxRow, j * stride) += w * Unsafe.Add(ref dyRow, j);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // Output positions [lo, hi) whose tap at kernel offset k lands inside [0, size): 0 <= out*S + k - P < size.
    private static void ValidRange(int k, int padding, int stride, int size, int outSize, out int lo, out int hi)
    {
        int first = padding - k; // smallest allowed out*S
        lo = first <= 0 ? 0 : (first + stride - 1) / stride;
        int last = size - 1 + padding - k; // largest allowed out*S
        hi = last < 0 ? 0 : Math.Min(outSize, last / stride + 1);
        if (hi < lo)
        {
            hi = lo;
        }
    }
}
