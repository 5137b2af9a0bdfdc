using System;

namespace Pathwise;

/// <summary>
/// Gauss–Legendre nodes and weights on [0, 1]: Newton's method on <c>P_n</c> for small <c>n</c> (exact to
/// rounding, <c>O(n^2)</c>), Bogaert's iteration-free asymptotic formulas for larger <c>n</c> (<c>O(1)</c> per node).
/// </summary>
internal static class GaussLegendre
{
    /// <summary>The largest <c>n</c> computed by Newton's method; above it the asymptotic formulas are as accurate.</summary>
    public const int NewtonLimit = 100;

    // The first zeros j_{0,k} of the Bessel function J_0, and J_1(j_{0,k})^2, k = 1..20 (21 for the squares);
    // computed with mpmath at 40 digits. Beyond the tables the asymptotic series below are exact to rounding.
    private static readonly double[] s_besselZeros =
    [
        2.40482555769577276862, 5.5200781102863106496, 8.65372791291101221695, 11.7915344390142816137,
        14.9309177084877859478, 18.0710639679109225431, 21.2116366298792589591, 24.3524715307493027371,
        27.4934791320402547959, 30.6346064684319751175, 33.7758202135735686842, 36.9170983536640439798,
        40.0584257646282392948, 43.1997917131767303575, 46.3411883716618140187, 49.4826098973978171736,
        52.6240518411149960293, 55.7655107550199793117, 58.9069839260809421328, 62.0484691902271698829,
    ];

    private static readonly double[] s_besselJ1Squared =
    [
        0.269514123941916926139, 0.115780138582203695808, 0.0736863511364082151406, 0.0540375731981162820418,
        0.0426614290172430912655, 0.0352421034909961013587, 0.0300210701030546726751, 0.0261473914953080885905,
        0.0231591218246913922653, 0.020783829122267857604, 0.0188504506693176678161, 0.0172461575696650082995,
        0.0158935181059235978027, 0.0147376260964721895896, 0.0137384651453871179183, 0.0128661817376151328791,
        0.0120980515486267975471, 0.0114164712244916085169, 0.0108075927911802040116, 0.010260372926280762811,
        0.0097658971397910505406,
    ];

    /// <summary>Fills <paramref name="alphas"/> (ascending) and <paramref name="weights"/> with the <c>alphas.Length</c>-point rule on [0, 1].</summary>
    public static void Compute(double[] alphas, double[] weights)
    {
        if (alphas.Length <= NewtonLimit)
        {
            Newton(alphas, weights);
        }
        else
        {
            Asymptotic(alphas, weights);
        }
    }

    /// <summary>
    /// Newton's method on <c>P_n</c> from the Tricomi initial guess, each root refined until the step is within
    /// a few ulps; weights <c>2 / ((1 - x^2) P_n'(x)^2)</c>, halved for the interval's length. Each evaluation of
    /// <c>P_n</c> costs <c>O(n)</c>, so the rule costs <c>O(n^2)</c>: used only up to <see cref="NewtonLimit"/>.
    /// </summary>
    private static void Newton(double[] alphas, double[] weights)
    {
        int n = alphas.Length;
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            // Initial guess for the i-th largest root of P_n.
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            for (int iteration = 0; iteration < 100; iteration++)
            {
                (double value, double slope) = Legendre(n, x);
                double step = value / slope;
                x -= step;
                // Converged once the step is within a few ulps of x: Newton's next step would only shuffle rounding.
                if (Math.Abs(step) <= 4 * (Math.BitIncrement(Math.Abs(x)) - Math.Abs(x)))
                {
                    break;
                }
            }

            double derivative = Legendre(n, x).Derivative;
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

    /// <summary>
    /// Bogaert's iteration-free formulas (SIAM J. Sci. Comput. 36(3), A1008–A1026, 2014). The k-th root of
    /// <c>P_n</c> from the right is <c>cos(theta_k)</c>, where with <c>v = 1 / (n + 1/2)</c>, <c>a = v j_{0,k}</c>
    /// and <c>u = cot a</c>:
    /// <c>theta_k = a + v^2 (u - 1/a) / 8 + v^4 T_2(a, u) + v^6 T_3(a, u) + O(v^8)</c>, and its weight is
    /// <c>2 / (J_1(j_{0,k})^2 (a / sin a) (1 / v^2 + W_1 + v^2 W_2 + v^4 W_3))</c>. The errors are within a few
    /// ulps for <c>n &gt; 100</c>. On [0, 1] the node is <c>sin^2(theta_k / 2)</c>, with no cancellation near 0.
    /// </summary>
    private static void Asymptotic(double[] alphas, double[] weights)
    {
        int n = alphas.Length;
        double v = 1.0 / (n + 0.5);
        double v2 = v * v;
        for (int k = 1; k <= (n + 1) / 2; k++)
        {
            double a = v * BesselZero(k);
            double u = Math.Cos(a) / Math.Sin(a);
            double u2 = u * u;
            double a2 = a * a;
            double a3 = a2 * a;
            double a5 = a3 * a2;
            double theta = a
                + v2 * ((u - 1 / a) / 8
                + v2 * ((6 * (1 + u2) / a + 25 / a3 - u * (31 * u2 + 33)) / 384
                + v2 * (u * (2595 + u2 * (6350 + u2 * 3779)) / 15360
                    + (1 + u2) * (-(31 * u2 + 11) / (1024 * a) + u / (512 * a2) - 25 / (3072 * a3))
                    - 1073 / (5120 * a5))));

            double ua = u * a;
            double inverse = 1 / a;
            double inverse2 = inverse * inverse;
            double w1 = ((ua - 1) * inverse2 + 1) / 8;
            double w2 = (-27 - u2 * (84 + 56 * u2)
                + inverse2 * (-3 * (1 - 2 * u2) + 6 * ua
                + inverse2 * (81 - 31 * ua))) / 384;
            // W_3 as a polynomial in 1/a whose coefficients are polynomials in u.
            double q0 = 153.0 / 1024 + u2 * (295.0 / 256 + u2 * (187.0 / 96 + u2 * (151.0 / 160)));
            double q1 = -u * (65.0 / 1024 + u2 * (119.0 / 768 + u2 * (35.0 / 384)));
            double q2 = 5.0 / 512 + u2 * (15.0 / 512 + u2 * (7.0 / 384));
            double q3 = u * (u2 / 512 - 13.0 / 1536);
            double q4 = 53.0 / 3072 - u2 * (7.0 / 384);
            double q5 = 3749.0 / 15360 * u;
            const double q6 = -1125.0 / 1024;
            double w3 = q0 + inverse * (q1 + inverse * (q2 + inverse * (q3 + inverse * (q4 + inverse * (q5 + inverse * q6)))));
            double weight = 2 / (BesselJ1Squared(k) * (a / Math.Sin(a)) * (1 / v2 + w1 + v2 * (w2 + v2 * w3)));

            // On [0, 1]: 1 -/+ cos(theta) over 2, written without cancellation; weights halve.
            double half = Math.Sin(theta / 2);
            double low = half * half;
            double lowCos = Math.Cos(theta / 2);
            alphas[k - 1] = low;
            alphas[n - k] = lowCos * lowCos;
            weights[k - 1] = weights[n - k] = 0.5 * weight;
        }

        if (n % 2 == 1)
        {
            alphas[n / 2] = 0.5;
        }
    }

    /// <summary>The k-th positive zero of <c>J_0</c>: tabulated, then McMahon's expansion in <c>1 / ((k - 1/4) pi)</c>.</summary>
    private static double BesselZero(int k)
    {
        if (k <= s_besselZeros.Length)
        {
            return s_besselZeros[k - 1];
        }

        double beta = (k - 0.25) * Math.PI;
        double r = 1 / beta;
        double r2 = r * r;
        return beta + r * (1.0 / 8 + r2 * (-31.0 / 384 + r2 * (3779.0 / 15360 + r2 * (-6277237.0 / 3440640
            + r2 * (25.3364147973439050099 + r2 * (-567.644412135183381139 + r2 * (18690.4765282320653832
            + r2 * (-849353.580299148769922 + r2 * 50922546.2402226769499))))))));
    }

    /// <summary><c>J_1(j_{0,k})^2</c>: tabulated, then its expansion in <c>1 / (k - 1/4)</c>, led by <c>2 / pi^2</c>.</summary>
    private static double BesselJ1Squared(int k)
    {
        if (k <= s_besselJ1Squared.Length)
        {
            return s_besselJ1Squared[k - 1];
        }

        double x = 1 / (k - 0.25);
        double x2 = x * x;
        return x * (0.202642367284675542888 + x2 * x2 * (-0.303380429711290253026e-3 + x2 * (0.198924364245969295201e-3
            + x2 * (-0.228969902772111653039e-3 + x2 * (0.433710719130746277916e-3 + x2 * (-0.123632349727175414725e-2
            + x2 * (0.496101423268883102872e-2 + x2 * (-0.266837393702323757701e-1 + x2 * 0.185395398206345628711))))))));
    }
}
