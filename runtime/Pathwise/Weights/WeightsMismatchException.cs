using System;
using System.Collections.Generic;
using System.Text;

namespace Pathwise.Weights;

/// <summary>
/// A weights file does not match the tensors a network declares. Lists every problem at once: missing tensors
/// with their expected shapes, unexpected tensors, and shape mismatches such as
/// <c>tensor 'fc1.weight': expected shape [16, 8], found [8, 16]</c>.
/// </summary>
public sealed class WeightsMismatchException : Exception
{
    /// <summary>Creates the exception for the problems found binding <paramref name="sourceName"/>.</summary>
    /// <param name="sourceName">The file path or other name of the weights.</param>
    /// <param name="missing">Declared tensors absent from the file.</param>
    /// <param name="unexpected">Tensors in the file the network does not declare.</param>
    /// <param name="problems">One line per problem, in the order missing, unexpected, mismatched.</param>
    /// <param name="mismatched">Names of tensors present in both with different shapes.</param>
    public WeightsMismatchException(
        string sourceName,
        IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected,
        IReadOnlyList<string> mismatched,
        IReadOnlyList<string> problems)
        : base(BuildMessage(sourceName, problems))
    {
        SourceName = sourceName;
        Missing = missing;
        Unexpected = unexpected;
        Mismatched = mismatched;
        Problems = problems;
    }

    /// <summary>The file path or other name of the weights.</summary>
    public string SourceName { get; }

    /// <summary>Names of declared tensors absent from the file, in declaration order.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Names of tensors in the file the network does not declare, in ordinal order.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Names of tensors whose shape in the file differs from the declaration, in declaration order.</summary>
    public IReadOnlyList<string> Mismatched { get; }

    /// <summary>One human-readable line per problem.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string BuildMessage(string sourceName, IReadOnlyList<string> problems)
    {
        var builder = new StringBuilder();
        builder.Append("Weights in '").Append(sourceName).Append("' do not match the network (")
            .Append(problems.Count).Append(problems.Count == 1 ? " problem):" : " problems):");
        foreach (string problem in problems)
        {
            builder.AppendLine().Append("  - ").Append(problem);
        }

        return builder.ToString();
    }
}
