using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>
/// The fused convolution + ReLU + 2x2/2 max pool against a brute-force float64 reference, against the three kernels
/// composed, and its backward pass against central finite differences; ties (first maximum wins), all-negative
/// windows, odd output sizes, NaN, and the shapes it refuses.
/// </summary>
public sealed class Conv2DReLUMaxPoolKernelTests
{
    /// <summary>Shapes on the stride-1 fast path (C, H, W, O, K, P), odd outputs and widths past one vector included.</summary>
    public static TheoryData<int, int, int, int, int, int> FastShapes => new()
    {
        { 1, 28, 28, 8, 3, 1 },  // the quick-start network's first convolution
        { 8, 14, 14, 16, 3, 1 }, // and its second
        { 2, 7, 9, 3, 3, 1 },    // odd output height and width: the last row and column go unpooled
        { 3, 6, 5, 5, 3, 0 },    // no padding, 4x3 output
        { 2, 9, 10, 3, 5, 2 },   // 5x5 kernel
        { 3, 5, 5, 6, 3, 2 },    // padding K - 1: 7x7 output
        { 1, 4, 4, 1, 1, 0 },    // 1x1 kernel
        { 2, 40, 37, 4, 3, 1 },  // pooled rows of 18: full vectors and an overlapping last one
        { 5, 2, 3, 2, 1, 0 },    // the smallest pool: one window
    };

    /// <summary>Shapes off the fast path, where the kernel runs the three kernels one after the other.</summary>
    public static TheoryData<Conv2DShape> OtherShapes => new()
    {
        new(2, 12, 12, 3, 3, 1, 2),                      // stride 2
        new(1, 6, 6, 2, 3, 3, 1),                        // padding > K - 1 (forward fast, backward not)
        new(2, 9, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1),     // dilation 2
        new(4, 7, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2),      // two groups
        new(2, 7, 9, 3, 3, 2, 1, 1, 1, 0, 1, 1, 1),      // rectangular kernel
    };

    // ---- brute-force float64 reference (the convolution's own: Conv2DKernelTests.Reference, ReferenceBackward) ----

    // Index in the plane of the window's first maximum in row-major order (strictly greater replaces).
    private static int ArgMax(double[] y, int plane, int width, int ph, int pw)
    {
        int best = plane + 2 * ph * width + 2 * pw;
        for (int a = 0; a < 2; a++)
        {
            for (int b = 0; b < 2; b++)
            {
                int i = plane + (2 * ph + a) * width + 2 * pw + b;
                if (y[i] > y[best])
                {
                    best = i;
                }
            }
        }

        return best;
    }

    private sealed record Reference(double[] Z, double[] Y, double[] Pooled, double[] Dy, double[] Dz, double[] Dx);

    private static Reference Brute(double[] x, double[] w, double[] b, double[] dPooled, int count, Conv2DShape s)
    {
        double[] z = Conv2DKernelTests.Reference(x, w, b, count, s);
        double[] y = Array.ConvertAll(z, v => Math.Max(v, 0));
        int oh = s.OutHeight, ow = s.OutWidth, ph = oh / 2, pw = ow / 2;
        var pooled = new double[count * s.OutChannels * ph * pw];
        var dy = new double[z.Length];
        for (int p = 0; p < count * s.OutChannels; p++)
        {
            for (int i = 0; i < ph; i++)
            {
                for (int j = 0; j < pw; j++)
                {
                    int arg = ArgMax(y, p * oh * ow, ow, i, j);
                    pooled[(p * ph + i) * pw + j] = y[arg];
                    dy[arg] += dPooled[(p * ph + i) * pw + j];
                }
            }
        }

        double[] dz = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            dz[i] = z[i] > 0 ? dy[i] : 0;
        }

        return new Reference(z, y, pooled, dy, dz, Conv2DKernelTests.ReferenceBackward(dz, w, count, s));
    }

    private sealed record Result<T>(T[] Z, T[] Y, T[] Pooled, T[] Dy, T[] Dz, T[] Dx);

    private static int PooledLength(Conv2DShape s, int count) => count * s.OutChannels * (s.OutHeight / 2) * (s.OutWidth / 2);

    private static Result<T> Fused<T>(T[] x, T[] w, T[] b, T[] dPooled, int count, Conv2DShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outputs = count * s.OutputLength;
        T[] z = TestData.Filled(outputs, T.NaN), y = TestData.Filled(outputs, T.NaN), pooled = TestData.Filled(PooledLength(s, count), T.NaN);
        Conv2DReLUMaxPoolKernel.Forward<T>(x, w, b, z, y, pooled, count, s);
        T[] dy = TestData.Filled(outputs, T.NaN), dz = TestData.Filled(outputs, T.NaN), dx = TestData.Filled(count * s.InputLength, T.NaN);
        Conv2DReLUMaxPoolKernel.Backward<T>(z, y, dPooled, w, dy, dz, dx, count, s);
        return new Result<T>(z, y, pooled, dy, dz, dx);
    }

    private static Result<T> Composed<T>(T[] x, T[] w, T[] b, T[] dPooled, int count, Conv2DShape s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outputs = count * s.OutputLength;
        var pool = new Pool2DShape(s.OutChannels, s.OutHeight, s.OutWidth, 2, 2);
        T[] z = new T[outputs], y = new T[outputs], pooled = new T[PooledLength(s, count)];
        Conv2DKernel.Forward<T>(x, w, b, z, count, s);
        ActivationKernel.ReLU<T>(z, y);
        Pool2DKernel.MaxForward<T>(y, pooled, count, pool);
        T[] dy = new T[outputs], dz = new T[outputs], dx = new T[count * s.InputLength];
        Pool2DKernel.MaxBackward<T>(y, dPooled, dy, count, pool);
        ActivationKernel.ReLUBackward<T>(z, dy, dz);
        Conv2DKernel.BackwardInput<T>(dz, w, dx, count, s);
        return new Result<T>(z, y, pooled, dy, dz, dx);
    }

    private static void CheckAgainstBrute<T>(Conv2DShape s, int count, bool bias, int seed, bool integers = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(seed);
        // Integer data makes the convolution exact in either type, so ties between windows' elements are exact too.
        T[] x = integers ? Integers<T>(rng, count * s.InputLength) : TestData.Uniform<T>(rng, count * s.InputLength);
        T[] w = integers ? Integers<T>(rng, s.WeightLength) : TestData.Uniform<T>(rng, s.WeightLength);
        T[] b = !bias ? [] : integers ? Integers<T>(rng, s.OutChannels) : TestData.Uniform<T>(rng, s.OutChannels);
        T[] dPooled = TestData.Uniform<T>(rng, PooledLength(s, count));
        Result<T> got = Fused(x, w, b, dPooled, count, s);
        Reference want = Brute(TestData.ToDouble<T>(x), TestData.ToDouble<T>(w), TestData.ToDouble<T>(b), TestData.ToDouble<T>(dPooled), count, s);
        double tol = TestData.Tolerance<T>() * 10;
        string context = $"{typeof(T).Name} {s} count {count}";
        TestData.AssertClose<T>(want.Z, got.Z, tol, context: context + " z");
        TestData.AssertClose<T>(want.Y, got.Y, tol, context: context + " y");
        TestData.AssertClose<T>(want.Pooled, got.Pooled, tol, context: context + " pooled");
        if (integers)
        {
            // Exact values: the same window element must win, so dy and dz land on the same positions.
            TestData.AssertClose<T>(want.Dy, got.Dy, tol, context: context + " dy");
            TestData.AssertClose<T>(want.Dz, got.Dz, tol, context: context + " dz");
            TestData.AssertClose<T>(want.Dx, got.Dx, tol, context: context + " dx");
        }
        else if (typeof(T) == typeof(double))
        {
            TestData.AssertClose<T>(want.Dy, got.Dy, tol, context: context + " dy");
            TestData.AssertClose<T>(want.Dz, got.Dz, tol, context: context + " dz");
            TestData.AssertClose<T>(want.Dx, got.Dx, tol, context: context + " dx");
        }
    }

    private static T[] Integers<T>(Random rng, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateTruncating(rng.Next(-2, 3));
        }

        return values;
    }

    private static void CheckAgainstComposed<T>(Conv2DShape s, int count, bool bias, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(seed);
        T[] x = TestData.Uniform<T>(rng, count * s.InputLength);
        T[] w = TestData.Uniform<T>(rng, s.WeightLength);
        T[] b = bias ? TestData.Uniform<T>(rng, s.OutChannels) : [];
        T[] dPooled = TestData.Uniform<T>(rng, PooledLength(s, count));
        Result<T> fused = Fused(x, w, b, dPooled, count, s);
        Result<T> composed = Composed(x, w, b, dPooled, count, s);
        double tol = TestData.Tolerance<T>();
        string context = $"{typeof(T).Name} {s} count {count}";
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Z), fused.Z, tol, context: context + " z");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Y), fused.Y, tol, context: context + " y");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Pooled), fused.Pooled, tol, context: context + " pooled");

        // Backward from the same forward values, so both choose the same window elements.
        int outputs = count * s.OutputLength;
        T[] dy = new T[outputs], dz = new T[outputs], dx = new T[count * s.InputLength];
        Conv2DReLUMaxPoolKernel.Backward<T>(composed.Z, composed.Y, dPooled, w, dy, dz, dx, count, s);
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Dy), dy, tol, context: context + " dy");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Dz), dz, tol, context: context + " dz");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Dx), dx, tol, context: context + " dx");
    }

    [Theory]
    [MemberData(nameof(FastShapes))]
    public void FastPath_MatchesBruteForce(int c, int h, int w, int o, int k, int p)
    {
        var shape = new Conv2DShape(c, h, w, o, k, p, 1);
        foreach (int count in new[] { 1, 3 })
        {
            CheckAgainstBrute<double>(shape, count, bias: true, seed: 1 + count);
            CheckAgainstBrute<double>(shape, count, bias: false, seed: 2 + count);
            CheckAgainstBrute<float>(shape, count, bias: true, seed: 3 + count);
            CheckAgainstBrute<float>(shape, count, bias: false, seed: 4 + count);
        }
    }

    [Theory]
    [MemberData(nameof(FastShapes))]
    public void FastPath_ExactTies_GoToTheFirstMaximum(int c, int h, int w, int o, int k, int p)
    {
        // Small integers: many windows hold equal maxima, and many are all negative before the ReLU (all zero after).
        var shape = new Conv2DShape(c, h, w, o, k, p, 1);
        CheckAgainstBrute<double>(shape, 2, bias: true, seed: 5, integers: true);
        CheckAgainstBrute<float>(shape, 2, bias: true, seed: 6, integers: true);
    }

    [Theory]
    [MemberData(nameof(FastShapes))]
    public void FastPath_MatchesTheKernelsComposed(int c, int h, int w, int o, int k, int p)
    {
        var shape = new Conv2DShape(c, h, w, o, k, p, 1);
        CheckAgainstComposed<double>(shape, 2, bias: true, seed: 7);
        CheckAgainstComposed<float>(shape, 2, bias: true, seed: 8);
        CheckAgainstComposed<float>(shape, 3, bias: false, seed: 9);
    }

    [Theory]
    [MemberData(nameof(OtherShapes))]
    public void OtherShapes_MatchBruteForceAndTheKernelsComposed(Conv2DShape shape)
    {
        CheckAgainstBrute<double>(shape, 2, bias: true, seed: 10);
        CheckAgainstBrute<float>(shape, 2, bias: true, seed: 11);
        CheckAgainstBrute<double>(shape, 2, bias: true, seed: 12, integers: true);
        CheckAgainstComposed<double>(shape, 2, bias: true, seed: 13);
        CheckAgainstComposed<float>(shape, 2, bias: false, seed: 14);
    }

    [Fact]
    public void ConstantPlanes_EveryWindowTied_TheTopLeftTakesTheGradient()
    {
        // x = 0: z = bias exactly, so every window is a four-way tie; a negative bias makes every window all zero after ReLU.
        var shape = new Conv2DShape(2, 6, 7, 2, 3, 1, 1); // output 6x7: the last column goes unpooled
        double[] x = new double[shape.InputLength], w = TestData.Uniform<double>(TestData.Rng(15), shape.WeightLength);
        double[] b = [0.75, -0.5];
        double[] dPooled = TestData.Uniform<double>(TestData.Rng(16), PooledLength(shape, 1));
        Result<double> got = Fused(x, w, b, dPooled, 1, shape);
        for (int o = 0; o < 2; o++)
        {
            for (int i = 0; i < 6; i++)
            {
                for (int j = 0; j < 7; j++)
                {
                    int at = (o * 6 + i) * 7 + j;
                    bool winner = i % 2 == 0 && j % 2 == 0 && j < 6;
                    double expected = winner ? dPooled[(o * 3 + i / 2) * 3 + j / 2] : 0;
                    Assert.Equal(Math.Max(b[o], 0), got.Y[at]);
                    Assert.Equal(expected, got.Dy[at]);
                    Assert.Equal(o == 0 ? expected : 0, got.Dz[at]);
                }
            }
        }
    }

    [Theory]
    [InlineData(6, 6, 14)]   // pooled rows of 3: the scalar path (float), 128-bit vectors (double)
    [InlineData(10, 18, 95)] // pooled rows of 9: 256-bit vectors, the last one overlapping
    public void NaN_Propagates_AsTheKernelsComposed(int h, int w, int nanAt)
    {
        CheckNaN<float>(h, w, nanAt);
        CheckNaN<double>(h, w, nanAt);
    }

    private static void CheckNaN<T>(int h, int w, int nanAt)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new Conv2DShape(1, h, w, 2, 3, 1, 1);
        var rng = TestData.Rng(17);
        T[] x = TestData.Uniform<T>(rng, shape.InputLength), wt = TestData.Uniform<T>(rng, shape.WeightLength);
        T[] b = TestData.Uniform<T>(rng, 2), dPooled = TestData.Uniform<T>(rng, PooledLength(shape, 1));
        x[nanAt] = T.NaN; // reaches a 3x3 block of z in both channels
        Result<T> fused = Fused(x, wt, b, dPooled, 1, shape);
        Result<T> composed = Composed(x, wt, b, dPooled, 1, shape);
        Assert.Contains(fused.Pooled, T.IsNaN);
        double tol = TestData.Tolerance<T>();
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Z), fused.Z, tol, context: "z");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Y), fused.Y, tol, context: "y");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Pooled), fused.Pooled, tol, context: "pooled");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Dy), fused.Dy, tol, context: "dy");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Dz), fused.Dz, tol, context: "dz");
        TestData.AssertClose<T>(TestData.ToDouble<T>(composed.Dx), fused.Dx, tol, context: "dx");
    }

    [Theory]
    [InlineData(2, 7, 9, 3, 3, 1)]
    [InlineData(3, 6, 5, 5, 3, 0)]
    [InlineData(2, 9, 10, 3, 5, 2)]
    public void Backward_MatchesFiniteDifferences(int c, int h, int w, int o, int k, int p)
    {
        // L(x) = <dPooled, pool(relu(conv(x)))>; with continuous random data no z lies within h of a kink or a tie.
        var shape = new Conv2DShape(c, h, w, o, k, p, 1);
        const int count = 2;
        var rng = TestData.Rng(18);
        double[] x = TestData.Uniform<double>(rng, count * shape.InputLength);
        double[] wt = TestData.Uniform<double>(rng, shape.WeightLength);
        double[] b = TestData.Uniform<double>(rng, shape.OutChannels);
        double[] dPooled = TestData.Uniform<double>(rng, PooledLength(shape, count));
        Result<double> got = Fused(x, wt, b, dPooled, count, shape);
        double[] fd = TestData.FiniteDifferenceGradient(
            (xp, pooled) =>
            {
                double[] z = new double[count * shape.OutputLength], y = new double[z.Length];
                Conv2DReLUMaxPoolKernel.Forward<double>(xp, wt, b, z, y, pooled, count, shape);
            },
            x, dPooled, PooledLength(shape, count));
        Assert.True(TestData.RelativeError(got.Dx, fd) < 1e-6, $"relative error {TestData.RelativeError(got.Dx, fd):E2}");
    }

    [Fact]
    public void OutputUnderTwoByTwo_IsRefused()
    {
        var shape = new Conv2DShape(1, 3, 3, 1, 3, 0, 1); // 1x1 output: no window fits
        double[] x = new double[9], w = new double[9], one = new double[1];
        ArgumentException forward = Assert.ThrowsAny<ArgumentException>(() => Conv2DReLUMaxPoolKernel.Forward<double>(x, w, [], one, one, one, 1, shape));
        Assert.Contains("Window 2", forward.Message);
        Assert.ThrowsAny<ArgumentException>(() => Conv2DReLUMaxPoolKernel.Backward<double>(one, one, one, w, one, one, x, 1, shape));
    }

    [Fact]
    public void BadLengths_Throw()
    {
        var shape = new Conv2DShape(1, 4, 4, 2, 3, 1, 1); // output 2x4x4 = 32, pooled 2x2x2 = 8, weight 18
        double[] x = new double[16], w = new double[18], z = new double[32], y = new double[32], pooled = new double[8];
        Conv2DReLUMaxPoolKernel.Forward<double>(x, w, [], z, y, pooled, 1, shape);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Forward<double>(new double[15], w, [], z, y, pooled, 1, shape), 16, 15);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Forward<double>(x, new double[17], [], z, y, pooled, 1, shape), 18, 17);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Forward<double>(x, w, new double[3], z, y, pooled, 1, shape), 2, 3);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Forward<double>(x, w, [], new double[31], y, pooled, 1, shape), 32, 31);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Forward<double>(x, w, [], z, new double[31], pooled, 1, shape), 32, 31);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Forward<double>(x, w, [], z, y, new double[7], 1, shape), 8, 7);
        Assert.ThrowsAny<ArgumentException>(() => Conv2DReLUMaxPoolKernel.Forward<double>(x, w, [], z, y, pooled, -1, shape));

        double[] dy = new double[32], dz = new double[32], dx = new double[16];
        Conv2DReLUMaxPoolKernel.Backward<double>(z, y, pooled, w, dy, dz, dx, 1, shape);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Backward<double>(new double[31], y, pooled, w, dy, dz, dx, 1, shape), 32, 31);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Backward<double>(z, new double[33], pooled, w, dy, dz, dx, 1, shape), 32, 33);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Backward<double>(z, y, new double[9], w, dy, dz, dx, 1, shape), 8, 9);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Backward<double>(z, y, pooled, new double[19], dy, dz, dx, 1, shape), 18, 19);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Backward<double>(z, y, pooled, w, new double[31], dz, dx, 1, shape), 32, 31);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Backward<double>(z, y, pooled, w, dy, new double[31], dx, 1, shape), 32, 31);
        TestData.AssertLengthError(() => Conv2DReLUMaxPoolKernel.Backward<double>(z, y, pooled, w, dy, dz, new double[15], 1, shape), 16, 15);
    }

    [Fact]
    public void ZeroImages_WriteNothing()
    {
        var shape = new Conv2DShape(1, 4, 4, 2, 3, 1, 1);
        double[] sentinel = [42];
        Conv2DReLUMaxPoolKernel.Forward<double>([], new double[18], [], sentinel, sentinel, sentinel, 0, shape);
        Conv2DReLUMaxPoolKernel.Backward<double>([], [], [], new double[18], sentinel, sentinel, sentinel, 0, shape);
        Assert.Equal(42, sentinel[0]);
    }
}
