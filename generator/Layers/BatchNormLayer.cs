using System.Collections.Generic;
using System.Globalization;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[BatchNorm(Epsilon = 1e-5)]</c>: inference-form batch normalisation per channel, folded whenever the
/// parameters change into <c>z = x * scale[c] + shift[c]</c>. Kernels: <c>ChannelAffineKernel.Fold</c>,
/// <c>Forward</c> and <c>Backward</c> (which is also the tangent: the map is affine with a diagonal linear part).
/// </summary>
internal sealed class BatchNormLayer : LayerUnit
{
    /// <summary>The attribute's default epsilon (<c>BatchNormAttribute</c>, PyTorch's).</summary>
    public const double DefaultEpsilon = 1e-5;

    private static readonly string[] s_suffixes = { "weight", "bias", "running_mean", "running_var" };

    public override LayerOp Op => LayerOp.BatchNorm;

    public override bool HasWeights => true;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings) =>
        settings with { Epsilon = reader.Epsilon(DefaultEpsilon) };

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings) => input;

    public override IEnumerable<string> TensorSuffixes(bool bias) => s_suffixes;

    public override IEnumerable<TensorSpec> Tensors(LayerSpec layer)
    {
        string c = layer.Out.Channels.ToString(CultureInfo.InvariantCulture);
        yield return new TensorSpec("weight", c, "NormScale", 1);
        yield return new TensorSpec("bias", c, "NormShift", 1);
        yield return new TensorSpec("running_mean", c, "RunningMean", 1);
        yield return new TensorSpec("running_var", c, "RunningVariance", 1);
    }

    public override IEnumerable<string> ExtraNames(string member)
    {
        yield return Helpers.GeneratedNames.Field(member, "Scale");
        yield return Helpers.GeneratedNames.Field(member, "Shift");
    }

    public override string Describe(LayerSpec layer) => $"batch norm over {layer.Out.Channels} channels";

    public override IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        yield return $"weightName: {EmitContext.Quoted(layer.WeightName)}";
        yield return $"epsilon: {EmitContext.Number(layer.Settings.Epsilon)}";
    }

    public override void WriteDerivedFields(EmitContext e, LayerSpec layer)
    {
        // Before the first load the tensors are neutral (unit scale and variance), so scale = 1 / sqrt(1 + eps).
        string scale = e.Literal(1.0 / System.Math.Sqrt(1.0 + layer.Settings.Epsilon));
        e.W.Line($"private readonly {e.T}[] {EmitContext.Field(layer, "Scale")} = {EmitContext.Runtime}.ParameterSet<{e.T}>.Filled({layer.Out.Channels}, {scale});");
        e.W.Line($"private readonly {e.T}[] {EmitContext.Field(layer, "Shift")} = new {e.T}[{layer.Out.Channels}];");
    }

    public override void WriteParametersChanged(EmitContext e, LayerSpec layer) =>
        e.W.Line($"{EmitContext.Kernels}.ChannelAffineKernel.Fold<{e.T}>({EmitContext.TensorField(layer, "weight")}, {EmitContext.TensorField(layer, "bias")}, {EmitContext.TensorField(layer, "running_mean")}, {EmitContext.TensorField(layer, "running_var")}, {e.Literal(layer.Settings.Epsilon)}, {EmitContext.Field(layer, "Scale")}, {EmitContext.Field(layer, "Shift")});");

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.ChannelAffineKernel.Forward<{e.T}>(x, {EmitContext.Field(layer, "Scale")}, {EmitContext.Field(layer, "Shift")}, z, count, {layer.Out.Channels}, {layer.Out.Height * layer.Out.Width});");

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.ChannelAffineKernel.Backward<{e.T}>(dz, {EmitContext.Field(layer, "Scale")}, dx, count, {layer.Out.Channels}, {layer.Out.Height * layer.Out.Width});");

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        e.W.Line("// The tangent of a per-channel affine map is the same per-channel scaling as its backward pass.");
        e.W.Line($"{EmitContext.Kernels}.ChannelAffineKernel.Backward<{e.T}>(tx, {EmitContext.Field(layer, "Scale")}, tz, count, {layer.Out.Channels}, {layer.Out.Height * layer.Out.Width});");
    }
}
