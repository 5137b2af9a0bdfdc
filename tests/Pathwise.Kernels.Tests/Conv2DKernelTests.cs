using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

public class Conv2DKernelTests
{
    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        // C, H, W, O, K, P, S
        { 1, 5, 5, 1, 3, 0, 1 },
        { 1, 5, 5, 1, 3, 1, 1 },
        { 2, 6, 4, 3, 3, 1, 1 },
        { 3, 7, 5, 2, 3, 2, 1 },
        { 2, 7, 9, 3, 3, 0, 2 },
        { 2, 8, 6, 2, 3, 1, 2 },
        { 1, 9, 7, 2, 5, 2, 2 },
        { 3, 4, 11, 4, 1, 0, 1 },
        { 2, 5, 6, 3, 2, 0, 2 },
        { 1, 3, 20, 2, 3, 1, 1 },
        { 2, 2, 3, 2, 3, 1, 2 },
        { 4, 10, 13, 5, 3, 1, 1 },
        { 1, 4, 4, 1, 5, 2, 1 },
    };

    private static double[] Reference(double[] x, double[] w, double[] b, int count, Conv2DShape s)
    {
        var y = new double[count * s.OutputLength];
        for (int n = 0; n < count; n++)
        {
            for (int o = 0; o < s.OutChannels; o++)
            {
                for (int oh = 0; oh < s.OutHeight; oh++)
                {
                    for (int ow = 0; ow < s.OutWidth; ow++)
                    {
                        double sum = b.Length == 0 ? 0 : b[o];
                        for (int c = 0; c < s.InChannels; c++)
                        {
                            for (int kh = 0; kh < s.Kernel; kh++)
                            {
                                for (int kw = 0; kw < s.Kernel; kw++)
                                {
                                    int ih = oh * s.Stride + kh - s.Padding, iw = ow * s.Stride + kw - s.Padding;
                                    if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width)
                                    {
                                        continue;
                                    }

                                    sum += w[((o * s.InChannels + c) * s.Kernel + kh) * s.Kernel + kw]
                                        * x[((n * s.InChannels + c) * s.Height + ih) * s.Width + iw];
                                }
                            }
                        }

                        y[((n * s.OutChannels + o) * s.OutHeight + oh) * s.OutWidth + ow] = sum;
                    }
                }
            }
        }

        return y;
    }

    private static double[] ReferenceBackward(double[] dy, double[] w, int count, Conv2DShape s)
    {
        var dx = new double[count * s.InputLength];
        for (int n = 0; n < count; n++)
        {
            for (int o = 0; o < s.OutChannels; o++)
            {
                for (int oh = 0; oh < s.OutHeight; oh++)
                {
                    for (int ow = 0; ow < s.OutWidth; ow++)
                    {
                        double g = dy[((n * s.OutChannels + o) * s.OutHeight + oh) * s.OutWidth + ow];
                        for (int c = 0; c < s.InChannels; c++)
                        {
                            for (int kh = 0; kh < s.Kernel; kh++)
                            {
                                for (int kw = 0; kw < s.Kernel; kw++)
                                {
                                    int ih = oh * s.Stride + kh - s.Padding, iw = ow * s.Stride + kw - s.Padding;
                                    if (ih >= 0 && ih < s.Height && iw >= 0 && iw < s.Width)
                                    {
                                        dx[((n * s.InChannels + c) * s.Height + ih) * s.Width + iw] +=
                                            w[((o * s.InChannels + c) * s.Kernel + kh) * s.Kernel + kw] * g;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        return dx;
    }

    private static void CheckForward<T>(Conv2DShape shape, int count, bool bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(10 + count);
        T[] x = TestData.Uniform<T>(rng, count * shape.InputLength);
        T[] w = TestData.Uniform<T>(rng, shape.WeightLength);
        T[] b = bias ? TestData.Uniform<T>(rng, shape.OutChannels) : [];
        T[] y = TestData.Filled(count * shape.OutputLength, T.NaN);
        Conv2DKernel.Forward<T>(x, w, b, y, count, shape);
        double[] expected = Reference(TestData.ToDouble<T>(x), TestData.ToDouble<T>(w), TestData.ToDouble<T>(b), count, shape);
        TestData.AssertClose<T>(expected, y, TestData.Tolerance<T>() * 10, context: $"{shape}");
    }

    // Backward checked against a scatter-form scalar reference (the transpose of Reference).
    private static void CheckBackward<T>(Conv2DShape shape, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(20 + count);
        T[] dy = TestData.Uniform<T>(rng, count * shape.OutputLength);
        T[] w = TestData.Uniform<T>(rng, shape.WeightLength);
        T[] dx = TestData.Filled(count * shape.InputLength, T.NaN);
        Conv2DKernel.BackwardInput<T>(dy, w, dx, count, shape);

        double[] expected = ReferenceBackward(TestData.ToDouble<T>(dy), TestData.ToDouble<T>(w), count, shape);
        TestData.AssertClose<T>(expected, dx, TestData.Tolerance<T>() * 10, context: $"{shape}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_MatchesReference(int c, int h, int w, int o, int k, int p, int s)
    {
        var shape = new Conv2DShape(c, h, w, o, k, p, s);
        foreach (int count in new[] { 1, 3 })
        {
            CheckForward<double>(shape, count, bias: true);
            CheckForward<double>(shape, count, bias: false);
            CheckForward<float>(shape, count, bias: true);
            CheckForward<float>(shape, count, bias: false);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardInput_MatchesReference(int c, int h, int w, int o, int k, int p, int s)
    {
        var shape = new Conv2DShape(c, h, w, o, k, p, s);
        CheckBackward<double>(shape, 2);
        CheckBackward<float>(shape, 2);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardInput_MatchesFiniteDifferences(int c, int h, int w, int o, int k, int p, int s)
    {
        var shape = new Conv2DShape(c, h, w, o, k, p, s);
        const int count = 2;
        var rng = TestData.Rng(30);
        double[] x = TestData.Uniform<double>(rng, count * shape.InputLength);
        double[] wt = TestData.Uniform<double>(rng, shape.WeightLength);
        double[] b = TestData.Uniform<double>(rng, shape.OutChannels);
        double[] dy = TestData.Uniform<double>(rng, count * shape.OutputLength);
        var dx = new double[x.Length];
        Conv2DKernel.BackwardInput<double>(dy, wt, dx, count, shape);
        double[] fd = TestData.FiniteDifferenceGradient(
            (xp, y) => Conv2DKernel.Forward<double>(xp, wt, b, y, count, shape), x, dy, count * shape.OutputLength);
        Assert.True(TestData.RelativeError(dx, fd) < 1e-6);
    }

    [Fact]
    public void Shape_ComputedProperties()
    {
        var shape = new Conv2DShape(3, 28, 20, 8, 5, 2, 2);
        Assert.Equal(14, shape.OutHeight);
        Assert.Equal(10, shape.OutWidth);
        Assert.Equal(3 * 28 * 20, shape.InputLength);
        Assert.Equal(8 * 14 * 10, shape.OutputLength);
        Assert.Equal(8 * 3 * 5 * 5, shape.WeightLength);
    }

    [Fact]
    public void BadLengths_Throw()
    {
        var shape = new Conv2DShape(1, 4, 4, 2, 3, 0, 1); // out 2x2, output length 8, weight 18
        TestData.AssertLengthError(() => Conv2DKernel.Forward<double>(new double[16], new double[18], [], new double[7], 1, shape), 8, 7);
        TestData.AssertLengthError(() => Conv2DKernel.Forward<double>(new double[15], new double[18], [], new double[8], 1, shape), 16, 15);
        TestData.AssertLengthError(() => Conv2DKernel.Forward<double>(new double[16], new double[17], [], new double[8], 1, shape), 18, 17);
        TestData.AssertLengthError(() => Conv2DKernel.Forward<double>(new double[16], new double[18], new double[3], new double[8], 1, shape), 2, 3);
        TestData.AssertLengthError(() => Conv2DKernel.BackwardInput<double>(new double[8], new double[18], new double[15], 1, shape), 16, 15);
        Assert.ThrowsAny<ArgumentException>(() => Conv2DKernel.Forward<double>(new double[16], new double[18], [], new double[8], 1, shape with { Stride = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => Conv2DKernel.Forward<double>(new double[16], new double[18], [], new double[8], 1, shape with { Kernel = 5 }));
    }
}
