using System;

namespace Pathwise;

/// <summary>Settings of Integrated Gradients, validated on construction of the method.</summary>
public record IntegratedGradientsOptions
{
    /// <summary>The number of gradient evaluations along the path (default 50).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>The quadrature rule (default Gauss–Legendre).</summary>
    public QuadratureRule Rule { get; init; } = QuadratureRule.GaussLegendre;

    /// <summary>The reference input (default zero).</summary>
    public Baseline Baseline { get; init; } = Baseline.Zero;

    /// <summary>The most path points evaluated in one pass; bounds the workspace memory (default 64).</summary>
    public int InternalBatchSize { get; init; } = 64;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (Steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"Expected Steps >= 1; got {Steps}.");
        }

        if (Rule == QuadratureRule.Trapezoid && Steps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"Expected Steps >= 2 for the trapezoid rule; got {Steps}.");
        }

        if (!Enum.IsDefined(Rule))
        {
            throw new ArgumentOutOfRangeException(nameof(Rule), Rule, "Expected one of the QuadratureRule values.");
        }

        if (InternalBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(InternalBatchSize), InternalBatchSize, $"Expected InternalBatchSize >= 1; got {InternalBatchSize}.");
        }

        ArgumentNullException.ThrowIfNull(Baseline, nameof(Baseline));
    }
}
