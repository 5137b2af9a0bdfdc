using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// A 2-D convolution, its ReLU and the 2x2, stride-2 max pool that is its only reader, image by image:
/// exactly <see cref="Conv2DKernel"/>, <see cref="ActivationKernel.ReLU{T}"/> and <see cref="Pool2DKernel"/>'s max pool
/// composed (the same values, the same ties, NaN and signed-zero rules), with every intermediate tensor still written.
/// </summary>
/// <remarks>
/// On the convolution's stride-1 fast path (square, undilated, one group; see <see cref="Conv2DKernel"/>) the forward
/// pass writes <c>z</c>, <c>y = max(z, 0)</c> and the pooled rows while each image's GEMM result is in L1, instead of
/// three passes over the whole batch; the backward pass writes the pool's gradient and the ReLU's, the latter into both
/// <c>dz</c> and the zero-padded planes its transposed GEMM reads, from the same registers, instead of materialising
/// each over the batch and copying the last into the planes. Other shapes run the three kernels one after the other. Sources and
/// destinations must not overlap.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Conv2DReLUMaxPoolKernel
{
    /// <summary>
    /// Forward pass: <c>z = conv(x)</c> as <see cref="Conv2DKernel.Forward{T}"/>, <c>y[i] = max(z[i], 0)</c>, and
    /// <c>pooled[n, o, ph, pw] = max_{a, b in {0, 1}} y[n, o, 2ph + a, 2pw + b]</c> (a NaN in the window wins).
    /// </summary>
    /// <param name="x">Inputs, <c>[count, C, H, W]</c>.</param>
    /// <param name="weight">Weights, <c>[O, C/G, KH, KW]</c>.</param>
    /// <param name="bias">Bias, <c>[O]</c>, or empty for no bias.</param>
    /// <param name="z">The convolution's output, <c>[count, O, OH, OW]</c> (overwritten).</param>
    /// <param name="y">The ReLU's output, <c>[count, O, OH, OW]</c> (overwritten).</param>
    /// <param name="pooled">The pool's output, <c>[count, O, OH / 2, OW / 2]</c> (overwritten; floor mode).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Convolution geometry; its output must be at least 2x2.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> z, Span<T> y, Span<T> pooled, int count, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate();
        Pool2DShape pool = PoolShape(shape);
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequireLength(x.Length, ThrowHelper.Product(count, shape.InputLength, "x length"), nameof(x));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        if (!bias.IsEmpty)
        {
            ThrowHelper.RequireLength(bias.Length, shape.OutChannels, nameof(bias));
        }

        int outputs = ThrowHelper.Product(count, shape.OutputLength, "z length");
        ThrowHelper.RequireDestination(z.Length, outputs, nameof(z));
        ThrowHelper.RequireDestination(y.Length, outputs, nameof(y));
        ThrowHelper.RequireDestination(pooled.Length, ThrowHelper.Product(count, pool.OutputLength, "pooled length"), nameof(pooled));
        if (count == 0)
        {
            return;
        }

        var sink = new ReLUAndPool<T>(ref MemoryMarshal.GetReference(z), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(pooled), shape);
        if (Conv2DKernel.UseWide<T>(shape, backward: false)
            && Conv2DKernel.ForwardWide(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(weight), bias, count, shape, ref sink))
        {
            return;
        }

        Conv2DKernel.Forward(x, weight, bias, z, count, shape);
        ActivationKernel.ReLU<T>(z.Slice(0, outputs), y.Slice(0, outputs));
        Pool2DKernel.MaxForward<T>(y.Slice(0, outputs), pooled, count, pool);
    }

    /// <summary>
    /// Backward pass through the pool, the ReLU and the convolution, overwriting all three gradients:
    /// <c>dy[n, o, argmax(window)] = dPooled[n, o, ph, pw]</c> and 0 elsewhere (argmax over <paramref name="y"/>, ties
    /// to the first maximum in row-major order, as <see cref="Pool2DKernel.MaxBackward{T}"/>); <c>dz[i] = z[i] &gt; 0 ? dy[i] : 0</c>;
    /// <c>dx = conv^T(dz)</c> as <see cref="Conv2DKernel.BackwardInput{T}"/>.
    /// </summary>
    /// <param name="z">The forward pass's convolution output, <c>[count, O, OH, OW]</c>.</param>
    /// <param name="y">
    /// The forward pass's ReLU output, <c>y = max(z, 0)</c>, <c>[count, O, OH, OW]</c>, which chooses the argmax; the fast
    /// path takes the ReLU's mask from it too (<c>z &gt; 0</c> exactly where <c>y &gt; 0</c>) and does not read <paramref name="z"/>.
    /// </param>
    /// <param name="dPooled">The pool's output gradient, <c>[count, O, OH / 2, OW / 2]</c>.</param>
    /// <param name="weight">Weights, <c>[O, C/G, KH, KW]</c>.</param>
    /// <param name="dy">The ReLU's output gradient, <c>[count, O, OH, OW]</c> (overwritten).</param>
    /// <param name="dz">The convolution's output gradient, <c>[count, O, OH, OW]</c> (overwritten).</param>
    /// <param name="dx">The input gradient, <c>[count, C, H, W]</c> (overwritten, not added into).</param>
    /// <param name="count">Number of images.</param>
    /// <param name="shape">Convolution geometry; its output must be at least 2x2.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> y, ReadOnlySpan<T> dPooled, ReadOnlySpan<T> weight, Span<T> dy, Span<T> dz, Span<T> dx, int count, Conv2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        shape.Validate();
        Pool2DShape pool = PoolShape(shape);
        ThrowHelper.RequireNonNegative(count, nameof(count));
        int outputs = ThrowHelper.Product(count, shape.OutputLength, "z length");
        ThrowHelper.RequireLength(z.Length, outputs, nameof(z));
        ThrowHelper.RequireLength(y.Length, outputs, nameof(y));
        ThrowHelper.RequireLength(dPooled.Length, ThrowHelper.Product(count, pool.OutputLength, "dPooled length"), nameof(dPooled));
        ThrowHelper.RequireLength(weight.Length, shape.WeightLength, nameof(weight));
        ThrowHelper.RequireDestination(dy.Length, outputs, nameof(dy));
        ThrowHelper.RequireDestination(dz.Length, outputs, nameof(dz));
        ThrowHelper.RequireDestination(dx.Length, ThrowHelper.Product(count, shape.InputLength, "dx length"), nameof(dx));
        if (count == 0)
        {
            return;
        }

        var padded = new PoolAndReLUGradient<T>(
            ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(dPooled),
            ref MemoryMarshal.GetReference(dy), ref MemoryMarshal.GetReference(dz), shape);
        if (Conv2DKernel.UseWide<T>(shape, backward: true)
            && Conv2DKernel.BackwardWide(ref MemoryMarshal.GetReference(weight), ref MemoryMarshal.GetReference(dx), count, shape, ref padded))
        {
            return;
        }

        Pool2DKernel.MaxBackward<T>(y, dPooled, dy, count, pool);
        ActivationKernel.ReLUBackward<T>(z, dy.Slice(0, outputs), dz.Slice(0, outputs));
        Conv2DKernel.BackwardInput<T>(dz.Slice(0, outputs), weight, dx, count, shape);
    }

    // The pool over the convolution's output: [O, OH, OW] -> [O, OH / 2, OW / 2]; refuses an output under 2x2.
    private static Pool2DShape PoolShape(Conv2DShape shape)
    {
        var pool = new Pool2DShape(shape.OutChannels, shape.OutHeight, shape.OutWidth, 2, 2);
        pool.Validate();
        return pool;
    }

    // Forward epilogue: z, y and the pooled planes of all channels from the image's wide rows, in one call.
    private ref struct ReLUAndPool<T> : IWideSink<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ref T _z, _y, _pooled;
        private readonly int _channels, _height, _width;

        public ReLUAndPool(ref T z, ref T y, ref T pooled, Conv2DShape shape)
        {
            _z = ref z;
            _y = ref y;
            _pooled = ref pooled;
            _channels = shape.OutChannels;
            _height = shape.OutHeight;
            _width = shape.OutWidth;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Image(int n, ref T wide, int wideLength, int paddedWidth)
        {
            // One sweep over the wide rows, row pair by row pair: z, y and the pooled row from the same registers.
            int first = n * _channels;
            Pool2DKernel.ReLUMaxForwardPlanes(
                ref wide, wideLength, paddedWidth, ref Unsafe.Add(ref _z, first * _height * _width), ref Unsafe.Add(ref _y, first * _height * _width),
                ref Unsafe.Add(ref _pooled, first * (_height / 2) * (_width / 2)), _channels, _height, _width);
        }
    }

    // Backward prologue: the pool's gradient into dy and the ReLU's into dz and the padded planes, all channels in one call.
    private ref struct PoolAndReLUGradient<T> : IWidePaddedSource<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly ref T _y, _dPooled, _dy, _dz;
        private readonly int _channels, _height, _width;

        public PoolAndReLUGradient(ref T y, ref T dPooled, ref T dy, ref T dz, Conv2DShape shape)
        {
            _y = ref y;
            _dPooled = ref dPooled;
            _dy = ref dy;
            _dz = ref dz;
            _channels = shape.OutChannels;
            _height = shape.OutHeight;
            _width = shape.OutWidth;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Image(int n, ref T source, int planeStride, int paddedWidth, int pad)
        {
            // One sweep: dy, dz and the planes' rows from the same registers (z is not read, see MaxReLUBackwardRowPair).
            int first = n * _channels, plane = first * _height * _width;
            Pool2DKernel.MaxReLUBackwardPlanes(
                ref Unsafe.Add(ref _y, plane), ref Unsafe.Add(ref _dPooled, first * (_height / 2) * (_width / 2)), ref Unsafe.Add(ref _dy, plane), ref Unsafe.Add(ref _dz, plane),
                ref Unsafe.Add(ref source, pad * paddedWidth + pad), planeStride, paddedWidth, _channels, _height, _width);
        }
    }
}
