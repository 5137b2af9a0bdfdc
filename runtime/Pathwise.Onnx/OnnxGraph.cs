using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using Google.Protobuf;
using Onnx;

namespace Pathwise.Onnx;

/// <summary>A constant tensor of the graph (an initializer or a <c>Constant</c> node's value), as doubles.</summary>
internal sealed record ConstantTensor(string Name, long[] Dims, double[] Values)
{
    public int[] Shape => Array.ConvertAll(Dims, d => checked((int)d));

    /// <summary><see langword="true"/> for a scalar or a one-element tensor equal to <paramref name="value"/> within <paramref name="tolerance"/>.</summary>
    public bool IsScalar(double value, double tolerance) => Values.Length == 1 && Math.Abs(Values[0] - value) <= tolerance;
}

/// <summary>
/// The parts of an ONNX <c>ModelProto</c> the importer walks: the graph's single data input and output, its
/// constants by name, and for each tensor the nodes that read it.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeProto, int> _order = new();

    private OnnxGraph(ModelProto model, string sourceName)
    {
        SourceName = sourceName;
        Model = model;
        GraphProto graph = model.Graph ?? throw Fail("the model has no graph");

        foreach (OperatorSetIdProto opset in model.OpsetImport)
        {
            if (opset.Domain is "" or "ai.onnx")
            {
                Opset = opset.Version;
            }
        }

        if (Opset == 0)
        {
            throw Fail("the model imports no version of the default operator set (ai.onnx)");
        }

        if (Opset < 13)
        {
            throw Fail($"the model uses operator set {Opset}; Pathwise imports opset 13 and newer (torch.onnx.export(..., opset_version=13) or later)");
        }

        foreach (TensorProto initializer in graph.Initializer)
        {
            Constants[initializer.Name] = ReadTensor(initializer, initializer.Name);
        }

        int index = 0;
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            _order[node] = index++;
            if (node.Output.Count == 0 || node.Output[0].Length == 0)
            {
                throw Fail($"node '{NameOf(node)}' ({node.OpType}) has no output");
            }

            foreach (string output in node.Output)
            {
                if (output.Length > 0 && (!produced.Add(output) || Constants.ContainsKey(output)))
                {
                    throw Fail($"tensor '{output}' is written by more than one node or initializer (node '{NameOf(node)}'); an ONNX graph assigns each tensor once");
                }
            }

            if (node.OpType == "Constant" && node.Domain is "" or "ai.onnx")
            {
                foreach (AttributeProto attribute in node.Attribute)
                {
                    if (attribute.Name == "value" && attribute.T is TensorProto value && node.Output.Count == 1)
                    {
                        Constants[node.Output[0]] = ReadTensor(value, node.Output[0]);
                    }
                }

                continue;
            }

            Nodes.Add(node);
            foreach (string input in node.Input)
            {
                if (input.Length == 0 || Constants.ContainsKey(input))
                {
                    continue;
                }

                if (!_consumers.TryGetValue(input, out List<NodeProto>? list))
                {
                    _consumers[input] = list = new List<NodeProto>();
                }

                if (!list.Contains(node))
                {
                    list.Add(node);
                }
            }
        }

        var inputs = new List<ValueInfoProto>();
        foreach (ValueInfoProto input in graph.Input)
        {
            if (!Constants.ContainsKey(input.Name))
            {
                inputs.Add(input);
            }
        }

        if (inputs.Count != 1)
        {
            throw Fail($"the graph has {inputs.Count} data inputs; Pathwise networks take exactly one");
        }

        if (graph.Output.Count != 1)
        {
            throw Fail($"the graph has {graph.Output.Count} outputs; Pathwise networks have exactly one");
        }

        if (produced.Contains(inputs[0].Name))
        {
            throw Fail($"input '{inputs[0].Name}' is also written by a node");
        }

        InputName = inputs[0].Name;
        OutputName = graph.Output[0].Name;
        InputShape = ReadInputShape(inputs[0]);
    }

    public string SourceName { get; }

    public ModelProto Model { get; }

    /// <summary>The version of the default operator set the model imports.</summary>
    public long Opset { get; }

    public string InputName { get; }

    public string OutputName { get; }

    /// <summary>The input's shape without its first (batch) dimension.</summary>
    public int[] InputShape { get; }

    /// <summary>
    /// Whether the input holds integer token ids (int64 or int32, <c>[batch, length]</c>), which only an embedding (a
    /// <c>Gather</c> of a weight by them) may read; the declaration then takes them as the element type.
    /// </summary>
    public bool InputIsTokenIds { get; private set; }

    /// <summary>Initializers and <c>Constant</c> outputs by name.</summary>
    public Dictionary<string, ConstantTensor> Constants { get; } = new(StringComparer.Ordinal);

    /// <summary>Every node but the <c>Constant</c> nodes, in graph order.</summary>
    public List<NodeProto> Nodes { get; } = new();

    /// <summary>Parses <paramref name="bytes"/> as a <c>ModelProto</c>.</summary>
    public static OnnxGraph Parse(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException error)
        {
            throw new OnnxImportException(sourceName, $"not an ONNX model (a protobuf ModelProto): {error.Message}", Array.Empty<UnsupportedNode>(), error);
        }

        return new OnnxGraph(model, sourceName);
    }

    /// <summary>The non-constant nodes reading <paramref name="tensor"/>, in graph order.</summary>
    public IReadOnlyList<NodeProto> Consumers(string tensor) =>
        _consumers.TryGetValue(tensor, out List<NodeProto>? list) ? list : Array.Empty<NodeProto>();

    /// <summary>The node's name, or its first output's name for an unnamed node.</summary>
    public static string NameOf(NodeProto node) =>
        node.Name.Length > 0 ? node.Name : node.Output.Count > 0 ? node.Output[0] : "(unnamed " + node.OpType + ")";

    public OnnxImportException Fail(string problem) => new(SourceName, problem, Array.Empty<UnsupportedNode>());

    private int[] ReadInputShape(ValueInfoProto input)
    {
        TypeProto.Types.Tensor? tensor = input.Type?.TensorType;
        if (tensor is null || tensor.Shape is null)
        {
            throw Fail($"input '{input.Name}' has no tensor shape; export with a fixed example input");
        }

        InputIsTokenIds = tensor.ElemType is (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32;
        if (!InputIsTokenIds && tensor.ElemType is not ((int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Double))
        {
            throw Fail($"input '{input.Name}' has element type {ElementTypeName(tensor.ElemType)}; Pathwise networks take float or double inputs, or int64 or int32 token ids");
        }

        var dims = tensor.Shape.Dim;
        if (InputIsTokenIds && dims.Count != 2)
        {
            throw Fail($"input '{input.Name}' holds token ids of rank {dims.Count}; Pathwise imports token ids as [batch, length]");
        }

        if (dims.Count is not (2 or 3 or 4))
        {
            throw Fail($"input '{input.Name}' has rank {dims.Count}; Pathwise imports [batch, features], [batch, channels, length] or [batch, channels, height, width]");
        }

        var shape = new int[dims.Count - 1];
        for (int i = 1; i < dims.Count; i++)
        {
            if (!dims[i].HasDimValue || dims[i].DimValue <= 0 || dims[i].DimValue > int.MaxValue)
            {
                throw Fail($"input '{input.Name}' dimension {i} is {(dims[i].HasDimParam ? "'" + dims[i].DimParam + "'" : "unknown")}; only the batch dimension (0) may be dynamic");
            }

            shape[i - 1] = (int)dims[i].DimValue;
        }

        return shape;
    }

    private ConstantTensor ReadTensor(TensorProto tensor, string name)
    {
        if (tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw Fail($"tensor '{name}' is stored in an external file; save the model with its weights inside (onnx.save(model, path, save_as_external_data=False))");
        }

        long[] dims = new long[tensor.Dims.Count];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = tensor.Dims[i];
            if (dims[i] < 0 || dims[i] > int.MaxValue || (count *= dims[i]) > Array.MaxLength)
            {
                throw Fail($"tensor '{name}' has dimensions [{string.Join(", ", tensor.Dims)}], not a shape Pathwise can hold");
            }
        }

        var values = new double[count];
        var type = (TensorProto.Types.DataType)tensor.DataType;
        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        int size = type switch
        {
            TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 => 4,
            TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 => 8,
            _ => throw Fail($"tensor '{name}' has element type {ElementTypeName(tensor.DataType)}; Pathwise imports float, double, int32 and int64 constants"),
        };

        if (tensor.HasRawData)
        {
            if (raw.Length != count * size)
            {
                throw Fail($"tensor '{name}' has {raw.Length} bytes of raw data; its {count} elements of {size} bytes need {count * size}");
            }

            for (int i = 0; i < values.Length; i++)
            {
                ReadOnlySpan<byte> at = raw.Slice(i * size, size);
                values[i] = type switch
                {
                    TensorProto.Types.DataType.Float => BinaryPrimitives.ReadSingleLittleEndian(at),
                    TensorProto.Types.DataType.Double => BinaryPrimitives.ReadDoubleLittleEndian(at),
                    TensorProto.Types.DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(at),
                    _ => BinaryPrimitives.ReadInt64LittleEndian(at),
                };
            }

            return new ConstantTensor(name, dims, values);
        }

        int available = type switch
        {
            TensorProto.Types.DataType.Float => tensor.FloatData.Count,
            TensorProto.Types.DataType.Double => tensor.DoubleData.Count,
            TensorProto.Types.DataType.Int32 => tensor.Int32Data.Count,
            _ => tensor.Int64Data.Count,
        };
        if (available != count)
        {
            throw Fail($"tensor '{name}' has {available} values; its shape [{string.Join(", ", tensor.Dims)}] needs {count}");
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] = type switch
            {
                TensorProto.Types.DataType.Float => tensor.FloatData[i],
                TensorProto.Types.DataType.Double => tensor.DoubleData[i],
                TensorProto.Types.DataType.Int32 => tensor.Int32Data[i],
                _ => tensor.Int64Data[i],
            };
        }

        return new ConstantTensor(name, dims, values);
    }

    private static string ElementTypeName(int type) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), type)
            ? ((TensorProto.Types.DataType)type).ToString().ToUpperInvariant()
            : type.ToString(CultureInfo.InvariantCulture);
}
