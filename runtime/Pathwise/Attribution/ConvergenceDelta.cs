namespace Pathwise;

/// <summary>
/// How far an attribution is from completeness: <c>Absolute = sum(attributions) - (F(x) - F(x'))</c>, and
/// <c>Relative = |Absolute| / max(|F(x) - F(x')|, tiny)</c>.
/// </summary>
public readonly record struct ConvergenceDelta(double Absolute, double Relative, double OutputAtInput, double OutputAtBaseline)
{
    /// <summary>Builds the delta from the attribution sum and the two endpoint outputs.</summary>
    public static ConvergenceDelta From(double attributionSum, double outputAtInput, double outputAtBaseline)
    {
        double change = outputAtInput - outputAtBaseline;
        double absolute = attributionSum - change;
        double relative = System.Math.Abs(absolute) / System.Math.Max(System.Math.Abs(change), 1e-300);
        return new ConvergenceDelta(absolute, relative, outputAtInput, outputAtBaseline);
    }
}
