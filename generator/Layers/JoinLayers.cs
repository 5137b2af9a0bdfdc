using System.Collections.Generic;
using System.Linq;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// A layer that reads the previous layer and the earlier layers its attribute names (<c>[Add(nameof(Block1))]</c>):
/// the graph's joins. The parser resolves the names into <see cref="LayerSpec.Inputs"/>, the previous layer first;
/// the emitter gives every input that several layers read the sum of their gradients (see <see cref="WriteJoinBackward"/>).
/// No tensors.
/// </summary>
internal abstract class JoinLayer : LayerUnit
{
    public override bool Joins => true;

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings) => input;

    /// <summary>The span of input <paramref name="index"/>'s values in <paramref name="pass"/>'s buffers, e.g. <c>workspace.Activations(s_skip, count)</c>.</summary>
    protected static string Buffer(LayerSpec layer, int index, string pass) =>
        $"workspace.{pass}({GeneratedNames(layer.Inputs[index])}, count)";

    private static string GeneratedNames(LayerInput input) => Helpers.GeneratedNames.LayerField(input.Member);
}

/// <summary>
/// <c>[Add(nameof(A), ...)]</c>: <c>z = x + sum_j s_j</c>, the previous layer's output plus the named layers' outputs of
/// the same shape, PyTorch's <c>out + identity</c> and ONNX's <c>Add</c> of two layer outputs. Linear, so its backward
/// hands <c>dz</c> to every input and its tangent is the sum of the inputs' tangents. Kernel: <c>JoinKernel.Add</c>.
/// </summary>
internal sealed class AddLayer : JoinLayer
{
    public override LayerOp Op => LayerOp.Add;

    public override ShapeSpec? JoinShape(LayerReader reader, string inputMember, ShapeSpec input, IReadOnlyList<JoinSource> others)
    {
        bool fits = true;
        foreach (JoinSource other in others)
        {
            if (other.Shape != input)
            {
                reader.JoinMismatch(other, inputMember, input, "Add sums outputs of one shape");
                fits = false;
            }
        }

        return fits ? input : null;
    }

    public override string Describe(LayerSpec layer) => "sum of " + string.Join(" + ", layer.Inputs.Select(i => i.Member));

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        e.W.Line($"{EmitContext.Kernels}.JoinKernel.Add<{e.T}>(x, {Buffer(layer, 1, "Activations")}, z);");
        for (int i = 2; i < layer.Inputs.Count; i++)
        {
            e.W.Line($"{EmitContext.Kernels}.PathKernel.AddTo<{e.T}>({Buffer(layer, i, "Activations")}, z);");
        }
    }

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
    }

    public override void WriteJoinBackward(EmitContext e, LayerSpec layer, IReadOnlyList<bool> accumulate)
    {
        e.W.Line("// d(x + s)/dx = d(x + s)/ds = I: every input receives dz.");
        for (int i = 0; i < layer.Inputs.Count; i++)
        {
            e.W.Line(accumulate[i]
                ? $"{EmitContext.Kernels}.PathKernel.AddTo<{e.T}>(dz, {Buffer(layer, i, "Gradients")}); // adds: '{layer.Inputs[i].Member}' has another reader"
                : $"dz.CopyTo({Buffer(layer, i, "Gradients")});");
        }
    }

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        e.W.Line($"{EmitContext.Kernels}.JoinKernel.Add<{e.T}>(tx, {Buffer(layer, 1, "Tangents")}, tz);");
        for (int i = 2; i < layer.Inputs.Count; i++)
        {
            e.W.Line($"{EmitContext.Kernels}.PathKernel.AddTo<{e.T}>({Buffer(layer, i, "Tangents")}, tz);");
        }
    }
}

/// <summary>
/// <c>[Concat(nameof(A), ...)]</c>: <c>z = [x; s_1; s_2; ...]</c> along channels (rank 3 <c>[C, H, W]</c> and rank 2
/// <c>[C, L]</c>, the other sizes equal) or features (rank 1), PyTorch's <c>torch.cat(..., dim=1)</c>. In a row-major
/// point each input is one contiguous block, so forward, backward and tangent copy blocks. Kernels:
/// <c>JoinKernel.ConcatForward</c> and <c>JoinKernel.ConcatBackward</c>.
/// </summary>
internal sealed class ConcatLayer : JoinLayer
{
    public override LayerOp Op => LayerOp.Concat;

    public override ShapeSpec? JoinShape(LayerReader reader, string inputMember, ShapeSpec input, IReadOnlyList<JoinSource> others)
    {
        bool fits = true;
        int channels = input.Channels;
        foreach (JoinSource other in others)
        {
            ShapeSpec shape = other.Shape;
            if (shape.Rank != input.Rank || shape.Height != input.Height || shape.Width != input.Width)
            {
                string why = input.Rank switch
                {
                    1 => "Concat joins flat outputs along features; flatten both or neither",
                    2 => "Concat joins [channels, length] outputs of one length along channels",
                    _ => "Concat joins [channels, height, width] outputs of one height and width along channels",
                };
                reader.JoinMismatch(other, inputMember, input, why);
                fits = false;
            }

            channels += shape.Channels;
        }

        if (!fits)
        {
            return null;
        }

        return input.Rank switch
        {
            1 => ShapeSpec.Flat(channels),
            2 => ShapeSpec.Sequence(channels, input.Width),
            _ => ShapeSpec.Image(channels, input.Height, input.Width),
        };
    }

    public override string Describe(LayerSpec layer) => "concatenation of " + string.Join(", ", layer.Inputs.Select(i => i.Member));

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) => WriteBlocks(e, layer, "x", "z", "Activations", backward: null);

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
    }

    public override void WriteJoinBackward(EmitContext e, LayerSpec layer, IReadOnlyList<bool> accumulate) => WriteBlocks(e, layer, "dz", "", "Gradients", accumulate);

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous) => WriteBlocks(e, layer, "tx", "tz", "Tangents", backward: null);

    /// <summary>One kernel call per input block, at its offset in the output row.</summary>
    private static void WriteBlocks(EmitContext e, LayerSpec layer, string first, string whole, string pass, IReadOnlyList<bool>? backward)
    {
        int offset = 0;
        for (int i = 0; i < layer.Inputs.Count; i++)
        {
            int length = layer.Inputs[i].Shape.Length;
            string part = i == 0 && backward is null ? first : Buffer(layer, i, pass);
            e.W.Line(backward is null
                ? $"{EmitContext.Kernels}.JoinKernel.ConcatForward<{e.T}>({part}, {whole}, count, sourceLength: {length}, destinationLength: {layer.Out.Length}, offset: {offset});"
                : $"{EmitContext.Kernels}.JoinKernel.ConcatBackward<{e.T}>(dz, {part}, count, sourceLength: {length}, destinationLength: {layer.Out.Length}, offset: {offset}, accumulate: {(backward[i] ? "true" : "false")});");
            offset += length;
        }
    }
}
