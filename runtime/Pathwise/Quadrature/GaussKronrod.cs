using System;
using System.Numerics;

namespace Pathwise;

/// <summary>
/// The 7-point Gauss and 15-point Kronrod rules on [-1, 1] (QUADPACK's <c>qk15</c> constants): the Kronrod points
/// contain the Gauss points, K15 is exact for polynomials of degree 22 and G7 for degree 13, and <c>|K15 - G7|</c> is
/// the classical (pessimistic) estimate of K15's error on an interval.
/// </summary>
internal static class GaussKronrod
{
    /// <summary>The number of Kronrod points.</summary>
    public const int KronrodPoints = 15;

    /// <summary>The number of Gauss points.</summary>
    public const int GaussPoints = 7;

    /// <summary>The points of one interval: the Kronrod rule's and the Gauss rule's, <c>KronrodPoints + GaussPoints</c> gradients.</summary>
    public const int PointsPerInterval = KronrodPoints + GaussPoints;

    // The non-negative Kronrod abscissae, descending; the odd ones (1, 3, 5, 7) are the Gauss abscissae.
    private static readonly double[] s_abscissae =
    [
        0.991455371120812639206854697526329,
        0.949107912342758524526189684047851,
        0.864864423359769072789712788640926,
        0.741531185599394439863864773280788,
        0.586087235467691130294144845693013,
        0.405845151377397166906606412076961,
        0.207784955007898467600689403773245,
        0.0,
    ];

    private static readonly double[] s_kronrodWeights =
    [
        0.022935322010529224963732008058970,
        0.063092092629978553290700663189204,
        0.104790010322250183839876322541518,
        0.140653259715525918745189590510238,
        0.169004726639267902826583426598550,
        0.190350578064785409913256402421014,
        0.204432940075298892414161999234649,
        0.209482141084727828012999174891714,
    ];

    // The Gauss weights of abscissae 1, 3, 5 and 7.
    private static readonly double[] s_gaussWeights =
    [
        0.129484966168869693270611432679082,
        0.279705391489276667901467771423780,
        0.381830050505118944950369775488975,
        0.417959183673469387755102040816327,
    ];

    /// <summary>
    /// The Kronrod points and weights on [<paramref name="low"/>, <paramref name="high"/>], ascending:
    /// <c>alphas[k] = m + h x_k</c>, <c>coefficients[k] = h w_k</c> with <c>m</c> the middle and <c>h</c> the half-length;
    /// both destinations of <see cref="KronrodPoints"/> values, overwritten.
    /// </summary>
    public static void Kronrod<T>(double low, double high, Span<T> alphas, Span<T> coefficients) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double middle = 0.5 * (low + high);
        double half = 0.5 * (high - low);
        for (int k = 0; k < KronrodPoints; k++)
        {
            int i = k < 7 ? k : 14 - k;
            double x = k < 7 ? -s_abscissae[i] : s_abscissae[i];
            alphas[k] = T.CreateChecked(middle + (half * x));
            coefficients[k] = T.CreateChecked(half * s_kronrodWeights[i]);
        }
    }

    /// <summary>The Gauss points and weights on [<paramref name="low"/>, <paramref name="high"/>], ascending, as <see cref="Kronrod{T}"/>; <see cref="GaussPoints"/> values each.</summary>
    public static void Gauss<T>(double low, double high, Span<T> alphas, Span<T> coefficients) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double middle = 0.5 * (low + high);
        double half = 0.5 * (high - low);
        for (int k = 0; k < GaussPoints; k++)
        {
            int g = k < 3 ? k : 6 - k;          // 0..3 in s_gaussWeights
            int i = (2 * g) + 1;                // its Kronrod abscissa
            double x = k < 3 ? -s_abscissae[i] : s_abscissae[i];
            alphas[k] = T.CreateChecked(middle + (half * x));
            coefficients[k] = T.CreateChecked(half * s_gaussWeights[g]);
        }
    }
}
