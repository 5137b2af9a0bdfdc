using System;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

public class SpecialFunctionsTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(1.5, 0.9661051464753108)]
    public void Erf_KnownValues(double x, double expected)
    {
        Assert.Equal(expected, SpecialFunctions.Erf(x), 1e-15);
        Assert.Equal(-expected, SpecialFunctions.Erf(-x), 1e-15);
    }

    [Theory]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(10.0, 2.0884875837625446e-45)]
    public void Erfc_KnownTailValues_RelativeAccuracy(double x, double expected)
    {
        Assert.True(Math.Abs(SpecialFunctions.Erfc(x) / expected - 1) < 2e-15);
        Assert.Equal(2 - expected, SpecialFunctions.Erfc(-x), 1e-15);
    }

    [Fact]
    public void Erf_SpecialValues()
    {
        Assert.Equal(1.0, SpecialFunctions.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.Equal(1.0, SpecialFunctions.Erf(40));
        Assert.Equal(0.0, SpecialFunctions.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, SpecialFunctions.Erfc(double.NegativeInfinity));
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
        Assert.True(double.IsNaN(SpecialFunctions.Erfc(double.NaN)));
    }

    // 28-digit reference: erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (2n+1)!!, all terms positive.
    private static decimal ExpDecimal(decimal y)
    {
        bool negative = y < 0;
        if (negative)
        {
            y = -y;
        }

        int halvings = 0;
        while (y > 0.5m)
        {
            y /= 2;
            halvings++;
        }

        decimal sum = 1, term = 1;
        for (int n = 1; n < 60 && term != 0; n++)
        {
            term = term * y / n;
            sum += term;
        }

        for (int i = 0; i < halvings; i++)
        {
            sum *= sum;
        }

        return negative ? 1 / sum : sum;
    }

    private static decimal ErfDecimal(decimal x)
    {
        decimal sum = 0, term = x;
        for (int n = 0; n < 400 && term > 1e-27m; n++)
        {
            sum += term;
            term = term * 2 * x * x / (2 * n + 3);
        }

        return 1.1283791670955125738961589031m * ExpDecimal(-x * x) * sum;
    }

    [Fact]
    public void Erf_MatchesHighPrecisionSeries()
    {
        for (int k = 0; k <= 300; k++)
        {
            double x = k / 100.0 + 0.0037; // not on a grid of round numbers
            decimal reference = ErfDecimal((decimal)x);
            double rounded = (double)reference;
            // (decimal)x keeps ~15 digits of x; bound the induced error by the derivative.
            double slope = 1.1283791670955126 * Math.Exp(-x * x);
            double xError = Math.Abs(x - (double)(decimal)x);
            Assert.True(Math.Abs(SpecialFunctions.Erf(x) - rounded) <= 5e-16 + slope * xError * 2, $"erf({x})");
            double erfc = (double)(1 - reference);
            Assert.True(Math.Abs(SpecialFunctions.Erfc(x) - erfc) <= 2e-15 * erfc + slope * xError * 2, $"erfc({x})");
        }
    }
}
