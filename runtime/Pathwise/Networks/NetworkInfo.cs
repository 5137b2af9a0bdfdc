using System;
using System.Collections.Generic;
using System.ComponentModel;
using Pathwise.Weights;

namespace Pathwise;

/// <summary>What a generated network is: its layers with their shapes, and its weight tensors.</summary>
public sealed class NetworkInfo
{
    /// <summary>Describes a network; called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public NetworkInfo(string name, Precision precision, Layer[] layers, WeightTensorSpec[] weights)
    {
        if (layers.Length < 2 || layers[0] is not InputLayer)
        {
            throw new ArgumentException("A network needs an input layer followed by at least one layer.", nameof(layers));
        }

        Name = name;
        Precision = precision;
        Layers = layers;
        Weights = weights;
    }

    /// <summary>The network's type name.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public Precision Precision { get; }

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<Layer> Layers { get; }

    /// <summary>The weight tensors with their <c>state_dict</c> names and PyTorch shapes.</summary>
    public IReadOnlyList<WeightTensorSpec> Weights { get; }

    /// <summary>The input layer.</summary>
    public InputLayer Input => (InputLayer)Layers[0];

    /// <summary>The last layer, whose output is the network's output.</summary>
    public Layer Output => Layers[Layers.Count - 1];

    /// <summary>Elements per input point.</summary>
    public int InputLength => Input.Size;

    /// <summary>Elements per output point.</summary>
    public int OutputLength => Output.Size;

    /// <summary>Throws unless <paramref name="layer"/> is one of this network's layers.</summary>
    public void CheckOwns(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if ((uint)layer.Index >= (uint)Layers.Count || !ReferenceEquals(Layers[layer.Index], layer))
        {
            throw new ArgumentException($"Layer '{layer.Name}' does not belong to network {Name}.", nameof(layer));
        }
    }
}
