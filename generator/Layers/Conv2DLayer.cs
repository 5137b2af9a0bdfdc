using System.Collections.Generic;
using System.Numerics;
using Pathwise.Generator.Helpers;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[Conv2D(outChannels, Kernel = 3, Padding = 0, Stride = 1)]</c>: a 2-D convolution, PyTorch's <c>Conv2d</c>
/// with <c>W[out, in, k, k]</c>. Kernels: <c>Conv2DKernel.Forward</c> and <c>Conv2DKernel.BackwardInput</c> over a
/// <c>Conv2DShape</c>.
/// </summary>
internal sealed class Conv2DLayer : AffineLayer
{
    /// <summary>The attribute's defaults (<c>Conv2DAttribute</c>), for arguments not written.</summary>
    public const int DefaultKernel = 3, DefaultPadding = 0, DefaultStride = 1;

    public override LayerOp Op => LayerOp.Conv2D;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings)
    {
        int channels = reader.FirstInt();
        int kernel = reader.NamedInt("Kernel", DefaultKernel);
        int padding = reader.NamedInt("Padding", DefaultPadding);
        int stride = reader.NamedInt("Stride", DefaultStride);
        reader.Positive("OutChannels", channels);
        reader.Positive("Kernel", kernel);
        reader.Positive("Stride", stride);
        reader.NonNegative("Padding", padding);
        return settings with { Size = channels, Kernel = kernel, Padding = padding, Stride = stride };
    }

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings s)
    {
        if (!reader.RequireImage(input))
        {
            return null;
        }

        long height = input.Height + 2L * s.Padding;
        long width = input.Width + 2L * s.Padding;
        if (!reader.WithinLimit((BigInteger)input.Channels * height * width, "its padded input") || !reader.Fits(s.Kernel, height, width))
        {
            return null;
        }

        return ShapeSpec.Image(s.Size, (int)((height - s.Kernel) / s.Stride + 1), (int)((width - s.Kernel) / s.Stride + 1));
    }

    public override BigInteger WeightCount(ShapeSpec input, LayerSettings s) => (BigInteger)s.Size * input.Channels * s.Kernel * s.Kernel;

    public override IEnumerable<string> TensorSuffixes(bool bias) => bias ? new[] { "weight", "bias" } : new[] { "weight" };

    public override IEnumerable<TensorSpec> Tensors(LayerSpec layer)
    {
        int k = layer.Settings.Kernel;
        int fanIn = layer.In.Channels * k * k;
        yield return new TensorSpec("weight", $"{layer.Out.Channels}, {layer.In.Channels}, {k}, {k}", "Weight", fanIn);
        if (layer.Settings.Bias)
        {
            yield return new TensorSpec("bias", $"{layer.Out.Channels}", "Bias", fanIn);
        }
    }

    public override IEnumerable<string> ExtraNames(string member)
    {
        yield return GeneratedNames.ShapeField(member);
    }

    public override string Describe(LayerSpec layer) =>
        $"conv {layer.Settings.Kernel}x{layer.Settings.Kernel}, {layer.Out.Channels} channels, padding {layer.Settings.Padding}, stride {layer.Settings.Stride}";

    public override IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        yield return $"weightName: {EmitContext.Quoted(layer.WeightName)}";
        yield return $"kernel: {layer.Settings.Kernel}";
        yield return $"padding: {layer.Settings.Padding}";
        yield return $"stride: {layer.Settings.Stride}";
        yield return $"bias: {(layer.Settings.Bias ? "true" : "false")}";
    }

    public override void WriteStaticFields(EmitContext e, LayerSpec layer)
    {
        LayerSettings s = layer.Settings;
        e.W.Line($"private static readonly {EmitContext.Kernels}.Conv2DShape {EmitContext.ShapeField(layer)} = new({layer.In.Channels}, {layer.In.Height}, {layer.In.Width}, {layer.Out.Channels}, {s.Kernel}, {s.Padding}, {s.Stride});");
    }

    public override void WriteLinear(EmitContext e, LayerSpec layer, string x, string z, string count, bool withBias)
    {
        string bias = withBias && layer.Settings.Bias ? EmitContext.TensorField(layer, "bias") : "default";
        e.W.Line($"{EmitContext.Kernels}.Conv2DKernel.Forward<{e.T}>({x}, {EmitContext.TensorField(layer, "weight")}, {bias}, {z}, {count}, {EmitContext.ShapeField(layer)});");
    }

    public override void WriteLinearTranspose(EmitContext e, LayerSpec layer, string dz, string dx, string count) =>
        e.W.Line($"{EmitContext.Kernels}.Conv2DKernel.BackwardInput<{e.T}>({dz}, {EmitContext.TensorField(layer, "weight")}, {dx}, {count}, {EmitContext.ShapeField(layer)});");
}
