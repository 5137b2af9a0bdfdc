using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[Dropout(p = 0.5)]</c>: dropout as it runs at inference, <c>y = x</c> (PyTorch's <c>nn.Dropout</c> in eval mode,
/// ONNX's <c>Dropout</c>); a view of its input. <c>p</c> must be a probability, as PyTorch requires, and is otherwise unused.
/// </summary>
internal sealed class DropoutLayer : PassThroughLayer
{
    /// <summary>The attribute's default probability (<c>DropoutAttribute</c>, PyTorch's).</summary>
    public const double DefaultRate = 0.5;

    public override LayerOp Op => LayerOp.Dropout;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings)
    {
        double p = reader.FirstDouble(DefaultRate);
        if (!(p >= 0 && p <= 1))
        {
            reader.BadScalar("P", "a probability from 0 to 1", LayerReader.Format(p));
        }

        return settings with { Rate = p };
    }

    public override string Describe(LayerSpec layer) => $"dropout p = {EmitContext.Number(layer.Settings.Rate)}, the identity at inference";
}
