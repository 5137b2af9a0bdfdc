using System.Collections.Generic;
using System.Globalization;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[LayerNorm(Epsilon = 1e-5)]</c>: <c>z = gamma (x - mean x) / sqrt(var x + eps) + beta</c> over a point's flat
/// features, PyTorch's <c>LayerNorm(features)</c> with <c>weight</c> and <c>bias</c>. Not piecewise linear. Backward and
/// tangent recompute the row statistics from the layer's input. Kernels: <c>LayerNormKernel.Forward</c>,
/// <c>Backward</c> and <c>Tangent</c>.
/// </summary>
internal sealed class LayerNormLayer : LayerUnit
{
    /// <summary>The attribute's default epsilon (<c>LayerNormAttribute</c>, PyTorch's).</summary>
    public const double DefaultEpsilon = 1e-5;

    private static readonly string[] s_suffixes = { "weight", "bias" };

    public override LayerOp Op => LayerOp.LayerNorm;

    public override bool HasWeights => true;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings) =>
        settings with { Epsilon = reader.Epsilon(DefaultEpsilon) };

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings)
    {
        if (input.Rank != 1)
        {
            reader.ShapeMismatch(input, "LayerNorm normalises a flat [features] input; declare a [Flatten] layer before it");
            return null;
        }

        return input;
    }

    public override IEnumerable<string> TensorSuffixes(bool bias) => s_suffixes;

    public override IEnumerable<TensorSpec> Tensors(LayerSpec layer)
    {
        string features = layer.Out.Length.ToString(CultureInfo.InvariantCulture);
        yield return new TensorSpec("weight", features, "NormScale", 1);
        yield return new TensorSpec("bias", features, "NormShift", 1);
    }

    public override string Describe(LayerSpec layer) => $"layer norm over {layer.Out.Length} features";

    public override IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        yield return $"weightName: {EmitContext.Quoted(layer.WeightName)}";
        yield return $"epsilon: {EmitContext.Number(layer.Settings.Epsilon)}";
    }

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.LayerNormKernel.Forward<{e.T}>(x, {EmitContext.TensorField(layer, "weight")}, {EmitContext.TensorField(layer, "bias")}, z, count, {Geometry(e, layer)});");

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.LayerNormKernel.Backward<{e.T}>(workspace.Activations({EmitContext.LayerField(previous)}, count), {EmitContext.TensorField(layer, "weight")}, dz, dx, count, {Geometry(e, layer)});");

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.LayerNormKernel.Tangent<{e.T}>(workspace.Activations({EmitContext.LayerField(previous)}, count), {EmitContext.TensorField(layer, "weight")}, tx, tz, count, {Geometry(e, layer)});");

    private static string Geometry(EmitContext e, LayerSpec layer) => $"features: {layer.Out.Length}, epsilon: {e.Literal(layer.Settings.Epsilon)}";
}
