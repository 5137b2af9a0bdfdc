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

    /// <summary>The quadrature rule (default Gauss–Legendre).</summary>
    public QuadratureRule Rule { get; init; } = QuadratureRule.GaussLegendre;

    /// <summary>The reference input (default zero).</summary>
    public Baseline Baseline { get; init; } = Baseline.Zero;

    /// <summary>
    /// The most path points evaluated in one pass, 1 to <see cref="MaxInternalBatchSize"/> = 1,000,000; bounds the
    /// workspace memory, which grows with it times the network's total layer width (default 64).
    /// </summary>
    public int InternalBatchSize { get; init; } = 64;

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

        if (InternalBatchSize < 1 || InternalBatchSize > MaxInternalBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(InternalBatchSize), InternalBatchSize, $"Expected InternalBatchSize in [1, {MaxInternalBatchSize}]; got {InternalBatchSize}.");
        }

        ArgumentNullException.ThrowIfNull(Baseline, nameof(Baseline));
    }
}
