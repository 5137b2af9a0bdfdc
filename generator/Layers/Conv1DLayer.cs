using System.Collections.Generic;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[Conv1D(outChannels, Kernel = 3, Padding = 0, Stride = 1, Dilation = 1, Groups = 1)]</c>: a 1-D convolution over
/// <c>[channels, length]</c>, PyTorch's <c>Conv1d</c> with <c>W[out, in / groups, k]</c>. Runs the 2-D kernel on a height-1
/// image (kernel height 1, no vertical padding): one kernel for both kinds.
/// </summary>
internal sealed class Conv1DLayer : ConvolutionLayer
{
    public override LayerOp Op => LayerOp.Conv1D;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings) => ReadShared(reader, settings);

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings s)
    {
        if (!reader.RequireSequence(input))
        {
            return null;
        }

        (int Height, int Width)? spatial = Spatial(reader, input, s, GeometryOf(s), sequence: true);
        return spatial is { } size ? ShapeSpec.Sequence(s.Size, size.Width) : null;
    }

    public override string Describe(LayerSpec layer)
    {
        LayerSettings s = layer.Settings;
        return $"conv1d {s.Kernel}, {layer.Out.Channels} channels, padding {s.Padding}, stride {s.Stride}, dilation {s.Dilation}, {s.Groups} group{(s.Groups == 1 ? "" : "s")}";
    }

    public override IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        LayerSettings s = layer.Settings;
        yield return $"weightName: {EmitContext.Quoted(layer.WeightName)}";
        yield return $"kernel: {s.Kernel}";
        yield return $"padding: {s.Padding}";
        yield return $"stride: {s.Stride}";
        yield return $"bias: {(s.Bias ? "true" : "false")}";
        yield return $"dilation: {s.Dilation}";
        yield return $"groups: {s.Groups}";
    }

    protected override Geometry GeometryOf(LayerSettings s) => new(1, s.Kernel, 1, s.Stride, 0, s.Padding, 1, s.Dilation);

    protected override string KernelDims(LayerSettings s) => $"{s.Kernel}";
}
