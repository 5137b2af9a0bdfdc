using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// Global average pooling, 1-D or 2-D: <c>z[c] = mean over the plane of x[c]</c>. Linear, so the tangent is the forward
/// kernel on the input's tangent. Kernels: <c>GlobalPoolKernel.AvgForward</c> and <c>AvgBackward</c> over each channel's
/// <c>H * W</c> elements (a sequence's height is 1). The kinds differ only in the shapes they take.
/// </summary>
internal abstract class GlobalAvgPoolLayer : LayerUnit
{
    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.GlobalPoolKernel.AvgForward<{e.T}>(x, z, count, {Geometry(layer)});");

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.GlobalPoolKernel.AvgBackward<{e.T}>(dz, dx, count, {Geometry(layer)});");

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        e.W.Line("// Linear: the tangent is the same average of the input's tangent.");
        e.W.Line($"{EmitContext.Kernels}.GlobalPoolKernel.AvgForward<{e.T}>(tx, tz, count, {Geometry(layer)});");
    }

    private static string Geometry(LayerSpec layer) => $"channels: {layer.In.Channels}, spatial: {layer.In.Height * layer.In.Width}";
}
