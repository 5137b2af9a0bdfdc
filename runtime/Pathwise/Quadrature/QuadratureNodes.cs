using System;

namespace Pathwise;

/// <summary>The points <c>alpha_k</c> in [0, 1] and coefficients <c>c_k</c> of a quadrature rule: <c>integral_0^1 f = sum_k c_k f(alpha_k)</c>.</summary>
public sealed class QuadratureNodes
{
    private readonly double[] _alphas;
    private readonly double[] _coefficients;

    private QuadratureNodes(QuadratureRule rule, double[] alphas, double[] coefficients)
    {
        Rule = rule;
        _alphas = alphas;
        _coefficients = coefficients;
    }

    /// <summary>The rule.</summary>
    public QuadratureRule Rule { get; }

    /// <summary>The points, ascending.</summary>
    public ReadOnlySpan<double> Alphas => _alphas;

    /// <summary>The coefficients; they sum to 1 (to rounding).</summary>
    public ReadOnlySpan<double> Coefficients => _coefficients;

    /// <summary>The number of points.</summary>
    public int Count => _alphas.Length;

    /// <summary>
    /// The most points a rule may have: 1,000,000, far beyond what a path integral needs (Integrated Gradients
    /// defaults to 50). The limit keeps a mistaken count from allocating gigabytes; every rule up to it is
    /// computed in well under a second, Gauss–Legendre included (<c>O(n)</c> above 100 points).
    /// </summary>
    public const int MaxPoints = 1_000_000;

    /// <summary>Computes the <paramref name="points"/> points and coefficients of <paramref name="rule"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="points"/> is below 1 (2 for the trapezoid rule) or above <see cref="MaxPoints"/>, or the rule is unknown.
    /// </exception>
    public static QuadratureNodes Create(QuadratureRule rule, int points)
    {
        int minimum = rule == QuadratureRule.Trapezoid ? 2 : 1;
        if (points < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(points), points, $"Expected at least {minimum} points for rule {rule}; got {points}.");
        }

        if (points > MaxPoints)
        {
            throw new ArgumentOutOfRangeException(nameof(points), points, $"Expected at most {MaxPoints} points (QuadratureNodes.MaxPoints); got {points}.");
        }

        if (!Enum.IsDefined(rule))
        {
            throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown quadrature rule.");
        }

        var alphas = new double[points];
        var coefficients = new double[points];
        switch (rule)
        {
            case QuadratureRule.RiemannLeft:
            case QuadratureRule.RiemannRight:
            case QuadratureRule.RiemannMiddle:
                double offset = rule switch { QuadratureRule.RiemannLeft => 0.0, QuadratureRule.RiemannRight => 1.0, _ => 0.5 };
                for (int k = 0; k < points; k++)
                {
                    alphas[k] = (k + offset) / points;
                    coefficients[k] = 1.0 / points;
                }

                break;
            case QuadratureRule.Trapezoid:
                for (int k = 0; k < points; k++)
                {
                    alphas[k] = (double)k / (points - 1);
                    coefficients[k] = (k == 0 || k == points - 1 ? 0.5 : 1.0) / (points - 1);
                }

                break;
            case QuadratureRule.GaussLegendre:
                GaussLegendre.Compute(alphas, coefficients);
                break;
            case QuadratureRule.Exact:
                throw new ArgumentException("The exact rule's points are the pieces of each path, not fixed nodes; the methods compute them per call.", nameof(rule));
            case QuadratureRule.Adaptive:
                throw new ArgumentException("The adaptive rule's points depend on the integrand, not fixed nodes; the methods compute them per call.", nameof(rule));
            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown quadrature rule.");
        }

        return new QuadratureNodes(rule, alphas, coefficients);
    }
}
