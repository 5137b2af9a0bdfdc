using System;
using System.Numerics;

namespace Pathwise;

/// <summary>
/// An attribution of one input by a method without a completeness target (saliency, input times gradient, noise
/// tunnel): one value per input feature, shaped like the input, and the number of gradient evaluations it took.
/// Unlike <see cref="Attribution{T}"/> it carries no convergence delta, since these methods promise no sum.
/// </summary>
/// <remarks>Immutable: the values are read through a read-only span; <see cref="ToArray"/> copies them.</remarks>
public sealed class FeatureAttribution<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _values;

    /// <summary>Wraps computed values; the result owns <paramref name="values"/> from then on (it is not copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold <c>shape.Length</c> values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="points"/> is negative.</exception>
    public FeatureAttribution(T[] values, TensorShape shape, int points)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != shape.Length)
        {
            throw new ArgumentException($"Expected {shape.Length} values for shape {shape}; got {values.Length}.", nameof(values));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(points);
        _values = values;
        Shape = shape;
        Points = points;
    }

    /// <summary>The attribution of every input feature, row-major in <see cref="Shape"/>.</summary>
    public ReadOnlySpan<T> Values => _values;

    /// <summary>The input's shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The number of gradient evaluations used (1 for saliency and input times gradient; for a noise tunnel, the number of samples, each one run of the wrapped attribution).</summary>
    public int Points { get; }

    /// <summary>The value at <c>[channel, row, column]</c> of an image input.</summary>
    public T this[int channel, int row, int column] => _values[(channel * Shape.Height + row) * Shape.Width + column];

    /// <summary>The value of feature <paramref name="index"/>.</summary>
    public T this[int index] => _values[index];

    /// <summary>The sum of all attributions, <c>sum_i attr_i</c>, accumulated in double precision.</summary>
    public double Sum()
    {
        double sum = 0;
        foreach (T value in _values)
        {
            sum += double.CreateChecked(value);
        }

        return sum;
    }

    /// <summary>A copy of the values.</summary>
    public T[] ToArray() => (T[])_values.Clone();
}
