using System;

namespace Pathwise;

/// <summary>The points <c>alpha_k</c> in [0, 1] and weights <c>w_k</c> of a quadrature rule: <c>integral_0^1 f = sum_k w_k f(alpha_k)</c>.</summary>
public sealed class QuadratureNodes
{
    private QuadratureNodes(QuadratureRule rule, double[] alphas, double[] weights)
    {
        Rule = rule;
        Alphas = alphas;
        Weights = weights;
    }

    /// <summary>The rule.</summary>
    public QuadratureRule Rule { get; }

    /// <summary>The points, ascending.</summary>
    public double[] Alphas { get; }

    /// <summary>The weights; they sum to 1 (to rounding).</summary>
    public double[] Weights { get; }

    /// <summary>The number of points.</summary>
    public int Count => Alphas.Length;

    /// <summary>Computes the <paramref name="steps"/> points and weights of <paramref name="rule"/>.</summary>
    public static QuadratureNodes Create(QuadratureRule rule, int steps)
    {
        int minimum = rule == QuadratureRule.Trapezoid ? 2 : 1;
        if (steps < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Expected at least {minimum} steps for rule {rule}; got {steps}.");
        }

        var alphas = new double[steps];
        var weights = new double[steps];
        switch (rule)
        {
            case QuadratureRule.RiemannLeft:
            case QuadratureRule.RiemannRight:
            case QuadratureRule.RiemannMiddle:
                double offset = rule switch { QuadratureRule.RiemannLeft => 0.0, QuadratureRule.RiemannRight => 1.0, _ => 0.5 };
                for (int k = 0; k < steps; k++)
                {
                    alphas[k] = (k + offset) / steps;
                    weights[k] = 1.0 / steps;
                }

                break;
            case QuadratureRule.Trapezoid:
                for (int k = 0; k < steps; k++)
                {
                    alphas[k] = (double)k / (steps - 1);
                    weights[k] = (k == 0 || k == steps - 1 ? 0.5 : 1.0) / (steps - 1);
                }

                break;
            case QuadratureRule.GaussLegendre:
                GaussLegendre(alphas, weights);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown quadrature rule.");
        }

        return new QuadratureNodes(rule, alphas, weights);
    }

    /// <summary>
    /// Gauss–Legendre nodes and weights mapped to [0, 1]: Newton's method on <c>P_n</c> from the
    /// Tricomi initial guess, each root refined until the step is within a few ulps; weights
    /// <c>2 / ((1 - x^2) P_n'(x)^2)</c>, halved for the interval's length.
    /// </summary>
    private static void GaussLegendre(double[] alphas, double[] weights)
    {
        int n = alphas.Length;
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            // Initial guess for the i-th largest root of P_n.
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            double derivative = 0;
            for (int iteration = 0; iteration < 100; iteration++)
            {
                (double value, double slope) = Legendre(n, x);
                derivative = slope;
                double step = value / slope;
                x -= step;
                // Converged once the step is within a few ulps of x: Newton's next step would only shuffle rounding.
                if (Math.Abs(step) <= 4 * (Math.BitIncrement(Math.Abs(x)) - Math.Abs(x)))
                {
                    break;
                }
            }

            derivative = Legendre(n, x).Derivative;
            double weight = 2.0 / ((1 - x * x) * derivative * derivative);

            // Roots come in pairs ±x; the interval maps by alpha = (1 + x) / 2, weights halve.
            alphas[n - 1 - i] = 0.5 + 0.5 * x;
            alphas[i] = 0.5 - 0.5 * x;
            weights[i] = weights[n - 1 - i] = 0.5 * weight;
        }

        if (n % 2 == 1)
        {
            alphas[n / 2] = 0.5;
        }
    }

    /// <summary><c>P_n(x)</c> and <c>P_n'(x)</c> by the three-term recurrence.</summary>
    private static (double Value, double Derivative) Legendre(int n, double x)
    {
        double previous = 1.0;
        double current = x;
        for (int k = 2; k <= n; k++)
        {
            double next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
            previous = current;
            current = next;
        }

        if (n == 0)
        {
            return (1.0, 0.0);
        }

        double derivative = n * (x * current - previous) / (x * x - 1);
        return (current, derivative);
    }
}
