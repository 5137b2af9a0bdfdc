using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[Input(dims)]</c>: the network's input, <c>[features]</c> or <c>[channels, height, width]</c>. Not a kind to
/// copy: the parser reads its shape itself (it starts shape inference) and the emitter writes it as an
/// <c>InputLayer</c> with no passes.
/// </summary>
internal sealed class InputLayer : LayerUnit
{
    public override LayerOp Op => LayerOp.Input;

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings) => input;

    public override string Describe(LayerSpec layer) => "input";

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
    }

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
    }

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
    }
}
