namespace Pathwise.Weights;

/// <summary>How <see cref="ParameterSet{T}.Load(WeightSet, WeightLoadOptions)"/> treats the values it copies into a network.</summary>
public sealed record WeightLoadOptions
{
    /// <summary>The defaults: every value is checked.</summary>
    public static WeightLoadOptions Default { get; } = new();

    /// <summary>
    /// When <see langword="true"/> (the default), loading refuses a NaN or infinite value, a value that overflows
    /// the network's element type (an F64 <c>1e300</c> loaded as <see cref="float"/>), and a negative batch-norm
    /// running variance, with a <see cref="WeightsValueException"/> naming the tensor and the first bad index.
    /// Set to <see langword="false"/> to load such values as they are.
    /// </summary>
    public bool CheckValues { get; init; } = true;
}
