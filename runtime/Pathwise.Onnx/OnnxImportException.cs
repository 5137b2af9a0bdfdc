using System;
using System.Collections.Generic;

namespace Pathwise.Onnx;

/// <summary>
/// An ONNX model that cannot be imported: a file that is not an ONNX model, or a graph with nodes Pathwise cannot
/// map. Every such node is listed in <see cref="Unsupported"/> and in the message, one line each
/// (<c>node '/act/Cos' (Cos): no Pathwise layer computes Cos</c>).
/// </summary>
public sealed class OnnxImportException : Exception
{
    /// <summary>Creates the exception for the model <paramref name="sourceName"/>.</summary>
    /// <param name="sourceName">The file path or other name of the model.</param>
    /// <param name="problem">What is wrong, without the file name.</param>
    /// <param name="unsupported">The nodes that cannot be mapped, in graph order; empty for a problem of the file as a whole.</param>
    /// <param name="innerException">The parser error behind the problem, if any.</param>
    public OnnxImportException(string sourceName, string problem, IReadOnlyList<UnsupportedNode> unsupported, Exception? innerException = null)
        : base(Compose(sourceName, problem, unsupported), innerException)
    {
        ArgumentNullException.ThrowIfNull(unsupported);
        SourceName = sourceName;
        Problem = problem;
        Unsupported = unsupported;
    }

    /// <summary>The file path or other name of the model.</summary>
    public string SourceName { get; }

    /// <summary>What is wrong, without the file name and without the node list.</summary>
    public string Problem { get; }

    /// <summary>Every node that cannot be mapped to a Pathwise layer, in graph order.</summary>
    public IReadOnlyList<UnsupportedNode> Unsupported { get; }

    private static string Compose(string sourceName, string problem, IReadOnlyList<UnsupportedNode>? unsupported)
    {
        string text = $"Cannot import ONNX model '{sourceName}': {problem}";
        if (unsupported is not null)
        {
            foreach (UnsupportedNode node in unsupported)
            {
                text += Environment.NewLine + "  " + node;
            }
        }

        return text;
    }
}

/// <summary>One ONNX node the importer cannot map, and why.</summary>
/// <param name="NodeName">The node's name in the graph (its output's name when the node has none).</param>
/// <param name="OpType">The operator, such as <c>Cos</c>.</param>
/// <param name="Reason">Why it cannot be mapped.</param>
public sealed record UnsupportedNode(string NodeName, string OpType, string Reason)
{
    /// <summary><c>node 'NodeName' (OpType): Reason</c>.</summary>
    public override string ToString() => $"node '{NodeName}' ({OpType}): {Reason}";
}
