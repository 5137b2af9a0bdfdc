using System;

namespace Pathwise;

/// <summary>
/// The estimated quadrature error of a result integrated by <see cref="QuadratureRule.Adaptive"/>: per value and for
/// their sum, from the difference of nested Gauss–Kronrod rules on each interval
/// (<c>Features[j] = sum_intervals |s_j (K15_j - G7_j)|</c>, <c>Total = sum_intervals |sum_j s_j (K15_j - G7_j)|</c>, where
/// <c>s_j</c> is what the method multiplies the integral by, <c>x_j - x'_j</c> for Integrated Gradients), plus a
/// rounding floor of 16 machine epsilons of each interval's value. Both bound the absolute error of the reported
/// values in practice (the 15-point result is far more accurate than the 7-point one it is compared with), not with
/// certainty: on random tanh, GELU and ReLU-below-tanh MLPs the tests find every value's true error within its estimate.
/// </summary>
/// <remarks>Immutable: the per-value estimates are read through a read-only span.</remarks>
public sealed class QuadratureError
{
    private readonly double[] _features;

    /// <summary>Wraps computed estimates; the object owns <paramref name="features"/> from then on (it is not copied).</summary>
    /// <exception cref="ArgumentException">An estimate is negative or not finite, or <paramref name="points"/> or <paramref name="intervals"/> is negative.</exception>
    public QuadratureError(double total, double[] features, bool converged, double tolerance, int points, int intervals)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (!(total >= 0) || double.IsInfinity(total))
        {
            throw new ArgumentException($"Expected a finite, non-negative total estimate; got {total}.", nameof(total));
        }

        foreach (double feature in features)
        {
            if (!(feature >= 0) || double.IsInfinity(feature))
            {
                throw new ArgumentException($"Expected finite, non-negative estimates; got {feature}.", nameof(features));
            }
        }

        ArgumentOutOfRangeException.ThrowIfNegative(points);
        ArgumentOutOfRangeException.ThrowIfNegative(intervals);
        _features = features;
        (Total, Converged, Tolerance, Points, Intervals) = (total, converged, tolerance, points, intervals);
    }

    /// <summary>The methods' constructor: the estimates as computed (not finite when the network's gradients were not).</summary>
    internal QuadratureError(double total, double[] features, bool converged, double tolerance, int points, int intervals, bool _)
    {
        Total = total;
        _features = features;
        Converged = converged;
        Tolerance = tolerance;
        Points = points;
        Intervals = intervals;
    }

    /// <summary>The estimated absolute error of the sum of the values, <c>|sum_j (value_j - exact_j)|</c>.</summary>
    public double Total { get; }

    /// <summary>The estimated absolute error of each value, <c>|value_j - exact_j|</c>, in the result's order.</summary>
    public ReadOnlySpan<double> Features => _features;

    /// <summary>
    /// The sum of <see cref="Features"/>. When <see cref="Converged"/>, its truncation part (without the rounding floor)
    /// is at most <c>Tolerance * sum_j |value_j|</c>, the sums taken over every quantity the call integrated (for region
    /// to neuron, the region's IG too; for several targets, all of them).
    /// </summary>
    public double FeatureSum()
    {
        double sum = 0;
        foreach (double feature in _features)
        {
            sum += feature;
        }

        return sum;
    }

    /// <summary>
    /// Whether the tolerance was met (see <see cref="FeatureSum"/>). False when the call stopped at
    /// <c>MaxPoints</c> (or at intervals too short to halve) first; the values are then the best the budget gave.
    /// </summary>
    public bool Converged { get; }

    /// <summary>The relative tolerance asked for (<see cref="IntegratedGradientsOptions.Tolerance"/>).</summary>
    public double Tolerance { get; }

    /// <summary>The gradient evaluations used: 22 per interval ever integrated (15 Kronrod and 7 Gauss points).</summary>
    public int Points { get; }

    /// <summary>The number of intervals the path was finally cut into.</summary>
    public int Intervals { get; }
}
