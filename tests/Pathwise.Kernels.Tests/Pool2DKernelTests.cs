using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

public class Pool2DKernelTests
{
    public static TheoryData<int, int, int, int, int> Shapes => new()
    {
        // C, H, W, K, S
        { 1, 4, 4, 2, 2 },
        { 2, 5, 7, 2, 2 },
        { 3, 6, 5, 3, 1 },
        { 2, 7, 7, 3, 2 },
        { 1, 9, 4, 3, 3 },
        { 2, 5, 5, 1, 1 },
        { 1, 8, 10, 4, 2 },
        { 2, 3, 3, 3, 1 },
    };

    private static void Window(Pool2DShape s, int oh, int ow, int kh, int kw, out int offset) =>
        offset = (oh * s.Stride + kh) * s.Width + ow * s.Stride + kw;

    private static (double[] Max, int[] ArgMax, double[] Avg) Reference(double[] x, int count, Pool2DShape s)
    {
        int planes = count * s.Channels, plane = s.Height * s.Width, outPlane = s.OutHeight * s.OutWidth;
        var max = new double[planes * outPlane];
        var arg = new int[planes * outPlane];
        var avg = new double[planes * outPlane];
        for (int p = 0; p < planes; p++)
        {
            for (int oh = 0; oh < s.OutHeight; oh++)
            {
                for (int ow = 0; ow < s.OutWidth; ow++)
                {
                    double best = double.NegativeInfinity, sum = 0;
                    int bestIndex = -1;
                    for (int kh = 0; kh < s.Kernel; kh++)
                    {
                        for (int kw = 0; kw < s.Kernel; kw++)
                        {
                            Window(s, oh, ow, kh, kw, out int offset);
                            double v = x[p * plane + offset];
                            sum += v;
                            if (bestIndex < 0 || v > best)
                            {
                                best = v;
                                bestIndex = p * plane + offset;
                            }
                        }
                    }

                    int o = p * outPlane + oh * s.OutWidth + ow;
                    max[o] = best;
                    arg[o] = bestIndex;
                    avg[o] = sum / (s.Kernel * s.Kernel);
                }
            }
        }

        return (max, arg, avg);
    }

    private static void CheckAll<T>(Pool2DShape shape, int count, bool ties)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(40 + count);
        T[] x = ties
            ? Array.ConvertAll(TestData.Uniform<double>(rng, count * shape.InputLength), v => T.CreateTruncating(Math.Round(v * 2))) // many ties
            : TestData.Uniform<T>(rng, count * shape.InputLength);
        T[] dy = TestData.Uniform<T>(rng, count * shape.OutputLength);
        double[] xd = TestData.ToDouble<T>(x), dyd = TestData.ToDouble<T>(dy);
        var (max, arg, avg) = Reference(xd, count, shape);

        T[] y = TestData.Filled(count * shape.OutputLength, T.NaN);
        Pool2DKernel.MaxForward<T>(x, y, count, shape);
        TestData.AssertClose<T>(max, y, 0, context: "max forward");

        Pool2DKernel.AvgForward<T>(x, y, count, shape);
        TestData.AssertClose<T>(avg, y, TestData.Tolerance<T>(), context: "avg forward");

        var expectedMax = new double[x.Length];
        var expectedAvg = new double[x.Length];
        int plane = shape.Height * shape.Width, outPlane = shape.OutHeight * shape.OutWidth;
        for (int o = 0; o < dy.Length; o++)
        {
            expectedMax[arg[o]] += dyd[o];
            int p = o / outPlane, oh = o % outPlane / shape.OutWidth, ow = o % shape.OutWidth;
            for (int kh = 0; kh < shape.Kernel; kh++)
            {
                for (int kw = 0; kw < shape.Kernel; kw++)
                {
                    Window(shape, oh, ow, kh, kw, out int offset);
                    expectedAvg[p * plane + offset] += dyd[o] / (shape.Kernel * shape.Kernel);
                }
            }
        }

        T[] dx = TestData.Filled(x.Length, T.NaN);
        Pool2DKernel.MaxBackward<T>(x, dy, dx, count, shape);
        TestData.AssertClose<T>(expectedMax, dx, TestData.Tolerance<T>(), context: "max backward");
        dx = TestData.Filled(x.Length, T.NaN);
        Pool2DKernel.AvgBackward<T>(dy, dx, count, shape);
        TestData.AssertClose<T>(expectedAvg, dx, TestData.Tolerance<T>(), context: "avg backward");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllKernels_MatchReference(int c, int h, int w, int k, int s)
    {
        var shape = new Pool2DShape(c, h, w, k, s);
        foreach (bool ties in new[] { false, true })
        {
            CheckAll<double>(shape, 2, ties);
            CheckAll<float>(shape, 2, ties);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_MatchesFiniteDifferences(int c, int h, int w, int k, int s)
    {
        var shape = new Pool2DShape(c, h, w, k, s);
        const int count = 2;
        var rng = TestData.Rng(50);
        // Distinct values at least 0.01 apart (a shuffled ramp), so the argmax is stable under h = 1e-5.
        var x = new double[count * shape.InputLength];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = 0.01 * i;
        }

        rng.Shuffle(x);
        double[] dy = TestData.Uniform<double>(rng, count * shape.OutputLength);
        var dx = new double[x.Length];
        Pool2DKernel.MaxBackward<double>(x, dy, dx, count, shape);
        double[] fd = TestData.FiniteDifferenceGradient((xp, y) => Pool2DKernel.MaxForward<double>(xp, y, count, shape), x, dy, dy.Length);
        Assert.True(TestData.RelativeError(dx, fd) < 1e-6);

        Pool2DKernel.AvgBackward<double>(dy, dx, count, shape);
        fd = TestData.FiniteDifferenceGradient((xp, y) => Pool2DKernel.AvgForward<double>(xp, y, count, shape), x, dy, dy.Length);
        Assert.True(TestData.RelativeError(dx, fd) < 1e-6);
    }

    [Fact]
    public void MaxBackward_TiesGoToFirstMaximumInRowMajorOrder()
    {
        var shape = new Pool2DShape(1, 2, 4, 2, 2);
        double[] x = [1, 5, 5, 5,
                      5, 0, 5, 5];
        double[] dy = [10, 20];
        var dx = new double[8];
        Pool2DKernel.MaxBackward<double>(x, dy, dx, 1, shape);
        Assert.Equal(new double[] { 0, 10, 20, 0, 0, 0, 0, 0 }, dx);

        var dxf = new float[8];
        Pool2DKernel.MaxBackward<float>([1f, 5, 5, 5, 5, 0, 5, 5], [10f, 20], dxf, 1, shape);
        Assert.Equal(new float[] { 0, 10, 20, 0, 0, 0, 0, 0 }, dxf);
    }

    [Fact]
    public void MaxBackward_OverlappingWindowsAdd()
    {
        // 1x3 rows, kernel 2 stride 1 on a 2x3 image: both windows share column 1, whose maximum 9 wins twice.
        var shape = new Pool2DShape(1, 2, 3, 2, 1);
        double[] x = [0, 9, 1,
                      2, 3, 4];
        double[] dy = [1.5, 2.5];
        var dx = TestData.Filled(6, double.NaN);
        Pool2DKernel.MaxBackward<double>(x, dy, dx, 1, shape);
        Assert.Equal(new double[] { 0, 4, 0, 0, 0, 0 }, dx);
    }

    [Fact]
    public void Shape_ComputedProperties()
    {
        var shape = new Pool2DShape(3, 7, 9, 2, 2);
        Assert.Equal(3, shape.OutHeight);
        Assert.Equal(4, shape.OutWidth);
        Assert.Equal(3 * 7 * 9, shape.InputLength);
        Assert.Equal(3 * 3 * 4, shape.OutputLength);
    }

    [Fact]
    public void BadLengths_Throw()
    {
        var shape = new Pool2DShape(1, 4, 4, 2, 2); // 16 -> 4
        TestData.AssertLengthError(() => Pool2DKernel.MaxForward<double>(new double[16], new double[3], 1, shape), 4, 3);
        TestData.AssertLengthError(() => Pool2DKernel.AvgForward<double>(new double[15], new double[4], 1, shape), 16, 15);
        TestData.AssertLengthError(() => Pool2DKernel.MaxBackward<double>(new double[16], new double[4], new double[15], 1, shape), 16, 15);
        TestData.AssertLengthError(() => Pool2DKernel.MaxBackward<double>(new double[17], new double[4], new double[16], 1, shape), 16, 17);
        TestData.AssertLengthError(() => Pool2DKernel.AvgBackward<double>(new double[5], new double[16], 1, shape), 4, 5);
    }
}
