using System;

namespace Pathwise.Weights;

/// <summary>
/// A weights file is well-formed but holds a value a network cannot use: NaN, an infinity, a value beyond the
/// network's element type, or a negative batch-norm running variance. Any of these turns every output into NaN.
/// The message names the file, the tensor and the first bad flat (row-major) index, such as
/// <c>tensor 'fc1.weight' element 17 is NaN</c>.
/// </summary>
public sealed class WeightsValueException : Exception
{
    /// <summary>Creates the exception for element <paramref name="index"/> of <paramref name="tensorName"/>.</summary>
    /// <param name="sourceName">The file path or other name of the weights.</param>
    /// <param name="tensorName">The tensor holding the value.</param>
    /// <param name="index">The element's flat, row-major index in the tensor.</param>
    /// <param name="value">The value as stored in the file.</param>
    /// <param name="problem">What is wrong with the value, such as <c>is NaN</c>.</param>
    public WeightsValueException(string sourceName, string tensorName, int index, double value, string problem)
        : base($"Invalid weights in '{sourceName}': tensor '{tensorName}' element {index} {problem}. "
            + "To load such values anyway, pass new WeightLoadOptions { CheckValues = false } to Load or LoadWeights.")
    {
        SourceName = sourceName;
        TensorName = tensorName;
        Index = index;
        Value = value;
    }

    /// <summary>The file path or other name of the weights.</summary>
    public string SourceName { get; }

    /// <summary>The tensor holding the first bad value.</summary>
    public string TensorName { get; }

    /// <summary>The flat, row-major index of the first bad value in the tensor.</summary>
    public int Index { get; }

    /// <summary>The first bad value, as stored in the file.</summary>
    public double Value { get; }
}
