using System.Collections.Generic;
using Pathwise.Generator.Helpers;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// What max and average pooling share: <c>[MaxPool2D(kernel, Stride = 0)]</c>, a square window without padding in
/// floor mode, the stride defaulting to the window as in PyTorch; the geometry is a <c>Pool2DShape</c> field.
/// </summary>
internal abstract class Pool2DLayer : LayerUnit
{
    /// <summary>The attribute's default stride: 0, meaning the window.</summary>
    public const int DefaultStride = 0;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings)
    {
        int kernel = reader.FirstInt();
        int stride = reader.NamedInt("Stride", DefaultStride);
        reader.Positive("Kernel", kernel);
        reader.NonNegative("Stride", stride);
        return settings with { Kernel = kernel, Stride = stride == 0 ? kernel : stride };
    }

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings s) =>
        reader.RequireImage(input) && reader.Fits(s.Kernel, input.Height, input.Width)
            ? ShapeSpec.Image(input.Channels, (input.Height - s.Kernel) / s.Stride + 1, (input.Width - s.Kernel) / s.Stride + 1)
            : null;

    public override IEnumerable<string> ExtraNames(string member)
    {
        yield return GeneratedNames.ShapeField(member);
    }

    public override IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        yield return $"kernel: {layer.Settings.Kernel}";
        yield return $"stride: {layer.Settings.Stride}";
    }

    public override void WriteStaticFields(EmitContext e, LayerSpec layer) =>
        e.W.Line($"private static readonly {EmitContext.Kernels}.Pool2DShape {EmitContext.ShapeField(layer)} = new({layer.In.Channels}, {layer.In.Height}, {layer.In.Width}, {layer.Settings.Kernel}, {layer.Settings.Stride});");
}

/// <summary>
/// <c>[MaxPool2D(kernel)]</c>: the largest element of each window. Backward and tangent follow the window's
/// arg-max, so they read the layer's input. Kernels: <c>Pool2DKernel.MaxForward</c>, <c>MaxBackward</c>, <c>MaxTangent</c>.
/// </summary>
internal sealed class MaxPool2DLayer : Pool2DLayer
{
    public override LayerOp Op => LayerOp.MaxPool2D;

    public override string Describe(LayerSpec layer) => $"max pool {layer.Settings.Kernel}x{layer.Settings.Kernel}, stride {layer.Settings.Stride}";

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.Pool2DKernel.MaxForward<{e.T}>(x, z, count, {EmitContext.ShapeField(layer)});");

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.Pool2DKernel.MaxBackward<{e.T}>(workspace.Activations({EmitContext.LayerField(previous)}, count), dz, dx, count, {EmitContext.ShapeField(layer)});");

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.Pool2DKernel.MaxTangent<{e.T}>(workspace.Activations({EmitContext.LayerField(previous)}, count), tx, tz, count, {EmitContext.ShapeField(layer)});");
}

/// <summary>
/// <c>[AvgPool2D(kernel)]</c>: the mean of each window, a linear map, so its tangent is its forward pass applied to
/// the input's tangent. Kernels: <c>Pool2DKernel.AvgForward</c> and <c>AvgBackward</c>.
/// </summary>
internal sealed class AvgPool2DLayer : Pool2DLayer
{
    public override LayerOp Op => LayerOp.AvgPool2D;

    public override string Describe(LayerSpec layer) => $"average pool {layer.Settings.Kernel}x{layer.Settings.Kernel}, stride {layer.Settings.Stride}";

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.Pool2DKernel.AvgForward<{e.T}>(x, z, count, {EmitContext.ShapeField(layer)});");

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.Pool2DKernel.AvgBackward<{e.T}>(dz, dx, count, {EmitContext.ShapeField(layer)});");

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.Pool2DKernel.AvgForward<{e.T}>(tx, tz, count, {EmitContext.ShapeField(layer)});");
}
