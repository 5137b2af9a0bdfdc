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
            foreach (double w in nodes.Coefficients)
            {
                sum += w;
                Assert.True(w > 0);
            }

            Assert.True(Math.Abs(sum - 1) < 1e-13, $"{rule} n={n}: weights sum to {sum:R}");
            Assert.All(nodes.Alphas.ToArray(), a => Assert.InRange(a, 0.0, 1.0));
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
        Assert.Equal(5.0 / 18, nodes.Coefficients[0], 15);
        Assert.Equal(8.0 / 18, nodes.Coefficients[1], 15);
        Assert.Equal(5.0 / 18, nodes.Coefficients[2], 15);
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

    [Fact]
    public void GaussLegendreAsymptotic_AgreesWithNewton_AboveTheSwitch()
    {
        // Above 100 points the rule comes from Bogaert's asymptotic formulas; Newton's method is the reference.
        // Near the ends the reference's own weights carry the node's rounding amplified by
        // d ln w / dx = 2x / (1 - x^2), so its tolerance grows there; the end weights are pinned to
        // high-precision values in GaussLegendre_MatchesHighPrecisionValues.
        for (int n = 101; n <= 200; n++)
        {
            (double[] alphas, double[] weights) = NewtonReference(n);
            QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, n);
            for (int i = 0; i < n; i++)
            {
                double x = 2 * alphas[i] - 1;
                double weightTolerance = 1e-14 + 8 * 2.2e-16 / (1 - x * x);
                Assert.True(Math.Abs(nodes.Alphas[i] - alphas[i]) <= 1e-15, $"n={n} node {i}: {nodes.Alphas[i]:R} vs {alphas[i]:R}");
                Assert.True(Math.Abs(nodes.Coefficients[i] - weights[i]) <= weightTolerance * weights[i], $"n={n} weight {i}: {nodes.Coefficients[i]:R} vs {weights[i]:R}");
            }
        }
    }

    [Theory]
    // n, index, node, weight on [0, 1]: Newton's method on P_n at 40 digits (mpmath).
    [InlineData(101, 0, 0.0001403302351148621158, 0.00036011585320093185088)]
    [InlineData(101, 1, 0.00073924400512124587305, 0.00083794638024951443996)]
    [InlineData(101, 33, 0.24888700790729028448, 0.013382293013586464735)]
    [InlineData(200, 0, 0.000035964357465011475369, 0.000092295048735648721984)]
    [InlineData(200, 1, 0.00018948435953180183593, 0.00021482331522552853642)]
    [InlineData(200, 66, 0.24943559357216635098, 0.0067796439762782848983)]
    [InlineData(1000, 0, 1.4443509622447150619e-6, 3.7066692082160357587e-6)]
    [InlineData(1000, 1, 7.610183541290837851e-6, 8.6283848868696150589e-6)]
    [InlineData(1000, 333, 0.25034002559269251207, 0.0013602853333525398015)]
    [InlineData(1000000, 0, 1.445795044940472483e-12, 3.7103769753276934156e-12)]
    [InlineData(1000000, 1, 7.6178079680856705594e-12, 8.6370513305750674371e-12)]
    public void GaussLegendre_MatchesHighPrecisionValues(int n, int index, double node, double weight)
    {
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, n);

        // Relative, so the nodes next to 0 are held to their own digits; the mirror node is 1 - node.
        Assert.True(Math.Abs(nodes.Alphas[index] - node) <= 4e-15 * node, $"node {nodes.Alphas[index]:R} vs {node:R}");
        Assert.True(Math.Abs(nodes.Alphas[n - 1 - index] - (1 - node)) <= 2.3e-16, $"mirror node {nodes.Alphas[n - 1 - index]:R} vs {1 - node:R}");
        Assert.True(Math.Abs(nodes.Coefficients[index] - weight) <= 4e-15 * weight, $"weight {nodes.Coefficients[index]:R} vs {weight:R}");
        Assert.Equal(nodes.Coefficients[index], nodes.Coefficients[n - 1 - index]);
    }

    [Theory]
    [InlineData(101)]
    [InlineData(257)]
    [InlineData(1000)]
    [InlineData(2001)]
    public void GaussLegendreAsymptotic_IsExactForEveryLegendrePolynomialUpToDegree2NMinus1(int n)
    {
        // integral_0^1 P_j(2a - 1) da is 1 for j = 0 and 0 otherwise; every |P_j| <= 1 on the interval, so the
        // rule must reproduce each to rounding. All degrees 0..2n-1 at once, by the recurrence at each node.
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, n);
        var integrals = new double[2 * n];
        for (int k = 0; k < n; k++)
        {
            double x = 2 * nodes.Alphas[k] - 1;
            double w = nodes.Coefficients[k];
            double previous = 1;
            double current = x;
            integrals[0] += w;
            integrals[1] += w * x;
            for (int j = 2; j < 2 * n; j++)
            {
                double next = ((2 * j - 1) * x * current - (j - 1) * previous) / j;
                integrals[j] += w * next;
                previous = current;
                current = next;
            }
        }

        Assert.True(Math.Abs(integrals[0] - 1) <= 4e-15, $"degree 0: {integrals[0]:R}");
        for (int j = 1; j < 2 * n; j++)
        {
            Assert.True(Math.Abs(integrals[j]) <= 4e-15, $"n={n} degree {j}: {integrals[j]:R}");
        }
    }

    [Theory]
    [InlineData(12345)]
    [InlineData(QuadratureNodes.MaxPoints)]
    public void GaussLegendreAsymptotic_LargeN_WeightsSumToOneAndMonomialsAreExact(int n)
    {
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, n);
        for (int k = 0; k < n; k++)
        {
            Assert.True(nodes.Coefficients[k] > 0);
            Assert.True(k == 0 ? nodes.Alphas[0] > 0 : nodes.Alphas[k] > nodes.Alphas[k - 1], $"node {k} not ascending");
        }

        double sum = Integrate(nodes, _ => 1);
        Assert.True(Math.Abs(sum - 1) <= 4e-16, $"weights sum to {sum:R}");
        Assert.True(nodes.Alphas[^1] < 1);

        // a^d for d up to 2n - 1, relative to the exact 1 / (d + 1). Rounding a node by one ulp moves a^d by
        // d ulps, so the tolerance scales with d.
        foreach (int degree in new[] { 1, 2, 7, 100, n, 2 * n - 1 })
        {
            double value = Integrate(nodes, a => Math.Pow(a, degree));
            double relative = Math.Abs(value * (degree + 1) - 1);
            Assert.True(relative <= 1e-14 + 4 * degree * 1.1e-16, $"n={n} degree={degree}: relative error {relative:E2}");
        }
    }

    [Theory]
    [InlineData(QuadratureRule.GaussLegendre)]
    [InlineData(QuadratureRule.RiemannMiddle)]
    [InlineData(QuadratureRule.Trapezoid)]
    public void StepCountsAboveTheLimit_AreRejectedBeforeAllocating(QuadratureRule rule)
    {
        foreach (int steps in new[] { QuadratureNodes.MaxPoints + 1, 100_000_000, int.MaxValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => QuadratureNodes.Create(rule, steps));
            Assert.Equal("points", error.ParamName);
            Assert.Contains("at most 1000000", error.Message);
            Assert.Contains(steps.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        }

        Assert.Equal(QuadratureNodes.MaxPoints, QuadratureNodes.Create(rule, QuadratureNodes.MaxPoints).Count);
    }

    /// <summary>Newton's method on <c>P_n</c> by the three-term recurrence, mapped to [0, 1]: the exact reference, <c>O(n^2)</c>.</summary>
    private static (double[] Alphas, double[] Weights) NewtonReference(int n)
    {
        var alphas = new double[n];
        var weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            for (int iteration = 0; iteration < 100; iteration++)
            {
                (double current, double derivative) = Legendre(n, x);
                double step = current / derivative;
                x -= step;
                if (Math.Abs(step) < 1e-15)
                {
                    break;
                }
            }

            // One step past a change of 1e-15: Newton's quadratic convergence leaves x at rounding.
            (double value, double slope) = Legendre(n, x);
            x -= value / slope;
            slope = Legendre(n, x).Derivative;
            alphas[i] = 0.5 - 0.5 * x;
            alphas[n - 1 - i] = 0.5 + 0.5 * x;
            weights[i] = weights[n - 1 - i] = 1.0 / ((1 - x * x) * slope * slope);
        }

        if (n % 2 == 1)
        {
            alphas[n / 2] = 0.5;
        }

        return (alphas, weights);
    }

    /// <summary><c>P_n(x)</c> and <c>P_n'(x)</c> by the three-term recurrence.</summary>
    private static (double Value, double Derivative) Legendre(int n, double x)
    {
        double previous = 1;
        double current = x;
        for (int k = 2; k <= n; k++)
        {
            double next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
            previous = current;
            current = next;
        }

        return (current, n * (x * current - previous) / (x * x - 1));
    }

    /// <summary><c>sum_k w_k f(alpha_k)</c>, with Neumaier's compensation so the sum adds no rounding of its own.</summary>
    private static double Integrate(QuadratureNodes nodes, Func<double, double> f)
    {
        double sum = 0;
        double compensation = 0;
        for (int k = 0; k < nodes.Count; k++)
        {
            double term = nodes.Coefficients[k] * f(nodes.Alphas[k]);
            double next = sum + term;
            compensation += Math.Abs(sum) >= Math.Abs(term) ? (sum - next) + term : (term - next) + sum;
            sum = next;
        }

        return sum + compensation;
    }
}
