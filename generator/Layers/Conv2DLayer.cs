using System.Collections.Generic;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[Conv2D(outChannels, Kernel = 3, Padding = 0, Stride = 1, Dilation = 1, Groups = 1)]</c> with per-axis overrides
/// (<c>KernelHeight</c>, <c>KernelWidth</c>, <c>StrideHeight</c>, ...; 0 takes the square value): a 2-D convolution,
/// PyTorch's <c>Conv2d</c> with <c>W[out, in / groups, kh, kw]</c>. A square, undilated, one-group convolution emits its
/// shape as before (the kernel's fast path takes it); any other spells every setting out by name.
/// </summary>
internal sealed class Conv2DLayer : ConvolutionLayer
{
    public override LayerOp Op => LayerOp.Conv2D;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings)
    {
        LayerSettings s = ReadShared(reader, settings);
        return s with
        {
            Kernel = Override(reader, "KernelHeight", s.Kernel),
            KernelWidth = Override(reader, "KernelWidth", s.Kernel),
            Stride = Override(reader, "StrideHeight", s.Stride),
            StrideWidth = Override(reader, "StrideWidth", s.Stride),
            Padding = Override(reader, "PaddingHeight", s.Padding),
            PaddingWidth = Override(reader, "PaddingWidth", s.Padding),
            Dilation = Override(reader, "DilationHeight", s.Dilation),
            DilationWidth = Override(reader, "DilationWidth", s.Dilation),
        };
    }

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings s)
    {
        if (!reader.RequireImage(input))
        {
            return null;
        }

        (int Height, int Width)? spatial = Spatial(reader, input, s, GeometryOf(s), sequence: false);
        return spatial is { } size ? ShapeSpec.Image(s.Size, size.Height, size.Width) : null;
    }

    public override string Describe(LayerSpec layer)
    {
        LayerSettings s = layer.Settings;
        if (IsPlain(s))
        {
            return $"conv {s.Kernel}x{s.Kernel}, {layer.Out.Channels} channels, padding {s.Padding}, stride {s.Stride}";
        }

        return $"conv {s.Kernel}x{s.KernelWidth}, {layer.Out.Channels} channels, padding {s.Padding}x{s.PaddingWidth}, stride {s.Stride}x{s.StrideWidth}, "
            + $"dilation {s.Dilation}x{s.DilationWidth}, {s.Groups} group{(s.Groups == 1 ? "" : "s")}";
    }

    public override IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        LayerSettings s = layer.Settings;
        yield return $"weightName: {EmitContext.Quoted(layer.WeightName)}";
        yield return $"kernel: {s.Kernel}";
        yield return $"padding: {s.Padding}";
        yield return $"stride: {s.Stride}";
        yield return $"bias: {(s.Bias ? "true" : "false")}";
        if (!IsPlain(s))
        {
            yield return $"dilation: {s.Dilation}";
            yield return $"groups: {s.Groups}";
            yield return $"kernelWidth: {s.KernelWidth}";
            yield return $"strideWidth: {s.StrideWidth}";
            yield return $"paddingWidth: {s.PaddingWidth}";
            yield return $"dilationWidth: {s.DilationWidth}";
        }
    }

    public override void WriteStaticFields(EmitContext e, LayerSpec layer)
    {
        LayerSettings s = layer.Settings;
        if (IsPlain(s))
        {
            e.W.Line($"private static readonly {EmitContext.Kernels}.Conv2DShape {EmitContext.ShapeField(layer)} = new({layer.In.Channels}, {layer.In.Height}, {layer.In.Width}, {layer.Out.Channels}, {s.Kernel}, {s.Padding}, {s.Stride});");
        }
        else
        {
            base.WriteStaticFields(e, layer);
        }
    }

    public override IEnumerable<string> ExtraNames(string member)
    {
        foreach (string name in base.ExtraNames(member))
        {
            yield return name;
        }

        yield return PooledForward(member);
        yield return PooledBackward(member);
    }

    /// <summary>The pass that runs the convolution, its ReLU and the max pool after it: <c>ForwardConv2Pooled</c>.</summary>
    public static string PooledForward(string member) => "Forward" + member + "Pooled";

    /// <summary>The pass back through the max pool, the ReLU and the convolution: <c>BackwardConv2Pooled</c>.</summary>
    public static string PooledBackward(string member) => "Backward" + member + "Pooled";

    /// <summary>
    /// Whether <paramref name="conv"/> with <paramref name="pool"/> after it runs as one <c>Conv2DReLUMaxPoolKernel</c>
    /// call: a ReLU convolution on the kernel's stride-1 fast path (square, undilated, one group, kernel up to 7,
    /// padding at most K - 1) and a 2x2, stride-2 max pool without an activation. The emitter adds that the pool
    /// reads the convolution alone and is its only reader.
    /// </summary>
    public static bool FusesWithMaxPool(LayerSpec conv, LayerSpec pool)
    {
        LayerSettings s = conv.Settings;
        return conv.Op == LayerOp.Conv2D && conv.Activation == Activation.ReLU && IsPlain(s) && s.Stride == 1 && s.Kernel <= 7
            && s.Padding <= s.Kernel - 1 && conv.Out.Height >= 2 && conv.Out.Width >= 2
            && pool.Op == LayerOp.MaxPool2D && pool.Activation == Activation.None && pool.Settings.Kernel == 2 && pool.Settings.Stride == 2;
    }

    /// <summary>
    /// The fused forward: <c>z</c>, <c>y = relu(z)</c> and the pool's output from <c>x</c>, every tensor written as the
    /// two layers' own passes write it.
    /// </summary>
    public static void WritePooledForward(EmitContext e, LayerSpec conv, LayerSpec pool)
    {
        LayerSettings s = conv.Settings;
        string bias = s.Bias ? EmitContext.TensorField(conv, "bias") : "default";
        e.W.Line($"{EmitContext.Kernels}.Conv2DReLUMaxPoolKernel.Forward<{e.T}>(x, {EmitContext.TensorField(conv, "weight")}, {bias}, z, y, pooled, count, {EmitContext.ShapeField(conv)});");
    }

    /// <summary>The fused backward: the pool's, the ReLU's and the convolution's gradients (<c>dy</c>, <c>dz</c>, <c>dx</c>) from <c>dPooled</c>.</summary>
    public static void WritePooledBackward(EmitContext e, LayerSpec conv)
    {
        string z = $"workspace.PreActivations({EmitContext.LayerField(conv)}, count)";
        string y = $"workspace.Activations({EmitContext.LayerField(conv)}, count)";
        e.W.Line($"{EmitContext.Kernels}.Conv2DReLUMaxPoolKernel.Backward<{e.T}>({z}, {y}, dPooled, {EmitContext.TensorField(conv, "weight")}, dy, dz, dx, count, {EmitContext.ShapeField(conv)});");
    }

    /// <summary>
    /// The fused pass on the straight path for a convolution that reads the first layer's fused pooling
    /// (<c>PathConvReLUMaxPoolKernel</c>): from that pooling's values and winners and the path's <c>start</c> and <c>step</c> rows,
    /// its ReLU's and its pool's values, as <see cref="WritePooledForward"/> writes them (not the convolution's own).
    /// </summary>
    public static void WritePathPooledForward(EmitContext e, LayerSpec firstPool, LayerSpec conv, LayerSpec pool)
    {
        string bias = conv.Settings.Bias ? EmitContext.TensorField(conv, "bias") : "default";
        string kernel = $"{EmitContext.Kernels}.PathConvReLUMaxPoolKernel";
        string shape = EmitContext.ShapeField(conv), field = EmitContext.LayerField(conv);
        e.W.Line($"{kernel}.Forward<{e.T}>(");
        e.W.Line($"    workspace.Activations({EmitContext.LayerField(firstPool)}, count), start, step, workspace.PathWinners({EmitContext.LayerField(firstPool)}, count), {EmitContext.ShapeField(firstPool)}, alphas,");
        e.W.Line($"    {EmitContext.TensorField(conv, "weight")}, {bias},");
        e.W.Line($"    workspace.Activations({field}, count), workspace.Activations({EmitContext.LayerField(pool)}, count),");
        e.W.Line($"    workspace.PathScratch({field}, {kernel}.ScratchLength({shape})), {shape});");
    }

    /// <summary>
    /// <see cref="WritePathPooledForward"/>'s backward, through the first layer's pooling too: <paramref name="weighted"/>
    /// gets the first layer's gradient summed over the points, from <paramref name="pool"/>'s gradients, the forward's
    /// values and the pooling's winners.
    /// </summary>
    public static void WritePathPooledBackwardSum(EmitContext e, LayerSpec firstPool, LayerSpec conv, LayerSpec pool, string weighted)
    {
        string field = EmitContext.LayerField(conv), shape = EmitContext.ShapeField(conv);
        string kernel = $"{EmitContext.Kernels}.PathConvReLUMaxPoolKernel";
        e.W.Line($"{kernel}.BackwardSum<{e.T}>(");
        e.W.Line($"    workspace.Activations({field}, count), workspace.Gradients({EmitContext.LayerField(pool)}, count), pointCoefficients, workspace.PathWinners({EmitContext.LayerField(firstPool)}, count), {EmitContext.ShapeField(firstPool)},");
        e.W.Line($"    {EmitContext.TensorField(conv, "weight")}, {weighted}, workspace.PathScratch({field}, {kernel}.ScratchLength({shape})), {shape});");
    }

    protected override Geometry GeometryOf(LayerSettings s) =>
        new(s.Kernel, s.KernelWidth, s.Stride, s.StrideWidth, s.Padding, s.PaddingWidth, s.Dilation, s.DilationWidth);

    protected override string KernelDims(LayerSettings s) => $"{s.Kernel}, {s.KernelWidth}";

    /// <summary>Square kernel, one stride and padding, no dilation, one group: the declarations from before per-axis settings.</summary>
    private static bool IsPlain(LayerSettings s) =>
        s.KernelWidth == s.Kernel && s.StrideWidth == s.Stride && s.PaddingWidth == s.Padding && s.Dilation == 1 && s.DilationWidth == 1 && s.Groups == 1;

    // A per-axis override: 0 (not written) takes the square value; negative is reported. A padding override written
    // as 0 beside a non-zero Padding would silently pad that axis too, so it is reported with the spelling that works.
    private static int Override(LayerReader reader, string name, int square)
    {
        int value = reader.NamedInt(name, 0);
        reader.NonNegative(name, value);
        if (value == 0 && square != 0 && name.StartsWith("Padding", System.StringComparison.Ordinal) && reader.Named(name) is not null)
        {
            string other = name == "PaddingWidth" ? "PaddingHeight" : "PaddingWidth";
            reader.BadScalar(name, $"positive when written (0 takes Padding = {square}); for no padding along that axis leave Padding at 0 and write {other} = {square}", "0");
        }

        return value == 0 ? square : value;
    }
}
