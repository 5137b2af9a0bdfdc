using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[Identity]</c>: <c>y = x</c>, PyTorch's <c>nn.Identity</c> and ONNX's <c>Identity</c>, so an exported model's layers
/// map one to one; a view of its input. The smallest unit to copy for a kind without settings or tensors.
/// </summary>
internal sealed class IdentityLayer : PassThroughLayer
{
    public override LayerOp Op => LayerOp.Identity;

    public override string Describe(LayerSpec layer) => "identity";
}
