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

    /// <summary>
    /// Shapes off the fast path: rectangular kernels, per-axis strides and padding, dilation, groups (depthwise
    /// included), and 1-D convolutions as height-1 images.
    /// </summary>
    public static TheoryData<Conv2DShape> GeneralShapes => new()
    {
        // C, H, W, O, KH, KW, SH, SW, PH, PW, DH, DW, G
        new(2, 7, 9, 3, 3, 2, 1, 1, 1, 0, 1, 1, 1),   // rectangular kernel and padding, stride 1
        new(3, 9, 8, 2, 3, 3, 2, 1, 1, 2, 1, 1, 1),   // per-axis stride and padding
        new(2, 9, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1),  // dilation 2, "same" padding
        new(2, 11, 9, 3, 2, 3, 2, 3, 0, 1, 3, 2, 1),  // dilation and stride on both axes, rectangular
        new(4, 6, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4),   // depthwise
        new(4, 8, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4),   // depthwise with multiplier 2, stride 2
        new(6, 7, 5, 4, 3, 1, 1, 1, 1, 0, 1, 1, 2),   // two groups, 3x1 kernel
        new(6, 9, 9, 9, 3, 3, 2, 1, 2, 1, 2, 1, 3),   // groups, dilation and stride together
        new(3, 1, 20, 5, 1, 5, 1, 1, 0, 2, 1, 1, 1),  // Conv1d(3, 5, 5, padding=2)
        new(4, 1, 17, 6, 1, 3, 1, 2, 0, 1, 1, 3, 2),  // Conv1d(4, 6, 3, stride=2, padding=1, dilation=3, groups=2)
        new(5, 1, 12, 5, 1, 4, 1, 1, 0, 0, 1, 1, 5),  // depthwise Conv1d, no padding
        new(1, 3, 3, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1),   // kernel as large as the input (one output), plain
        new(1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 2, 2, 1),   // dilated kernel spanning the whole input
    };

    /// <summary>The convolution by its definition in float64 (zero padding, stride, dilation, groups).</summary>
    internal static double[] Reference(double[] x, double[] w, double[] b, int count, Conv2DShape s)
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
                        for (int j = 0; j < s.GroupInChannels; j++)
                        {
                            int c = o / s.GroupOutChannels * s.GroupInChannels + j;
                            for (int kh = 0; kh < s.KernelHeight; kh++)
                            {
                                for (int kw = 0; kw < s.KernelWidth; kw++)
                                {
                                    int ih = oh * s.StrideHeight + kh * s.DilationHeight - s.PaddingHeight;
                                    int iw = ow * s.StrideWidth + kw * s.DilationWidth - s.PaddingWidth;
                                    if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width)
                                    {
                                        continue;
                                    }

                                    sum += w[((o * s.GroupInChannels + j) * s.KernelHeight + kh) * s.KernelWidth + kw]
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

    /// <summary>The convolution's input gradient by its definition in float64.</summary>
    internal static double[] ReferenceBackward(double[] dy, double[] w, int count, Conv2DShape s)
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
                        for (int j = 0; j < s.GroupInChannels; j++)
                        {
                            int c = o / s.GroupOutChannels * s.GroupInChannels + j;
                            for (int kh = 0; kh < s.KernelHeight; kh++)
                            {
                                for (int kw = 0; kw < s.KernelWidth; kw++)
                                {
                                    int ih = oh * s.StrideHeight + kh * s.DilationHeight - s.PaddingHeight;
                                    int iw = ow * s.StrideWidth + kw * s.DilationWidth - s.PaddingWidth;
                                    if (ih >= 0 && ih < s.Height && iw >= 0 && iw < s.Width)
                                    {
                                        dx[((n * s.InChannels + c) * s.Height + ih) * s.Width + iw] +=
                                            w[((o * s.GroupInChannels + j) * s.KernelHeight + kh) * s.KernelWidth + kw] * g;
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

    [Theory]
    [MemberData(nameof(GeneralShapes))]
    public void General_Forward_MatchesReference(Conv2DShape shape)
    {
        foreach (int count in new[] { 1, 3 })
        {
            CheckForward<double>(shape, count, bias: true);
            CheckForward<double>(shape, count, bias: false);
            CheckForward<float>(shape, count, bias: true);
        }
    }

    [Theory]
    [MemberData(nameof(GeneralShapes))]
    public void General_BackwardInput_MatchesReferenceAndFiniteDifferences(Conv2DShape shape)
    {
        CheckBackward<double>(shape, 2);
        CheckBackward<float>(shape, 2);

        const int count = 2;
        var rng = TestData.Rng(31);
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
    public void General_Shape_ComputedProperties()
    {
        // PyTorch: Conv2d(6, 9, (3, 2), stride=(2, 3), padding=(1, 2), dilation=(2, 1), groups=3) on 6x11x10 gives 9x5x5 (checked in PyTorch 1.13).
        var shape = new Conv2DShape(6, 11, 10, 9, 3, 2, 2, 3, 1, 2, 2, 1, 3);
        Assert.Equal(5, shape.OutHeight);
        Assert.Equal(5, shape.OutWidth);
        Assert.Equal(2, shape.GroupInChannels);
        Assert.Equal(3, shape.GroupOutChannels);
        Assert.Equal(9 * 2 * 3 * 2, shape.WeightLength);
        Assert.Equal(9 * 5 * 5, shape.OutputLength);
    }

    [Fact]
    public void General_BadShapes_Throw()
    {
        var shape = new Conv2DShape(4, 5, 5, 4, 3, 3, 1, 1, 0, 0, 1, 1, 2);
        double[] x = new double[shape.InputLength], w = new double[shape.WeightLength], y = new double[shape.OutputLength];
        Conv2DKernel.Forward<double>(x, w, [], y, 1, shape);
        ArgumentException groups = Assert.ThrowsAny<ArgumentException>(() => Conv2DKernel.Forward<double>(x, w, [], y, 1, shape with { Groups = 3 }));
        Assert.Contains("Groups 3", groups.Message);
        Assert.ThrowsAny<ArgumentException>(() => Conv2DKernel.Forward<double>(x, w, [], y, 1, shape with { Groups = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => Conv2DKernel.Forward<double>(x, w, [], y, 1, shape with { DilationWidth = 0 }));
        ArgumentException dilated = Assert.ThrowsAny<ArgumentException>(() => Conv2DKernel.BackwardInput<double>(y, w, x, 1, shape with { DilationHeight = 3 }));
        Assert.Contains("dilated to 7x3", dilated.Message);
        TestData.AssertLengthError(() => Conv2DKernel.Forward<double>(x, new double[w.Length + 1], [], y, 1, shape), w.Length, w.Length + 1);
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
        Assert.ThrowsAny<ArgumentException>(() => Conv2DKernel.Forward<double>(new double[16], new double[18], [], new double[8], 1, shape with { StrideHeight = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => Conv2DKernel.Forward<double>(new double[16], new double[18], [], new double[8], 1, shape with { KernelWidth = 5 }));
    }
}
