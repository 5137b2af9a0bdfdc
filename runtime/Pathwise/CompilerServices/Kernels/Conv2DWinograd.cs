using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// Winograd F(2x2, 3x3) (Lavin and Gray, 2016) for <see cref="Conv2DKernel"/>'s 3x3 stride-1 fast path: it writes the
/// same "wide" rows as the wide GEMM (see <see cref="IWideSink{T}"/>), so every sink and padded source works unchanged.
/// </summary>
/// <remarks>
/// Output tile <c>(ty, tx)</c>, outputs <c>[2ty, 2ty + 2) x [2tx, 2tx + 2)</c>, is
/// <c>Y = A^T [sum_c (G g_c G^T) . (B^T d_c B)] A</c> over the 4x4 input tile <c>d_c</c> at rows <c>[2ty, 2ty + 4)</c>,
/// columns <c>[2tx, 2tx + 4)</c> of channel <c>c</c>'s zero-padded plane (<c>.</c> elementwise), with
/// <c>B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]</c>, <c>G = [[1, 0, 0], [1/2, 1/2, 1/2],
/// [1/2, -1/2, 1/2], [0, 0, 1]]</c>, <c>A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]</c>: 16 multiply-adds per channel pair and
/// tile instead of 36, and only 0, +-1, +-1/2 as coefficients (an error of a few ulps of the terms' magnitudes).
/// <para>
/// Layout. A tile takes two adjacent lanes, so a tile row is <c>2 * tilesX</c> lanes and an image's tile rows follow one
/// another. The 16 transformed positions <c>(i, j)</c> sit in 8 planes, two per lane pair: plane <c>(i, 0)</c> holds
/// <c>j = 0</c> in the even lane and <c>j = 3</c> in the odd one, plane <c>(i, 1)</c> holds <c>j = 1</c> and <c>j = 2</c>.
/// The horizontal half of <c>B^T d B</c> is then a few vector operations on columns <c>p, p + 1, p + 2</c> of a padded
/// row (no transposes): <c>a[p] = d[p] - d[p + 2]</c> and <c>b[p] = d[p + 1] + (p even ? d[p + 2] : -d[p])</c>. The
/// 8 GEMMs <c>M[plane][o, lane] = sum_c U[plane][c, o, lane parity] * V[plane][c, lane]</c> (4 channels x 3 vectors per
/// micro-kernel, plane by plane so that its V stays in L1 over every block of channels) read each weight pair as 16
/// bytes broadcast to the vector (a load; a 64-bit broadcast takes a shuffle port the FMAs need); the odd lanes' weights
/// are negated, so that <c>A</c>'s horizontal half is <c>addsub(a + b, swap(b))</c>, written straight into the wide row
/// as columns <c>2tx, 2tx + 1</c>. The bias enters as <c>M[1, 1]</c>'s initial value (<c>A^T e_11 A</c> is all ones).
/// The weights are transformed on every call (they may change between calls) into pooled scratch.
/// </para>
/// <para>
/// Cost. The GEMMs do 16 C O multiply-adds per tile where the wide GEMM does 36 C O per 4 outputs, but they sum over only
/// C channels between stores of M, and the transforms move C + O planes through L2 per image; so Winograd runs only where
/// C * O &gt;= 128 (<see cref="Use{T}"/>; measured on AVX2: the Fashion CNN's 8 -> 16 convolution about 1.2x faster
/// each way, 16 -> 16 1.4x, 32 -> 32 1.8x, its 1 -> 8 convolution 2x slower).
/// </para>
/// <para>
/// Odd output sizes take a partial last tile: the padded planes have an extra zero row and column and the tile's
/// outputs past the edge land in the wide rows' garbage rows and columns. Vectors that run past a tile row's end write
/// garbage lanes into the next tile row's first lanes; the transforms write those later (the input transform runs its
/// column blocks from the last to the first), and the output transform writes whole rows of <c>RowSpan</c> columns.
/// </para>
/// <para>
/// Non-finite values: a NaN reaches the same outputs as in the direct sum; an infinite input can give NaN where the
/// direct sum gives an infinity, because the input transform subtracts neighbouring values (<c>inf - inf</c>).
/// </para>
/// </remarks>
internal static class Conv2DWinograd
{
    private const int Planes = 8;           // 16 transformed positions, two per lane pair
    private const int BiasPlane = 3;        // plane (1, 1): position (1, 1) in its even lanes
    private const int GemmRows = 4;         // output channels per micro-kernel
    private const int GemmVectors = 3;      // vectors of lanes per micro-kernel
    private const int MaxScratch = 1 << 24;

    // C * O from which Winograd measured faster than the wide GEMM (AVX2, float, 16 images; per-call microseconds
    // Winograd / wide GEMM, forward): 1 -> 8 at 28x28 97 / 49, 4 -> 8 39 / 37, 8 -> 8 58 / 59, 8 -> 8 at 28x28
    // 208 / 197, 16 -> 4 61 / 66; 8 -> 16 90 / 108, 16 -> 16 147 / 210, 32 -> 32 471 / 855, 16 -> 16 at 28x28
    // 564 / 715 (14x14 unless said). Its GEMM sums over only C channels per store of M, and its transforms cost
    // C + O per tile, so few channels do not pay.
    private const int MinChannelProduct = 128;

    /// <summary>
    /// The one place that decides, for a shape on the stride-1 wide path (<see cref="Conv2DKernel.UseWide{T}"/> holds),
    /// whether it runs by Winograd: where it can (<see cref="Supports{T}"/>) and pays, <c>C * O &gt;= 128</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Use<T>(Conv2DShape shape, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Supports<T>(shape, backward) && (long)shape.InChannels * shape.OutChannels >= MinChannelProduct;

    /// <summary>
    /// True when Winograd can compute this shape on the stride-1 wide path: a 3x3 kernel, an output (for the backward
    /// pass, the input gradient) of at least 2x2, float or double, and AVX for the transforms.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Supports<T>(Conv2DShape shape, bool backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Avx.IsSupported || !VectorMath.CanVectorize<T>() || (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            || shape.KernelHeight != 3)
        {
            return false;
        }

        int height = backward ? shape.Height : shape.OutHeight, width = backward ? shape.Width : shape.OutWidth;
        return height >= 2 && width >= 2;
    }

    private readonly struct Geometry
    {
        public readonly int InChannels, OutChannels, RowsPadded;
        public readonly int TileRows;     // ceil(OH / 2)
        public readonly int RowLanes;     // 2 ceil(OW / 2): lanes of one tile row
        public readonly int RowSpan;      // RowLanes rounded up to whole transform vectors: the wide rows' stride
        public readonly int PaddedWidth;  // RowSpan + 2 columns: every load of the input transform stays in its row
        public readonly int PlaneStride;  // (2 TileRows + 2) rows
        public readonly int Columns;      // GEMM lanes: TileRows * RowLanes rounded up to whole GEMM vectors
        public readonly int SlotLength;   // lanes per V and M row: the GEMM's lanes and the last tile row's vectors' reach
        public readonly int WideLength;   // 2 TileRows rows of RowSpan
        public readonly int GemmLanes;    // lanes of the GEMM's vectors
        public readonly int Quad;         // elements in 16 bytes: a weight pair twice (float) or once (double)

        public Geometry(int inChannels, int outChannels, int outHeight, int outWidth, int lanes, int gemmLanes, int quad)
        {
            InChannels = inChannels;
            OutChannels = outChannels;
            RowsPadded = (outChannels + GemmRows - 1) / GemmRows * GemmRows;
            TileRows = (outHeight + 1) / 2;
            RowLanes = 2 * ((outWidth + 1) / 2);
            RowSpan = (RowLanes + lanes - 1) / lanes * lanes;
            PaddedWidth = RowSpan + 2;
            PlaneStride = (2 * TileRows + 2) * PaddedWidth;
            Columns = (TileRows * RowLanes + gemmLanes - 1) / gemmLanes * gemmLanes;
            // The last tile row's vectors reach RowSpan lanes past its start.
            int reach = Math.Max(Columns, (TileRows - 1) * RowLanes + RowSpan);
            SlotLength = (reach + gemmLanes - 1) / gemmLanes * gemmLanes;
            WideLength = 2 * TileRows * RowSpan;
            GemmLanes = gemmLanes;
            Quad = quad;
        }

        public long SourceLength => (long)InChannels * PlaneStride;

        public long VLength => (long)Planes * InChannels * SlotLength;

        public long ULength => (long)Planes * InChannels * RowsPadded * Quad;

        public long MLength => (long)Planes * RowsPadded * SlotLength;

        public long WideTotal => (long)OutChannels * WideLength;

        // source, V, U, bias, zeros, M, wide
        public long Total => SourceLength + VLength + ULength + 2L * RowsPadded * GemmLanes + MLength + WideTotal;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int GemmLanes<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported ? Vector512<T>.Count : Vector256<T>.Count;

    // Scratch views; all but wide cleared (the planes' borders and the lanes no transform writes stay zero).
    private ref struct Buffers<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Span<T> Source, V, U, Bias, Zeros, M, Wide;

        public Buffers(T[] scratch, in Geometry g)
        {
            Span<T> all = scratch.AsSpan(0, (int)g.Total);
            int at = 0;
            Source = all.Slice(at, (int)g.SourceLength);
            at += Source.Length;
            V = all.Slice(at, (int)g.VLength);
            at += V.Length;
            U = all.Slice(at, (int)g.ULength);
            at += U.Length;
            Bias = all.Slice(at, g.RowsPadded * g.GemmLanes);
            at += Bias.Length;
            Zeros = all.Slice(at, g.RowsPadded * g.GemmLanes);
            at += Zeros.Length;
            M = all.Slice(at, (int)g.MLength);
            at += M.Length;
            Wide = all.Slice(at, (int)g.WideTotal);
            // M too: its lanes past the GEMM's are read as garbage columns, and must be finite.
            all.Slice(0, at).Clear();
        }
    }

    /// <summary>The forward pass of <see cref="Conv2DKernel.ForwardWide{T, TSink}"/> by Winograd; false (nothing written) when the scratch would be too large.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Forward<T, TSink>(ref T xRef, ref T wRef, ReadOnlySpan<T> bias, int count, Conv2DShape shape, scoped ref TSink sink)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSink : IWideSink<T>, allows ref struct
    {
        int p = shape.PaddingHeight, height = shape.Height, width = shape.Width, channels = shape.InChannels;
        var g = new Geometry(channels, shape.OutChannels, shape.OutHeight, shape.OutWidth, Vector256<T>.Count, GemmLanes<T>(), Vector128<T>.Count);
        if (g.Total > MaxScratch)
        {
            return false;
        }

        // Pooled scratch: no allocation in steady state, whichever thread calls.
        T[] scratch = KernelScratch<T>.Rent((int)g.Total);
        var b = new Buffers<T>(scratch, g);
        for (int o = 0; o < bias.Length; o++)
        {
            for (int lane = 0; lane < g.GemmLanes; lane += 2)
            {
                b.Bias[o * g.GemmLanes + lane] = bias[o];
            }
        }

        // U from weight[o, c, kh, kw]: GEMM row o, channel c.
        TransformWeights(ref wRef, b.U, g, flip: false);

        int plane = height * width;
        ref T interior = ref Unsafe.Add(ref MemoryMarshal.GetReference(b.Source), p * g.PaddedWidth + p);
        for (int n = 0; n < count; n++)
        {
            VectorMath.CopyPlanes(ref Unsafe.Add(ref xRef, n * channels * plane), plane, width, ref interior, g.PlaneStride, g.PaddedWidth, channels, height, width);
            Image(b, g);
            sink.Image(n, ref MemoryMarshal.GetReference(b.Wide), g.WideLength, g.RowSpan);
        }

        KernelScratch<T>.Return(scratch);
        return true;
    }

    /// <summary>The input gradient of <see cref="Conv2DKernel.BackwardWide{T, TSource}"/> by Winograd; false (nothing written) when the scratch would be too large.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Backward<T, TSource>(ref T wRef, ref T dxRef, int count, Conv2DShape shape, scoped ref TSource padded)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSource : IWidePaddedSource<T>, allows ref struct
    {
        int q = 2 - shape.PaddingHeight, height = shape.Height, width = shape.Width;
        int inChannels = shape.OutChannels, outChannels = shape.InChannels; // roles swap: dy is the source
        var g = new Geometry(inChannels, outChannels, height, width, Vector256<T>.Count, GemmLanes<T>(), Vector128<T>.Count);
        if (g.Total > MaxScratch)
        {
            return false;
        }

        T[] scratch = KernelScratch<T>.Rent((int)g.Total);
        var b = new Buffers<T>(scratch, g);

        // U from the flipped, transposed weight: GEMM row c, channel o, tap (a, b) = weight[o, c, 2 - a, 2 - b].
        TransformWeights(ref wRef, b.U, g, flip: true);

        int plane = height * width;
        for (int n = 0; n < count; n++)
        {
            padded.Image(n, ref MemoryMarshal.GetReference(b.Source), g.PlaneStride, g.PaddedWidth, q);
            Image(b, g);
            VectorMath.CopyPlanes(ref MemoryMarshal.GetReference(b.Wide), g.WideLength, g.RowSpan, ref Unsafe.Add(ref dxRef, n * outChannels * plane), plane, width, outChannels, height, width);
        }

        KernelScratch<T>.Return(scratch);
        return true;
    }

    // One image: the padded planes in b.Source to the wide rows in b.Wide.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Image<T>(in Buffers<T> b, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T v = ref MemoryMarshal.GetReference(b.V);
        ref T m = ref MemoryMarshal.GetReference(b.M);
        ref T bias = ref MemoryMarshal.GetReference(b.Bias);
        ref T zeros = ref MemoryMarshal.GetReference(b.Zeros);
        InputTransform(ref MemoryMarshal.GetReference(b.Source), ref v, g);
        fixed (T* u = b.U)
        {
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
            {
                Gemm<T, Vector512<T>, Simd512<T>>(ref v, u, ref bias, ref zeros, ref m, g);
            }
            else
            {
                Gemm<T, Vector256<T>, Simd256<T>>(ref v, u, ref bias, ref zeros, ref m, g);
            }
        }

        OutputTransform(ref m, ref MemoryMarshal.GetReference(b.Wide), g);
    }

    // U[plane (i, h)][c, r, 16 bytes] = h == 0 ? (u[i, 0], -u[i, 3]) : (u[i, 1], -u[i, 2]) in (even, odd) lanes, with
    // u = G k G^T, k the 3x3 kernel of GEMM row r and channel c: weight[r, c] forward, weight[c, r] turned by 180
    // degrees when flipped. 16 bytes each, the GEMM's 128-bit broadcast (a load; a 64-bit broadcast would take a
    // shuffle port the FMAs need).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformWeights<T>(ref T weight, Span<T> packed, in Geometry g, bool flip)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateTruncating(0.5);
        int lanes = g.Quad, planeStride = g.InChannels * g.RowsPadded * lanes;
        ref T u = ref MemoryMarshal.GetReference(packed);
        Span<T> gk = stackalloc T[12]; // G k, 4x3
        for (int r = 0; r < g.OutChannels; r++)
        {
            for (int c = 0; c < g.InChannels; c++)
            {
                // k[a, b] = kernel tap (a, b); the flipped kernel reads weight[c, r] backwards.
                ref T k = ref Unsafe.Add(ref weight, flip ? (c * g.OutChannels + r) * 9 : (r * g.InChannels + c) * 9);
                int at = (c * g.RowsPadded + r) * lanes;
                for (int j = 0; j < 3; j++)
                {
                    T k0 = Tap(ref k, j, flip), k1 = Tap(ref k, 3 + j, flip), k2 = Tap(ref k, 6 + j, flip);
                    gk[j] = k0;
                    gk[3 + j] = (k0 + k1 + k2) * half;
                    gk[6 + j] = (k0 - k1 + k2) * half;
                    gk[9 + j] = k2;
                }

                for (int i = 0; i < 4; i++)
                {
                    // Row i of G k G^T: (a, (a + m + z) / 2, (a - m + z) / 2, z).
                    T a = gk[3 * i], m = gk[3 * i + 1], z = gk[3 * i + 2];
                    T u0 = a, u1 = (a + m + z) * half, u2 = (a - m + z) * half, u3 = z;
                    ref T outer = ref Unsafe.Add(ref u, (2 * i * planeStride) + at);
                    ref T inner = ref Unsafe.Add(ref u, ((2 * i + 1) * planeStride) + at);
                    for (int lane = 0; lane < lanes; lane += 2)
                    {
                        Unsafe.Add(ref outer, lane) = u0;
                        Unsafe.Add(ref outer, lane + 1) = -u3;
                        Unsafe.Add(ref inner, lane) = u1;
                        Unsafe.Add(ref inner, lane + 1) = -u2;
                    }
                }
            }
        }
    }

    // Tap t = 3a + b of a kernel, or of the kernel turned by 180 degrees.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Tap<T>(ref T kernel, int t, bool flip) => Unsafe.Add(ref kernel, flip ? 8 - t : t);

    // V[plane (i, h)][c, ty * RowLanes + p] = (B^T d B)[i, j] of tile (ty, p / 2), j as the plane's lane parity says.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputTransform<T>(ref T source, ref T v, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector256<T>.Count;
        nuint plane = (nuint)(g.InChannels * g.SlotLength);
        nuint below = (nuint)g.PaddedWidth;
        Vector256<T> oddSign = BlendOdd(Vector256<T>.Zero, Vector256.Create(T.NegativeZero));
        int lastBlock = (g.RowLanes - 1) / lanes * lanes;
        for (int c = 0; c < g.InChannels; c++)
        {
            ref T sPlane = ref Unsafe.Add(ref source, c * g.PlaneStride);
            ref T vRow = ref Unsafe.Add(ref v, c * g.SlotLength);

            // Column blocks from the last: a block's lanes past the tile row land in the next tile row's first block.
            for (int p0 = lastBlock; p0 >= 0; p0 -= lanes)
            {
                ref T column = ref Unsafe.Add(ref sPlane, p0);
                Horizontal(ref column, oddSign, out Vector256<T> a0, out Vector256<T> b0);
                Horizontal(ref Unsafe.Add(ref column, below), oddSign, out Vector256<T> a1, out Vector256<T> b1);
                ref T destination = ref Unsafe.Add(ref vRow, p0);
                for (int ty = 0; ty < g.TileRows; ty++)
                {
                    ref T next = ref Unsafe.Add(ref column, (nuint)(2 * ty + 2) * below);
                    Horizontal(ref next, oddSign, out Vector256<T> a2, out Vector256<T> b2);
                    Horizontal(ref Unsafe.Add(ref next, below), oddSign, out Vector256<T> a3, out Vector256<T> b3);

                    // B^T over the rows: (r0 - r2, r1 + r2, r2 - r1, r1 - r3).
                    (a0 - a2).StoreUnsafe(ref destination);
                    (b0 - b2).StoreUnsafe(ref destination, plane);
                    (a1 + a2).StoreUnsafe(ref destination, 2 * plane);
                    (b1 + b2).StoreUnsafe(ref destination, 3 * plane);
                    (a2 - a1).StoreUnsafe(ref destination, 4 * plane);
                    (b2 - b1).StoreUnsafe(ref destination, 5 * plane);
                    (a1 - a3).StoreUnsafe(ref destination, 6 * plane);
                    (b1 - b3).StoreUnsafe(ref destination, 7 * plane);
                    a0 = a2;
                    b0 = b2;
                    a1 = a3;
                    b1 = b3;
                    destination = ref Unsafe.Add(ref destination, g.RowLanes);
                }
            }
        }
    }

    // B^T over a row's columns, tiles in lane pairs: a = (d0 - d2, d1 - d3), b = (d1 + d2, d2 - d1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Horizontal<T>(ref T row, Vector256<T> oddSign, out Vector256<T> a, out Vector256<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> l0 = Vector256.LoadUnsafe(ref row);
        Vector256<T> l1 = Vector256.LoadUnsafe(ref row, 1);
        Vector256<T> l2 = Vector256.LoadUnsafe(ref row, 2);
        a = l0 - l2;
        b = l1 + (BlendOdd(l2, l0) ^ oddSign);
    }

    // wide[o, 2ty + r, p] for the tile row ty: A^T over the planes' rows, then addsub(a + b, swap(b)) over the lane pairs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputTransform<T>(ref T m, ref T wide, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector256<T>.Count;
        nuint plane = (nuint)(g.RowsPadded * g.SlotLength), span = (nuint)g.RowSpan;
        for (int o = 0; o < g.OutChannels; o++)
        {
            ref T mRow = ref Unsafe.Add(ref m, o * g.SlotLength);
            ref T wPlane = ref Unsafe.Add(ref wide, o * g.WideLength);
            for (int ty = 0; ty < g.TileRows; ty++)
            {
                ref T mTile = ref Unsafe.Add(ref mRow, ty * g.RowLanes);
                ref T top = ref Unsafe.Add(ref wPlane, 2 * ty * g.RowSpan);
                for (int p0 = 0; p0 < g.RowLanes; p0 += lanes)
                {
                    ref T at = ref Unsafe.Add(ref mTile, p0);
                    Vector256<T> a0 = Vector256.LoadUnsafe(ref at), b0 = Vector256.LoadUnsafe(ref at, plane);
                    Vector256<T> a1 = Vector256.LoadUnsafe(ref at, 2 * plane), b1 = Vector256.LoadUnsafe(ref at, 3 * plane);
                    Vector256<T> a2 = Vector256.LoadUnsafe(ref at, 4 * plane), b2 = Vector256.LoadUnsafe(ref at, 5 * plane);
                    Vector256<T> a3 = Vector256.LoadUnsafe(ref at, 6 * plane), b3 = Vector256.LoadUnsafe(ref at, 7 * plane);
                    Vector256<T> aTop = a0 + a1 + a2, bTop = b0 + b1 + b2;
                    Vector256<T> aBottom = a1 - a2 - a3, bBottom = b1 - b2 - b3;
                    AddSubtract(aTop + bTop, SwapPairs(bTop)).StoreUnsafe(ref top, (nuint)p0);
                    AddSubtract(aBottom + bBottom, SwapPairs(bBottom)).StoreUnsafe(ref top, span + (nuint)p0);
                }
            }
        }
    }

    // M[plane][r, p] = bias[r] (plane BiasPlane, even lanes) + sum_c U[plane][c, r, p] * V[plane][c, p] for p < Columns,
    // plane by plane, so that its V and U stay in L1 over every block of rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Gemm<T, TVector, TOps>(ref T v, T* u, ref T bias, ref T zeros, ref T m, in Geometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        int block = GemmVectors * TOps.Count, channels = g.InChannels, slots = g.SlotLength;
        int vPlane = channels * slots, uPlane = channels * g.RowsPadded * g.Quad, uStride = g.RowsPadded * g.Quad;

        // Blocks of 3 vectors; a remainder of 1 takes the last 3 with it as 2 + 2 (a 4x1 kernel is load-bound).
        int vectors = g.Columns / TOps.Count, triples = vectors % 3 == 1 && vectors >= 4 ? (vectors / 3) - 1 : vectors / 3;
        for (int plane = 0; plane < Planes; plane++)
        {
            ref T vp = ref Unsafe.Add(ref v, plane * vPlane);
            for (int r0 = 0; r0 < g.RowsPadded; r0 += GemmRows)
            {
                T* up = u + (plane * uPlane) + (r0 * g.Quad);
                ref T mp = ref Unsafe.Add(ref m, ((plane * g.RowsPadded) + r0) * slots);
                ref T bp = ref Unsafe.Add(ref plane == BiasPlane ? ref bias : ref zeros, r0 * TOps.Count);
                int p0 = 0;
                for (int t = 0; t < triples; t++, p0 += block)
                {
                    Kernel4x3<T, TVector, TOps>(ref Unsafe.Add(ref vp, p0), up, ref bp, ref Unsafe.Add(ref mp, p0), channels, slots, uStride);
                }

                for (; p0 + (2 * TOps.Count) <= g.Columns; p0 += 2 * TOps.Count)
                {
                    Kernel4x2<T, TVector, TOps>(ref Unsafe.Add(ref vp, p0), up, ref bp, ref Unsafe.Add(ref mp, p0), channels, slots, uStride);
                }

                if (p0 < g.Columns)
                {
                    Kernel4x1<T, TVector, TOps>(ref Unsafe.Add(ref vp, p0), up, ref bp, ref Unsafe.Add(ref mp, p0), channels, slots, uStride);
                }
            }
        }
    }

    // m[r, 0 .. 3 vectors) = bias[r] + sum_c broadcast128(u[c, r]) * v[c, 0 .. 3 vectors) for r < 4; rows and
    // channels are slots apart, u's channels uStride apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel4x3<T, TVector, TOps>(ref T v, T* u, ref T bias, ref T m, int channels, int slots, int uStride)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nuint v1 = (nuint)TOps.Count, v2 = 2 * v1, v3 = 3 * v1;
        TVector w = TOps.Load(ref bias, 0);
        TVector a00 = w, a01 = w, a02 = w;
        w = TOps.Load(ref bias, v1);
        TVector a10 = w, a11 = w, a12 = w;
        w = TOps.Load(ref bias, v2);
        TVector a20 = w, a21 = w, a22 = w;
        w = TOps.Load(ref bias, v3);
        TVector a30 = w, a31 = w, a32 = w;

        int quad = Vector128<T>.Count;
        ref T s = ref v;
        T* wp = u;
        for (int c = 0; c < channels; c++)
        {
            TVector s0 = TOps.Load(ref s, 0);
            TVector s1 = TOps.Load(ref s, v1);
            TVector s2 = TOps.Load(ref s, v2);

            w = Broadcast128<T, TVector>(wp);
            a00 = TOps.MultiplyAdd(w, s0, a00);
            a01 = TOps.MultiplyAdd(w, s1, a01);
            a02 = TOps.MultiplyAdd(w, s2, a02);
            w = Broadcast128<T, TVector>(wp + quad);
            a10 = TOps.MultiplyAdd(w, s0, a10);
            a11 = TOps.MultiplyAdd(w, s1, a11);
            a12 = TOps.MultiplyAdd(w, s2, a12);
            w = Broadcast128<T, TVector>(wp + (2 * quad));
            a20 = TOps.MultiplyAdd(w, s0, a20);
            a21 = TOps.MultiplyAdd(w, s1, a21);
            a22 = TOps.MultiplyAdd(w, s2, a22);
            w = Broadcast128<T, TVector>(wp + (3 * quad));
            a30 = TOps.MultiplyAdd(w, s0, a30);
            a31 = TOps.MultiplyAdd(w, s1, a31);
            a32 = TOps.MultiplyAdd(w, s2, a32);
            wp += uStride;
            s = ref Unsafe.Add(ref s, slots);
        }

        nuint row = (nuint)slots;
        TOps.Store(a00, ref m, 0);
        TOps.Store(a01, ref m, v1);
        TOps.Store(a02, ref m, v2);
        TOps.Store(a10, ref m, row);
        TOps.Store(a11, ref m, row + v1);
        TOps.Store(a12, ref m, row + v2);
        TOps.Store(a20, ref m, 2 * row);
        TOps.Store(a21, ref m, 2 * row + v1);
        TOps.Store(a22, ref m, 2 * row + v2);
        TOps.Store(a30, ref m, 3 * row);
        TOps.Store(a31, ref m, 3 * row + v1);
        TOps.Store(a32, ref m, 3 * row + v2);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel4x2<T, TVector, TOps>(ref T v, T* u, ref T bias, ref T m, int channels, int slots, int uStride)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nuint v1 = (nuint)TOps.Count;
        TVector w = TOps.Load(ref bias, 0);
        TVector a00 = w, a01 = w;
        w = TOps.Load(ref bias, v1);
        TVector a10 = w, a11 = w;
        w = TOps.Load(ref bias, 2 * v1);
        TVector a20 = w, a21 = w;
        w = TOps.Load(ref bias, 3 * v1);
        TVector a30 = w, a31 = w;
        int quad = Vector128<T>.Count;
        ref T s = ref v;
        T* wp = u;
        for (int c = 0; c < channels; c++)
        {
            TVector s0 = TOps.Load(ref s, 0);
            TVector s1 = TOps.Load(ref s, v1);
            w = Broadcast128<T, TVector>(wp);
            a00 = TOps.MultiplyAdd(w, s0, a00);
            a01 = TOps.MultiplyAdd(w, s1, a01);
            w = Broadcast128<T, TVector>(wp + quad);
            a10 = TOps.MultiplyAdd(w, s0, a10);
            a11 = TOps.MultiplyAdd(w, s1, a11);
            w = Broadcast128<T, TVector>(wp + (2 * quad));
            a20 = TOps.MultiplyAdd(w, s0, a20);
            a21 = TOps.MultiplyAdd(w, s1, a21);
            w = Broadcast128<T, TVector>(wp + (3 * quad));
            a30 = TOps.MultiplyAdd(w, s0, a30);
            a31 = TOps.MultiplyAdd(w, s1, a31);
            wp += uStride;
            s = ref Unsafe.Add(ref s, slots);
        }

        nuint row = (nuint)slots;
        TOps.Store(a00, ref m, 0);
        TOps.Store(a01, ref m, v1);
        TOps.Store(a10, ref m, row);
        TOps.Store(a11, ref m, row + v1);
        TOps.Store(a20, ref m, 2 * row);
        TOps.Store(a21, ref m, 2 * row + v1);
        TOps.Store(a30, ref m, 3 * row);
        TOps.Store(a31, ref m, 3 * row + v1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel4x1<T, TVector, TOps>(ref T v, T* u, ref T bias, ref T m, int channels, int slots, int uStride)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TOps : struct, ISimdOps<T, TVector>
    {
        nuint v1 = (nuint)TOps.Count;
        TVector a0 = TOps.Load(ref bias, 0);
        TVector a1 = TOps.Load(ref bias, v1);
        TVector a2 = TOps.Load(ref bias, 2 * v1);
        TVector a3 = TOps.Load(ref bias, 3 * v1);
        int quad = Vector128<T>.Count;
        ref T s = ref v;
        T* wp = u;
        for (int c = 0; c < channels; c++)
        {
            TVector s0 = TOps.Load(ref s, 0);
            a0 = TOps.MultiplyAdd(Broadcast128<T, TVector>(wp), s0, a0);
            a1 = TOps.MultiplyAdd(Broadcast128<T, TVector>(wp + quad), s0, a1);
            a2 = TOps.MultiplyAdd(Broadcast128<T, TVector>(wp + (2 * quad)), s0, a2);
            a3 = TOps.MultiplyAdd(Broadcast128<T, TVector>(wp + (3 * quad)), s0, a3);
            wp += uStride;
            s = ref Unsafe.Add(ref s, slots);
        }

        nuint row = (nuint)slots;
        TOps.Store(a0, ref m, 0);
        TOps.Store(a1, ref m, row);
        TOps.Store(a2, ref m, 2 * row);
        TOps.Store(a3, ref m, 3 * row);
    }

    // The 16 bytes at source repeated across the vector: one load (vbroadcastf128 and the like); source must be pinned.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TVector Broadcast128<T, TVector>(T* source)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
    {
        if (typeof(TVector) == typeof(Vector256<T>))
        {
            Vector256<T> value = typeof(T) == typeof(float)
                ? Avx.BroadcastVector128ToVector256((float*)source).As<float, T>()
                : Avx.BroadcastVector128ToVector256((double*)source).As<double, T>();
            return Unsafe.BitCast<Vector256<T>, TVector>(value);
        }

        Vector128<T> quad = Vector128.Load(source);
        Vector256<T> half = Vector256.Create(quad, quad);
        return Unsafe.BitCast<Vector512<T>, TVector>(Vector512.Create(half, half));
    }

    // Even lanes from even, odd lanes from odd.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> BlendOdd<T>(Vector256<T> even, Vector256<T> odd)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Avx.Blend(even.AsSingle(), odd.AsSingle(), 0b1010_1010).As<float, T>()
            : Avx.Blend(even.AsDouble(), odd.AsDouble(), 0b1010).As<double, T>();

    // Each lane pair swapped: (x1, x0, x3, x2, ...).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> SwapPairs<T>(Vector256<T> value)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Avx.Permute(value.AsSingle(), 0b1011_0001).As<float, T>()
            : Avx.Permute(value.AsDouble(), 0b0101).As<double, T>();

    // Even lanes a - b, odd lanes a + b.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> AddSubtract<T>(Vector256<T> a, Vector256<T> b)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Avx.AddSubtract(a.AsSingle(), b.AsSingle()).As<float, T>()
            : Avx.AddSubtract(a.AsDouble(), b.AsDouble()).As<double, T>();
}
