using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Onnx;

namespace Pathwise.Onnx;

/// <summary>
/// Imports an ONNX model (as <c>torch.onnx.export</c> writes it, opset 13 or newer) as a Pathwise network: the C#
/// declaration, an attribute-annotated partial class whose member and weight names come from the graph, and the
/// weights in PyTorch layout, ready for <see cref="ImportedNetwork.WriteTo"/>.
/// </summary>
/// <remarks>
/// The graph runs from one input (<c>[batch, features]</c>, <c>[batch, channels, length]</c> or
/// <c>[batch, channels, height, width]</c>, only the batch dynamic) to one output, as a chain or with identity
/// shortcuts: an <c>Add</c> of two layers' values → <c>[Add(nameof(...))]</c>, a <c>Concat</c> of layers' values along
/// axis 1 → <c>[Concat(nameof(...))]</c>; a shortcut with layers of its own (a projection) → its first layer with
/// <c>From = nameof(...)</c>. Operators map onto layers as follows: <c>Gemm</c> and <c>MatMul</c>
/// (with a following constant <c>Add</c> as bias) → <c>Dense</c>; <c>Conv</c> → <c>Conv2D</c> (any kernel shape,
/// strides, dilations, groups; pads alike at both ends of an axis) or, on a 3-D input, <c>Conv1D</c>;
/// <c>BatchNormalization</c> → <c>BatchNorm</c>; <c>MaxPool</c> / <c>AveragePool</c> → <c>MaxPool2D</c> /
/// <c>AvgPool2D</c>; <c>GlobalAveragePool</c> of a 3-D input → <c>GlobalAvgPool1D</c>; <c>GlobalAveragePool</c> and a <c>ReduceMean</c> over axes [2, 3] → <c>GlobalAvgPool2D</c> (and
/// <c>Flatten</c> when the axes are not kept); <c>LayerNormalization</c> on the last axis and PyTorch's decomposed form
/// of it before opset 17 (<c>ReduceMean</c>, <c>Sub</c>, <c>Pow</c>, <c>ReduceMean</c>, <c>Add</c>, <c>Sqrt</c>,
/// <c>Div</c>, <c>Mul</c>, <c>Add</c>) → <c>LayerNorm</c>; <c>Flatten</c>, a flattening <c>Reshape</c> and the <c>Shape</c> … <c>Reshape</c> chain of
/// <c>x.view(x.size(0), -1)</c> → <c>Flatten</c>; <c>Relu</c>,
/// <c>LeakyRelu</c>, <c>Sigmoid</c>, <c>Tanh</c>, <c>Gelu</c> and GELU's exported erf form, <c>Softmax</c>,
/// <c>LogSoftmax</c> → activations (on a member of their own when another node reads their input); <c>Identity</c>, inference <c>Dropout</c> and a zero <c>Pad</c> → nothing.
/// Anything else is reported: the <see cref="OnnxImportException"/> lists every node that cannot be mapped, by
/// name, operator and reason.
/// </remarks>
public static class OnnxImporter
{
    private static readonly HashSet<string> PatternOperators = new(StringComparer.Ordinal) { "Constant" };

    /// <summary>Imports the ONNX model at <paramref name="path"/>.</summary>
    /// <exception cref="OnnxImportException">The file is not an ONNX model, or nodes cannot be mapped; every one is listed.</exception>
    public static ImportedNetwork Import(string path, OnnxImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxImportOptions.Default;
        string className = options.ClassName ?? ChainBuilder.Pascal(Path.GetFileNameWithoutExtension(path), "ImportedNetwork");
        return Import(File.ReadAllBytes(path), path, options with { ClassName = className });
    }

    /// <summary>Imports an ONNX model held in <paramref name="model"/>.</summary>
    /// <param name="model">The whole <c>.onnx</c> file.</param>
    /// <param name="sourceName">A name for the model, used in messages and in the declaration's header comment.</param>
    /// <param name="options">Class name, namespace and precision; the class is named <c>ImportedNetwork</c> when no name is given.</param>
    /// <exception cref="OnnxImportException">The bytes are not an ONNX model, or nodes cannot be mapped; every one is listed.</exception>
    public static ImportedNetwork Import(ReadOnlySpan<byte> model, string sourceName, OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= OnnxImportOptions.Default;
        string className = options.ClassName ?? "ImportedNetwork";
        if (!IsIdentifier(className) || (options.Namespace is { } ns && !Array.TrueForAll(ns.Split('.'), IsIdentifier)))
        {
            throw new ArgumentException($"Class name '{className}' or namespace '{options.Namespace}' is not a C# identifier.", nameof(options));
        }

        OnnxGraph graph = OnnxGraph.Parse(model, sourceName);
        var chain = new ChainBuilder(graph, className);

        // Every operator the table does not know, anywhere in the graph, is listed, not only the first one met.
        var unknown = new List<UnsupportedNode>();
        foreach (NodeProto node in graph.Nodes)
        {
            if (node.Domain is not ("" or "ai.onnx"))
            {
                unknown.Add(new UnsupportedNode(OnnxGraph.NameOf(node), node.OpType, $"an operator of domain '{node.Domain}', not the default ONNX domain"));
            }
            else if (!OperatorMappers.Table.ContainsKey(node.OpType) && !PatternOperators.Contains(node.OpType))
            {
                unknown.Add(new UnsupportedNode(OnnxGraph.NameOf(node), node.OpType, $"no Pathwise layer computes {node.OpType}"));
            }
        }

        Walk(chain, unknown);
        if (chain.Unsupported.Count > 0)
        {
            var all = new List<UnsupportedNode>();
            var order = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                order.TryAdd(OnnxGraph.NameOf(graph.Nodes[i]), i);
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (UnsupportedNode node in chain.Unsupported)
            {
                if (seen.Add(node.NodeName))
                {
                    all.Add(node);
                }
            }

            all.Sort((a, b) => order.GetValueOrDefault(a.NodeName, int.MaxValue).CompareTo(order.GetValueOrDefault(b.NodeName, int.MaxValue)));
            throw new OnnxImportException(sourceName, $"{all.Count} node{(all.Count == 1 ? "" : "s")} cannot be mapped to Pathwise layers:", all);
        }

        string declaration = DeclarationWriter.Write(chain, graph, className, options, Path.GetFileName(sourceName));
        var layers = new ImportedLayer[chain.Layers.Count];
        for (int i = 0; i < layers.Length; i++)
        {
            LayerDraft draft = chain.Layers[i];
            layers[i] = new ImportedLayer(draft.Member, DeclarationWriter.Attributes(draft, graph.InputShape), draft.Nodes.ToArray());
        }

        return new ImportedNetwork(className, options.Namespace, declaration, chain.Weights.ToArray(), layers);
    }

    /// <summary>
    /// Follows the graph from the input to the output, one mapper per step. At a value several nodes read, the walk
    /// goes on along the first reader that is not a join (an <c>Add</c> or <c>Concat</c> of computed values), keeps the
    /// other such readers for later and leaves the joins: each is declared when the walk reaches it with all its inputs
    /// declared, naming the other inputs' members (a residual shortcut). When the walk reaches a join whose other
    /// inputs are not declared yet, it turns back to the last reader it kept (a second branch, such as a projection
    /// shortcut) and declares that branch's first layer with <c>From = nameof(...)</c>. Then reports nodes off the walk.
    /// </summary>
    private static void Walk(ChainBuilder chain, List<UnsupportedNode> unknown)
    {
        OnnxGraph graph = chain.Graph;
        var branches = new Stack<(string Tensor, NodeProto Reader)>();
        while (chain.Current != graph.OutputName)
        {
            IReadOnlyList<NodeProto> readers = graph.Consumers(chain.Current);
            if (readers.Count == 0)
            {
                throw graph.Fail($"tensor '{chain.Current}' is read by no node and is not the graph's output '{graph.OutputName}'");
            }

            NodeProto? node = null;
            foreach (NodeProto reader in readers)
            {
                if (!chain.Consumed.Contains(reader) && !OperatorMappers.IsJoin(chain, reader))
                {
                    node = reader;
                    break;
                }
            }

            foreach (NodeProto reader in readers)
            {
                if (node is null && !chain.Consumed.Contains(reader) && OperatorMappers.JoinReady(chain, reader))
                {
                    node = reader;
                }
            }

            while (node is null && branches.Count > 0)
            {
                (string tensor, NodeProto reader) = branches.Pop();
                if (!chain.Consumed.Contains(reader) && chain.Outputs.TryGetValue(tensor, out (string Member, int[] Shape) start))
                {
                    // Back to a second branch: its first layer reads the earlier value.
                    chain.Current = tensor;
                    chain.Shape = start.Shape;
                    chain.PendingFrom = start.Member;
                    readers = graph.Consumers(tensor);
                    node = reader;
                }
            }

            if (node is null)
            {
                NodeProto first = readers[0];
                chain.Refuse(first, chain.Consumed.Contains(first)
                    ? $"reads '{chain.Current}' again: the graph has a cycle"
                    : $"joins '{chain.Current}' with values no layer computes (a branch with layers of its own, such as a projection shortcut)");
                break;
            }

            // An embedding reads the token ids as its second input, the indices of a Gather of its weight.
            bool embedding = node.OpType == "Gather" && node.Input.Count == 2 && node.Input[1] == chain.Current;
            if (graph.InputIsTokenIds && chain.Current == graph.InputName && !embedding)
            {
                chain.Refuse(node, $"reads the graph's token ids '{graph.InputName}', which only an embedding (a Gather of a constant weight by the ids) can read");
                break;
            }

            bool join = OperatorMappers.IsJoin(chain, node);
            if (!embedding && !join && (node.Input.Count == 0 || node.Input[0] != chain.Current))
            {
                chain.Refuse(node, $"reads the chain's tensor '{chain.Current}' as an input other than its first (data) input");
                break;
            }

            if (unknown.Find(u => u.NodeName == OnnxGraph.NameOf(node)) is { } known)
            {
                chain.Unsupported.Add(known);
                break;
            }

            string? next = OperatorMappers.Table[node.OpType](chain, node);
            if (next is null)
            {
                break;
            }

            for (int r = readers.Count - 1; r >= 0; r--)
            {
                if (!chain.Consumed.Contains(readers[r]) && !OperatorMappers.IsJoin(chain, readers[r]))
                {
                    branches.Push((chain.Current, readers[r]));
                }
            }

            chain.Advance(chain.Current, next);
            chain.Current = next;
        }

        // Unknown operators off the walked part, and known ones on branches the walk never reached.
        foreach (UnsupportedNode node in unknown)
        {
            chain.Unsupported.Add(node);
        }

        if (chain.Unsupported.Count == 0)
        {
            foreach (NodeProto node in graph.Nodes)
            {
                if (!chain.Consumed.Contains(node))
                {
                    chain.Refuse(node, "is not on the chain from the graph's input to its output");
                }
            }
        }
    }

    private static bool IsIdentifier(string name)
    {
        if (name.Length == 0 || !(char.IsLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Writes the C# declaration of an imported chain.</summary>
internal static class DeclarationWriter
{
    public static string Write(ChainBuilder chain, OnnxGraph graph, string className, OnnxImportOptions options, string fileName)
    {
        var text = new StringBuilder();
        string producer = graph.Model.ProducerName.Length > 0 ? $"{graph.Model.ProducerName} {graph.Model.ProducerVersion}".TrimEnd() : "an unnamed producer";
        text.Append("// Imported from ").Append(Comment(fileName)).Append(" (").Append(Comment(producer)).Append(", opset ").Append(graph.Opset).Append(") by Pathwise.Onnx.\n");
        text.Append("// Weights: ").Append(className).Append(".safetensors (PyTorch layout); load them with ").Append(className).Append(".Load(path).\n");
        text.Append("// Each member's comment names the ONNX nodes it stands for.\n");
        text.Append("using Pathwise;\n\n");
        if (options.Namespace is { } ns)
        {
            text.Append("namespace ").Append(ns).Append(";\n\n");
        }

        text.Append(options.Precision == Precision.Float64 ? "[Network(Precision.Float64)]\n" : "[Network]\n");
        text.Append("public sealed partial class ").Append(className).Append('\n').Append("{\n");
        foreach (LayerDraft layer in chain.Layers)
        {
            text.Append("    [").Append(Attributes(layer, graph.InputShape)).Append("] public partial ")
                .Append(layer.IsInput ? "InputLayer " : "Layer ").Append(layer.Member).Append(" { get; }");
            text.Append(" // ").Append(Comment(layer.IsInput ? graph.InputName : string.Join(", ", layer.Nodes)));
            text.Append('\n');
        }

        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>
    /// Text from the model made safe inside a <c>//</c> comment: a line break (or any control or line-separator
    /// character) in a node's name would otherwise end the comment and put the rest of the name into the code.
    /// </summary>
    public static string Comment(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 200));
        foreach (char c in text)
        {
            if (builder.Length == 200)
            {
                builder.Append("...");
                break;
            }

            builder.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? '?' : c);
        }

        return builder.ToString();
    }

    public static string Attributes(LayerDraft layer, int[] inputShape)
    {
        if (layer.IsInput)
        {
            return $"Input({string.Join(", ", inputShape)})";
        }

        return layer.Kind is null ? layer.Activation! : layer.Activation is null ? layer.Kind : layer.Kind + ", " + layer.Activation;
    }
}
