using System.Collections.Generic;
using System.Numerics;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[Dense(units)]</c>: <c>z = W x + b</c> over a flat input, PyTorch's <c>Linear</c> with <c>W[out, in]</c>.
/// Kernels: <c>DenseKernel.Forward</c> and <c>DenseKernel.BackwardInput</c>.
/// </summary>
internal sealed class DenseLayer : AffineLayer
{
    public override LayerOp Op => LayerOp.Dense;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings)
    {
        int units = reader.FirstInt();
        reader.Positive("Units", units);
        return settings with { Size = units };
    }

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings)
    {
        if (input.Rank != 1)
        {
            reader.ShapeMismatch(input, "Dense takes a flat [features] input; declare a [Flatten] layer before it");
            return null;
        }

        return ShapeSpec.Flat(settings.Size);
    }

    public override BigInteger WeightCount(ShapeSpec input, LayerSettings settings) => (BigInteger)settings.Size * input.Length;

    public override IEnumerable<string> TensorSuffixes(bool bias) => bias ? new[] { "weight", "bias" } : new[] { "weight" };

    public override IEnumerable<TensorSpec> Tensors(LayerSpec layer)
    {
        yield return new TensorSpec("weight", $"{layer.Out.Length}, {layer.In.Length}", "Weight", layer.In.Length);
        if (layer.Settings.Bias)
        {
            yield return new TensorSpec("bias", $"{layer.Out.Length}", "Bias", layer.In.Length);
        }
    }

    public override string Describe(LayerSpec layer) => $"dense {layer.In.Length} → {layer.Out.Length}{(layer.Settings.Bias ? "" : ", no bias")}";

    public override IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        yield return $"weightName: {EmitContext.Quoted(layer.WeightName)}";
        yield return $"bias: {(layer.Settings.Bias ? "true" : "false")}";
    }

    public override void WriteLinear(EmitContext e, LayerSpec layer, string x, string z, string count, bool withBias)
    {
        string bias = withBias && layer.Settings.Bias ? EmitContext.TensorField(layer, "bias") : "default";
        e.W.Line($"{EmitContext.Kernels}.DenseKernel.Forward<{e.T}>({x}, {EmitContext.TensorField(layer, "weight")}, {bias}, {z}, {count}, {layer.In.Length}, {layer.Out.Length});");
    }

    public override void WritePathEnds(EmitContext e, LayerSpec layer, string baseline, string direction, string start, string step)
    {
        string bias = layer.Settings.Bias ? EmitContext.TensorField(layer, "bias") : "default";
        e.W.Line($"{EmitContext.Kernels}.DenseKernel.PathEnds<{e.T}>({baseline}, {direction}, {EmitContext.TensorField(layer, "weight")}, {bias}, {start}, {step}, {layer.In.Length}, {layer.Out.Length});");
    }

    /// <summary>
    /// Below this many weights the batched product costs about what comparing rows does: <c>DenseKernel.BackwardInputAlongPath</c>'s
    /// own threshold, so layers this small keep the one call.
    /// </summary>
    private const int SmallestCarried = 4096;

    /// <summary>
    /// The backward pass: in a workspace that serves the straight path's input gradient sum, row by row from what changed
    /// since the previous point (<c>DenseKernel.BackwardInputAlongPath</c>), for layers of at least
    /// <see cref="SmallestCarried"/> weights; otherwise the batched product.
    /// </summary>
    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        string args = $"dz, {EmitContext.TensorField(layer, "weight")}, dx, count, {layer.In.Length}, {layer.Out.Length}";
        if ((long)layer.In.Length * layer.Out.Length < SmallestCarried)
        {
            WriteLinearTranspose(e, layer, "dz", "dx", "count");
            return;
        }

        e.W.Open("if (workspace.InputGradientSumOnly)");
        e.W.Line($"{EmitContext.Kernels}.DenseKernel.BackwardInputAlongPath<{e.T}>({args});");
        e.W.Close();
        e.W.Open("else");
        e.W.Line($"{EmitContext.Kernels}.DenseKernel.BackwardInput<{e.T}>({args});");
        e.W.Close();
    }

    public override void WriteLinearTranspose(EmitContext e, LayerSpec layer, string dz, string dx, string count) =>
        e.W.Line($"{EmitContext.Kernels}.DenseKernel.BackwardInput<{e.T}>({dz}, {EmitContext.TensorField(layer, "weight")}, {dx}, {count}, {layer.In.Length}, {layer.Out.Length});");
}
