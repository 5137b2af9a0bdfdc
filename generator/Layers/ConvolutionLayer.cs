using System.Collections.Generic;
using System.Numerics;
using Pathwise.Generator.Helpers;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// What the 2-D and 1-D convolutions share: the groups check, the weight <c>[out, in / groups, ...kernel]</c>, and the
/// passes, which are <c>Conv2DKernel.Forward</c> and <c>Conv2DKernel.BackwardInput</c> over a static <c>Conv2DShape</c>
/// field (a 1-D convolution is the height-1 case, so both kinds run one kernel).
/// </summary>
internal abstract class ConvolutionLayer : AffineLayer
{
    /// <summary>The attributes' defaults (<c>Conv2DAttribute</c>, <c>Conv1DAttribute</c>), for arguments not written.</summary>
    public const int DefaultKernel = 3, DefaultPadding = 0, DefaultStride = 1, DefaultDilation = 1, DefaultGroups = 1;

    /// <summary>The geometry per axis; a 1-D convolution's height axis is the trivial one.</summary>
    protected abstract Geometry GeometryOf(LayerSettings s);

    /// <summary>The kernel's dims after <c>out, in / groups</c> in the weight, e.g. <c>"3, 3"</c>.</summary>
    protected abstract string KernelDims(LayerSettings s);

    /// <summary>
    /// Reads what both kinds' attributes share (output channels, square or length settings, groups), checking them;
    /// the 2-D kind adds its per-axis overrides.
    /// </summary>
    protected static LayerSettings ReadShared(LayerReader reader, LayerSettings settings)
    {
        int channels = reader.FirstInt();
        int kernel = reader.NamedInt("Kernel", DefaultKernel);
        int padding = reader.NamedInt("Padding", DefaultPadding);
        int stride = reader.NamedInt("Stride", DefaultStride);
        int dilation = reader.NamedInt("Dilation", DefaultDilation);
        int groups = reader.NamedInt("Groups", DefaultGroups);
        reader.Positive("OutChannels", channels);
        reader.Positive("Kernel", kernel);
        reader.Positive("Stride", stride);
        reader.NonNegative("Padding", padding);
        reader.Positive("Dilation", dilation);
        reader.Positive("Groups", groups);
        return settings with
        {
            Size = channels, Kernel = kernel, Padding = padding, Stride = stride, Dilation = dilation, Groups = groups,
            KernelWidth = kernel, PaddingWidth = padding, StrideWidth = stride, DilationWidth = dilation,
        };
    }

    /// <summary>
    /// The output's spatial size along each axis, or null after reporting every problem at once: groups that do not
    /// divide both channel counts, a padded input too large, a (dilated) kernel larger than the padded input.
    /// </summary>
    protected static (int Height, int Width)? Spatial(LayerReader reader, ShapeSpec input, LayerSettings s, Geometry g, bool sequence)
    {
        bool fine = true;
        if (input.Channels % s.Groups != 0 || s.Size % s.Groups != 0)
        {
            int divisor = Gcd(input.Channels, s.Size);
            reader.BadScalar("Groups",
                $"a divisor of both the input channels ({input.Channels}) and OutChannels ({s.Size}), such as {divisor}{(divisor == input.Channels && divisor == s.Size ? " (depthwise)" : "")} or 1",
                LayerReader.Format(s.Groups));
            fine = false;
        }

        long height = input.Height + 2L * g.PaddingHeight;
        long width = input.Width + 2L * g.PaddingWidth;
        if (!reader.WithinLimit((BigInteger)input.Channels * height * width, "its padded input"))
        {
            return null;
        }

        long spanHeight = (long)g.DilationHeight * (g.KernelHeight - 1) + 1;
        long spanWidth = (long)g.DilationWidth * (g.KernelWidth - 1) + 1;
        if (spanHeight > height || spanWidth > width)
        {
            string dilated = g.DilationHeight == 1 && g.DilationWidth == 1 ? "" : sequence ? $" (dilated to {spanWidth})" : $" (dilated to {spanHeight}x{spanWidth})";
            reader.WindowTooLarge(
                sequence ? $"{g.KernelWidth}-long{dilated}" : $"{g.KernelHeight}x{g.KernelWidth}{dilated}",
                sequence ? $"{width} long" : $"{height}x{width}");
            fine = false;
        }

        return fine ? ((int)((height - spanHeight) / g.StrideHeight + 1), (int)((width - spanWidth) / g.StrideWidth + 1)) : null;
    }

    public override BigInteger WeightCount(ShapeSpec input, LayerSettings s)
    {
        Geometry g = GeometryOf(s);
        return (BigInteger)s.Size * (input.Channels / s.Groups) * g.KernelHeight * g.KernelWidth;
    }

    public override IEnumerable<string> TensorSuffixes(bool bias) => bias ? new[] { "weight", "bias" } : new[] { "weight" };

    public override IEnumerable<TensorSpec> Tensors(LayerSpec layer)
    {
        Geometry g = GeometryOf(layer.Settings);
        int groupIn = layer.In.Channels / layer.Settings.Groups;
        int fanIn = groupIn * g.KernelHeight * g.KernelWidth;
        yield return new TensorSpec("weight", $"{layer.Out.Channels}, {groupIn}, {KernelDims(layer.Settings)}", "Weight", fanIn);
        if (layer.Settings.Bias)
        {
            yield return new TensorSpec("bias", $"{layer.Out.Channels}", "Bias", fanIn);
        }
    }

    public override IEnumerable<string> ExtraNames(string member)
    {
        yield return GeneratedNames.ShapeField(member);
    }

    public override void WriteStaticFields(EmitContext e, LayerSpec layer)
    {
        Geometry g = GeometryOf(layer.Settings);
        e.W.Line($"private static readonly {EmitContext.Kernels}.Conv2DShape {EmitContext.ShapeField(layer)} = new(inChannels: {layer.In.Channels}, height: {layer.In.Height}, width: {layer.In.Width}, outChannels: {layer.Out.Channels}, "
            + $"kernelHeight: {g.KernelHeight}, kernelWidth: {g.KernelWidth}, strideHeight: {g.StrideHeight}, strideWidth: {g.StrideWidth}, "
            + $"paddingHeight: {g.PaddingHeight}, paddingWidth: {g.PaddingWidth}, dilationHeight: {g.DilationHeight}, dilationWidth: {g.DilationWidth}, groups: {layer.Settings.Groups});");
    }

    public override void WriteLinear(EmitContext e, LayerSpec layer, string x, string z, string count, bool withBias)
    {
        string bias = withBias && layer.Settings.Bias ? EmitContext.TensorField(layer, "bias") : "default";
        e.W.Line($"{EmitContext.Kernels}.Conv2DKernel.Forward<{e.T}>({x}, {EmitContext.TensorField(layer, "weight")}, {bias}, {z}, {count}, {EmitContext.ShapeField(layer)});");
    }

    public override void WriteLinearTranspose(EmitContext e, LayerSpec layer, string dz, string dx, string count) =>
        e.W.Line($"{EmitContext.Kernels}.Conv2DKernel.BackwardInput<{e.T}>({dz}, {EmitContext.TensorField(layer, "weight")}, {dx}, {count}, {EmitContext.ShapeField(layer)});");

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    /// <summary>A convolution's settings per axis of the <c>Conv2DShape</c>.</summary>
    protected readonly struct Geometry
    {
        public Geometry(int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int paddingHeight, int paddingWidth, int dilationHeight, int dilationWidth)
        {
            KernelHeight = kernelHeight;
            KernelWidth = kernelWidth;
            StrideHeight = strideHeight;
            StrideWidth = strideWidth;
            PaddingHeight = paddingHeight;
            PaddingWidth = paddingWidth;
            DilationHeight = dilationHeight;
            DilationWidth = dilationWidth;
        }

        public int KernelHeight { get; }

        public int KernelWidth { get; }

        public int StrideHeight { get; }

        public int StrideWidth { get; }

        public int PaddingHeight { get; }

        public int PaddingWidth { get; }

        public int DilationHeight { get; }

        public int DilationWidth { get; }
    }
}
