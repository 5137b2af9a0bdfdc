using System;
using System.Numerics;

namespace Pathwise;

/// <summary>One value per neuron of a layer, shaped like that layer's output, with its convergence delta when the method has one.</summary>
public sealed class LayerAttribution<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Wraps computed values.</summary>
    public LayerAttribution(Layer layer, T[] values, ConvergenceDelta? delta, int points)
    {
        Layer = layer;
        Values = values;
        Delta = delta;
        Points = points;
    }

    /// <summary>The layer whose neurons the values belong to (the previous layer when attributing to a layer's input).</summary>
    public Layer Layer { get; }

    /// <summary>The neurons' values, row-major in <see cref="Shape"/>.</summary>
    public T[] Values { get; }

    /// <summary>The layer's output shape.</summary>
    public TensorShape Shape => Layer.OutputShape;

    /// <summary>How far the values are from their completeness target, for methods that have one.</summary>
    public ConvergenceDelta? Delta { get; }

    /// <summary>The number of path points used.</summary>
    public int Points { get; }

    /// <summary>The value of neuron <paramref name="index"/> (flat, channel-major).</summary>
    public T this[int index] => Values[index];

    /// <summary>The value at <c>[channel, row, column]</c> of an image-shaped layer.</summary>
    public T this[int channel, int row, int column] => Values[(channel * Shape.Height + row) * Shape.Width + column];

    /// <summary>The sum over neurons.</summary>
    public double Sum() => PathIntegrator<T>.Sum(Values);
}

/// <summary>Per-input-feature values for each of some neurons of a layer: a <c>[neurons, input length]</c> matrix.</summary>
public sealed class NeuronAttribution<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Wraps computed values.</summary>
    public NeuronAttribution(Layer layer, int[] neurons, TensorShape inputShape, T[] values, int points)
    {
        Layer = layer;
        Neurons = neurons;
        InputShape = inputShape;
        Values = values;
        Points = points;
    }

    /// <summary>The layer of the neurons.</summary>
    public Layer Layer { get; }

    /// <summary>The neurons (flat indices into the layer), one row each.</summary>
    public int[] Neurons { get; }

    /// <summary>The network input's shape, the shape of each row.</summary>
    public TensorShape InputShape { get; }

    /// <summary>The values, <c>[neurons, input length]</c> row-major.</summary>
    public T[] Values { get; }

    /// <summary>The number of path points used.</summary>
    public int Points { get; }

    /// <summary>The attribution of every input feature through the <paramref name="row"/>-th neuron.</summary>
    public ReadOnlySpan<T> Row(int row) => Values.AsSpan(row * InputShape.Length, InputShape.Length);

    /// <summary>The value for neuron row <paramref name="row"/> and input feature <paramref name="feature"/>.</summary>
    public T this[int row, int feature] => Values[row * InputShape.Length + feature];
}
