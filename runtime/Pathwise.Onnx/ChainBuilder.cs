using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Onnx;
using Pathwise.Weights;

namespace Pathwise.Onnx;

/// <summary>One member of the declaration being built.</summary>
internal sealed class LayerDraft(string member, string? kind, bool isInput)
{
    public string Member { get; } = member;

    /// <summary>The layer attribute (<c>Dense(16, WeightName = "fc1")</c>), or <see langword="null"/> for an activation alone.</summary>
    public string? Kind { get; } = kind;

    public bool IsInput { get; } = isInput;

    public string? Activation { get; set; }

    public List<string> Nodes { get; } = new();
}

/// <summary>
/// The state of one import: the walk along the graph's chain from its input (the tensor <see cref="Current"/> of
/// shape <see cref="Shape"/>, batch dimension left out), the members declared so far, their weights, and every
/// node that could not be mapped. Operator mappers (<see cref="OperatorMappers"/>) read nodes through it and
/// declare layers with it.
/// </summary>
internal sealed class ChainBuilder
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        // Members every generated network has (the generator's GeneratedNames.NetworkMembers), and Description.
        "InputLength", "OutputLength", "Info", "Parameters", "Load", "LoadWeights", "SaveWeights", "InitializeWeights",
        "ParametersChanged", "CreateWorkspace", "ForwardFrom", "BackwardFrom", "TangentFrom", "ForwardPath",
        "BackwardPathSum", "TangentPath", "Description", "ToString", "GetHashCode", "Equals", "GetType",
    };

    private readonly HashSet<string> _members = new(StringComparer.Ordinal);
    private readonly HashSet<string> _prefixes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _fallbackCounts = new(StringComparer.Ordinal);
    private bool _final;

    public ChainBuilder(OnnxGraph graph, string className)
    {
        Graph = graph;
        _members.Add(className);
        Current = graph.InputName;
        Shape = graph.InputShape;
        var input = new LayerDraft(UniqueMember(Pascal(graph.InputName, "Input")), null, isInput: true);
        _members.Add(input.Member);
        Layers.Add(input);
        Outputs[graph.InputName] = (input.Member, graph.InputShape);
    }

    /// <summary>
    /// The tensors that are a declared member's value (after its activation), with the member and the shape: what a
    /// residual <c>Add</c> or a <c>Concat</c> may name. A layer's value before an activation declared beside it is not one.
    /// </summary>
    public Dictionary<string, (string Member, int[] Shape)> Outputs { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The member the next declared layer reads instead of the previous one (<c>From = nameof(...)</c>): set when the walk
    /// turns back to a second branch, such as a projection shortcut, that starts at an earlier value.
    /// </summary>
    public string? PendingFrom { get; set; }

    /// <summary>A layer attribute with <c>From = nameof(<paramref name="member"/>)</c> added: <c>Conv2D(8, From = nameof(X))</c>, <c>Flatten(From = nameof(X))</c>.</summary>
    public static string WithFrom(string kind, string member) =>
        kind.EndsWith(")", StringComparison.Ordinal)
            ? kind.Substring(0, kind.Length - 1) + ", From = nameof(" + member + "))"
            : kind + "(From = nameof(" + member + "))";

    /// <summary>
    /// Records that the walk moved from <paramref name="from"/> to <paramref name="to"/>, now the last member's value;
    /// <paramref name="from"/> stops being a value a join may name when it was the same member's value before its activation.
    /// </summary>
    public void Advance(string from, string to)
    {
        string member = Layers[^1].Member;
        if (Outputs.TryGetValue(from, out (string Member, int[] Shape) before) && before.Member == member)
        {
            Outputs.Remove(from);
        }

        Outputs[to] = (member, Shape);
    }

    public OnnxGraph Graph { get; }

    /// <summary>The tensor the chain has reached.</summary>
    public string Current { get; set; }

    /// <summary>The shape of <see cref="Current"/> without its batch dimension: <c>[features]</c> or <c>[channels, height, width]</c>.</summary>
    public int[] Shape { get; set; }

    public List<LayerDraft> Layers { get; } = new();

    public List<TensorData> Weights { get; } = new();

    public List<UnsupportedNode> Unsupported { get; } = new();

    /// <summary>Nodes a mapper has accounted for.</summary>
    public HashSet<NodeProto> Consumed { get; } = new();

    // ---- Reading nodes ----

    public static AttributeProto? Attribute(NodeProto node, string name)
    {
        foreach (AttributeProto attribute in node.Attribute)
        {
            if (attribute.Name == name)
            {
                return attribute;
            }
        }

        return null;
    }

    public static long Int(NodeProto node, string name, long fallback) => Attribute(node, name) is { } a ? a.I : fallback;

    public static float Float(NodeProto node, string name, float fallback) => Attribute(node, name) is { } a ? a.F : fallback;

    public static string Text(NodeProto node, string name, string fallback) => Attribute(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    public static long[]? Ints(NodeProto node, string name) => Attribute(node, name) is { } a ? [.. a.Ints] : null;

    /// <summary>The constant fed to input <paramref name="index"/>, or <see langword="null"/> when that input is absent or computed.</summary>
    public ConstantTensor? Constant(NodeProto node, int index) =>
        index < node.Input.Count && node.Input[index].Length > 0 && Graph.Constants.TryGetValue(node.Input[index], out ConstantTensor? value) ? value : null;

    /// <summary>The one node reading <paramref name="tensor"/>, or <see langword="null"/> if none or several do, or it is the graph's output.</summary>
    public NodeProto? SoleConsumer(string tensor)
    {
        IReadOnlyList<NodeProto> consumers = Graph.Consumers(tensor);
        return consumers.Count == 1 && tensor != Graph.OutputName ? consumers[0] : null;
    }

    /// <summary><see langword="true"/> when output <paramref name="index"/> of <paramref name="node"/> is absent or read by nobody.</summary>
    public bool OutputUnused(NodeProto node, int index) =>
        index >= node.Output.Count || node.Output[index].Length == 0
        || (Graph.Consumers(node.Output[index]).Count == 0 && node.Output[index] != Graph.OutputName);

    // ---- Declaring ----

    /// <summary>Records that <paramref name="node"/> cannot be mapped; the walk stops when a mapper returns <see langword="null"/>.</summary>
    public string? Refuse(NodeProto node, string reason)
    {
        Consumed.Add(node);
        Unsupported.Add(new UnsupportedNode(OnnxGraph.NameOf(node), node.OpType, reason));
        return null;
    }

    /// <summary>Declares a layer member named after <paramref name="memberSource"/> (its weight prefix or node name), with output shape <paramref name="shape"/>.</summary>
    public string? AddLayer(string kind, string memberSource, int[] shape, params NodeProto[] nodes)
    {
        if (_final)
        {
            return Refuse(nodes[0], "follows a Softmax or LogSoftmax, which Pathwise allows only on the last layer");
        }

        if (PendingFrom is { } from)
        {
            kind = WithFrom(kind, from);
            PendingFrom = null;
        }

        var layer = new LayerDraft(UniqueMember(Pascal(memberSource, "Layer")), kind, isInput: false);
        _members.Add(layer.Member);
        Consume(layer, nodes);
        Layers.Add(layer);
        Shape = shape;
        return nodes[^1].Output[0];
    }

    /// <summary>
    /// Declares an activation: beside the last layer when it has none (and is not the input), else alone on a member
    /// named after the node. A softmax ends the chain: only no-ops may follow it.
    /// </summary>
    public string? AddActivation(string activation, bool isSoftmax, params NodeProto[] nodes)
    {
        if (_final)
        {
            return Refuse(nodes[0], "follows a Softmax or LogSoftmax, which Pathwise allows only on the last layer");
        }

        if (PendingFrom is { } from)
        {
            // The first node of a second branch: an activation of an earlier value, on an identity that reads it.
            PendingFrom = null;
            var reader = new LayerDraft(UniqueMember(Pascal(NodeStem(nodes[0], lastSegment: true), activation)), WithFrom("Identity", from), isInput: false);
            _members.Add(reader.Member);
            Layers.Add(reader);
            reader.Activation = activation;
            Consume(reader, nodes);
            _final |= isSoftmax;
            return nodes[^1].Output[0];
        }

        LayerDraft last = Layers[^1];

        // A value another node reads too (a residual shortcut) keeps its member: the activation gets one of its own.
        // (Readers inside the activation's own pattern, such as GELU's erf form reading x twice, do not count.)
        bool shared = false;
        if (nodes[0].Input.Count > 0)
        {
            foreach (NodeProto reader in Graph.Consumers(nodes[0].Input[0]))
            {
                shared |= Array.IndexOf(nodes, reader) < 0;
            }
        }
        if (last.IsInput || last.Activation is not null || shared)
        {
            last = new LayerDraft(UniqueMember(Pascal(NodeStem(nodes[0], lastSegment: true), activation)), null, isInput: false);
            _members.Add(last.Member);
            Layers.Add(last);
        }

        last.Activation = activation;
        Consume(last, nodes);
        _final |= isSoftmax;
        return nodes[^1].Output[0];
    }

    /// <summary>
    /// Declares a join, <c>[Add(nameof(A), ...)]</c> or <c>[Concat(nameof(A), ...)]</c>, of the last member's value and the
    /// members named, with output shape <paramref name="shape"/>.
    /// </summary>
    public string? AddJoin(string kind, IReadOnlyList<string> named, int[] shape, NodeProto node)
    {
        var arguments = new List<string>();
        foreach (string member in named)
        {
            arguments.Add("nameof(" + member + ")");
        }

        return AddLayer(kind + "(" + string.Join(", ", arguments) + ")", NodeStem(node, lastSegment: true), shape, node);
    }

    /// <summary>Accounts for nodes that compute nothing at inference (Identity, Dropout, a zero Pad, a flatten of a vector).</summary>
    public string PassThrough(params NodeProto[] nodes)
    {
        if (PendingFrom is not null)
        {
            // The first node of a second branch: an identity that reads the earlier value.
            return AddLayer("Identity", NodeStem(nodes[0], lastSegment: true), Shape, nodes)!;
        }

        Consume(Layers[^1], nodes);
        return nodes[^1].Output[0];
    }

    /// <summary>Adds a weight tensor <c>prefix.suffix</c>.</summary>
    public void AddWeight(string prefix, string suffix, int[] shape, double[] values) =>
        Weights.Add(new TensorData(prefix + "." + suffix, shape, values, TensorDType.F32));

    /// <summary>
    /// A unique <c>state_dict</c> prefix for a layer's tensors: the PyTorch name the exporter kept on the weight
    /// initializer (<c>fc1.weight</c> → <c>fc1</c>), else the module path in the node's name (<c>/fc1/Gemm</c> →
    /// <c>fc1</c>), else <paramref name="fallback"/> and a count (<c>dense1</c>).
    /// </summary>
    public string WeightPrefix(NodeProto node, string? weightName, string fallback)
    {
        string? prefix = null;
        if (weightName is not null && weightName.EndsWith(".weight", StringComparison.Ordinal) && weightName.Length > ".weight".Length)
        {
            prefix = SanitizeDotted(weightName.Substring(0, weightName.Length - ".weight".Length));
        }

        if (string.IsNullOrEmpty(prefix))
        {
            prefix = SanitizeDotted(NodeStem(node, lastSegment: false).Replace('/', '.'));
        }

        if (string.IsNullOrEmpty(prefix))
        {
            _fallbackCounts[fallback] = _fallbackCounts.GetValueOrDefault(fallback) + 1;
            prefix = fallback + _fallbackCounts[fallback].ToString(CultureInfo.InvariantCulture);
        }

        string unique = prefix;
        for (int n = 2; !_prefixes.Add(unique); n++)
        {
            unique = prefix + "_" + n.ToString(CultureInfo.InvariantCulture);
        }

        return unique;
    }

    /// <summary>A finite float attribute as C# source: the shortest text that reads back as the same float (<c>0.2</c>, <c>1E-05</c>).</summary>
    public static string Literal(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>C# string literal of <paramref name="text"/> (weight names hold only letters, digits, '_' and '.').</summary>
    public static string Quote(string text) => "\"" + text + "\"";

    private void Consume(LayerDraft layer, NodeProto[] nodes)
    {
        foreach (NodeProto node in nodes)
        {
            Consumed.Add(node);
            layer.Nodes.Add(OnnxGraph.NameOf(node));
        }
    }

    /// <summary>The module path of a PyTorch-exported node name: <c>/fc1/Gemm</c> → <c>fc1</c>, or its last segment <c>Gemm</c>.</summary>
    private static string NodeStem(NodeProto node, bool lastSegment)
    {
        string[] parts = node.Name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (lastSegment)
        {
            return parts.Length > 0 ? string.Join("_", parts) : node.OpType;
        }

        return parts.Length > 1 ? string.Join("/", parts, 0, parts.Length - 1) : "";
    }

    private static string SanitizeDotted(string name)
    {
        var segments = new List<string>();
        foreach (string part in name.Split('.'))
        {
            var builder = new StringBuilder();
            foreach (char c in part)
            {
                builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
            }

            if (builder.Length > 0)
            {
                segments.Add(builder.ToString());
            }
        }

        return string.Join(".", segments);
    }

    /// <summary>PascalCase identifier from a name: <c>classifier.0</c> → <c>Classifier0</c>, <c>/act/Relu</c> → <c>ActRelu</c>.</summary>
    public static string Pascal(string name, string fallback)
    {
        var builder = new StringBuilder();
        bool upper = true;
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        if (builder.Length == 0)
        {
            return fallback;
        }

        return char.IsAsciiDigit(builder[0]) ? fallback + builder : builder.ToString();
    }

    private string UniqueMember(string name)
    {
        string unique = name;
        for (int n = 2; _members.Contains(unique) || Reserved.Contains(unique); n++)
        {
            unique = name + n.ToString(CultureInfo.InvariantCulture);
        }

        return unique;
    }
}
