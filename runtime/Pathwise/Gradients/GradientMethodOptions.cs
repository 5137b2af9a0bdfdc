using System;

namespace Pathwise;

/// <summary>Settings shared by the single-gradient methods (<see cref="InputXGradient{T}"/>, <see cref="Saliency{T}"/>), validated on construction of the method.</summary>
public record GradientMethodOptions
{
    /// <summary>The most inputs one pass holds, 1 to 1,000,000 (default 64); only <c>AttributeBatch</c> fills more than one row.</summary>
    public int InternalBatchSize { get; init; } = 64;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (InternalBatchSize < 1 || InternalBatchSize > IntegratedGradientsOptions.MaxInternalBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(InternalBatchSize), InternalBatchSize, $"Expected InternalBatchSize in [1, {IntegratedGradientsOptions.MaxInternalBatchSize}]; got {InternalBatchSize}.");
        }
    }
}

/// <summary>Settings of <see cref="Saliency{T}"/>, validated on construction of the method.</summary>
public record SaliencyOptions : GradientMethodOptions
{
    /// <summary>Whether the attribution is <c>|dF/dx_i|</c> (true, the default, as Captum's <c>abs=True</c>) or the signed gradient <c>dF/dx_i</c>.</summary>
    public bool Absolute { get; init; } = true;
}
