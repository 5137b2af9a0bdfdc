using System;
using System.Numerics;
using System.Runtime.Intrinsics.X86;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>
/// The 3x3 stride-1 convolution by Winograd F(2x2, 3x3) (<see cref="Conv2DKernel"/>'s fast path where
/// <c>C * O &gt;= 128</c>) against the float64 definitions (<see cref="Conv2DKernelTests.Reference"/>,
/// <see cref="Conv2DKernelTests.ReferenceBackward"/>): every channel count 1..17 in and out (forced onto Winograd:
/// vector tails of the GEMM's rows and of the transforms' lanes), even and odd output sizes (partial last tiles),
/// outputs narrower than a vector, several images, float and double, with and without bias; and the public kernels on
/// both sides of the channel threshold.
/// </summary>
/// <remarks>
/// The bound is Winograd's own error analysis: every coefficient is 0, +-1 or +-1/2, and along any path from an input
/// to an output there are at most 2 roundings in the input transform, 4 in the weight transform, C in the GEMM's sum
/// over channels (fused multiply-adds) and 4 in the output transform, each relative to the magnitudes the transforms
/// carry. So <c>|y - exact| &lt;= (C + 10) u W</c> to first order, with <c>u</c> the unit roundoff and
/// <c>W = |b| + |A^T| [sum_c (|G| |g_c| |G^T|) . (|B^T| |d_c| |B|)] |A|</c> computed per output from its tile; the test
/// allows <c>C + 12</c> and adds the float64 reference's own error (<c>9C + 2</c> roundings of <c>2^-53</c> on
/// <c>sum |w| |x| &lt;= W</c>).
/// </remarks>
public sealed class Conv2DWinogradTests
{
    /// <summary>Input sizes and padding (H, W, P) whose 3x3 outputs (H + 2P - 2 by W + 2P - 2) are at least 2x2.</summary>
    public static TheoryData<int, int, int> Sizes => new()
    {
        { 4, 4, 1 },    // 4x4: whole tiles
        { 5, 7, 1 },    // 5x7: a partial last tile row and column
        { 6, 5, 0 },    // 4x3, no padding
        { 2, 2, 1 },    // 2x2: one tile
        { 3, 12, 2 },   // 5x14, padding 2 (the backward pass pads by 0)
        { 14, 14, 1 },  // the Fashion CNN's second convolution: a tile row is 14 of 16 lanes
        { 9, 17, 1 },   // 9x17: 18 lanes a tile row, past two float vectors
        { 7, 2, 1 },    // 7x2: one tile a row, a vector spans several tile rows
        { 3, 4, 0 },    // 1x2 forward (too small: the wide GEMM); its backward (3x4) is Winograd
    };

    private static readonly (int C, int O)[] SomeChannels = [(1, 1), (1, 8), (8, 1), (3, 5), (8, 16), (16, 8), (9, 17), (17, 9), (4, 4), (12, 7)];

    [Fact]
    public void TheFashionShape_UsesWinograd_AndOthersAsMeasured()
    {
        var fashion = new Conv2DShape(8, 14, 14, 16, 3, 1, 1);
        if (!Avx.IsSupported)
        {
            Assert.False(Conv2DWinograd.Supports<float>(fashion, backward: false)); // the transforms are AVX
            return;
        }

        Assert.True(Conv2DWinograd.Use<float>(fashion, backward: false));
        Assert.True(Conv2DWinograd.Use<double>(fashion, backward: true));
        Assert.False(Conv2DWinograd.Use<float>(new Conv2DShape(1, 28, 28, 8, 3, 1, 1), backward: false)); // the first: 8 channel pairs
        Assert.False(Conv2DWinograd.Use<float>(new Conv2DShape(1, 28, 28, 8, 3, 1, 1), backward: true));
        Assert.True(Conv2DWinograd.Supports<float>(new Conv2DShape(8, 5, 7, 8, 3, 1, 1), backward: false)); // can, does not pay
        Assert.False(Conv2DWinograd.Use<float>(new Conv2DShape(8, 5, 7, 8, 3, 1, 1), backward: false));
        Assert.False(Conv2DWinograd.Supports<float>(new Conv2DShape(16, 3, 4, 16, 3, 0, 1), backward: false)); // 1x2 output
        Assert.True(Conv2DWinograd.Use<float>(new Conv2DShape(16, 3, 4, 16, 3, 0, 1), backward: true));        // 3x4 input gradient
        Assert.False(Conv2DWinograd.Supports<float>(new Conv2DShape(16, 6, 6, 16, 5, 2, 1), backward: false)); // 5x5 kernel
    }

    [Fact]
    public void PublicKernels_EitherSideOfTheChannelThreshold_MatchReference()
    {
        // 8 x 16 takes Winograd, 8 x 8 and 1 x 8 the wide GEMM: each against the definition with its own bound.
        foreach (var shape in new[] { new Conv2DShape(8, 14, 14, 16, 3, 1, 1), new Conv2DShape(8, 9, 11, 8, 3, 1, 1), new Conv2DShape(1, 12, 12, 8, 3, 1, 1) })
        {
            CheckForward<float>(shape, count: 3, bias: true, seed: 5, force: false);
            CheckForward<double>(shape, count: 2, bias: false, seed: 6, force: false);
            CheckBackward<float>(shape, count: 3, seed: 7, force: false);
            CheckBackward<double>(shape, count: 2, seed: 8, force: false);
        }
    }

    [Fact]
    public void Forward_EveryChannelCount_MatchesReference()
    {
        for (int c = 1; c <= 17; c++)
        {
            for (int o = 1; o <= 17; o++)
            {
                var shape = new Conv2DShape(c, 5, 7, o, 3, 1, 1);
                Assert.Equal(Avx.IsSupported, Conv2DWinograd.Supports<float>(shape, backward: false));
                CheckForward<float>(shape, count: 2, bias: (c + o) % 2 == 0, seed: 100 * c + o);
                CheckForward<double>(shape, count: 2, bias: (c + o) % 2 == 1, seed: 100 * c + o);
            }
        }
    }

    [Fact]
    public void Backward_EveryChannelCount_MatchesReference()
    {
        for (int c = 1; c <= 17; c++)
        {
            for (int o = 1; o <= 17; o++)
            {
                var shape = new Conv2DShape(c, 5, 7, o, 3, 1, 1);
                Assert.Equal(Avx.IsSupported, Conv2DWinograd.Supports<double>(shape, backward: true));
                CheckBackward<float>(shape, count: 2, seed: 100 * c + o);
                CheckBackward<double>(shape, count: 2, seed: 100 * c + o);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Forward_EverySize_MatchesReference(int h, int w, int p)
    {
        foreach ((int c, int o) in SomeChannels)
        {
            var shape = new Conv2DShape(c, h, w, o, 3, p, 1);
            foreach (int count in new[] { 1, 2, 3 })
            {
                CheckForward<float>(shape, count, bias: true, seed: count);
                CheckForward<float>(shape, count, bias: false, seed: count + 10);
                CheckForward<double>(shape, count, bias: true, seed: count + 20);
                CheckForward<double>(shape, count, bias: false, seed: count + 30);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Backward_EverySize_MatchesReference(int h, int w, int p)
    {
        foreach ((int c, int o) in SomeChannels)
        {
            var shape = new Conv2DShape(c, h, w, o, 3, p, 1);
            foreach (int count in new[] { 1, 2, 3 })
            {
                CheckBackward<float>(shape, count, seed: count);
                CheckBackward<double>(shape, count, seed: count + 20);
            }
        }
    }

    [Fact]
    public void NewWeights_EveryCall_AreUsed()
    {
        // The transformed weights live in scratch for one call only: a second call with other weights must not see the first's.
        var shape = new Conv2DShape(8, 14, 14, 16, 3, 1, 1);
        CheckForward<float>(shape, count: 2, bias: true, seed: 1);
        CheckForward<float>(shape, count: 2, bias: true, seed: 2);
        CheckBackward<float>(shape, count: 2, seed: 3);
        CheckBackward<float>(shape, count: 2, seed: 4);
    }

    // force: Winograd wherever it can run (Conv2DKernel.ForwardWinograd), else the public kernel and whichever path it takes.
    private static void CheckForward<T>(Conv2DShape shape, int count, bool bias, int seed, bool force = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(seed);
        T[] x = TestData.Uniform<T>(rng, count * shape.InputLength);
        T[] w = TestData.Uniform<T>(rng, shape.WeightLength);
        T[] b = bias ? TestData.Uniform<T>(rng, shape.OutChannels) : [];
        T[] y = TestData.Filled(count * shape.OutputLength, T.NaN);
        bool winograd = force ? Conv2DWinograd.Supports<T>(shape, backward: false) : Conv2DWinograd.Use<T>(shape, backward: false);
        if (force && winograd)
        {
            Conv2DKernel.ForwardWinograd<T>(x, w, b, y, count, shape);
        }
        else
        {
            Conv2DKernel.Forward<T>(x, w, b, y, count, shape);
        }

        double[] xd = TestData.ToDouble<T>(x), wd = TestData.ToDouble<T>(w), bd = TestData.ToDouble<T>(b);
        double[] expected = Conv2DKernelTests.Reference(xd, wd, bd, count, shape);
        string context = $"{typeof(T).Name} forward {shape} count {count} bias {bias}";
        if (winograd)
        {
            AssertWithin<T>(expected, y, Magnitude(xd, wd, bd, count, shape), shape.InChannels, context);
        }
        else
        {
            AssertDirect<T>(expected, y, Conv2DKernelTests.Reference(Abs(xd), Abs(wd), Abs(bd), count, shape), shape.InChannels, context);
        }
    }

    private static void CheckBackward<T>(Conv2DShape shape, int count, int seed, bool force = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(seed);
        T[] dy = TestData.Uniform<T>(rng, count * shape.OutputLength);
        T[] w = TestData.Uniform<T>(rng, shape.WeightLength);
        T[] dx = TestData.Filled(count * shape.InputLength, T.NaN);
        bool winograd = force ? Conv2DWinograd.Supports<T>(shape, backward: true) : Conv2DWinograd.Use<T>(shape, backward: true);
        if (force && winograd)
        {
            Conv2DKernel.BackwardInputWinograd<T>(dy, w, dx, count, shape);
        }
        else
        {
            Conv2DKernel.BackwardInput<T>(dy, w, dx, count, shape);
        }

        double[] dyd = TestData.ToDouble<T>(dy), wd = TestData.ToDouble<T>(w);
        double[] expected = Conv2DKernelTests.ReferenceBackward(dyd, wd, count, shape);

        // dx is the forward convolution of dy padded by 2 - P with the flipped, transposed weight.
        var transposed = new Conv2DShape(shape.OutChannels, shape.OutHeight, shape.OutWidth, shape.InChannels, 3, 2 - shape.PaddingHeight, 1);
        var flipped = new double[wd.Length];
        for (int o = 0; o < shape.OutChannels; o++)
        {
            for (int c = 0; c < shape.InChannels; c++)
            {
                for (int t = 0; t < 9; t++)
                {
                    flipped[(c * shape.OutChannels + o) * 9 + t] = wd[(o * shape.InChannels + c) * 9 + 8 - t];
                }
            }
        }

        string context = $"{typeof(T).Name} backward {shape} count {count}";
        if (winograd)
        {
            AssertWithin<T>(expected, dx, Magnitude(dyd, flipped, [], count, transposed), shape.OutChannels, context);
        }
        else
        {
            double[] magnitude = Conv2DKernelTests.ReferenceBackward(Abs(dyd), Abs(wd), count, shape);
            AssertDirect<T>(expected, dx, magnitude, shape.OutChannels, context);
        }
    }

    // |actual - expected| <= ((channels + 12) u_T + (9 channels + 2) 2^-53) * magnitude, elementwise.
    private static void AssertWithin<T>(double[] expected, T[] actual, double[] magnitude, int channels, string context)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double u = typeof(T) == typeof(float) ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
        double factor = (channels + 12) * u + (9 * channels + 2) * Math.ScaleB(1, -53);
        for (int i = 0; i < expected.Length; i++)
        {
            double got = double.CreateTruncating(actual[i]);
            double bound = factor * magnitude[i];
            if (!(Math.Abs(got - expected[i]) <= bound))
            {
                Assert.Fail($"{context}: element {i}: expected {expected[i]:R}, got {got:R} (bound {bound:E2})");
            }
        }
    }

    // Off Winograd (the wide GEMM, a dot product of 9C terms and the bias): (9C + 2) roundings in T and in the reference,
    // relative to S = |b| + sum |w| |x|.
    private static void AssertDirect<T>(double[] expected, T[] actual, double[] magnitude, int channels, string context)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double u = typeof(T) == typeof(float) ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
        double factor = (9 * channels + 2) * (u + Math.ScaleB(1, -53));
        for (int i = 0; i < expected.Length; i++)
        {
            double got = double.CreateTruncating(actual[i]);
            if (!(Math.Abs(got - expected[i]) <= factor * magnitude[i]))
            {
                Assert.Fail($"{context}: element {i}: expected {expected[i]:R}, got {got:R} (bound {factor * magnitude[i]:E2})");
            }
        }
    }

    private static double[] Abs(double[] values) => Array.ConvertAll(values, Math.Abs);

    /// <summary>
    /// <c>W[n, o, oh, ow] = |b[o]| + (|A^T| [sum_c (|G| |g_oc| |G^T|) . (|B^T| |d_c| |B|)] |A|)[oh mod 2, ow mod 2]</c>,
    /// <c>d_c</c> the 4x4 tile of channel <c>c</c>'s zero-padded input at rows <c>2 (oh / 2) - P ..</c>, columns
    /// <c>2 (ow / 2) - P ..</c>: the magnitudes F(2x2, 3x3) carries to each output, so its rounding error's scale.
    /// </summary>
    private static double[] Magnitude(double[] x, double[] w, double[] b, int count, Conv2DShape s)
    {
        double[,] g = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, 0.5, 0.5 }, { 0, 0, 1 } };  // |G|
        double[,] bt = { { 1, 0, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 0, 1 } }; // |B^T|
        double[,] at = { { 1, 1, 1, 0 }, { 0, 1, 1, 1 } };                                  // |A^T|
        int channels = s.InChannels, outputs = s.OutChannels, p = s.PaddingHeight;

        var u = new double[outputs, channels, 4, 4];
        for (int o = 0; o < outputs; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int i = 0; i < 4; i++)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        double sum = 0;
                        for (int a = 0; a < 3; a++)
                        {
                            for (int bb = 0; bb < 3; bb++)
                            {
                                sum += g[i, a] * Math.Abs(w[(o * channels + c) * 9 + a * 3 + bb]) * g[j, bb];
                            }
                        }

                        u[o, c, i, j] = sum;
                    }
                }
            }
        }

        var result = new double[count * s.OutputLength];
        var v = new double[channels, 4, 4];
        var d = new double[4, 4];
        for (int n = 0; n < count; n++)
        {
            for (int ty = 0; 2 * ty < s.OutHeight; ty++)
            {
                for (int tx = 0; 2 * tx < s.OutWidth; tx++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        for (int r = 0; r < 4; r++)
                        {
                            for (int q = 0; q < 4; q++)
                            {
                                int ih = 2 * ty + r - p, iw = 2 * tx + q - p;
                                d[r, q] = ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width ? 0 : Math.Abs(x[((n * channels + c) * s.Height + ih) * s.Width + iw]);
                            }
                        }

                        for (int i = 0; i < 4; i++)
                        {
                            for (int j = 0; j < 4; j++)
                            {
                                double sum = 0;
                                for (int r = 0; r < 4; r++)
                                {
                                    for (int q = 0; q < 4; q++)
                                    {
                                        sum += bt[i, r] * d[r, q] * bt[j, q];
                                    }
                                }

                                v[c, i, j] = sum;
                            }
                        }
                    }

                    for (int o = 0; o < outputs; o++)
                    {
                        for (int a = 0; a < 2 && 2 * ty + a < s.OutHeight; a++)
                        {
                            for (int e = 0; e < 2 && 2 * tx + e < s.OutWidth; e++)
                            {
                                double sum = b.Length == 0 ? 0 : Math.Abs(b[o]);
                                for (int i = 0; i < 4; i++)
                                {
                                    for (int j = 0; j < 4; j++)
                                    {
                                        double m = 0;
                                        for (int c = 0; c < channels; c++)
                                        {
                                            m += u[o, c, i, j] * v[c, i, j];
                                        }

                                        sum += at[a, i] * m * at[e, j];
                                    }
                                }

                                result[((n * outputs + o) * s.OutHeight + 2 * ty + a) * s.OutWidth + 2 * tx + e] = sum;
                            }
                        }
                    }
                }
            }
        }

        return result;
    }
}
