using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[GlobalAvgPool1D]</c>: <c>z[c, 0] = (1 / L) sum_l x[c, l]</c>, <c>[C, L]</c> to <c>[C, 1]</c> as PyTorch's
/// <c>AdaptiveAvgPool1d(1)</c> and ONNX's <c>GlobalAveragePool</c> on a 3-D tensor. Linear, so the tangent is the forward
/// kernel on the input's tangent. Kernels: <c>GlobalPoolKernel.AvgForward</c> and <c>AvgBackward</c>, as the 2-D pool.
/// </summary>
internal sealed class GlobalAvgPool1DLayer : GlobalAvgPoolLayer
{
    public override LayerOp Op => LayerOp.GlobalAvgPool1D;

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings) =>
        reader.RequireSequence(input) ? ShapeSpec.Sequence(input.Channels, 1) : null;

    public override string Describe(LayerSpec layer) => $"global average pool over {layer.In.Width}";
}
