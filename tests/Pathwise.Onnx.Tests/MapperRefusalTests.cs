using System;
using System.Linq;
using Google.Protobuf;
using Onnx;
using Xunit;

namespace Pathwise.Onnx.Tests;

/// <summary>
/// Small graphs built node by node with the protobuf classes, one per refusal a mapper makes: each names the node,
/// its operator and the reason, and nothing is imported.
/// </summary>
public sealed class MapperRefusalTests
{
    [Fact]
    public void ConvolutionWhoseGroupDoesNotSplitTheChannels_IsRefused_SayingWhy()
    {
        // group 2 on 4 channels needs a weight [out, 2, ...]; this one reads 1 channel per group, as group 4 would.
        var model = new Graph([1, 4, 6, 6]);
        model.Constant("w", [4, 1, 3, 3]);
        model.Node("Conv", "/conv/Conv", ["input", "w"], "output", ("group", 2L));
        UnsupportedNode node = Refused(model);
        Assert.Equal(("/conv/Conv", "Conv"), (node.NodeName, node.OpType));
        Assert.Contains("weight [4, 1, 3, 3] with group 2 on 4 channels", node.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvolutionWithPadsUnequalAtTheEnds_IsRefused()
    {
        var model = new Graph([1, 2, 6, 6]);
        model.Constant("w", [3, 2, 3, 3]);
        NodeProto conv = model.Node("Conv", "/conv/Conv", ["input", "w"], "output");
        conv.Attribute.Add(new AttributeProto { Name = "pads", Ints = { 1, 0, 0, 0 }, Type = AttributeProto.Types.AttributeType.Ints });
        Assert.Contains("pads [1, 0, 0, 0]: Pathwise pads both ends of an axis alike", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DilatedKernelLargerThanTheInput_IsRefused()
    {
        var model = new Graph([1, 2, 12]);
        model.Constant("w", [3, 2, 4]);
        NodeProto conv = model.Node("Conv", "/conv/Conv", ["input", "w"], "output");
        conv.Attribute.Add(new AttributeProto { Name = "dilations", Ints = { 4 }, Type = AttributeProto.Types.AttributeType.Ints });
        Assert.Contains("do not fit a [2, 12] input", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SoftmaxBeforeAnotherLayer_IsRefused_AtTheLayerAfterIt()
    {
        var model = new Graph([1, 3]);
        model.Constant("w", [3, 3]);
        model.Node("Softmax", "/Softmax", ["input"], "s");
        model.Node("MatMul", "/MatMul", ["s", "w"], "output");
        UnsupportedNode node = Refused(model);
        Assert.Equal("/MatMul", node.NodeName);
        Assert.Contains("follows a Softmax", node.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReshapeThatIsNotAFlatten_IsRefused()
    {
        var model = new Graph([1, 2, 3, 4]);
        model.Constant("shape", [3], [1, 6, 4], TensorProto.Types.DataType.Int64);
        model.Node("Reshape", "/Reshape", ["input", "shape"], "output");
        Assert.Contains("only flattening reshapes are supported", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NonZeroPad_IsRefused()
    {
        var model = new Graph([1, 2, 3, 4]);
        model.Constant("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1], TensorProto.Types.DataType.Int64);
        model.Node("Pad", "/Pad", ["input", "pads"], "output");
        Assert.Contains("a Pad that adds values", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DropoutWhoseMaskIsTheOutput_IsRefused()
    {
        var model = new Graph([1, 3]);
        NodeProto dropout = model.Node("Dropout", "/Dropout", ["input"], "y");
        dropout.Output.Add("output");
        model.Proto.Graph.Output[0].Name = "output";
        Assert.Contains("mask is used", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DenseOnAnImage_AsksForAFlatten()
    {
        var model = new Graph([1, 2, 2, 2]);
        model.Constant("w", [4, 8]);
        model.Node("Gemm", "/fc/Gemm", ["input", "w"], "output", ("transB", 1L));
        Assert.Contains("flatten it first", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OldOpset_IsRefused_NamingTheOpsetNeeded()
    {
        var model = new Graph([1, 3], opset: 11);
        model.Node("Relu", "/Relu", ["input"], "output");
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model.Proto.ToByteArray(), "m.onnx"));
        Assert.Contains("operator set 11; Pathwise imports opset 13 and newer", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ActivationOnTheInput_GetsAMemberOfItsOwn_AndCompiles()
    {
        var model = new Graph([1, 3]);
        model.Constant("fc.weight", [2, 3]);
        model.Node("Tanh", "/Tanh", ["input"], "t");
        model.Node("Gemm", "/fc/Gemm", ["t", "fc.weight"], "output", ("transB", 1L));
        ImportedNetwork imported = OnnxImporter.Import(model.Proto.ToByteArray(), "m.onnx", new OnnxImportOptions { ClassName = "TanhFirst" });
        Assert.Equal(["Input: Input(3)", "Tanh: Tanh", "Fc: Dense(2, WeightName = \"fc\", Bias = false)"], imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        CompiledNetwork.Compile(imported.Declaration, "TanhFirst");
    }

    [Fact]
    public void NodeNamesWithLineBreaks_StayInsideTheirComments()
    {
        var model = new Graph([1, 3]);
        model.Constant("fc.weight", [2, 3]);
        model.Node("Gemm", "/fc/Gemm\n} public static class Injected { }\u2028//", ["input", "fc.weight"], "output", ("transB", 1L));
        ImportedNetwork imported = OnnxImporter.Import(model.Proto.ToByteArray(), "m\r\n.onnx", new OnnxImportOptions { ClassName = "Named" });
        Type type = CompiledNetwork.Compile(imported.Declaration, "Named");
        Assert.Null(type.Assembly.GetType("Injected"));
        Assert.Contains("// /fc/Gemm?} public static class Injected { }?//", imported.Declaration, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerNormalizationOnAnImage_IsRefused_AskingForFlatFeatures()
    {
        var model = new Graph([1, 2, 3, 4]);
        model.Constant("ln.weight", [4]);
        model.Node("LayerNormalization", "/ln/LayerNormalization", ["input", "ln.weight"], "output");
        UnsupportedNode node = Refused(model);
        Assert.Equal(("/ln/LayerNormalization", "LayerNormalization"), (node.NodeName, node.OpType));
        Assert.Contains("over axis -1 of [batch, 2, 3, 4]", node.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerNormalizationWithAComputedScale_IsRefused()
    {
        var model = new Graph([1, 3]);
        model.Node("LayerNormalization", "/ln/LayerNormalization", ["input", "input"], "output");
        Assert.Contains("scale and bias are not constants of 3 values", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerNormalizationWithoutBias_IsLayerNormWithZeroBias_AndComputesTheDefinition()
    {
        // y = (x - mean) / sqrt(var + 1e-3) * scale, biased variance, in float64 here. The declaration writes the float
        // epsilon as its shortest text, 0.001, which the Float64 network reads as the double 1e-3.
        var model = new Graph([1, 4]);
        model.Constant("ln.weight", [4], [0.5, -1.25, 2, 0.75]);
        NodeProto norm = model.Node("LayerNormalization", "/ln/LayerNormalization", ["input", "ln.weight"], "output", ("axis", 1L));
        norm.Attribute.Add(new AttributeProto { Name = "epsilon", F = 1e-3f, Type = AttributeProto.Types.AttributeType.Float });
        ImportedNetwork imported = OnnxImporter.Import(model.Proto.ToByteArray(), "m.onnx", new OnnxImportOptions { ClassName = "NormOnly", Precision = Precision.Float64 });
        Assert.Equal(["Input: Input(4)", "Ln: LayerNorm(Epsilon = 0.001, WeightName = \"ln\")"], imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
        Assert.Equal([0.0, 0, 0, 0], imported.Weights.Single(w => w.Name == "ln.bias").Values.ToArray());

        using var directory = new TempDirectory();
        (_, string weightsPath) = imported.WriteTo(directory.Path);
        INetwork<double> network = CompiledNetwork.Load<double>(CompiledNetwork.Compile(imported.Declaration, "NormOnly"), weightsPath);
        double[] x = [0.3, -1.7, 2.2, 0.9];
        double[] scale = [0.5f, -1.25f, 2f, 0.75f];
        double mean = x.Average();
        double variance = x.Select(v => (v - mean) * (v - mean)).Average();
        double[] actual = network.Predict(x);
        for (int i = 0; i < 4; i++)
        {
            double expected = (x[i] - mean) / Math.Sqrt(variance + 1e-3) * scale[i];
            Assert.True(Math.Abs(actual[i] - expected) <= 1e-12, $"output {i}: {actual[i]:R} vs {expected:R}");
        }
    }

    [Fact]
    public void ReduceMeanOverChannels_IsRefused_NamingTheSpatialMean()
    {
        var model = new Graph([1, 2, 3, 4]);
        NodeProto mean = model.Node("ReduceMean", "/ReduceMean", ["input"], "output", ("keepdims", 0L));
        mean.Attribute.Add(new AttributeProto { Name = "axes", Ints = { 1 }, Type = AttributeProto.Types.AttributeType.Ints });
        Assert.Contains("only the spatial mean x.mean((2, 3)) of an image", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReduceMeanOfFeatures_ThatIsNotALayerNorm_IsRefused()
    {
        var model = new Graph([1, 3]);
        NodeProto mean = model.Node("ReduceMean", "/ReduceMean", ["input"], "m");
        mean.Attribute.Add(new AttributeProto { Name = "axes", Ints = { -1 }, Type = AttributeProto.Types.AttributeType.Ints });
        model.Node("Sub", "/Sub", ["input", "m"], "output");
        UnsupportedNode node = Refused(model);
        Assert.Equal(("/ReduceMean", "ReduceMean"), (node.NodeName, node.OpType));
        Assert.Contains("does not start a layer normalisation", node.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void GlobalAveragePoolOfFeatures_IsRefused()
    {
        var model = new Graph([1, 3]);
        model.Node("GlobalAveragePool", "/GlobalAveragePool", ["input"], "output");
        Assert.Contains("it needs [channels, length] or [channels, height, width]", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenIdsReadByAnythingButAnEmbedding_AreRefused()
    {
        var model = new Graph([1, 5], input: TensorProto.Types.DataType.Int64);
        model.Node("Relu", "/Relu", ["input"], "output");
        UnsupportedNode node = Refused(model);
        Assert.Equal(("/Relu", "Relu"), (node.NodeName, node.OpType));
        Assert.Contains("only an embedding (a Gather of a constant weight by the ids) can read", node.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void GatherOfTokenIdsOnAnotherAxis_IsRefused()
    {
        var model = new Graph([1, 5], input: TensorProto.Types.DataType.Int64);
        model.Constant("embedding.weight", [7, 3]);
        model.Node("Gather", "/embedding/Gather", ["embedding.weight", "input"], "output", ("axis", 1L));
        Assert.Contains("constant [vocabulary, dimension] weight gathered on axis 0", Refused(model).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SequenceMeanKeepingItsAxis_IsRefused()
    {
        var model = new Graph([1, 5], input: TensorProto.Types.DataType.Int64);
        model.Constant("embedding.weight", [7, 3]);
        model.Node("Gather", "/embedding/Gather", ["embedding.weight", "input"], "e");
        var mean = model.Node("ReduceMean", "/ReduceMean", ["e"], "output", ("keepdims", 1L));
        mean.Attribute.Add(new AttributeProto { Name = "axes", Ints = { 1L }, Type = AttributeProto.Types.AttributeType.Ints });
        UnsupportedNode node = Refused(model);
        Assert.Equal("/ReduceMean", node.NodeName);
        Assert.Contains("keepdims = 1", node.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(18L)]
    [InlineData(13L)]
    public void Opset18ReduceMeanWithAxesInput_AndOpset13WithTheAttribute_AreSequenceMean(long opset)
    {
        var model = new Graph([1, 5], opset, TensorProto.Types.DataType.Int64);
        model.Constant("emb.weight", [7, 3]);
        model.Constant("fc.weight", [2, 3]);
        model.Node("Gather", "/emb/Gather", ["emb.weight", "input"], "e");
        if (opset >= 18)
        {
            model.Constant("axes", [1], [-2], TensorProto.Types.DataType.Int64);
            model.Node("ReduceMean", "/ReduceMean", ["e", "axes"], "m", ("keepdims", 0L));
        }
        else
        {
            NodeProto mean = model.Node("ReduceMean", "/ReduceMean", ["e"], "m", ("keepdims", 0L));
            mean.Attribute.Add(new AttributeProto { Name = "axes", Ints = { 1L }, Type = AttributeProto.Types.AttributeType.Ints });
        }

        model.Node("Gemm", "/fc/Gemm", ["m", "fc.weight"], "output", ("transB", 1L));
        ImportedNetwork imported = OnnxImporter.Import(model.Proto.ToByteArray(), "m.onnx");
        Assert.Equal(
            ["Input: Input(5)", "Emb: Embedding(7, 3, WeightName = \"emb\")", "ReduceMean: SequenceMean", "Fc: Dense(2, WeightName = \"fc\", Bias = false)"],
            imported.Layers.Select(l => $"{l.Member}: {l.Attributes}"));
    }

    private static UnsupportedNode Refused(Graph model)
    {
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model.Proto.ToByteArray(), "m.onnx"));
        return Assert.Single(error.Unsupported);
    }

    /// <summary>A float model with input "input" of the given shape (batch first) and output "output".</summary>
    private sealed class Graph
    {
        public Graph(long[] inputShape, long opset = 17, TensorProto.Types.DataType input = TensorProto.Types.DataType.Float)
        {
            Proto = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
            Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
            Proto.Graph.Input.Add(Value("input", inputShape));
            Proto.Graph.Input[0].Type.TensorType.ElemType = (int)input;
            Proto.Graph.Output.Add(Value("output", [1]));
        }

        public ModelProto Proto { get; }

        public void Constant(string name, long[] dims, double[]? values = null, TensorProto.Types.DataType type = TensorProto.Types.DataType.Float)
        {
            var tensor = new TensorProto { Name = name, DataType = (int)type };
            tensor.Dims.Add(dims);
            long count = dims.Aggregate(1L, (a, b) => a * b);
            for (long i = 0; i < count; i++)
            {
                double value = values?[i] ?? 0.1 * (i + 1);
                if (type == TensorProto.Types.DataType.Int64)
                {
                    tensor.Int64Data.Add((long)value);
                }
                else
                {
                    tensor.FloatData.Add((float)value);
                }
            }

            Proto.Graph.Initializer.Add(tensor);
        }

        public NodeProto Node(string op, string name, string[] inputs, string output, params (string Name, long Value)[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.Add(inputs);
            node.Output.Add(output);
            foreach ((string key, long value) in attributes)
            {
                node.Attribute.Add(new AttributeProto { Name = key, I = value, Type = AttributeProto.Types.AttributeType.Int });
            }

            Proto.Graph.Node.Add(node);
            return node;
        }

        private static ValueInfoProto Value(string name, long[] shape)
        {
            var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
            foreach (long d in shape)
            {
                tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }

            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
        }
    }
}
