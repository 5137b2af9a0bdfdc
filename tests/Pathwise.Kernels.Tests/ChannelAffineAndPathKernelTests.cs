using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

public class ChannelAffineKernelTests
{
    private static void Check<T>(int count, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(80 + count + channels + spatial);
        int length = count * channels * spatial;
        T[] x = TestData.Uniform<T>(rng, length);
        T[] scale = TestData.Uniform<T>(rng, channels, -2, 2);
        T[] shift = TestData.Uniform<T>(rng, channels);
        T[] dy = TestData.Uniform<T>(rng, length);
        double[] xd = TestData.ToDouble<T>(x), sd = TestData.ToDouble<T>(scale), hd = TestData.ToDouble<T>(shift), dyd = TestData.ToDouble<T>(dy);
        var expectedY = new double[length];
        var expectedDx = new double[length];
        for (int i = 0; i < length; i++)
        {
            int c = i / spatial % channels;
            expectedY[i] = xd[i] * sd[c] + hd[c];
            expectedDx[i] = dyd[i] * sd[c];
        }

        string context = $"{typeof(T).Name} {count}x{channels}x{spatial}";
        T[] y = TestData.Filled(length, T.NaN);
        ChannelAffineKernel.Forward<T>(x, scale, shift, y, count, channels, spatial);
        TestData.AssertClose<T>(expectedY, y, TestData.Tolerance<T>(), context: context);
        T[] inPlace = (T[])x.Clone();
        ChannelAffineKernel.Forward<T>(inPlace, scale, shift, inPlace, count, channels, spatial);
        Assert.Equal(y, inPlace);

        T[] dx = TestData.Filled(length, T.NaN);
        ChannelAffineKernel.Backward<T>(dy, scale, dx, count, channels, spatial);
        TestData.AssertClose<T>(expectedDx, dx, TestData.Tolerance<T>(), context: context);
        inPlace = (T[])dy.Clone();
        ChannelAffineKernel.Backward<T>(inPlace, scale, inPlace, count, channels, spatial);
        Assert.Equal(dx, inPlace);
    }

    [Theory]
    [InlineData(0, 3, 4)]
    [InlineData(1, 1, 1)]
    [InlineData(3, 10, 1)]
    [InlineData(5, 37, 1)]
    [InlineData(2, 3, 16)]
    [InlineData(3, 4, 49)]
    [InlineData(2, 2, 257)]
    public void ForwardAndBackward_MatchReference(int count, int channels, int spatial)
    {
        Check<double>(count, channels, spatial);
        Check<float>(count, channels, spatial);
    }

    [Theory]
    [InlineData(2, 5, 1)]
    [InlineData(2, 3, 7)]
    public void Backward_MatchesFiniteDifferences(int count, int channels, int spatial)
    {
        var rng = TestData.Rng(81);
        double[] x = TestData.Uniform<double>(rng, count * channels * spatial);
        double[] scale = TestData.Uniform<double>(rng, channels, -2, 2);
        double[] shift = TestData.Uniform<double>(rng, channels);
        double[] dy = TestData.Uniform<double>(rng, x.Length);
        var dx = new double[x.Length];
        ChannelAffineKernel.Backward<double>(dy, scale, dx, count, channels, spatial);
        double[] fd = TestData.FiniteDifferenceGradient((xp, y) => ChannelAffineKernel.Forward<double>(xp, scale, shift, y, count, channels, spatial), x, dy, x.Length);
        Assert.True(TestData.RelativeError(dx, fd) < 1e-6);
    }

    [Fact]
    public void Fold_MatchesBatchNormFormula()
    {
        double[] gamma = [1.5, -0.5, 2], beta = [0.1, 0.2, -0.3], mean = [0.5, -1, 2], variance = [0.25, 4, 1];
        double epsilon = 1e-5;
        var scale = new double[3];
        var shift = new double[3];
        ChannelAffineKernel.Fold<double>(gamma, beta, mean, variance, epsilon, scale, shift);
        for (int c = 0; c < 3; c++)
        {
            double s = gamma[c] / Math.Sqrt(variance[c] + epsilon);
            Assert.Equal(s, scale[c], 1e-15);
            Assert.Equal(beta[c] - mean[c] * s, shift[c], 1e-15);
            // Folded affine equals BatchNorm at inference on a sample value.
            double x = 0.7;
            Assert.Equal(gamma[c] * (x - mean[c]) / Math.Sqrt(variance[c] + epsilon) + beta[c], x * scale[c] + shift[c], 1e-14);
        }

        TestData.AssertLengthError(() => ChannelAffineKernel.Fold<double>(gamma, beta, mean, variance, epsilon, new double[2], shift), 3, 2);
        TestData.AssertLengthError(() => ChannelAffineKernel.Fold<double>(gamma, beta, new double[4], variance, epsilon, scale, shift), 3, 4);
    }

    [Fact]
    public void BadLengths_Throw()
    {
        TestData.AssertLengthError(() => ChannelAffineKernel.Forward<double>(new double[24], new double[3], new double[3], new double[23], 2, 3, 4), 24, 23);
        TestData.AssertLengthError(() => ChannelAffineKernel.Forward<double>(new double[24], new double[2], new double[3], new double[24], 2, 3, 4), 3, 2);
        TestData.AssertLengthError(() => ChannelAffineKernel.Forward<double>(new double[24], new double[3], new double[5], new double[24], 2, 3, 4), 3, 5);
        TestData.AssertLengthError(() => ChannelAffineKernel.Backward<double>(new double[25], new double[3], new double[24], 2, 3, 4), 24, 25);
    }
}

public class PathKernelTests
{
    private static void Check<T>(int count, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(90 + count + features);
        T[] baseline = TestData.Uniform<T>(rng, features);
        T[] direction = TestData.Uniform<T>(rng, features);
        T[] alphas = TestData.Uniform<T>(rng, count, 0, 1);
        T[] weights = TestData.Uniform<T>(rng, count);
        double[] bd = TestData.ToDouble<T>(baseline), dd = TestData.ToDouble<T>(direction), ad = TestData.ToDouble<T>(alphas), wd = TestData.ToDouble<T>(weights);

        var expected = new double[count * features];
        for (int k = 0; k < count; k++)
        {
            for (int i = 0; i < features; i++)
            {
                expected[k * features + i] = bd[i] + ad[k] * dd[i];
            }
        }

        T[] points = TestData.Filled(count * features, T.NaN);
        PathKernel.Interpolate<T>(baseline, direction, alphas, points);
        TestData.AssertClose<T>(expected, points, TestData.Tolerance<T>(), context: $"Interpolate {count}x{features}");

        double[] pd = TestData.ToDouble<T>(points);
        var sum = new double[features];
        var scale = new double[features];
        for (int i = 0; i < features; i++)
        {
            for (int k = 0; k < count; k++)
            {
                sum[i] += wd[k] * pd[k * features + i];
                scale[i] += Math.Abs(wd[k] * pd[k * features + i]);
            }
        }

        T[] destination = TestData.Filled(features, T.NaN);
        PathKernel.WeightedRowSum<T>(points, weights, destination);
        TestData.AssertClose<T>(sum, destination, TestData.Tolerance<T>(), scale, $"WeightedRowSum {count}x{features}");
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 1)]
    [InlineData(1, 33)]
    [InlineData(7, 17)]
    [InlineData(50, 784)]
    [InlineData(20, 0)]
    public void InterpolateAndWeightedRowSum_MatchReference(int count, int features)
    {
        Check<double>(count, features);
        Check<float>(count, features);
    }

    [Fact]
    public void Interpolate_EndpointsAreBaselineAndInput()
    {
        double[] baseline = [0.5, -1, 2], input = [1.5, 3, -2];
        double[] direction = [1, 4, -4];
        var points = new double[6];
        PathKernel.Interpolate<double>(baseline, direction, [0.0, 1.0], points);
        Assert.Equal(new double[] { 0.5, -1, 2, 1.5, 3, -2 }, points);
        Assert.Equal(input, points[3..]);
    }

    [Fact]
    public void BadLengths_Throw()
    {
        TestData.AssertLengthError(() => PathKernel.Interpolate<double>(new double[4], new double[4], new double[3], new double[11]), 12, 11);
        TestData.AssertLengthError(() => PathKernel.Interpolate<double>(new double[4], new double[5], new double[3], new double[12]), 4, 5);
        TestData.AssertLengthError(() => PathKernel.WeightedRowSum<double>(new double[11], new double[3], new double[4]), 12, 11);
    }
}
