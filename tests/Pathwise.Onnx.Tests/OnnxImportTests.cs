using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pathwise.Weights;
using Xunit;
using Xunit.Abstractions;

namespace Pathwise.Onnx.Tests;

/// <summary>
/// Models exported by PyTorch 1.13 (Fixtures/export_onnx_fixtures.py), imported, compiled with the generator and
/// run: their outputs must equal ONNX Runtime's on the same inputs.
/// </summary>
public sealed class OnnxImportTests(ITestOutputHelper output)
{
    /// <summary>The bar: the imported network's outputs equal ONNX Runtime's to 1e-5.</summary>
    private const double Tolerance = 1e-5;

    private const int Samples = 16;

    public static TheoryData<string> Models => new()
    {
        "mlp_gemm_opset13.onnx", "mlp_gemm_opset17.onnx", "mlp_matmul_opset13.onnx", "mlp_matmul_opset17.onnx",
        "cnn_opset13.onnx", "cnn_opset17.onnx", "cnn_reshape_opset13.onnx", "cnn_view_opset13.onnx", "cnn_view_opset17.onnx",
        "cnn_gap_opset13.onnx", "cnn_gap_opset17.onnx", "cnn_mean_opset13.onnx", "mlp_layernorm_opset13.onnx", "mlp_layernorm_opset17.onnx",
        "residual_opset13.onnx", "resnet_opset13.onnx", "resnet_opset17.onnx", "cnn_concat_opset13.onnx", "cnn_concat_opset17.onnx",
        "resnet_down_opset13.onnx", "resnet_down_opset17.onnx",
        "cnn_general_opset13.onnx", "cnn_general_opset17.onnx", "conv1d_opset13.onnx", "conv1d_opset17.onnx",
        "cat_first_opset13.onnx", "cat_first_opset17.onnx", "conv1d_mean_opset13.onnx", "conv1d_mean_opset17.onnx",
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void ImportedNetwork_Compiles_AndMatchesOnnxRuntime(string file)
    {
        string path = Fixture(file);
        ImportedNetwork imported = OnnxImporter.Import(path, new OnnxImportOptions { Namespace = "Imported.Models" });
        using var directory = new TempDirectory();
        (string declarationPath, string weightsPath) = imported.WriteTo(directory.Path);
        Assert.Equal(imported.Declaration, File.ReadAllText(declarationPath));

        Type type = CompiledNetwork.Compile(imported.Declaration, "Imported.Models." + imported.ClassName);
        INetwork<float> network = CompiledNetwork.Load<float>(type, weightsPath);

        using var session = new InferenceSession(path);
        int[] inputShape = session.InputMetadata["input"].Dimensions.Skip(1).ToArray();
        int inputLength = inputShape.Aggregate(1, (a, b) => a * b);
        var random = new Random(1313);
        double worst = 0;
        for (int sample = 0; sample < Samples; sample++)
        {
            float[] input = Enumerable.Range(0, inputLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            float[] expected = RunOnnxRuntime(session, input, [1, .. inputShape]);
            float[] actual = network.Predict(input);
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(actual[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i]));
                worst = Math.Max(worst, error);
                Assert.True(error <= Tolerance, $"{file}, sample {sample}, output {i}: Pathwise {actual[i]:R}, ONNX Runtime {expected[i]:R}\n{imported.Declaration}");
            }
        }

        output.WriteLine($"{file}: largest relative difference from ONNX Runtime {worst:E2} over {Samples} inputs\n{imported.Declaration}");
    }

    [Fact]
    public void ImportedDeclaration_LoadsTheModelsOwnStateDict_AndMatchesOnnxRuntime()
    {
        // The weight names come from the graph, which kept PyTorch's parameter names: the .pt that torch.save wrote
        // for the same model loads into the imported declaration as it is.
        string path = Fixture("cnn_opset17.onnx");
        ImportedNetwork imported = OnnxImporter.Import(path, new OnnxImportOptions { ClassName = "CnnFromPt" });
        INetwork<float> network = CompiledNetwork.Load<float>(CompiledNetwork.Compile(imported.Declaration, "CnnFromPt"), Fixture("cnn_state_dict.pt"));

        using var session = new InferenceSession(path);
        var random = new Random(7);
        for (int sample = 0; sample < Samples; sample++)
        {
            float[] input = Enumerable.Range(0, 144).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            float[] expected = RunOnnxRuntime(session, input, [1, 1, 12, 12]);
            float[] actual = network.Predict(input);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(actual[i] - expected[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"sample {sample}, output {i}: {actual[i]:R} vs {expected[i]:R}");
            }
        }
    }

    [Fact]
    public void Cnn_Declaration_NamesEveryLayerFromTheGraph()
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture("cnn_opset17.onnx"));
        Assert.Equal("CnnOpset17", imported.ClassName);
        string[] expected =
        [
            "Input: Input(1, 12, 12)",
            "Conv1: Conv2D(4, Kernel = 3, Padding = 1, WeightName = \"conv1\"), ReLU",
            "Bn1: BatchNorm(WeightName = \"bn1\")",
            "Pool1: MaxPool2D(2)",
            "Conv2: Conv2D(6, Kernel = 3, WeightName = \"conv2\"), Sigmoid",
            "Pool2: AvgPool2D(2)",
            "Flatten: Flatten",
            "Fc: Dense(5, WeightName = \"fc\"), LogSoftmax",
        ];
        Assert.Equal(expected, imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        Assert.Equal(["/Sigmoid", "/pool2/Pad"], imported.Layers[4].Nodes.Skip(1));
        Assert.Equal(["/pool2/AveragePool"], imported.Layers[5].Nodes);
        Assert.Equal(
            ["bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.weight", "conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "fc.bias", "fc.weight"],
            imported.Weights.Select(w => w.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("cnn_general_opset13.onnx")]
    [InlineData("cnn_general_opset17.onnx")]
    public void GeneralConvolutions_KeepStridesPadsDilationsGroupsAndKernelShape(string file)
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture(file));
        string[] expected =
        [
            "Input: Input(4, 10, 9)",
            "Grouped: Conv2D(6, Kernel = 3, KernelWidth = 2, PaddingHeight = 1, StrideHeight = 2, DilationWidth = 2, Groups = 2, WeightName = \"grouped\"), ReLU",
            "Depthwise: Conv2D(6, Kernel = 3, Padding = 2, Dilation = 2, Groups = 6, WeightName = \"depthwise\"), Tanh",
            "Pointwise: Conv2D(4, Kernel = 1, Stride = 2, WeightName = \"pointwise\")",
            "Gap: GlobalAvgPool2D",
            "Flatten: Flatten",
            "Fc: Dense(3, WeightName = \"fc\")",
        ];
        Assert.Equal(expected, imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        Assert.Equal([6, 2, 3, 2], imported.Weights.Single(w => w.Name == "grouped.weight").Shape);
    }

    [Theory]
    [InlineData("conv1d_opset13.onnx")]
    [InlineData("conv1d_opset17.onnx")]
    public void OneDimensionalModel_ImportsAsConv1DAndGlobalAvgPool1D(string file)
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture(file));
        string[] expected =
        [
            "Input: Input(3, 16)",
            "Grouped: Conv1D(6, Kernel = 5, Padding = 2, Stride = 2, Groups = 3, WeightName = \"grouped\"), ReLU",
            "Depthwise: Conv1D(6, Kernel = 3, Dilation = 2, Groups = 6, WeightName = \"depthwise\"), Sigmoid",
            "Pointwise: Conv1D(4, Kernel = 1, WeightName = \"pointwise\", Bias = false)",
            "Gap: GlobalAvgPool1D",
            "Flatten: Flatten",
            "Fc: Dense(2, WeightName = \"fc\")",
        ];
        Assert.Equal(expected, imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        Assert.Equal([6, 1, 3], imported.Weights.Single(w => w.Name == "depthwise.weight").Shape);
    }

    [Theory]
    [InlineData("conv1d_mean_opset13.onnx")]
    [InlineData("conv1d_mean_opset17.onnx")]
    public void MeanOverASequencesLength_IsGlobalAvgPool1DAndFlatten(string file)
    {
        string[] attributes = [.. OnnxImporter.Import(Fixture(file)).Layers.Select(l => l.Attributes)];
        Assert.Equal(["GlobalAvgPool1D", "Flatten"], attributes[2..4]);
    }

    [Fact]
    public void MatMulMlp_TransposesWeights_AndFoldsTheGeluPattern()
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture("mlp_matmul_opset17.onnx"));
        string[] expected =
        [
            "Input: Input(5)",
            "Dense1: Dense(12, WeightName = \"dense1\"), LeakyReLU(0.2)",
            "Dense2: Dense(10, WeightName = \"dense2\"), Sigmoid",
            "Dense3: Dense(7, WeightName = \"dense3\"), GELU",
            "Dense4: Dense(4, WeightName = \"dense4\", Bias = false), LogSoftmax",
        ];
        Assert.Equal(expected, imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        Assert.Equal(["/MatMul", "/Add", "/LeakyRelu", "/keep/Identity", "/drop/Dropout"], imported.Layers[1].Nodes);
        Assert.Equal(["/MatMul_2", "/Add_2", "/Div", "/Erf", "/Add_3", "/Mul", "/Mul_1"], imported.Layers[3].Nodes);

        // W1 is [5, 12] in the graph (x @ W1); Dense stores [out, in] = W1ᵀ.
        TensorData weight = imported.Weights.Single(w => w.Name == "dense1.weight");
        Assert.Equal([12, 5], weight.Shape.ToArray());
    }

    [Theory]
    [InlineData("cnn_gap_opset13.onnx")]
    [InlineData("cnn_gap_opset17.onnx")]
    public void GlobalAveragePool_IsGlobalAvgPool2D_ThenTheGraphsFlatten(string file)
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture(file));
        string[] expected =
        [
            "Input: Input(1, 6, 6)",
            "Conv: Conv2D(4, Kernel = 3, Padding = 1, WeightName = \"conv\"), ReLU",
            "Gap: GlobalAvgPool2D",
            "Flatten: Flatten",
            "Fc: Dense(3, WeightName = \"fc\")",
        ];
        Assert.Equal(expected, imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        Assert.Equal(["/gap/GlobalAveragePool"], imported.Layers[2].Nodes);
    }

    [Fact]
    public void SpatialReduceMean_WithoutKeptAxes_IsGlobalAvgPool2D_AndFlatten()
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture("cnn_mean_opset13.onnx"));
        string[] expected =
        [
            "Input: Input(1, 7, 7)",
            "Conv: Conv2D(3, Kernel = 3, WeightName = \"conv\"), Tanh",
            "ReduceMean: GlobalAvgPool2D",
            "ReduceMeanFlatten: Flatten",
            "Fc: Dense(2, WeightName = \"fc\")",
        ];
        Assert.Equal(expected, imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        Assert.Equal(["/ReduceMean"], imported.Layers[2].Nodes);
        Assert.Equal(["/ReduceMean"], imported.Layers[3].Nodes);
    }

    [Theory]
    [InlineData("mlp_layernorm_opset13.onnx")]
    [InlineData("mlp_layernorm_opset17.onnx")]
    public void LayerNormalization_AndItsDecomposedForm_AreLayerNorm_WithEpsilonAndStateDictNames(string file)
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture(file));
        string[] expected =
        [
            "Input: Input(6)",
            "Fc1: Dense(10, WeightName = \"fc1\")",
            "Ln1: LayerNorm(WeightName = \"ln1\"), Tanh",
            "Fc2: Dense(8, WeightName = \"fc2\")",
            "Ln2: LayerNorm(Epsilon = 0.001, WeightName = \"ln2\")",
            "Head: Dense(3, WeightName = \"head\")",
        ];
        Assert.Equal(expected, imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        string[] normNodes = file.Contains("opset13", StringComparison.Ordinal)
            ? ["/ln1/ReduceMean", "/ln1/Sub", "/ln1/Pow", "/ln1/ReduceMean_1", "/ln1/Add", "/ln1/Sqrt", "/ln1/Div", "/ln1/Mul", "/ln1/Add_1", "/Tanh"]
            : ["/ln1/LayerNormalization", "/Tanh"];
        Assert.Equal(normNodes, imported.Layers[2].Nodes);

        // The tensors keep PyTorch's names and values: ln1.weight is the initializer the graph holds, as a float.
        global::Onnx.ModelProto model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Fixture(file)));
        global::Onnx.TensorProto initializer = model.Graph.Initializer.Single(t => t.Name == "ln1.weight");
        TensorData weight = imported.Weights.Single(w => w.Name == "ln1.weight");
        Assert.Equal([10], weight.Shape.ToArray());
        Assert.Equal(initializer.FloatData.Count > 0 ? initializer.FloatData.Select(v => (double)v) : ReadFloats(initializer.RawData.ToByteArray()), weight.Values.ToArray());
        Assert.Contains("ln2.bias", imported.Weights.Select(w => w.Name));
    }

    private static IEnumerable<double> ReadFloats(byte[] raw)
    {
        for (int i = 0; i < raw.Length; i += 4)
        {
            yield return BitConverter.ToSingle(raw, i);
        }
    }

    [Fact]
    public void UnsupportedOperators_AreAllListed_ByNodeAndOperator()
    {
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Fixture("unsupported_opset13.onnx")));
        Assert.Equal(["/Abs (Abs)", "/Cos (Cos)"], error.Unsupported.Select(u => $"{u.NodeName} ({u.OpType})"));
        Assert.Contains("node '/Abs' (Abs): no Pathwise layer computes Abs", error.Message, StringComparison.Ordinal);
        Assert.Contains("node '/Cos' (Cos): no Pathwise layer computes Cos", error.Message, StringComparison.Ordinal);
        Assert.Contains("2 nodes cannot be mapped", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResidualSum_OfTheInput_IsAnAddNamingIt()
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture("residual_opset13.onnx"));
        Assert.Equal(["Input(4)", "Dense(4, WeightName = \"fc1\"), ReLU", "Add(nameof(Input))", "Dense(2, WeightName = \"fc2\")"], imported.Layers.Select(l => l.Attributes));
        Assert.Equal(["/Add"], imported.Layers[2].Nodes);
    }

    [Fact]
    public void Float64Declaration_Compiles_AndMatchesOnnxRuntime()
    {
        string path = Fixture("cnn_opset17.onnx");
        ImportedNetwork imported = OnnxImporter.Import(path, new OnnxImportOptions { ClassName = "CnnDouble", Precision = Precision.Float64 });
        Assert.Contains("[Network(Precision.Float64)]", imported.Declaration, StringComparison.Ordinal);
        using var directory = new TempDirectory();
        (_, string weightsPath) = imported.WriteTo(directory.Path);
        INetwork<double> network = CompiledNetwork.Load<double>(CompiledNetwork.Compile(imported.Declaration, "CnnDouble"), weightsPath);

        using var session = new InferenceSession(path);
        var random = new Random(64);
        float[] input = Enumerable.Range(0, 144).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        float[] expected = RunOnnxRuntime(session, input, [1, 1, 12, 12]);
        double[] actual = network.Predict(input.Select(v => (double)v).ToArray());
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"output {i}: {actual[i]:R} vs {expected[i]:R}");
        }
    }

    [Fact]
    public void NotAnOnnxFile_IsRefused_AsSuch()
    {
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import("{\"not\": \"onnx\"}"u8, "text.json"));
        Assert.Empty(error.Unsupported);
        Assert.StartsWith("Cannot import ONNX model 'text.json': ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrittenWeights_ReadBackAsTheImportedTensors()
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture("mlp_gemm_opset13.onnx"));
        using var directory = new TempDirectory();
        string path = Path.Combine(directory.Path, "w.safetensors");
        imported.WriteWeights(path);
        IReadOnlyDictionary<string, TensorData> read = SafeTensors.Read(path);
        Assert.Equal(imported.Weights.Count, read.Count);
        foreach (TensorData tensor in imported.Weights)
        {
            // F32 in, F32 out: the values are floats from the ONNX file, so the round trip is exact.
            Assert.Equal(tensor.Values.ToArray(), read[tensor.Name].Values.ToArray());
            Assert.Equal(tensor.Shape.ToArray(), read[tensor.Name].Shape.ToArray());
        }
    }

    private static float[] RunOnnxRuntime(InferenceSession session, float[] input, int[] shape)
    {
        var tensor = new DenseTensor<float>(input, shape);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
        return results.First().AsTensor<float>().ToArray();
    }

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
}

/// <summary>A fresh directory under the system temp path, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pathwise-onnx-" + Guid.NewGuid().ToString("N"));

    public TempDirectory() => Directory.CreateDirectory(Path);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
