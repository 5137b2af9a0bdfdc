namespace Pathwise;

/// <summary>Settings of the hidden-layer methods: the path settings of Integrated Gradients, and where in the layer to attribute.</summary>
public sealed record LayerAttributionOptions : IntegratedGradientsOptions
{
    /// <summary>Attribute to the layer's input (the previous layer's output) instead of its output (default false).</summary>
    public bool AttributeToLayerInput { get; init; }
}
