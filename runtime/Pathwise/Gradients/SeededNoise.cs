using System;

namespace Pathwise;

/// <summary>
/// The one Gaussian draw of the noise tunnel and the metrics, written out so a test (or a user) can reproduce it:
/// from <c>new Random(seed)</c>, each value takes two draws <c>u1 = NextDouble()</c>, <c>u2 = NextDouble()</c> and is
/// <c>sqrt(-2 ln(1 - u1)) cos(2 pi u2)</c> (Box–Muller, the sine half unused), values in row-major order.
/// </summary>
internal static class SeededNoise
{
    /// <summary>One standard normal value from <paramref name="random"/>, by the rule above.</summary>
    public static double Gaussian(Random random)
    {
        double u1 = random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
