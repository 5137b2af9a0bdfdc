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

    /// <summary>
    /// The most points a rule may have: 1,000,000, far beyond what a path integral needs (Integrated Gradients
    /// defaults to 50). The limit keeps a mistaken count from allocating gigabytes; every rule up to it is
    /// computed in well under a second, Gauss–Legendre included (<c>O(n)</c> above 100 points).
    /// </summary>
    public const int MaxSteps = 1_000_000;

    /// <summary>Computes the <paramref name="steps"/> points and weights of <paramref name="rule"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="steps"/> is below 1 (2 for the trapezoid rule) or above <see cref="MaxSteps"/>, or the rule is unknown.
    /// </exception>
    public static QuadratureNodes Create(QuadratureRule rule, int steps)
    {
        int minimum = rule == QuadratureRule.Trapezoid ? 2 : 1;
        if (steps < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Expected at least {minimum} steps for rule {rule}; got {steps}.");
        }

        if (steps > MaxSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Expected at most {MaxSteps} steps (QuadratureNodes.MaxSteps); got {steps}.");
        }

        if (!Enum.IsDefined(rule))
        {
            throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown quadrature rule.");
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
                GaussLegendre.Compute(alphas, weights);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown quadrature rule.");
        }

        return new QuadratureNodes(rule, alphas, weights);
    }
}
