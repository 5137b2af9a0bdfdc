using System;
using System.Numerics;

namespace Pathwise;

/// <summary>An attribution of one input: one value per input feature, shaped like the input, with its convergence delta.</summary>
public sealed class Attribution<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Wraps computed values.</summary>
    public Attribution(T[] values, TensorShape shape, ConvergenceDelta delta, int points)
    {
        Values = values;
        Shape = shape;
        Delta = delta;
        Points = points;
    }

    /// <summary>The attribution of every input feature, row-major in <see cref="Shape"/>.</summary>
    public T[] Values { get; }

    /// <summary>The input's shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The convergence delta.</summary>
    public ConvergenceDelta Delta { get; }

    /// <summary>The number of gradient evaluations used.</summary>
    public int Points { get; }

    /// <summary>The value at <c>[channel, row, column]</c> of an image input.</summary>
    public T this[int channel, int row, int column] => Values[(channel * Shape.Height + row) * Shape.Width + column];

    /// <summary>The value of feature <paramref name="index"/>.</summary>
    public T this[int index] => Values[index];

    /// <summary>The sum of all attributions, accumulated in double precision (as every result's <c>Sum</c> is).</summary>
    public double Sum() => PathIntegrator<T>.Sum(Values);
}
