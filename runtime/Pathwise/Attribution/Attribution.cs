using System;
using System.Numerics;

namespace Pathwise;

/// <summary>An attribution of one input: one value per input feature, shaped like the input, with its convergence delta.</summary>
/// <remarks>Immutable: the values are read through a read-only span; <see cref="ToArray"/> copies them.</remarks>
public sealed class Attribution<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _values;

    /// <summary>Wraps computed values; the result owns <paramref name="values"/> from then on (it is not copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold <c>shape.Length</c> values.</exception>
    public Attribution(T[] values, TensorShape shape, ConvergenceDelta delta, int points, QuadratureRule rule = QuadratureRule.GaussLegendre)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != shape.Length)
        {
            throw new ArgumentException($"Expected {shape.Length} values for shape {shape}; got {values.Length}.", nameof(values));
        }

        _values = values;
        Shape = shape;
        Delta = delta;
        Points = points;
        Rule = rule;
    }

    /// <summary>The attribution of every input feature, row-major in <see cref="Shape"/>.</summary>
    public ReadOnlySpan<T> Values => _values;

    /// <summary>The input's shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The convergence delta.</summary>
    public ConvergenceDelta Delta { get; }

    /// <summary>The number of gradient evaluations used: with <see cref="QuadratureRule.Exact"/>, the number of pieces of the path; with <see cref="QuadratureRule.Adaptive"/>, 22 per interval integrated.</summary>
    public int Points { get; }

    /// <summary>
    /// The rule the path was integrated by: the options' rule, or Gauss–Legendre where an exact path had more pieces
    /// than allowed, or <see cref="QuadratureRule.Exact"/> where the adaptive rule met a piecewise-linear network.
    /// </summary>
    public QuadratureRule Rule { get; }

    /// <summary>With <see cref="QuadratureRule.Adaptive"/>: the estimated quadrature error of each value and of their sum; null for the other rules.</summary>
    public QuadratureError? Error { get; init; }

    /// <summary>The value at <c>[channel, row, column]</c> of an image input.</summary>
    public T this[int channel, int row, int column] => _values[(channel * Shape.Height + row) * Shape.Width + column];

    /// <summary>The value of feature <paramref name="index"/>.</summary>
    public T this[int index] => _values[index];

    /// <summary>The sum of all attributions, accumulated in double precision (as every result's <c>Sum</c> is).</summary>
    public double Sum() => PathSums.Sum<T>(_values);

    /// <summary>A copy of the values.</summary>
    public T[] ToArray() => (T[])_values.Clone();
}
