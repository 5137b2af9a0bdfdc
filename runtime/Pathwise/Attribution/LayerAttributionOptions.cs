namespace Pathwise;

/// <summary>Settings of the hidden-layer methods: the path settings of Integrated Gradients, and where in the layer to attribute.</summary>
public sealed record LayerAttributionOptions : IntegratedGradientsOptions
{
    /// <summary>Attribute to the layer's input (the previous layer's output) instead of its output (default false).</summary>
    public bool AttributeToLayerInput { get; init; }

    /// <summary>
    /// Layer Integrated Gradients at a hidden layer only: the path's start in the layer's own space, <c>y'</c>, in place of the
    /// layer's activations at the input baseline <c>y(x')</c>, so the path is <c>y' + a (y(x) - y')</c> and the values split
    /// <c>F(x) - F(y')</c>; e.g. <see cref="Baseline.Zero"/> for text Integrated Gradients from the zero embedding. Null (the
    /// default) takes <c>y(x')</c>, as Captum does; to start from the embedding of given token ids (all padding, say), leave
    /// it null and pass those ids as the baseline. Every other method refuses it.
    /// </summary>
    public Baseline? LayerBaseline { get; init; }
}
