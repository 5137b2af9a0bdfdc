using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[GlobalAvgPool2D]</c>: <c>z[c, 0, 0] = (1 / (H W)) sum_{h, w} x[c, h, w]</c>, <c>[C, H, W]</c> to <c>[C, 1, 1]</c> as
/// PyTorch's <c>AdaptiveAvgPool2d(1)</c> and ONNX's <c>GlobalAveragePool</c>. Linear, so the tangent is the forward
/// kernel on the input's tangent. Kernels: <c>GlobalPoolKernel.AvgForward</c> and <c>AvgBackward</c>.
/// </summary>
internal sealed class GlobalAvgPool2DLayer : GlobalAvgPoolLayer
{
    public override LayerOp Op => LayerOp.GlobalAvgPool2D;

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings) =>
        reader.RequireImage(input) ? ShapeSpec.Image(input.Channels, 1, 1) : null;

    public override string Describe(LayerSpec layer) => $"global average pool over {layer.In.Height}x{layer.In.Width}";
}
