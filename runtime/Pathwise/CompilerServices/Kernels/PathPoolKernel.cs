using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// A first affine layer and the 2x2, stride-2 max pooling that reads it, fused on the straight path. On the path the
/// layer's value is affine in <c>a</c>, <c>z_k = start + a_k step</c>, so neither <c>z_k</c> nor <c>act(z_k)</c> need be
/// stored: <see cref="MaxForward{T}"/> pools <c>act(start + a_k step)</c> window by window and keeps which position of
/// each window won; <see cref="MaxBackwardSum{T}"/> turns the pooling's gradients straight into
/// <c>sum_k c_k dz_k</c>, the one row the layer's transposed product needs.
/// </summary>
/// <remarks>
/// <para>
/// Windows are numbered <c>w = (c * OH + oh) * OW + ow</c>; window <c>w</c>'s positions are <c>q = 0, 1, 2, 3</c> for
/// <c>(2 oh, 2 ow)</c>, <c>(2 oh, 2 ow + 1)</c>, <c>(2 oh + 1, 2 ow)</c>, <c>(2 oh + 1, 2 ow + 1)</c>. The winners are bit
/// masks, <see cref="WinnersLength"/> bytes per point: bit <c>w mod 8</c> of byte <c>winners[k, 4 (w / 8) + q]</c> is set
/// when window <c>w</c> of point <c>k</c> passes its gradient to position <c>q</c>: <c>q</c> is the window's first maximum
/// in row-major order (<see cref="Pool2DKernel.MaxBackward{T}"/>'s rule) and, under ReLU, its value is positive
/// (<see cref="ActivationKernel.ReLUBackward{T}"/>'s derivative, 0 at 0). A window whose values are all at most 0 under
/// ReLU sets no bit.
/// </para>
/// <para>Values are taken to be finite (a NaN follows no documented rule). Sources and destinations must not overlap.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PathPoolKernel
{
    /// <summary>The bytes of one point's winners for <paramref name="windows"/> windows: <c>4 ceil(windows / 8)</c>.</summary>
    public static int WinnersLength(int windows)
    {
        ThrowHelper.RequireNonNegative(windows, nameof(windows));
        return 4 * ((windows + 7) / 8);
    }

    /// <summary>
    /// Pooling on the path: <c>y[k, c, oh, ow] = max_q act(start[p_q] + alphas[k] * step[p_q])</c> over the window's four
    /// positions <c>p_q</c>, with <c>act</c> ReLU or the identity; records each window's winning position in
    /// <paramref name="winners"/> (see the remarks). Each value <c>start + a step</c> is rounded as
    /// <see cref="PathKernel.Interpolate{T}"/> rounds it, so <c>y</c> is the unfused pooling's, bit for bit.
    /// </summary>
    /// <param name="start">The layer's value at the path start, <c>[C, H, W]</c>.</param>
    /// <param name="step">The layer's change per unit of <c>a</c>, <c>[C, H, W]</c>.</param>
    /// <param name="alphas">The path coordinates <c>a_k</c>, <c>[count]</c>.</param>
    /// <param name="y">Destination, <c>[count, C, H / 2, W / 2]</c> (overwritten).</param>
    /// <param name="winners">Destination, <c>[count, WinnersLength(C * (H / 2) * (W / 2))]</c> bytes (overwritten).</param>
    /// <param name="packed">Scratch of at least <c>8 C (H / 2) (W / 2)</c> elements (at most twice the layer's size): the two rows
    /// with each window's four positions side by side; contents overwritten.</param>
    /// <param name="shape">The pooling's geometry: a 2x2 window, stride 2.</param>
    /// <param name="activation">The layer's activation: <see cref="ActivationKind.ReLU"/> or <see cref="ActivationKind.None"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward<T>(ReadOnlySpan<T> start, ReadOnlySpan<T> step, ReadOnlySpan<T> alphas, Span<T> y, Span<byte> winners, Span<T> packed, Pool2DShape shape, ActivationKind activation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ValidateShape(shape);
        if (activation is not (ActivationKind.None or ActivationKind.ReLU))
        {
            ThrowHelper.ThrowArgument($"Expected activation ReLU or None (a ReLU's or the identity's maximum is the maximum's); got {activation}.", nameof(activation));
        }

        int count = alphas.Length, windows = shape.OutputLength, bytes = WinnersLength(windows);
        ThrowHelper.RequireLength(start.Length, shape.InputLength, nameof(start));
        ThrowHelper.RequireLength(step.Length, shape.InputLength, nameof(step));
        ThrowHelper.RequireDestination(y.Length, ThrowHelper.Product(count, windows, "y length"), nameof(y));
        ThrowHelper.RequireDestination(winners.Length, ThrowHelper.Product(count, bytes, "winners length"), nameof(winners));
        ThrowHelper.RequireDestination(packed.Length, 8 * windows, nameof(packed));
        if (count == 0 || windows == 0)
        {
            return;
        }

        // The four positions of every window side by side, [4, windows] for start then for step: window w's values are
        // then at w in each plane, and a vector takes consecutive windows.
        Pack(start, packed.Slice(0, 4 * windows), shape);
        Pack(step, packed.Slice(4 * windows, 4 * windows), shape);
        bool relu = activation == ActivationKind.ReLU;
        ref T s = ref MemoryMarshal.GetReference(packed);
        ref T a = ref MemoryMarshal.GetReference(alphas);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        ref byte bits = ref MemoryMarshal.GetReference(winners);
        int w = 0;
        if (VectorMath.CanVectorize<T>() && BitConverter.IsLittleEndian)
        {
            w = relu
                ? ForwardVector<T, Rectified>(ref s, ref a, count, ref yRef, ref bits, windows, bytes)
                : ForwardVector<T, Identity>(ref s, ref a, count, ref yRef, ref bits, windows, bytes);
        }

        ForwardScalar(ref s, ref a, count, ref yRef, ref bits, windows, bytes, w, relu);
    }

    /// <summary>
    /// The weighted sum over points of the layer's gradient before its activation:
    /// <c>destination[p] = sum_k pointCoefficients[k] * dy[k, w(p)] * [winners[k] give window w(p) to p]</c>, where
    /// <c>w(p)</c> is the window holding position <c>p</c> (see the remarks); what <see cref="Pool2DKernel.MaxBackward{T}"/>,
    /// <see cref="ActivationKernel.ReLUBackward{T}"/> and <see cref="PathKernel.WeightedRowSum{T}"/> give in turn, without the
    /// per-point rows. Positions in no window (an odd last row or column) get 0. Overwrites <paramref name="destination"/>.
    /// </summary>
    /// <param name="dy">The pooling's output gradients, <c>[count, C, H / 2, W / 2]</c>.</param>
    /// <param name="winners">The winners <see cref="MaxForward{T}"/> recorded, <c>[count, WinnersLength(C * (H / 2) * (W / 2))]</c>.</param>
    /// <param name="pointCoefficients">The point weights <c>c_k</c>, <c>[count]</c>.</param>
    /// <param name="destination">Destination, <c>[C, H, W]</c> (overwritten).</param>
    /// <param name="shape">The pooling's geometry: a 2x2 window, stride 2.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackwardSum<T>(ReadOnlySpan<T> dy, ReadOnlySpan<byte> winners, ReadOnlySpan<T> pointCoefficients, Span<T> destination, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ValidateShape(shape);
        int count = pointCoefficients.Length, windows = shape.OutputLength, bytes = WinnersLength(windows);
        ThrowHelper.RequireLength(dy.Length, ThrowHelper.Product(count, windows, "dy length"), nameof(dy));
        ThrowHelper.RequireLength(winners.Length, ThrowHelper.Product(count, bytes, "winners length"), nameof(winners));
        ThrowHelper.RequireLength(destination.Length, shape.InputLength, nameof(destination));
        destination.Clear();
        if (count == 0 || windows == 0)
        {
            return;
        }

        ref T g = ref MemoryMarshal.GetReference(dy);
        ref byte bits = ref MemoryMarshal.GetReference(winners);
        ref T c = ref MemoryMarshal.GetReference(pointCoefficients);
        int w = 0;
        if (VectorMath.CanVectorize<T>() && BitConverter.IsLittleEndian)
        {
            w = BackwardVector(ref g, ref bits, ref c, count, destination, windows, bytes, shape);
        }

        Span<T> sums = stackalloc T[4];
        for (; w < windows; w++)
        {
            int group = 4 * (w >> 3), bit = w & 7;
            sums.Clear();
            for (int k = 0; k < count; k++)
            {
                T weighted = Unsafe.Add(ref g, k * windows + w) * Unsafe.Add(ref c, k);
                for (int q = 0; q < 4; q++)
                {
                    if (((Unsafe.Add(ref bits, k * bytes + group + q) >> bit) & 1) != 0)
                    {
                        sums[q] += weighted;
                    }
                }
            }

            Scatter(sums, destination, w, shape);
        }
    }

    /// <summary>
    /// The pieces of one point's pooling: the affine function of <c>a</c> each window took there,
    /// <c>pieceStart[w] = start[p]</c> and <c>pieceStep[w] = step[p]</c> for the position <c>p</c> the point's winners give
    /// window <c>w</c>, and 0 for a window with no winner (all its values at most 0 under ReLU). Where a point's winner is the
    /// same, <c>pieceStep[w] * a + pieceStart[w]</c> is <see cref="MaxForward{T}"/>'s value, bit for bit.
    /// </summary>
    /// <param name="start">The layer's value at the path start, <c>[C, H, W]</c>.</param>
    /// <param name="step">The layer's change per unit of <c>a</c>, <c>[C, H, W]</c>.</param>
    /// <param name="winners">One point's winners, <c>[WinnersLength(C * (H / 2) * (W / 2))]</c> bytes.</param>
    /// <param name="pieceStart">Destination, <c>[C, H / 2, W / 2]</c> (overwritten).</param>
    /// <param name="pieceStep">Destination, <c>[C, H / 2, W / 2]</c> (overwritten).</param>
    /// <param name="shape">The pooling's geometry: a 2x2 window, stride 2.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pieces<T>(ReadOnlySpan<T> start, ReadOnlySpan<T> step, ReadOnlySpan<byte> winners, Span<T> pieceStart, Span<T> pieceStep, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ValidateShape(shape);
        int windows = shape.OutputLength;
        ThrowHelper.RequireLength(start.Length, shape.InputLength, nameof(start));
        ThrowHelper.RequireLength(step.Length, shape.InputLength, nameof(step));
        ThrowHelper.RequireLength(winners.Length, WinnersLength(windows), nameof(winners));
        ThrowHelper.RequireDestination(pieceStart.Length, windows, nameof(pieceStart));
        ThrowHelper.RequireDestination(pieceStep.Length, windows, nameof(pieceStep));
        int width = shape.Width, outHeight = shape.OutHeight, outWidth = shape.OutWidth, plane = shape.Height * width, w = 0;
        ref T s0 = ref MemoryMarshal.GetReference(start);
        ref T t0 = ref MemoryMarshal.GetReference(step);
        ref T a0 = ref MemoryMarshal.GetReference(pieceStart);
        ref T b0 = ref MemoryMarshal.GetReference(pieceStep);
        for (int ch = 0; ch < shape.Channels; ch++)
        {
            for (int oh = 0; oh < outHeight; oh++)
            {
                int corner = ch * plane + 2 * oh * width;
                for (int ow = 0; ow < outWidth; ow++, w++, corner += 2)
                {
                    int q = Winner(WinnerGroup(winners, w >> 3), w & 7);
                    if (q < 0)
                    {
                        Unsafe.Add(ref a0, w) = T.Zero;
                        Unsafe.Add(ref b0, w) = T.Zero;
                        continue;
                    }

                    int p = corner + (q >> 1) * width + (q & 1);
                    Unsafe.Add(ref a0, w) = Unsafe.Add(ref s0, p);
                    Unsafe.Add(ref b0, w) = Unsafe.Add(ref t0, p);
                }
            }
        }
    }

    /// <summary>
    /// Group <paramref name="group"/>'s four winner bytes (windows <c>8 group</c> to <c>8 group + 7</c>) as one number,
    /// byte <c>q</c> in bits <c>8q</c> to <c>8q + 7</c>: bit <c>8q + w mod 8</c> is set when window <c>w</c> passes to position <c>q</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint WinnerGroup(ReadOnlySpan<byte> winners, int group) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(winners.Slice(4 * group, 4));

    /// <summary>Which position (0 to 3) a group's winner bytes (<see cref="WinnerGroup"/>) give window <c>8 group + bit</c>, or -1 for none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Winner(uint group, int bit)
    {
        uint column = (group >> bit) & 0x01010101u;
        return column == 0 ? -1 : BitOperations.TrailingZeroCount(column) >> 3;
    }

    /// <summary>The windows of group <paramref name="group"/> whose winners differ between two points' winners: bit <c>w mod 8</c> for window <c>8 group + w mod 8</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint ChangedInGroup(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, int group)
    {
        // A window changed where any of its four position bits did: the OR of the four XORed bytes.
        uint changed = WinnerGroup(before, group) ^ WinnerGroup(after, group);
        changed |= changed >> 16;
        changed |= changed >> 8;
        return changed & 0xFF;
    }

    /// <summary>The windows, below <c>windows</c>, whose winners differ between two points' winners, in order: <c>foreach (int w in new ChangedWindows(before, after, windows))</c>.</summary>
    internal ref struct ChangedWindows(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, int windows)
    {
        private readonly ReadOnlySpan<byte> _before = before;
        private readonly ReadOnlySpan<byte> _after = after;
        private int _group = -1;
        private uint _bits;

        /// <summary>The current window.</summary>
        public int Current { get; private set; }

        public readonly ChangedWindows GetEnumerator() => this;

        public bool MoveNext()
        {
            while (_bits == 0)
            {
                if (++_group >= _after.Length / 4)
                {
                    return false;
                }

                _bits = ChangedInGroup(_before, _after, _group);
            }

            Current = 8 * _group + BitOperations.TrailingZeroCount(_bits);
            _bits &= _bits - 1;
            return Current < windows;
        }
    }

    // ---- forward ----

    private interface IActivation
    {
        static abstract bool Rectifies { get; }
    }

    private readonly struct Rectified : IActivation
    {
        public static bool Rectifies => true;
    }

    private readonly struct Identity : IActivation
    {
        public static bool Rectifies => false;
    }

    // Packs x [C, H, W] into [4, windows]: plane q holds each window's position q.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<T>(ReadOnlySpan<T> x, Span<T> planes, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = shape.Width, outHeight = shape.OutHeight, outWidth = shape.OutWidth, windows = shape.OutputLength;
        int plane = shape.Height * width, w = 0;
        ref T source = ref MemoryMarshal.GetReference(x);
        ref T p0 = ref MemoryMarshal.GetReference(planes);
        ref T p1 = ref Unsafe.Add(ref p0, windows);
        ref T p2 = ref Unsafe.Add(ref p0, 2 * windows);
        ref T p3 = ref Unsafe.Add(ref p0, 3 * windows);
        for (int ch = 0; ch < shape.Channels; ch++)
        {
            for (int oh = 0; oh < outHeight; oh++)
            {
                ref T top = ref Unsafe.Add(ref source, ch * plane + 2 * oh * width);
                ref T bottom = ref Unsafe.Add(ref top, width);
                for (int ow = 0; ow < outWidth; ow++, w++)
                {
                    int i = 2 * ow;
                    Unsafe.Add(ref p0, w) = Unsafe.Add(ref top, i);
                    Unsafe.Add(ref p1, w) = Unsafe.Add(ref top, i + 1);
                    Unsafe.Add(ref p2, w) = Unsafe.Add(ref bottom, i);
                    Unsafe.Add(ref p3, w) = Unsafe.Add(ref bottom, i + 1);
                }
            }
        }
    }

    // Groups of 8 windows (one vector of float, two of double), every point per group so the packed rows stay in registers;
    // returns the first window left for the scalar tail.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ForwardVector<T, TActivation>(ref T packed, ref T alphas, int count, ref T y, ref byte bits, int windows, int bytes)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TActivation : struct, IActivation
    {
        int n = Vector256<T>.Count, halves = 8 / n, w = 0;
        nuint plane = (nuint)windows;
        uint lanes = (1u << n) - 1;
        for (; w + 8 <= windows; w += 8)
        {
            for (int h = 0; h < halves; h++)
            {
                nuint at = (nuint)(w + h * n);
                Vector256<T> sa = Vector256.LoadUnsafe(ref packed, at), sb = Vector256.LoadUnsafe(ref packed, at + plane);
                Vector256<T> sc = Vector256.LoadUnsafe(ref packed, at + 2 * plane), sd = Vector256.LoadUnsafe(ref packed, at + 3 * plane);
                Vector256<T> ta = Vector256.LoadUnsafe(ref packed, at + 4 * plane), tb = Vector256.LoadUnsafe(ref packed, at + 5 * plane);
                Vector256<T> tc = Vector256.LoadUnsafe(ref packed, at + 6 * plane), td = Vector256.LoadUnsafe(ref packed, at + 7 * plane);
                int shift = h * n;
                for (int k = 0; k < count; k++)
                {
                    // z = step * a + start, rounded as PathKernel.Interpolate rounds it (no fused multiply-add).
                    Vector256<T> alpha = Vector256.Create(Unsafe.Add(ref alphas, k));
                    Vector256<T> za = (ta * alpha) + sa, zb = (tb * alpha) + sb, zc = (tc * alpha) + sc, zd = (td * alpha) + sd;

                    // The first maximum in row-major order: the top winner unless the bottom one is strictly greater.
                    Vector256<T> right = Vector256.GreaterThan(zb, za), lowerRight = Vector256.GreaterThan(zd, zc);
                    Vector256<T> upper = Vector256.ConditionalSelect(right, zb, za), lower = Vector256.ConditionalSelect(lowerRight, zd, zc);
                    Vector256<T> down = Vector256.GreaterThan(lower, upper);
                    Vector256<T> max = Vector256.ConditionalSelect(down, lower, upper);
                    uint active = lanes;
                    if (TActivation.Rectifies)
                    {
                        // ReLU(max) = max where max > 0, else +0; no gradient passes a window whose maximum is not positive.
                        Vector256<T> positive = Vector256.GreaterThan(max, Vector256<T>.Zero);
                        max &= positive;
                        active = positive.ExtractMostSignificantBits();
                    }

                    max.StoreUnsafe(ref y, (nuint)(k * windows) + at);

                    // One bit per window and position, the four position bytes of the group as one little-endian word.
                    uint downs = down.ExtractMostSignificantBits(), rights = right.ExtractMostSignificantBits(), lowerRights = lowerRight.ExtractMostSignificantBits();
                    uint tops = active & ~downs, bottoms = active & downs;
                    uint word = ((tops & ~rights) | ((tops & rights) << 8) | ((bottoms & ~lowerRights) << 16) | ((bottoms & lowerRights) << 24)) << shift;
                    ref byte record = ref Unsafe.Add(ref bits, k * bytes + (w >> 1));
                    Unsafe.WriteUnaligned(ref record, h == 0 ? word : Unsafe.ReadUnaligned<uint>(ref record) | word);
                }
            }
        }

        return w;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardScalar<T>(ref T packed, ref T alphas, int count, ref T y, ref byte bits, int windows, int bytes, int from, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int w = from; w < windows; w++)
        {
            T sa = Unsafe.Add(ref packed, w), sb = Unsafe.Add(ref packed, windows + w);
            T sc = Unsafe.Add(ref packed, 2 * windows + w), sd = Unsafe.Add(ref packed, 3 * windows + w);
            T ta = Unsafe.Add(ref packed, 4 * windows + w), tb = Unsafe.Add(ref packed, 5 * windows + w);
            T tc = Unsafe.Add(ref packed, 6 * windows + w), td = Unsafe.Add(ref packed, 7 * windows + w);
            int group = 4 * (w >> 3), bit = w & 7;
            for (int k = 0; k < count; k++)
            {
                T alpha = Unsafe.Add(ref alphas, k);
                T za = (ta * alpha) + sa, zb = (tb * alpha) + sb, zc = (tc * alpha) + sc, zd = (td * alpha) + sd;
                bool right = zb > za, lowerRight = zd > zc;
                T upper = right ? zb : za, lower = lowerRight ? zd : zc;
                bool down = lower > upper;
                T max = down ? lower : upper;
                int q = down ? (lowerRight ? 3 : 2) : (right ? 1 : 0);
                if (relu && !(max > T.Zero))
                {
                    max = T.Zero;
                    q = -1;
                }

                Unsafe.Add(ref y, k * windows + w) = max;
                ref byte record = ref Unsafe.Add(ref bits, k * bytes + group);
                for (int p = 0; p < 4; p++)
                {
                    // Bit 0 of a group starts its bytes afresh (a tail's group has no vector half before it).
                    byte mask = (byte)(1 << bit);
                    byte old = bit == 0 ? (byte)0 : Unsafe.Add(ref record, p);
                    Unsafe.Add(ref record, p) = p == q ? (byte)(old | mask) : (byte)(old & ~mask);
                }
            }
        }
    }

    // ---- backward ----

    // Per group of 8 windows, every point's masked, weighted gradients summed in registers, four sums per window (one per
    // position); then the 32 sums go to their positions. Returns the first window left for the scalar tail.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int BackwardVector<T>(ref T dy, ref byte bits, ref T coefficients, int count, Span<T> destination, int windows, int bytes, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Vector256<T>.Count, halves = 8 / n, w = 0;

        // Lane j of position q in half h tests bit 8 q + h n + j of the group's four bytes read as one little-endian word.
        Vector256<T> a0 = LaneBits<T>(0), a1 = LaneBits<T>(8), a2 = LaneBits<T>(16), a3 = LaneBits<T>(24);
        Vector256<T> b0 = LaneBits<T>(n), b1 = LaneBits<T>(8 + n), b2 = LaneBits<T>(16 + n), b3 = LaneBits<T>(24 + n);
        Span<T> sums = stackalloc T[32];
        ref T sum = ref MemoryMarshal.GetReference(sums);
        ref T d = ref MemoryMarshal.GetReference(destination);
        int width = shape.Width, outWidth = shape.OutWidth, outHeight = shape.OutHeight, plane = shape.Height * width;
        int ch = 0, oh = 0, ow = 0;
        for (; w + 8 <= windows; w += 8)
        {
            for (int h = 0; h < halves; h++)
            {
                Vector256<T> m0 = h == 0 ? a0 : b0, m1 = h == 0 ? a1 : b1, m2 = h == 0 ? a2 : b2, m3 = h == 0 ? a3 : b3;
                Vector256<T> s0 = Vector256<T>.Zero, s1 = Vector256<T>.Zero, s2 = Vector256<T>.Zero, s3 = Vector256<T>.Zero;
                nuint at = (nuint)(w + h * n);
                for (int k = 0; k < count; k++)
                {
                    Vector256<T> g = Vector256.LoadUnsafe(ref dy, (nuint)(k * windows) + at) * Vector256.Create(Unsafe.Add(ref coefficients, k));
                    Vector256<T> word = Broadcast<T>(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref bits, k * bytes + (w >> 1))));
                    s0 += g & Tests(word, m0);
                    s1 += g & Tests(word, m1);
                    s2 += g & Tests(word, m2);
                    s3 += g & Tests(word, m3);
                }

                nuint lane = (nuint)(h * n);
                s0.StoreUnsafe(ref sum, lane);
                s1.StoreUnsafe(ref sum, 8 + lane);
                s2.StoreUnsafe(ref sum, 16 + lane);
                s3.StoreUnsafe(ref sum, 24 + lane);
            }

            for (int j = 0; j < 8; j++)
            {
                ref T corner = ref Unsafe.Add(ref d, ch * plane + 2 * (oh * width + ow));
                corner = Unsafe.Add(ref sum, j);
                Unsafe.Add(ref corner, 1) = Unsafe.Add(ref sum, 8 + j);
                Unsafe.Add(ref corner, width) = Unsafe.Add(ref sum, 16 + j);
                Unsafe.Add(ref corner, width + 1) = Unsafe.Add(ref sum, 24 + j);
                if (++ow == outWidth)
                {
                    ow = 0;
                    if (++oh == outHeight)
                    {
                        oh = 0;
                        ch++;
                    }
                }
            }
        }

        return w;
    }

    // Lane j holds 1 << (first + j) as an integer of T's width.
    private static Vector256<T> LaneBits<T>(int first)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            Span<int> lanes = stackalloc int[8];
            for (int j = 0; j < 8; j++)
            {
                lanes[j] = 1 << (first + j);
            }

            return Vector256.Create<int>(lanes).As<int, T>();
        }

        Span<long> wide = stackalloc long[4];
        for (int j = 0; j < 4; j++)
        {
            wide[j] = 1L << (first + j);
        }

        return Vector256.Create<long>(wide).As<long, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Broadcast<T>(uint word)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector256.Create((int)word).As<int, T>() : Vector256.Create((long)word).As<long, T>();

    // All ones in the lanes whose bit of word is set, compared as integers (a bit pattern may read as -0 or a NaN).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Tests<T>(Vector256<T> word, Vector256<T> lanes)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Vector256.Equals(word.AsInt32() & lanes.AsInt32(), lanes.AsInt32()).As<int, T>()
            : Vector256.Equals(word.AsInt64() & lanes.AsInt64(), lanes.AsInt64()).As<long, T>();

    // Writes window w's four sums to their positions in destination [C, H, W].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scatter<T>(ReadOnlySpan<T> sums, Span<T> destination, int w, Pool2DShape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outWidth = shape.OutWidth, outPlane = shape.OutHeight * outWidth;
        int ch = w / outPlane, rest = w - ch * outPlane, oh = rest / outWidth, ow = rest - oh * outWidth;
        int width = shape.Width, at = ch * shape.Height * width + 2 * oh * width + 2 * ow;
        destination[at] = sums[0];
        destination[at + 1] = sums[1];
        destination[at + width] = sums[2];
        destination[at + width + 1] = sums[3];
    }

    private static void ValidateShape(Pool2DShape shape)
    {
        shape.Validate();
        if (shape.Kernel != 2 || shape.Stride != 2)
        {
            ThrowHelper.ThrowArgument($"Expected a 2x2 window with stride 2; got a {shape.Kernel}x{shape.Kernel} window with stride {shape.Stride}.", nameof(shape));
        }
    }
}
