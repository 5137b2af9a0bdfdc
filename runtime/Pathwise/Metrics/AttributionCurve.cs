using System;

namespace Pathwise;

/// <summary>
/// A deletion or insertion curve: the explained output <c>F_target</c> after each step, against the fraction of
/// features removed (or inserted), and the area under it by the trapezoid rule,
/// <c>sum_s (f_{s+1} - f_s)(o_s + o_{s+1}) / 2</c> over <c>f</c> in <c>[0, 1]</c>.
/// </summary>
/// <remarks>Immutable: the points are read through read-only spans.</remarks>
public sealed class AttributionCurve
{
    private readonly double[] _fractions;
    private readonly double[] _outputs;

    /// <summary>Wraps a computed curve; the result owns both arrays from then on (they are not copied) and computes the area.</summary>
    /// <exception cref="ArgumentException">The arrays differ in length, are empty, or the fractions are not non-decreasing.</exception>
    public AttributionCurve(double[] fractions, double[] outputs)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        ArgumentNullException.ThrowIfNull(outputs);
        if (fractions.Length == 0 || fractions.Length != outputs.Length)
        {
            throw new ArgumentException($"Expected as many outputs as fractions, at least one; got {fractions.Length} fractions and {outputs.Length} outputs.", nameof(outputs));
        }

        double area = 0;
        for (int s = 0; s + 1 < fractions.Length; s++)
        {
            double width = fractions[s + 1] - fractions[s];
            if (!(width >= 0))
            {
                throw new ArgumentException($"Expected non-decreasing fractions; element {s + 1} is {fractions[s + 1]} after {fractions[s]}.", nameof(fractions));
            }

            area += width * (outputs[s] + outputs[s + 1]) / 2;
        }

        _fractions = fractions;
        _outputs = outputs;
        Area = area;
    }

    /// <summary>The fraction of features removed (or inserted) at each step, <c>f_s</c>, from 0 to 1.</summary>
    public ReadOnlySpan<double> Fractions => _fractions;

    /// <summary>The explained output <c>o_s = F_target</c> at each step.</summary>
    public ReadOnlySpan<double> Outputs => _outputs;

    /// <summary>The number of steps <c>K</c> (one fewer than the points).</summary>
    public int Steps => _fractions.Length - 1;

    /// <summary>The area under the curve by the trapezoid rule, <c>sum_s (f_{s+1} - f_s)(o_s + o_{s+1}) / 2</c>.</summary>
    public double Area { get; }
}
