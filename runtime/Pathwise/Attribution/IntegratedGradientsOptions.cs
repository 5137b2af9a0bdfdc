using System;

namespace Pathwise;

/// <summary>Settings of Integrated Gradients, validated on construction of the method.</summary>
public record IntegratedGradientsOptions
{
    /// <summary>
    /// The most points one pass may hold: 1,000,000 (<see cref="QuadratureNodes.MaxPoints"/>). A chunk never holds
    /// more than <see cref="Points"/> points, so a larger batch would mean nothing.
    /// </summary>
    public const int MaxInternalBatchSize = QuadratureNodes.MaxPoints;

    /// <summary>The number of gradient evaluations along the path, 1 to <see cref="QuadratureNodes.MaxPoints"/> = 1,000,000 (default 50).</summary>
    public int Points { get; init; } = 50;

    /// <summary>The quadrature rule (default Gauss–Legendre); <see cref="QuadratureRule.Exact"/> integrates piecewise-linear networks exactly, <see cref="QuadratureRule.Adaptive"/> smooth and mixed ones to <see cref="Tolerance"/>.</summary>
    public QuadratureRule Rule { get; init; } = QuadratureRule.GaussLegendre;

    /// <summary>
    /// With <see cref="QuadratureRule.Exact"/>: the most pieces a path may be cut into, 1 to 1,000,000 (default
    /// 10,000). A path with more is integrated by Gauss–Legendre on <see cref="Points"/> points instead, and the
    /// result's <c>Rule</c> says so; no input can make a call wait unboundedly.
    /// </summary>
    public int MaxPieces { get; init; } = 10_000;

    /// <summary>
    /// With <see cref="QuadratureRule.Adaptive"/>: the requested relative tolerance, in (0, 1) (default 1e-6). A call
    /// refines until its estimated error summed over the result's features is at most <c>Tolerance * sum_i |attr_i|</c>
    /// (for Integrated Gradients <c>sum_i |attr_i| &gt;= |F(x) - F(x')|</c>). Float32 networks cannot go much below 1e-6.
    /// </summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>
    /// With <see cref="QuadratureRule.Adaptive"/>: the most gradient evaluations one call may use, 22 (one interval's
    /// Kronrod and Gauss points) to 1,000,000 (default 10,000). Past it the call stops refining, and the result's
    /// <c>Error.Converged</c> is false; no input can make a call wait unboundedly.
    /// </summary>
    public int MaxPoints { get; init; } = 10_000;

    /// <summary>The reference input (default zero).</summary>
    public Baseline Baseline { get; init; } = Baseline.Zero;

    /// <summary>
    /// <see cref="InternalBatchSize"/>'s default: chosen per network, the largest of 64, 32, 16, 8, 4 and 2 points
    /// whose workspace (<see cref="Workspace{T}.RequiredBytes"/>) takes at most <see cref="AutomaticWorkspaceBytes"/>.
    /// </summary>
    public const int Automatic = 0;

    /// <summary>The workspace size <see cref="Automatic"/> keeps under: 8 MiB, where larger batches stop paying.</summary>
    public const long AutomaticWorkspaceBytes = 8L << 20;

    /// <summary>
    /// The most path points evaluated in one pass, 1 to <see cref="MaxInternalBatchSize"/> = 1,000,000, or
    /// <see cref="Automatic"/> (the default): the workspace holds <c>InternalBatchSize + 2</c> points of every layer
    /// (<see cref="Workspace{T}.RequiredBytes"/>), so this bounds the memory. Automatic picks 64 for an MLP such as
    /// 784-256-128-10 (0.8 MB) and 32 for the 28x28 CNN of the README (about 6 MB in float32; 16 points ran about 19% slower
    /// and 64, about 11 MB, no faster).
    /// </summary>
    public int InternalBatchSize { get; init; } = Automatic;

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first invalid setting; the methods call it before
    /// they allocate anything. Whether the baseline is finite in the network's element type is checked when it
    /// is converted to that type.
    /// </summary>
    public virtual void Validate()
    {
        if (Points < 1 || Points > QuadratureNodes.MaxPoints)
        {
            throw new ArgumentOutOfRangeException(nameof(Points), Points, $"Expected Points in [1, {QuadratureNodes.MaxPoints}]; got {Points}.");
        }

        if (Rule == QuadratureRule.Trapezoid && Points < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Points), Points, $"Expected Points >= 2 for the trapezoid rule; got {Points}.");
        }

        if (!Enum.IsDefined(Rule))
        {
            throw new ArgumentOutOfRangeException(nameof(Rule), Rule, "Expected one of the QuadratureRule values.");
        }

        if (MaxPieces < 1 || MaxPieces > QuadratureNodes.MaxPoints)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPieces), MaxPieces, $"Expected MaxPieces in [1, {QuadratureNodes.MaxPoints}]; got {MaxPieces}.");
        }

        if (!(Tolerance > 0 && Tolerance < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, $"Expected Tolerance in (0, 1); got {Tolerance}.");
        }

        if (MaxPoints < GaussKronrod.PointsPerInterval || MaxPoints > QuadratureNodes.MaxPoints)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPoints), MaxPoints, $"Expected MaxPoints in [{GaussKronrod.PointsPerInterval}, {QuadratureNodes.MaxPoints}]; got {MaxPoints}.");
        }

        if (InternalBatchSize != Automatic && (InternalBatchSize < 1 || InternalBatchSize > MaxInternalBatchSize))
        {
            throw new ArgumentOutOfRangeException(nameof(InternalBatchSize), InternalBatchSize, $"Expected InternalBatchSize in [1, {MaxInternalBatchSize}], or Automatic (0); got {InternalBatchSize}.");
        }

        ArgumentNullException.ThrowIfNull(Baseline, nameof(Baseline));
    }
}
