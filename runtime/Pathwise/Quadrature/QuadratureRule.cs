namespace Pathwise;

/// <summary>How the path integral over <c>alpha</c> in [0, 1] is approximated from <c>n</c> gradient evaluations.</summary>
public enum QuadratureRule
{
    /// <summary>Left Riemann sum: <c>alpha_k = k / n</c>, coefficients <c>1 / n</c>.</summary>
    RiemannLeft,

    /// <summary>Right Riemann sum: <c>alpha_k = (k + 1) / n</c>, coefficients <c>1 / n</c>.</summary>
    RiemannRight,

    /// <summary>Midpoint rule: <c>alpha_k = (k + 1/2) / n</c>, coefficients <c>1 / n</c>.</summary>
    RiemannMiddle,

    /// <summary>Trapezoid rule on <c>n &gt;= 2</c> points <c>alpha_k = k / (n - 1)</c>; end coefficients halved, so the coefficients sum to 1.</summary>
    Trapezoid,

    /// <summary>
    /// Gauss–Legendre on [0, 1]: exact for polynomials of degree <c>2n - 1</c>. The points are the roots of the
    /// Legendre polynomial <c>P_n(2 alpha - 1)</c>, found by Newton's method up to 100 points and by Bogaert's
    /// iteration-free asymptotic formulas above (<c>O(n)</c> in all), both to within a few ulps.
    /// </summary>
    GaussLegendre,

    /// <summary>
    /// The exact path integral of a piecewise-linear network (ReLU, LeakyReLU, max and average pooling, dense,
    /// convolution, batch norm): the path is cut where a ReLU pre-activation crosses zero or a max-pool window's winner
    /// changes, breakpoints found in float64; on each piece the gradient is constant, so one gradient at each piece's
    /// midpoint weighted by its length gives the integral with no quadrature error. The points are the pieces, so they
    /// depend on the input; a path with more than <c>MaxPieces</c> pieces is integrated by Gauss–Legendre on
    /// <c>Points</c> points instead, and the result says so. Networks with smooth activations are refused.
    /// </summary>
    Exact,

    /// <summary>
    /// Adaptive Gauss–Kronrod to a requested tolerance, for smooth and mixed networks: each interval is integrated by the
    /// 15-point Kronrod rule, its error estimated per feature by <c>|K15 - G7|</c> against the nested 7-point Gauss rule,
    /// and the intervals with the largest estimated error are halved until the estimated error, summed over features,
    /// is at most <c>Tolerance * sum_i |attr_i|</c> or <c>MaxPoints</c> would be passed (the result then says it did not
    /// converge). On a mixed network the path is first cut at the breakpoints of the piecewise-linear layers below the
    /// first smooth activation (as <see cref="Exact"/> finds them). A purely piecewise-linear network is integrated by
    /// <see cref="Exact"/> instead, and the result says so. Results carry the estimate (<c>Attribution.Error</c>).
    /// Each interval costs 22 gradients (the Gauss points are evaluated again; the engines reduce with one set of weights
    /// per pass), reported in <c>Points</c>. Unlike the fixed rules a call allocates (its first cuts, the result's
    /// estimates); the per-interval buffers stay with the method's pooled engines and are reused.
    /// </summary>
    Adaptive,
}
