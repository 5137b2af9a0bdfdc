using System;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pathwise.Weights;
using Xunit;

namespace Pathwise.Onnx.Tests;

/// <summary>
/// The proof for text models and the MLP with LayerNorm: each network declared by hand and imported from its
/// ONNX export (Fixtures/export_onnx_fixtures.py) gives the same network (layers, shapes, activations, tensors) and,
/// on the imported weights, the same outputs; the imported one matches ONNX Runtime to 1e-5, token ids fed to ONNX
/// Runtime as int64.
/// </summary>
public sealed class HandDeclaredImportTests
{
    private const double Tolerance = 1e-5;

    private const string TextByHand = """
        using Pathwise;

        namespace ByHand;

        [Network]
        public sealed partial class Text
        {
            [Input(12)] public partial InputLayer Input { get; }
            [Embedding(50, 8, WeightName = "embedding")] public partial Layer Embed { get; }
            [SequenceMean] public partial Layer Mean { get; }
            [Dense(16), ReLU] public partial Layer Fc1 { get; }
            [Dense(3)] public partial Layer Head { get; }
        }
        """;

    private const string LayerNormMlpByHand = """
        using Pathwise;

        namespace ByHand;

        [Network]
        public sealed partial class LayerNormMlp
        {
            [Input(6)] public partial InputLayer Input { get; }
            [Dense(10)] public partial Layer Fc1 { get; }
            [LayerNorm, Tanh] public partial Layer Ln1 { get; }
            [Dense(8)] public partial Layer Fc2 { get; }
            [LayerNorm(Epsilon = 1e-3)] public partial Layer Ln2 { get; }
            [Dense(3)] public partial Layer Head { get; }
        }
        """;

    [Theory]
    [InlineData("text_opset13.onnx")]
    [InlineData("text_opset17.onnx")]
    public void TextClassifier_IsEmbeddingSequenceMeanDense_AndMatchesOnnxRuntime(string file)
    {
        string path = OnnxImportTests.Fixture(file);
        ImportedNetwork imported = OnnxImporter.Import(path, new OnnxImportOptions { Namespace = "Imported.Text" });
        Assert.Equal(
            ["Input: Input(12)", "Embedding: Embedding(50, 8, WeightName = \"embedding\")", "ReduceMean: SequenceMean", "Fc1: Dense(16, WeightName = \"fc1\"), ReLU", "Head: Dense(3, WeightName = \"head\")"],
            imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        Assert.Equal(["/embedding/Gather"], imported.Layers[1].Nodes);
        Assert.Equal(["/ReduceMean"], imported.Layers[2].Nodes);
        Assert.Equal([50, 8], imported.Weights.Single(w => w.Name == "embedding.weight").Shape.ToArray());

        using var directory = new TempDirectory();
        (_, string weightsPath) = imported.WriteTo(directory.Path);
        INetwork<float> network = CompiledNetwork.Load<float>(CompiledNetwork.Compile(imported.Declaration, "Imported.Text." + imported.ClassName), weightsPath);

        using var session = new InferenceSession(path);
        var random = new Random(50);
        for (int sample = 0; sample < 16; sample++)
        {
            long[] ids = Enumerable.Range(0, 12).Select(t => sample == 0 ? (long)(t % 2 == 0 ? 0 : 49) : random.Next(50)).ToArray();
            var tensor = new DenseTensor<long>(ids, [1, 12]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
            float[] expected = results.First().AsTensor<float>().ToArray();
            float[] actual = network.Predict(ids.Select(i => (float)i).ToArray());
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(actual[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i]));
                Assert.True(error <= Tolerance, $"{file}, sample {sample}, output {i}: Pathwise {actual[i]:R}, ONNX Runtime {expected[i]:R}");
            }
        }
    }

    [Theory]
    [InlineData("text_opset17.onnx", TextByHand, "ByHand.Text")]
    [InlineData("mlp_layernorm_opset13.onnx", LayerNormMlpByHand, "ByHand.LayerNormMlp")]
    [InlineData("mlp_layernorm_opset17.onnx", LayerNormMlpByHand, "ByHand.LayerNormMlp")]
    public void DeclaredByHand_AndImported_AreTheSameNetwork_WithTheSameOutputs(string file, string byHand, string typeName)
    {
        ImportedNetwork imported = OnnxImporter.Import(OnnxImportTests.Fixture(file), new OnnxImportOptions { Namespace = "Imported.Same" });
        using var directory = new TempDirectory();
        (_, string weightsPath) = imported.WriteTo(directory.Path);
        INetwork<float> fromOnnx = CompiledNetwork.Load<float>(CompiledNetwork.Compile(imported.Declaration, "Imported.Same." + imported.ClassName), weightsPath);
        INetwork<float> handMade = CompiledNetwork.Load<float>(CompiledNetwork.Compile(byHand, typeName), weightsPath);

        NetworkInfo a = handMade.Info;
        NetworkInfo b = fromOnnx.Info;
        Assert.Equal(a.Layers.Count, b.Layers.Count);
        for (int l = 0; l < a.Layers.Count; l++)
        {
            Layer x = a.Layers[l];
            Layer y = b.Layers[l];
            Assert.Equal((x.Kind, x.Activation, x.InputShape, x.OutputShape, x.HasBias, x.Epsilon), (y.Kind, y.Activation, y.InputShape, y.OutputShape, y.HasBias, y.Epsilon));
        }

        Assert.Equal(a.Weights.Select(w => (w.Name, string.Join(",", w.Shape.ToArray()), w.Role)), b.Weights.Select(w => (w.Name, string.Join(",", w.Shape.ToArray()), w.Role)));

        // The same declaration up to member names, so the same generated arithmetic on the same weights: equal bit for bit.
        bool text = a.Layers[1].Kind == LayerKind.Embedding;
        var random = new Random(3);
        for (int sample = 0; sample < 8; sample++)
        {
            float[] input = Enumerable.Range(0, a.InputLength).Select(_ => text ? random.Next(50) : (float)(random.NextDouble() * 4 - 2)).ToArray();
            Assert.Equal(fromOnnx.Predict(input), handMade.Predict(input));
        }
    }
}
