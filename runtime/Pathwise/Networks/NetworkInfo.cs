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

        // Readers per layer, and for each layer the lowest source read above it (a connection passing over it).
        _readers = new int[layers.Length];
        _passedOverBy = new int[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            _passedOverBy[i] = -1;
            if (layers[i].Index != i)
            {
                throw new ArgumentException($"Layer '{layers[i].Name}' has index {layers[i].Index} but stands at position {i}.", nameof(layers));
            }

            if (i > 0 && layers[i].Sources.Count == 0)
            {
                throw new ArgumentException($"Layer '{layers[i].Name}' reads no layer; every layer after the input reads at least one.", nameof(layers));
            }

            foreach (int source in layers[i].Sources)
            {
                if ((uint)source >= (uint)i)
                {
                    throw new ArgumentException($"Layer '{layers[i].Name}' (index {i}) reads layer {source}; expected a layer below it.", nameof(layers));
                }

                _readers[source]++;
                IsGraph |= source != i - 1 || layers[i].Sources.Count != 1;
            }
        }

        // A layer is passed over when a layer above it reads one below it: i is passed over by reader r when some source s < i < r.
        for (int r = 1; r < layers.Length; r++)
        {
            foreach (int source in layers[r].Sources)
            {
                for (int i = source + 1; i < r; i++)
                {
                    if (_passedOverBy[i] < 0)
                    {
                        _passedOverBy[i] = r;
                    }
                }
            }
        }

        _skippedOver = new Layer[layers.Length][];
        for (int i = 0; i < layers.Length; i++)
        {
            _skippedOver[i] = _passedOverBy[i] < 0 ? [] : FindSkippedOver(i);
        }
    }

    private readonly int[] _readers;
    private readonly int[] _passedOverBy;
    private readonly Layer[][] _skippedOver;

    /// <summary>
    /// Whether a layer reads a layer other than the one before it, or several layers (an <c>[Add]</c> or <c>[Concat]</c>):
    /// the network is a graph rather than a chain.
    /// </summary>
    public bool IsGraph { get; }

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

    /// <summary>
    /// Whether every path from the input to the output passes through <paramref name="layer"/>: no layer above it reads a
    /// layer below it. Passes from such a layer (<c>ForwardFrom</c>, <c>BackwardFrom</c>, <c>TangentFrom</c>) see everything
    /// they depend on. From a layer inside a residual block, <c>ForwardFrom</c> reads the skipped branch as it stands in the
    /// workspace, <c>BackwardFrom</c> clears the gradients below the layer first, and <c>TangentFrom</c> holds the skipped
    /// layers still (zero tangents).
    /// Always true in a chain, and for the input and the output.
    /// </summary>
    public bool Separates(Layer layer)
    {
        CheckOwns(layer);
        return _passedOverBy[layer.Index] < 0;
    }

    /// <summary>
    /// The layers below <paramref name="layer"/> that a layer above it reads: what a skip connection carries past it, in
    /// index order. Empty when <paramref name="layer"/> separates the network (<see cref="Separates"/>). Found once, when
    /// the network is described; the array is shared, so callers only read it.
    /// </summary>
    internal Layer[] SkippedOver(Layer layer)
    {
        CheckOwns(layer);
        return _skippedOver[layer.Index];
    }

    private Layer[] FindSkippedOver(int index)
    {
        var skipped = new bool[index];
        int count = 0;
        for (int r = index + 1; r < Layers.Count; r++)
        {
            foreach (int source in Layers[r].Sources)
            {
                if (source < index && !skipped[source])
                {
                    skipped[source] = true;
                    count++;
                }
            }
        }

        var result = new Layer[count];
        for (int j = 0, k = 0; j < skipped.Length; j++)
        {
            if (skipped[j])
            {
                result[k++] = Layers[j];
            }
        }

        return result;
    }

    /// <summary>The number of layers that read <paramref name="layer"/>'s output (a layer reading it twice counts twice).</summary>
    public int ReadersOf(Layer layer)
    {
        CheckOwns(layer);
        return _readers[layer.Index];
    }

    /// <summary>
    /// Whether <paramref name="layer"/> shares its source's memory: a pass-through kind (Flatten, Identity, Dropout, an
    /// activation-only member) that reads one layer which nothing else reads. Otherwise it has buffers of its own.
    /// </summary>
    internal bool SharesSource(Layer layer) =>
        LayerKindFacts.PassesThrough(layer.Kind) && layer.Sources.Count == 1 && _readers[layer.Sources[0]] == 1;

    /// <summary>Throws unless every path from the input to the output passes through <paramref name="layer"/> (see <see cref="Separates"/>).</summary>
    /// <exception cref="ArgumentException">A connection passes over the layer.</exception>
    public void CheckSeparates(Layer layer, string parameterName)
    {
        CheckOwns(layer);
        int reader = _passedOverBy[layer.Index];
        if (reader >= 0)
        {
            Layer over = Layers[reader];
            int lowest = int.MaxValue;
            foreach (int source in over.Sources)
            {
                lowest = Math.Min(lowest, source);
            }

            throw new ArgumentException(
                $"Layer '{layer.Name}' is passed over by layer '{over.Name}', which reads '{Layers[lowest].Name}' below it: a pass from '{layer.Name}' would read '{Layers[lowest].Name}' as the last pass left it. Expected a layer every path from the input to the output passes through (NetworkInfo.Separates), such as the input, the output or a residual block's output.",
                parameterName);
        }
    }

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
