using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary><c>[Flatten]</c>: <c>[C, H, W]</c> read as <c>[C·H·W]</c> in PyTorch's order; a view, no copy.</summary>
internal sealed class FlattenLayer : PassThroughLayer
{
    public override LayerOp Op => LayerOp.Flatten;

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings) => ShapeSpec.Flat(input.Length);

    public override string Describe(LayerSpec layer) => "flatten";
}
