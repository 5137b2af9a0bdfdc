using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// 2-D convolution kernels (PyTorch <c>Conv2d</c>: cross-correlation, zero padding, per-axis kernel, stride, padding and
/// dilation, groups; weight <c>[O, C/G, KH, KW]</c>). A 1-D convolution (<c>Conv1d</c>) is the height-1 case.
/// </summary>
/// <remarks>
/// Square kernel, stride 1, no dilation, one group (kernel up to 7; for <see cref="BackwardInput{T}"/> also padding at
/// most K - 1): each image is copied into zero-padded planes, where every tap is the same plane shifted by a constant,
/// so the convolution is a register-blocked GEMM (4 channels x 3 vectors of positions,
/// <see cref="System.Runtime.Intrinsics.Vector512{T}"/> where accelerated) with no im2col copy; BackwardInput runs the
/// same GEMM on <c>dy</c> padded by <c>K - 1 - P</c> with the flipped, transposed weight. A 3x3 kernel with enough
/// channels (<c>C * O &gt;= 128</c>) computes the same rows by Winograd F(2x2, 3x3) instead (AVX; see
/// <c>Conv2DWinograd</c>): 16 multiply-adds per channel pair and 2x2 outputs instead of 36. Scratch comes from a shared
/// cache (no allocation in steady state). Other shapes (every kernel, stride, padding, dilation and group count) use
/// direct loops whose innermost step is an axpy over a contiguous output row (horizontal stride 1, SIMD) or a strided
/// gather; out-of-image taps are skipped, which is zero padding. Sources and destinations must not overlap.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Conv2DKernel
{
    /// <summary>
    /// Forward pass: <c>y[n, o, oh, ow] = bias[o] + sum_{j, kh, kw} weight[o, j, kh, kw] * x[n, g C/G + j, oh*SH + kh*DH - PH, ow*SW + kw*DW - PW]</c>
    /// with <c>g = o / (O/G)</c> and <c>j &lt; C/G</c>, where taps outside the image read zero.
    /// </summary>
    /// <param name="x">Inputs, <c>[count, C, H, W]</c>.</param>
    /// <param name="weight">Weights, <c>[O, C/G, KH, KW]</c>.</param>
    /// <param name="bias">Bias, <c>[O]</c>, or empty for no bias.</param>
    /// <param name="y">Destination, <c>[count, O, OH, OW]</c> (overwritten).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Convolution geometry.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T wRef = ref MemoryMarshal.GetReference(weight);
        var sink = new CopyToOutput<T>(ref MemoryMarshal.GetReference(y), shape);
        if (count == 0 || (UseWide<T>(shape, backward: false) && ForwardWide(ref xRef, ref wRef, bias, count, shape, ref sink)))
        {
            return;
        }

        int channels = shape.InChannels, height = shape.Height, width = shape.Width;
        int kernelHeight = shape.KernelHeight, kernelWidth = shape.KernelWidth, taps = kernelHeight * kernelWidth;
        int groupIn = shape.GroupInChannels, groupOut = shape.GroupOutChannels;
        int outHeight = shape.OutHeight, outWidth = shape.OutWidth, strideWidth = shape.StrideWidth;
        int plane = height * width, outPlane = outHeight * outWidth;
        for (int n = 0; n < count; n++)
        {
            for (int o = 0; o < shape.OutChannels; o++)
            {
                Span<T> yPlane = y.Slice((n * shape.OutChannels + o) * outPlane, outPlane);
                yPlane.Fill(bias.IsEmpty ? T.Zero : bias[o]);
                ref T yBase = ref MemoryMarshal.GetReference(yPlane);
                int firstChannel = o / groupOut * groupIn; // the group's first input channel

                for (int g = 0; g < groupIn; g++)
                {
                    ref T xPlane = ref Unsafe.Add(ref xRef, (n * channels + firstChannel + g) * plane);
                    ref T wTaps = ref Unsafe.Add(ref wRef, (o * groupIn + g) * taps);
                    for (int kh = 0; kh < kernelHeight; kh++)
                    {
                        int rowOffset = kh * shape.DilationHeight - shape.PaddingHeight; // ih = oh*SH + rowOffset
                        ValidRange(rowOffset, shape.StrideHeight, height, outHeight, out int ohLo, out int ohHi);
                        for (int kw = 0; kw < kernelWidth; kw++)
                        {
                            T w = Unsafe.Add(ref wTaps, kh * kernelWidth + kw);
                            int columnOffset = kw * shape.DilationWidth - shape.PaddingWidth; // iw = ow*SW + columnOffset
                            ValidRange(columnOffset, strideWidth, width, outWidth, out int owLo, out int owHi);
                            int length = owHi - owLo;
                            if (length <= 0)
                            {
                                continue;
                            }

                            for (int oh = ohLo; oh < ohHi; oh++)
                            {
                                ref T xRow = ref Unsafe.Add(ref xPlane, (oh * shape.StrideHeight + rowOffset) * width + owLo * strideWidth + columnOffset);
                                ref T yRow = ref Unsafe.Add(ref yBase, oh * outWidth + owLo);
                                if (strideWidth == 1)
                                {
                                    VectorMath.Axpy(w, ref xRow, ref yRow, length);
                                }
                                else
                                {
                                    for (int j = 0; j < length; j++)
                                    {
                                        Unsafe.Add(ref yRow, j) += w * Unsafe.Add(ref xRow, j * strideWidth);
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
    /// <c>dx[n, c, ih, iw] = sum_{o in c's group, kh, kw : ih = oh*SH + kh*DH - PH, iw = ow*SW + kw*DW - PW} weight[o, c mod (C/G), kh, kw] * dy[n, o, oh, ow]</c>.
    /// Overwrites <paramref name="dx"/>.
    /// </summary>
    /// <param name="dy">Output gradient, <c>[count, O, OH, OW]</c>.</param>
    /// <param name="weight">Weights, <c>[O, C/G, KH, KW]</c>.</param>
    /// <param name="dx">Destination, <c>[count, C, H, W]</c> (zeroed, then accumulated; not added into).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Convolution geometry.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

        ref T dyRef = ref MemoryMarshal.GetReference(dy);
        ref T wRef = ref MemoryMarshal.GetReference(weight);
        ref T dxRef = ref MemoryMarshal.GetReference(dx);
        var padded = new CopyFromOutputGradient<T>(ref dyRef, shape);
        if (count == 0 || (UseWide<T>(shape, backward: true) && BackwardWide(ref wRef, ref dxRef, count, shape, ref padded)))
        {
            return;
        }

        int channels = shape.InChannels, height = shape.Height, width = shape.Width;
        int kernelHeight = shape.KernelHeight, kernelWidth = shape.KernelWidth, taps = kernelHeight * kernelWidth;
        int groupIn = shape.GroupInChannels, groupOut = shape.GroupOutChannels;
        int outHeight = shape.OutHeight, outWidth = shape.OutWidth, strideWidth = shape.StrideWidth;
        int plane = height * width, outPlane = outHeight * outWidth;
        for (int n = 0; n < count; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                ref T dxPlane = ref Unsafe.Add(ref dxRef, (n * channels + c) * plane);
                int firstOutput = c / groupIn * groupOut, g = c % groupIn; // the group's output channels; c's place in it
                for (int o = firstOutput; o < firstOutput + groupOut; o++)
                {
                    ref T dyPlane = ref Unsafe.Add(ref dyRef, (n * shape.OutChannels + o) * outPlane);
                    ref T wTaps = ref Unsafe.Add(ref wRef, (o * groupIn + g) * taps);
                    for (int kh = 0; kh < kernelHeight; kh++)
                    {
                        int rowOffset = kh * shape.DilationHeight - shape.PaddingHeight;
                        ValidRange(rowOffset, shape.StrideHeight, height, outHeight, out int ohLo, out int ohHi);
                        for (int kw = 0; kw < kernelWidth; kw++)
                        {
                            T w = Unsafe.Add(ref wTaps, kh * kernelWidth + kw);
                            int columnOffset = kw * shape.DilationWidth - shape.PaddingWidth;
                            ValidRange(columnOffset, strideWidth, width, outWidth, out int owLo, out int owHi);
                            int length = owHi - owLo;
                            if (length <= 0)
                            {
                                continue;
                            }

                            for (int oh = ohLo; oh < ohHi; oh++)
                            {
                                ref T dyRow = ref Unsafe.Add(ref dyPlane, oh * outWidth + owLo);
                                ref T dxRow = ref Unsafe.Add(ref dxPlane, (oh * shape.StrideHeight + rowOffset) * width + owLo * strideWidth + columnOffset);
                                if (strideWidth == 1)
                                {
                                    VectorMath.Axpy(w, ref dyRow, ref dxRow, length);
                                }
                                else
                                {
                                    for (int j = 0; j < length; j++)
                                    {
                                        Unsafe.Add(ref dxRow, j * strideWidth) += w * Unsafe.Add(ref dyRow, j);
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
    /// <see cref="Forward{T}"/> by Winograd whatever the channel counts (tests: <see cref="Conv2DWinograd.Use{T}"/> keeps
    /// it to those where it pays); the shape must be on the stride-1 path and <see cref="Conv2DWinograd.Supports{T}"/>.
    /// </summary>
    internal static void ForwardWinograd<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int count, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate();
        ThrowHelper.RequireLength(x.Length, ThrowHelper.Product(count, shape.InputLength, "x length"), nameof(x));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        ThrowHelper.RequireDestination(y.Length, ThrowHelper.Product(count, shape.OutputLength, "y length"), nameof(y));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireLength(bias.Length, shape.OutChannels, nameof(bias));
        }

        if (!UseWide<T>(shape, backward: false) || !Conv2DWinograd.Supports<T>(shape, backward: false))
        {
            ThrowHelper.ThrowArgument($"Winograd does not support {shape}.", nameof(shape));
        }

        var sink = new CopyToOutput<T>(ref MemoryMarshal.GetReference(y), shape);
        if (!Conv2DWinograd.Forward(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(weight), bias, count, shape, ref sink))
        {
            ThrowHelper.ThrowArgument($"Winograd's scratch for {shape} is too large.", nameof(shape));
        }
    }

    /// <summary>
    /// <see cref="BackwardInput{T}"/> by Winograd whatever the channel counts (tests, as <see cref="ForwardWinograd{T}"/>).
    /// </summary>
    internal static void BackwardInputWinograd<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, Span<T> dx, int count, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate();
        ThrowHelper.RequireLength(dy.Length, ThrowHelper.Product(count, shape.OutputLength, "dy length"), nameof(dy));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        ThrowHelper.RequireDestination(dx.Length, ThrowHelper.Product(count, shape.InputLength, "dx length"), nameof(dx));
        if (!UseWide<T>(shape, backward: true) || !Conv2DWinograd.Supports<T>(shape, backward: true))
        {
            ThrowHelper.ThrowArgument($"Winograd does not support {shape}.", nameof(shape));
        }

        var padded = new CopyFromOutputGradient<T>(ref MemoryMarshal.GetReference(dy), shape);
        if (!Conv2DWinograd.Backward(ref MemoryMarshal.GetReference(weight), ref MemoryMarshal.GetReference(dx), count, shape, ref padded))
        {
            ThrowHelper.ThrowArgument($"Winograd's scratch for {shape} is too large.", nameof(shape));
        }
    }

    // ---- Stride-1 fast path: padded planes and a register-blocked "wide" GEMM ----
    //
    // With the source zero-padded into planes of width Wp, every tap (kh, kw) of a stride-1 correlation is the same
    // contiguous plane shifted by kh*Wp + kw, so out[r, p] = sum_{c, t} packed[c, t, r] * src[c, tapOffset[t] + p]
    // over p in [0, OH*Wp) is a GEMM with no im2col copy; columns ow >= OW of each output row are discarded.
    // Forward runs it on padded x with the weight; BackwardInput runs it on dy padded by K-1-P with the
    // flipped, transposed weight (a full correlation).

    private const int WideRows = 4;    // output rows (channels) per micro-kernel
    private const int WideVectors = 3; // vectors of columns per micro-kernel
    private const int MaxScratch = 1 << 24;

    private readonly struct WideGeometry
    {
        public readonly int InChannels, OutChannels, RowsPadded, Kernel, PaddedWidth, PlaneStride, WideLength;

        public WideGeometry(int inChannels, int outChannels, int kernel, int paddedWidth, int outHeight, int vectorWidth)
        {
            InChannels = inChannels;
            OutChannels = outChannels;
            RowsPadded = (outChannels + WideRows - 1) / WideRows * WideRows;
            Kernel = kernel;
            PaddedWidth = paddedWidth;
            int block = WideVectors * vectorWidth;
            WideLength = (outHeight * paddedWidth + block - 1) / block * block;
            // Every read src[c, (K-1)*Wp + K-1 + p] for p < WideLength stays inside the plane.
            PlaneStride = WideLength + (kernel - 1) * paddedWidth + kernel - 1;
        }

        public long SourceLength => (long)InChannels * PlaneStride;

        public long PackedLength => (long)InChannels * Kernel * Kernel * RowsPadded;

        public long WideTotal => (long)RowsPadded * WideLength;

        public long Total => SourceLength + PackedLength + RowsPadded + WideTotal;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool UseWide<T>(Conv2DShape shape, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        VectorMath.CanVectorize<T>() && shape.IsPlain && shape.StrideHeight == 1 && shape.KernelHeight <= 7
        && (!backward || shape.PaddingHeight <= shape.KernelHeight - 1);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int WideVectorWidth<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported ? Vector512<T>.Count : Vector256<T>.Count;

    // Returns false (nothing written) when the scratch would be unreasonably large; the caller then runs the direct loops.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool ForwardWide<T, TSink>(ref T xRef, ref T wRef, ReadOnlySpan<T> bias, int count, Conv2DShape shape, scoped ref TSink sink)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSink : IWideSink<T>, allows ref struct
    {
        if (Conv2DWinograd.Use<T>(shape, backward: false) && Conv2DWinograd.Forward(ref xRef, ref wRef, bias, count, shape, ref sink))
        {
            return true;
        }

        int k = shape.KernelHeight, p = shape.PaddingHeight, height = shape.Height, width = shape.Width;
        var g = new WideGeometry(shape.InChannels, shape.OutChannels, k, width + 2 * p, shape.OutHeight, WideVectorWidth<T>());
        if (g.Total > MaxScratch)
        {
            return false;
        }

        // Pooled scratch: no allocation in steady state, whichever thread calls.
        T[] scratch = KernelScratch<T>.Rent((int)g.Total);
        Span<T> all = scratch.AsSpan(0, (int)g.Total);
        Span<T> source = all.Slice(0, (int)g.SourceLength);
        Span<T> packed = all.Slice(source.Length, (int)g.PackedLength);
        Span<T> rowBias = all.Slice(source.Length + packed.Length, g.RowsPadded);
        Span<T> wide = all.Slice(source.Length + packed.Length + rowBias.Length);
        source.Clear();
        packed.Clear();
        rowBias.Clear();
        bias.CopyTo(rowBias);

        // packed[c, t, o] = weight[o, c, t]
        int taps = k * k, channels = shape.InChannels;
        for (int o = 0; o < shape.OutChannels; o++)
        {
            for (int ct = 0; ct < channels * taps; ct++)
            {
                packed[ct * g.RowsPadded + o] = Unsafe.Add(ref wRef, o * channels * taps + ct);
            }
        }

        int plane = height * width;
        ref T interior = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), p * g.PaddedWidth + p);
        for (int n = 0; n < count; n++)
        {
            VectorMath.CopyPlanes(ref Unsafe.Add(ref xRef, n * channels * plane), plane, width, ref interior, g.PlaneStride, g.PaddedWidth, channels, height, width);
            WideGemm(source, packed, rowBias, wide, g);
            sink.Image(n, ref MemoryMarshal.GetReference(wide), g.WideLength, g.PaddedWidth);
        }

        KernelScratch<T>.Return(scratch);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool BackwardWide<T, TSource>(ref T wRef, ref T dxRef, int count, Conv2DShape shape, scoped ref TSource padded)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSource : IWidePaddedSource<T>, allows ref struct
    {
        if (Conv2DWinograd.Use<T>(shape, backward: true) && Conv2DWinograd.Backward(ref wRef, ref dxRef, count, shape, ref padded))
        {
            return true;
        }

        int k = shape.KernelHeight, q = k - 1 - shape.PaddingHeight, height = shape.Height, width = shape.Width;
        int inChannels = shape.OutChannels, outChannels = shape.InChannels; // roles swap: dy is the source
        var g = new WideGeometry(inChannels, outChannels, k, shape.OutWidth + 2 * q, height, WideVectorWidth<T>());
        if (g.Total > MaxScratch)
        {
            return false;
        }

        // Pooled scratch: no allocation in steady state, whichever thread calls.
        T[] scratch = KernelScratch<T>.Rent((int)g.Total);
        Span<T> all = scratch.AsSpan(0, (int)g.Total);
        Span<T> source = all.Slice(0, (int)g.SourceLength);
        Span<T> packed = all.Slice(source.Length, (int)g.PackedLength);
        Span<T> rowBias = all.Slice(source.Length + packed.Length, g.RowsPadded);
        Span<T> wide = all.Slice(source.Length + packed.Length + rowBias.Length);
        source.Clear();
        packed.Clear();
        rowBias.Clear();

        // packed[o, a, b, c] = weight[o, c, K-1-a, K-1-b]
        int taps = k * k;
        for (int o = 0; o < inChannels; o++)
        {
            for (int c = 0; c < outChannels; c++)
            {
                for (int t = 0; t < taps; t++)
                {
                    packed[(o * taps + t) * g.RowsPadded + c] = Unsafe.Add(ref wRef, (o * outChannels + c) * taps + taps - 1 - t);
                }
            }
        }

        int plane = height * width;
        for (int n = 0; n < count; n++)
        {
            padded.Image(n, ref MemoryMarshal.GetReference(source), g.PlaneStride, g.PaddedWidth, q);
            WideGemm(source, packed, rowBias, wide, g);
            VectorMath.CopyPlanes(ref MemoryMarshal.GetReference(wide), g.WideLength, g.PaddedWidth, ref Unsafe.Add(ref dxRef, n * outChannels * plane), plane, width, outChannels, height, width);
        }

        KernelScratch<T>.Return(scratch);
        return true;
    }

    // wide[r, p] = rowBias[r] + sum_{c, t} packed[c, t, r] * source[c, tapOffset[t] + p] for r < RowsPadded, p < WideLength.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideGemm<T>(Span<T> source, Span<T> packed, Span<T> rowBias, Span<T> wide, in WideGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<int> offsets = stackalloc int[g.Kernel * g.Kernel];
        for (int kh = 0; kh < g.Kernel; kh++)
        {
            for (int kw = 0; kw < g.Kernel; kw++)
            {
                offsets[kh * g.Kernel + kw] = kh * g.PaddedWidth + kw;
            }
        }

        ref T s = ref MemoryMarshal.GetReference(source);
        ref T w = ref MemoryMarshal.GetReference(packed);
        ref T b = ref MemoryMarshal.GetReference(rowBias);
        ref T d = ref MemoryMarshal.GetReference(wide);
        ref int taps = ref MemoryMarshal.GetReference(offsets);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            WideGemm<T, Vector512<T>, Simd512<T>>(ref s, ref w, ref b, ref d, ref taps, g);
        }
        else
        {
            WideGemm<T, Vector256<T>, Simd256<T>>(ref s, ref w, ref b, ref d, ref taps, g);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideGemm<T, TVector, TOps>(ref T source, ref T packed, ref T rowBias, ref T wide, ref int taps, in WideGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        int block = WideVectors * TOps.Count;
        for (int r0 = 0; r0 < g.RowsPadded; r0 += WideRows)
        {
            for (int p0 = 0; p0 < g.WideLength; p0 += block)
            {
                Wide4x3<T, TVector, TOps>(ref source, ref packed, ref rowBias, ref wide, ref taps, g, r0, p0);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Wide4x3<T, TVector, TOps>(ref T source, ref T packed, ref T rowBias, ref T wide, ref int taps, in WideGeometry g, int r0, int p0)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nuint v1 = (nuint)TOps.Count, v2 = 2 * v1;
        TVector b = TOps.Broadcast(Unsafe.Add(ref rowBias, r0));
        TVector a00 = b, a01 = b, a02 = b;
        b = TOps.Broadcast(Unsafe.Add(ref rowBias, r0 + 1));
        TVector a10 = b, a11 = b, a12 = b;
        b = TOps.Broadcast(Unsafe.Add(ref rowBias, r0 + 2));
        TVector a20 = b, a21 = b, a22 = b;
        b = TOps.Broadcast(Unsafe.Add(ref rowBias, r0 + 3));
        TVector a30 = b, a31 = b, a32 = b;

        int tapCount = g.Kernel * g.Kernel, stride = g.RowsPadded;
        ref T s = ref Unsafe.Add(ref source, p0);
        ref T w = ref Unsafe.Add(ref packed, r0);
        for (int c = 0; c < g.InChannels; c++)
        {
            for (int t = 0; t < tapCount; t++)
            {
                ref T st = ref Unsafe.Add(ref s, Unsafe.Add(ref taps, t));
                TVector s0 = TOps.Load(ref st, 0);
                TVector s1 = TOps.Load(ref st, v1);
                TVector s2 = TOps.Load(ref st, v2);

                b = TOps.Broadcast(w);
                a00 = TOps.MultiplyAdd(b, s0, a00);
                a01 = TOps.MultiplyAdd(b, s1, a01);
                a02 = TOps.MultiplyAdd(b, s2, a02);
                b = TOps.Broadcast(Unsafe.Add(ref w, 1));
                a10 = TOps.MultiplyAdd(b, s0, a10);
                a11 = TOps.MultiplyAdd(b, s1, a11);
                a12 = TOps.MultiplyAdd(b, s2, a12);
                b = TOps.Broadcast(Unsafe.Add(ref w, 2));
                a20 = TOps.MultiplyAdd(b, s0, a20);
                a21 = TOps.MultiplyAdd(b, s1, a21);
                a22 = TOps.MultiplyAdd(b, s2, a22);
                b = TOps.Broadcast(Unsafe.Add(ref w, 3));
                a30 = TOps.MultiplyAdd(b, s0, a30);
                a31 = TOps.MultiplyAdd(b, s1, a31);
                a32 = TOps.MultiplyAdd(b, s2, a32);
                w = ref Unsafe.Add(ref w, stride);
            }

            s = ref Unsafe.Add(ref s, g.PlaneStride);
        }

        ref T d = ref Unsafe.Add(ref wide, r0 * g.WideLength + p0);
        nuint row = (nuint)g.WideLength;
        TOps.Store(a00, ref d, 0);
        TOps.Store(a01, ref d, v1);
        TOps.Store(a02, ref d, v2);
        TOps.Store(a10, ref d, row);
        TOps.Store(a11, ref d, row + v1);
        TOps.Store(a12, ref d, row + v2);
        TOps.Store(a20, ref d, 2 * row);
        TOps.Store(a21, ref d, 2 * row + v1);
        TOps.Store(a22, ref d, 2 * row + v2);
        TOps.Store(a30, ref d, 3 * row);
        TOps.Store(a31, ref d, 3 * row + v1);
        TOps.Store(a32, ref d, 3 * row + v2);
    }

    // The plain passes' ends of the wide GEMM: the valid columns of each wide row to y; dy into the padded planes.
    private ref struct CopyToOutput<T> : IWideSink<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ref T _y; // [count, O, OH, OW]
        private readonly int _outChannels, _outHeight, _outWidth;

        public CopyToOutput(ref T y, Conv2DShape shape)
        {
            _y = ref y;
            _outChannels = shape.OutChannels;
            _outHeight = shape.OutHeight;
            _outWidth = shape.OutWidth;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Image(int n, ref T wide, int wideLength, int paddedWidth)
        {
            int outPlane = _outHeight * _outWidth;
            VectorMath.CopyPlanes(ref wide, wideLength, paddedWidth, ref Unsafe.Add(ref _y, n * _outChannels * outPlane), outPlane, _outWidth, _outChannels, _outHeight, _outWidth);
        }
    }

    private ref struct CopyFromOutputGradient<T> : IWidePaddedSource<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ref T _dy; // [count, O, OH, OW]
        private readonly int _outChannels, _outHeight, _outWidth;

        public CopyFromOutputGradient(ref T dy, Conv2DShape shape)
        {
            _dy = ref dy;
            _outChannels = shape.OutChannels;
            _outHeight = shape.OutHeight;
            _outWidth = shape.OutWidth;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Image(int n, ref T source, int planeStride, int paddedWidth, int pad)
        {
            int outPlane = _outHeight * _outWidth;
            VectorMath.CopyPlanes(
                ref Unsafe.Add(ref _dy, n * _outChannels * outPlane), outPlane, _outWidth,
                ref Unsafe.Add(ref source, pad * paddedWidth + pad), planeStride, paddedWidth, _outChannels, _outHeight, _outWidth);
        }
    }

    // Output positions [lo, hi) whose tap lands inside [0, size): 0 <= out*S + offset < size, where offset = k*D - P.
    private static void ValidRange(int offset, int stride, int size, int outSize, out int lo, out int hi)
    {
        int first = -offset; // smallest allowed out*S
        lo = first <= 0 ? 0 : (first + stride - 1) / stride;
        int last = size - 1 - offset; // largest allowed out*S
        hi = last < 0 ? 0 : Math.Min(outSize, last / stride + 1);
        if (hi < lo)
        {
            hi = lo;
        }
    }
}

/// <summary>
/// What <see cref="Conv2DKernel"/>'s stride-1 forward does with each image's GEMM result, the "wide" rows:
/// output <c>[o, oh, ow]</c> sits at <c>wide[o * wideLength + oh * paddedWidth + ow]</c> for <c>ow &lt; OW</c> (later
/// columns are garbage). The rows stay in L1 while the sink reads them.
/// </summary>
internal interface IWideSink<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    void Image(int n, ref T wide, int wideLength, int paddedWidth);
}

/// <summary>
/// What fills <see cref="Conv2DKernel"/>'s stride-1 BackwardInput source for image <c>n</c>: output gradient
/// <c>[o, oh, ow]</c> goes to <c>source[o * planeStride + (oh + pad) * paddedWidth + pad + ow]</c>. Every such position
/// must be written for every image (the borders are zero and stay so; the interior holds the previous image).
/// </summary>
internal interface IWidePaddedSource<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    void Image(int n, ref T source, int planeStride, int paddedWidth, int pad);
}
