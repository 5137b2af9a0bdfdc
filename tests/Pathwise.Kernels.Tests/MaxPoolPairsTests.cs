using System;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>The unrolled 2x2, stride-2 max-pool path keeps the general rules: first maximum on ties, NaN wins.</summary>
public sealed class MaxPoolPairsTests
{
    private static readonly Pool2DShape Shape = new(1, 2, 4, 2, 2);

    [Theory]
    [InlineData(new[] { 1.0, 1.0, 1.0, 1.0 }, 0)]
    [InlineData(new[] { 0.0, 2.0, 2.0, 2.0 }, 1)]
    [InlineData(new[] { 0.0, 1.0, 3.0, 3.0 }, 2)]
    [InlineData(new[] { 0.0, 1.0, 2.0, 3.0 }, 3)]
    [InlineData(new[] { 5.0, double.NaN, 9.0, double.NaN }, 1)]
    [InlineData(new[] { double.NegativeInfinity, double.PositiveInfinity, double.PositiveInfinity, 0.0 }, 1)]
    public void TiesGoToTheFirstMaximum_AndNaNWins(double[] window, int expected)
    {
        // Window [a b; c d] in the left 2x2 of a 2x4 plane; the right window holds zeros.
        double[] x = [window[0], window[1], 0, 0, window[2], window[3], 0, 0];
        int[] position = [0, 1, 4, 5];
        var y = new double[2];
        Pool2DKernel.MaxForward<double>(x, y, 1, Shape);
        Assert.Equal(x[position[expected]], y[0]);

        var dx = new double[8];
        Pool2DKernel.MaxBackward<double>(x, [7.0, 0.0], dx, 1, Shape);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(i == expected ? 7.0 : 0.0, dx[position[i]]);
        }

        var ty = new double[2];
        Pool2DKernel.MaxTangent<double>(x, [10, 11, 0, 0, 12, 13, 0, 0], ty, 1, Shape);
        Assert.Equal(new[] { 10.0, 11.0, 12.0, 13.0 }[expected], ty[0]);
    }
}
