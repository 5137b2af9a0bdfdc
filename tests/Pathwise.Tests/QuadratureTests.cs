using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>Every rule's points and weights: weights sum to 1 for every n, and each rule integrates what it must exactly.</summary>
public sealed class QuadratureTests
{
    [Theory]
    [InlineData(QuadratureRule.RiemannLeft)]
    [InlineData(QuadratureRule.RiemannRight)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    [InlineData(QuadratureRule.GaussLegendre)]
    public void WeightsSumToOne_ForEveryStepCount(QuadratureRule rule)
    {
        for (int n = rule == QuadratureRule.Trapezoid ? 2 : 1; n <= 300; n++)
        {
            QuadratureNodes nodes = QuadratureNodes.Create(rule, n);
            double sum = 0;
            foreach (double w in nodes.Weights)
            {
                sum += w;
                Assert.True(w > 0);
            }

            Assert.True(Math.Abs(sum - 1) < 1e-13, $"{rule} n={n}: weights sum to {sum:R}");
            Assert.All(nodes.Alphas, a => Assert.InRange(a, 0.0, 1.0));
        }
    }

    [Fact]
    public void TrapezoidIncludesBothEndpoints_AndLinearFunctionsExactly()
    {
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.Trapezoid, 50);
        Assert.Equal(0.0, nodes.Alphas[0]);
        Assert.Equal(1.0, nodes.Alphas[^1]);
        Assert.Equal(0.5, Integrate(nodes, a => a), 14);
    }

    [Fact]
    public void MidpointIntegratesLinearFunctionsExactly() =>
        Assert.Equal(0.5, Integrate(QuadratureNodes.Create(QuadratureRule.RiemannMiddle, 7), a => a), 15);

    [Fact]
    public void GaussLegendreThreePoints_MatchesClosedForm()
    {
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, 3);
        double offset = Math.Sqrt(15) / 10;
        Assert.Equal(0.5 - offset, nodes.Alphas[0], 15);
        Assert.Equal(0.5, nodes.Alphas[1], 15);
        Assert.Equal(0.5 + offset, nodes.Alphas[2], 15);
        Assert.Equal(5.0 / 18, nodes.Weights[0], 15);
        Assert.Equal(8.0 / 18, nodes.Weights[1], 15);
        Assert.Equal(5.0 / 18, nodes.Weights[2], 15);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(100)]
    public void GaussLegendre_IsExactForDegree2NMinus1(int n)
    {
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, n);
        for (int degree = 0; degree <= 2 * n - 1; degree += Math.Max(1, (2 * n - 1) / 12))
        {
            double exact = 1.0 / (degree + 1);
            double value = Integrate(nodes, a => Math.Pow(a, degree));
            Assert.True(Math.Abs(value - exact) <= 4e-15 * Math.Max(1, n / 8.0), $"n={n} degree={degree}: {value:R} vs {exact:R}");
        }
    }

    [Fact]
    public void GaussLegendre_NodesAreSymmetricAndAscending()
    {
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, 64);
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(1.0, nodes.Alphas[i] + nodes.Alphas[63 - i], 15);
            if (i > 0)
            {
                Assert.True(nodes.Alphas[i] > nodes.Alphas[i - 1]);
            }
        }
    }

    [Fact]
    public void BadStepCounts_AreRejectedWithTheRuleNamed()
    {
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => QuadratureNodes.Create(QuadratureRule.GaussLegendre, 0));
        Assert.Contains("at least 1", zero.Message);
        var trapezoid = Assert.Throws<ArgumentOutOfRangeException>(() => QuadratureNodes.Create(QuadratureRule.Trapezoid, 1));
        Assert.Contains("Trapezoid", trapezoid.Message);
    }

    private static double Integrate(QuadratureNodes nodes, Func<double, double> f)
    {
        double sum = 0;
        for (int k = 0; k < nodes.Count; k++)
        {
            sum += nodes.Weights[k] * f(nodes.Alphas[k]);
        }

        return sum;
    }
}
