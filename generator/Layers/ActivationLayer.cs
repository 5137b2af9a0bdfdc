using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>A member with only an activation attribute: the activation of the previous layer's output.</summary>
internal sealed class ActivationLayer : PassThroughLayer
{
    public override LayerOp Op => LayerOp.Activation;

    public override string? AttributeName => null;

    public override string Describe(LayerSpec layer) => "activation";
}
