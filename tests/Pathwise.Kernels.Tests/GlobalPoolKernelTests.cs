using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>Global average pooling against a scalar reference for every plane size 1..70 (all SIMD tails), its gradient against finite differences, and its bad cases.</summary>
public class GlobalPoolKernelTests
{
    private static double[] Reference(double[] x, int planes, int spatial)
    {
        var y = new double[planes];
        for (int p = 0; p < planes; p++)
        {
            double sum = 0;
            for (int s = 0; s < spatial; s++)
            {
                sum += x[p * spatial + s];
            }

            y[p] = sum / spatial;
        }

        return y;
    }

    [Fact]
    public void Forward_MatchesTheMean_Float64() => ForwardSweep<double>();

    [Fact]
    public void Forward_MatchesTheMean_Float32() => ForwardSweep<float>();

    private static void ForwardSweep<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        Random rng = TestData.Rng(5);
        for (int spatial = 1; spatial <= 70; spatial++)
        {
            const int count = 2, channels = 3;
            T[] x = TestData.Uniform<T>(rng, count * channels * spatial);
            var y = new T[count * channels];
            GlobalPoolKernel.AvgForward<T>(x, y, count, channels, spatial);
            double[] xd = TestData.ToDouble<T>(x);
            var scale = new double[count * channels];
            for (int p = 0; p < scale.Length; p++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    scale[p] += Math.Abs(xd[p * spatial + s]) / spatial;
                }
            }

            TestData.AssertClose<T>(Reference(xd, count * channels, spatial), y, TestData.Tolerance<T>(), scale, $"spatial {spatial}");
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 7)]
    [InlineData(3, 2, 16)]
    [InlineData(1, 4, 33)]
    public void Backward_MatchesFiniteDifferences_AndOverwrites(int count, int channels, int spatial)
    {
        Random rng = TestData.Rng(count * 100 + spatial);
        double[] x = TestData.Uniform<double>(rng, count * channels * spatial);
        double[] dy = TestData.Uniform<double>(rng, count * channels);
        double[] expected = TestData.FiniteDifferenceGradient(
            (input, output) => GlobalPoolKernel.AvgForward<double>(input, output, count, channels, spatial), x, dy, count * channels);
        double[] dx = TestData.Filled(x.Length, 123.0); // overwritten, not accumulated into
        GlobalPoolKernel.AvgBackward<double>(dy, dx, count, channels, spatial);
        Assert.True(TestData.RelativeError(dx, expected) < 1e-9, $"relative error {TestData.RelativeError(dx, expected):E2}");
    }

    [Fact]
    public void ZeroPoints_DoNothing()
    {
        GlobalPoolKernel.AvgForward<double>([], [], 0, 2, 4);
        GlobalPoolKernel.AvgBackward<double>([], [], 0, 2, 4);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheParameter()
    {
        var x = new double[2 * 3 * 4];
        var y = new double[2 * 3];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GlobalPoolKernel.AvgForward<double>(x, new double[5], 2, 3, 4)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => GlobalPoolKernel.AvgForward<double>(new double[23], y, 2, 3, 4)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => GlobalPoolKernel.AvgBackward<double>(y, new double[25], 2, 3, 4)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => GlobalPoolKernel.AvgBackward<double>(new double[7], x, 2, 3, 4)).ParamName);
        Assert.Equal("spatial", Assert.Throws<ArgumentException>(() => GlobalPoolKernel.AvgForward<double>(x, y, 2, 3, 0)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentException>(() => GlobalPoolKernel.AvgForward<double>(x, y, -1, 3, 4)).ParamName);
    }
}
