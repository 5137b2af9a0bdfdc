using System.Collections.Generic;
using System.Numerics;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// <c>[Embedding(numEmbeddings, embeddingDim)]</c>: <c>z[t, d] = weight[ids[t], d]</c>, token ids <c>[T]</c> to
/// <c>[T, D]</c> (rank 2, held as <c>[T, 1, D]</c>), PyTorch's <c>nn.Embedding</c> with <c>weight[vocabulary, D]</c>.
/// It reads the network's input as token ids, so it must directly follow the <c>[Input(T)]</c>. No gradient or tangent
/// reaches the ids: its backward and tangent passes write zeros there. Kernel: <c>EmbeddingKernel.Forward</c>, which
/// refuses an id that is not an integer in <c>[0, vocabulary)</c>.
/// </summary>
internal sealed class EmbeddingLayer : LayerUnit
{
    private static readonly string[] s_suffixes = { "weight" };

    public override LayerOp Op => LayerOp.Embedding;

    public override bool HasWeights => true;

    public override LayerSettings Read(LayerReader reader, LayerSettings settings)
    {
        int vocabulary = reader.IntAt(0);
        int dimension = reader.IntAt(1);
        reader.Positive("NumEmbeddings", vocabulary);
        reader.Positive("EmbeddingDim", dimension);
        return settings with { Vocabulary = vocabulary, Size = dimension };
    }

    public override ShapeSpec? OutputShape(LayerReader reader, ShapeSpec input, LayerSettings settings)
    {
        if (!reader.FollowsInput)
        {
            reader.ShapeMismatch(input, "Embedding reads token ids, so it must directly follow the [Input(length)] layer");
            return null;
        }

        if (input.Rank != 1)
        {
            reader.ShapeMismatch(input, "Embedding reads a sequence of token ids; declare the input as [Input(length)]");
            return null;
        }

        return ShapeSpec.Sequence(input.Length, settings.Size);
    }

    public override BigInteger WeightCount(ShapeSpec input, LayerSettings settings) => (BigInteger)settings.Vocabulary * settings.Size;

    public override IEnumerable<string> TensorSuffixes(bool bias) => s_suffixes;

    public override IEnumerable<TensorSpec> Tensors(LayerSpec layer)
    {
        yield return new TensorSpec("weight", $"{layer.Settings.Vocabulary}, {layer.Settings.Size}", "Embedding", 1);
    }

    public override string Describe(LayerSpec layer) => $"embedding of {layer.In.Length} token ids from a vocabulary of {layer.Settings.Vocabulary} into {layer.Settings.Size} features";

    public override IEnumerable<string> ConstructorArguments(LayerSpec layer)
    {
        yield return $"weightName: {EmitContext.Quoted(layer.WeightName)}";
    }

    public override void WriteForward(EmitContext e, LayerSpec layer, LayerSpec previous) =>
        e.W.Line($"{EmitContext.Kernels}.EmbeddingKernel.Forward<{e.T}>(x, {EmitContext.TensorField(layer, "weight")}, z, count, length: {layer.In.Length}, dimension: {layer.Settings.Size}, vocabulary: {layer.Settings.Vocabulary});");

    public override void WriteBackward(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        e.W.Line("// Token ids take no gradient: the lookup is not differentiable in them.");
        e.W.Line("dx.Clear();");
    }

    public override void WriteTangent(EmitContext e, LayerSpec layer, LayerSpec previous)
    {
        e.W.Line("// Token ids carry no tangent: the lookup is not differentiable in them.");
        e.W.Line("tz.Clear();");
    }
}
