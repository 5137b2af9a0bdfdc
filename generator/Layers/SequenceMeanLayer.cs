using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[SequenceMean]</c>: <c>z[d] = (1 / T) sum_t x[t, d]</c>, <c>[T, D]</c> to <c>[D]</c>, as PyTorch's <c>x.mean(dim=1)</c>
/// and ONNX's <c>ReduceMean</c> over axis 1 without kept dimensions. Linear, so the tangent is the forward kernel on the
/// input's tangent. Kernels: <c>SequenceMeanKernel.Forward</c> and <c>Backward</c>.
/// </summary>
internal sealed class SequenceMeanLayer : LayerUnit
{
    public override LayerOp Op => LayerOp.SequenceMean;

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings)
    {
        if (input.Rank != 2)
        {
            reader.ShapeMismatch(input, "SequenceMean averages a [length, features] sequence, such as an Embedding's output");
            return null;
        }

        return ShapeSpec.Flat(input.Width);
    }

    public override string Describe(LayerSpec layer) => $"mean over a sequence of {layer.In.Channels}";

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.SequenceMeanKernel.Forward<{e.T}>(x, z, count, {Geometry(layer)});");

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.SequenceMeanKernel.Backward<{e.T}>(dz, dx, count, {Geometry(layer)});");

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        e.W.Line("// Linear: the tangent is the same mean of the input's tangent.");
        e.W.Line($"{EmitContext.Kernels}.SequenceMeanKernel.Forward<{e.T}>(tx, tz, count, {Geometry(layer)});");
    }

    private static string Geometry(LayerSpec layer) => $"length: {layer.In.Channels}, features: {layer.In.Width}";
}
