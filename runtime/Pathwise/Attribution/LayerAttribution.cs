using System;
using System.Numerics;

namespace Pathwise;

/// <summary>One value per neuron of a layer, shaped like that layer's output: what every layer method returns.</summary>
/// <remarks>Immutable: the values are read through a read-only span; <see cref="ToArray"/> copies them.</remarks>
public abstract class LayerValues<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _values;

    /// <summary>Wraps computed values; the result owns <paramref name="values"/> from then on (it is not copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold one value per neuron of <paramref name="layer"/>.</exception>
    private protected LayerValues(Layer layer, T[] values, int points, QuadratureRule rule)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != layer.Size)
        {
            throw new ArgumentException($"Expected {layer.Size} values for layer {layer.Name}; got {values.Length}.", nameof(values));
        }

        Layer = layer;
        _values = values;
        Points = points;
        Rule = rule;
    }

    /// <summary>The layer whose neurons the values belong to (the previous layer when attributing to a layer's input).</summary>
    public Layer Layer { get; }

    /// <summary>The neurons' values, row-major in <see cref="Shape"/>.</summary>
    public ReadOnlySpan<T> Values => _values;

    /// <summary>The layer's output shape.</summary>
    public TensorShape Shape => Layer.OutputShape;

    /// <summary>The number of path points used: with <see cref="QuadratureRule.Exact"/>, the number of pieces of the path; with <see cref="QuadratureRule.Adaptive"/>, 22 per interval integrated.</summary>
    public int Points { get; }

    /// <summary>The rule the path was integrated by: the options' rule, or Gauss–Legendre where an exact path had more pieces than allowed.</summary>
    public QuadratureRule Rule { get; }

    /// <summary>With <see cref="QuadratureRule.Adaptive"/>: the estimated quadrature error of each neuron's value and of their sum; null for the other rules.</summary>
    public QuadratureError? Error { get; init; }

    /// <summary>The value of neuron <paramref name="index"/> (flat, channel-major).</summary>
    public T this[int index] => _values[index];

    /// <summary>The value at <c>[channel, row, column]</c> of an image-shaped layer.</summary>
    public T this[int channel, int row, int column] => _values[(channel * Shape.Height + row) * Shape.Width + column];

    /// <summary>The sum over neurons, accumulated in double precision.</summary>
    public double Sum() => PathSums.Sum<T>(_values);

    /// <summary>
    /// The values summed per channel, in double: <c>s[c] = sum over the channel's elements of Values</c>. On an
    /// <see cref="LayerKind.Embedding"/>'s <c>[T, D]</c> output that is one value per token, <c>s[t] = sum_d v[t, d]</c>,
    /// as text Integrated Gradients reports it; on a flat layer each element is its own channel.
    /// </summary>
    public double[] SumPerChannel()
    {
        int channels = Shape.Channels;
        int size = _values.Length / channels;
        var sums = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            sums[c] = PathSums.Sum<T>(_values.AsSpan(c * size, size));
        }

        return sums;
    }

    /// <summary>A copy of the values.</summary>
    public T[] ToArray() => (T[])_values.Clone();
}

/// <summary>
/// A layer attribution that splits the output change among the layer's neurons (conductance, region-to-neuron):
/// its values sum to <c>F(x) - F(x')</c> up to the <see cref="Delta"/> the quadrature leaves.
/// </summary>
public sealed class LayerAttribution<T> : LayerValues<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Wraps computed values; the result owns <paramref name="values"/> from then on (it is not copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold one value per neuron of <paramref name="layer"/>.</exception>
    public LayerAttribution(Layer layer, T[] values, ConvergenceDelta delta, int points, QuadratureRule rule = QuadratureRule.GaussLegendre)
        : base(layer, values, points, rule)
    {
        Delta = delta;
    }

    /// <summary>How far the values' sum is from the output change it splits.</summary>
    public ConvergenceDelta Delta { get; }
}

/// <summary>
/// A layer's influence on the output without a completeness target (internal influence: the path integral of
/// <c>dF/dy</c> at the layer, which need not sum to any output change).
/// </summary>
public sealed class LayerInfluence<T> : LayerValues<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Wraps computed values; the result owns <paramref name="values"/> from then on (it is not copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold one value per neuron of <paramref name="layer"/>.</exception>
    public LayerInfluence(Layer layer, T[] values, int points, QuadratureRule rule = QuadratureRule.GaussLegendre)
        : base(layer, values, points, rule)
    {
    }
}

/// <summary>Per-input-feature values for each of some neurons of a layer: a <c>[neurons, input length]</c> matrix.</summary>
/// <remarks>Immutable: the values are read through read-only spans; <see cref="ToArray"/> copies them.</remarks>
public sealed class NeuronAttribution<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _neurons;
    private readonly T[] _values;

    /// <summary>Wraps computed values; the result owns <paramref name="neurons"/> and <paramref name="values"/> from then on (they are not copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold <c>neurons.Length * inputShape.Length</c> values.</exception>
    public NeuronAttribution(Layer layer, int[] neurons, TensorShape inputShape, T[] values, int points, QuadratureRule rule = QuadratureRule.GaussLegendre)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(neurons);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)neurons.Length * inputShape.Length)
        {
            throw new ArgumentException($"Expected {neurons.Length} x {inputShape.Length} values; got {values.Length}.", nameof(values));
        }

        Layer = layer;
        _neurons = neurons;
        InputShape = inputShape;
        _values = values;
        Points = points;
        Rule = rule;
    }

    /// <summary>The layer of the neurons.</summary>
    public Layer Layer { get; }

    /// <summary>The neurons (flat indices into the layer), one row each.</summary>
    public ReadOnlySpan<int> Neurons => _neurons;

    /// <summary>The network input's shape, the shape of each row.</summary>
    public TensorShape InputShape { get; }

    /// <summary>The values, <c>[neurons, input length]</c> row-major.</summary>
    public ReadOnlySpan<T> Values => _values;

    /// <summary>The number of path points used: with <see cref="QuadratureRule.Exact"/>, the number of pieces of the path; with <see cref="QuadratureRule.Adaptive"/>, 22 per interval integrated.</summary>
    public int Points { get; }

    /// <summary>The rule the path was integrated by: the options' rule, or Gauss–Legendre where an exact path had more pieces than allowed.</summary>
    public QuadratureRule Rule { get; }

    /// <summary>
    /// With <see cref="QuadratureRule.Adaptive"/>: the estimated quadrature error of each value, <c>[neurons, input length]</c>
    /// row-major as <see cref="Values"/>, and of their sum; null for the other rules.
    /// </summary>
    public QuadratureError? Error { get; init; }

    /// <summary>The attribution of every input feature through the <paramref name="row"/>-th neuron.</summary>
    public ReadOnlySpan<T> Row(int row) => _values.AsSpan(row * InputShape.Length, InputShape.Length);

    /// <summary>The value for neuron row <paramref name="row"/> and input feature <paramref name="feature"/>.</summary>
    public T this[int row, int feature] => _values[row * InputShape.Length + feature];

    /// <summary>A copy of the values, <c>[neurons, input length]</c> row-major.</summary>
    public T[] ToArray() => (T[])_values.Clone();
}
