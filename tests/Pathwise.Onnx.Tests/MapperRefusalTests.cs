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
    public void GroupedConvolution_IsRefused_SayingWhy()
    {
        var model = new Graph([1, 4, 6, 6]);
        model.Constant("w", [4, 1, 3, 3]);
        model.Node("Conv", "/conv/Conv", ["input", "w"], "output", ("group", 4L));
        UnsupportedNode node = Refused(model);
        Assert.Equal(("/conv/Conv", "Conv"), (node.NodeName, node.OpType));
        Assert.Contains("weight [4, 1, 3, 3] on 4 channels", node.Reason, StringComparison.Ordinal);
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

    private static UnsupportedNode Refused(Graph model)
    {
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model.Proto.ToByteArray(), "m.onnx"));
        return Assert.Single(error.Unsupported);
    }

    /// <summary>A float model with input "input" of the given shape (batch first) and output "output".</summary>
    private sealed class Graph
    {
        public Graph(long[] inputShape, long opset = 17)
        {
            Proto = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
            Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
            Proto.Graph.Input.Add(Value("input", inputShape));
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
