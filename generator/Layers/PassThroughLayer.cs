using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// A layer that leaves its input's values as they are. Without an activation it shares its input's memory and
/// its passes write nothing; with one, the activation reads the input directly (the runtime's workspace maps
/// the buffers so; see <c>LayerKindFacts.PassesThrough</c>).
/// </summary>
internal abstract class PassThroughLayer : LayerUnit
{
    public override bool PassesThrough => true;

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings) => input;

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) => WriteNoOperation(e, "forward");

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous) => WriteNoOperation(e, "backward");

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous) => WriteNoOperation(e, "tangent");
}
