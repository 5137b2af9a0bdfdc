using System;

namespace Pathwise.Weights;

/// <summary>
/// A safetensors file is corrupt or truncated. The message names the file and what is wrong with it,
/// such as <c>truncated body: tensor 'fc1.weight' needs bytes [0, 512) but the data section has 100 bytes</c>.
/// </summary>
public sealed class WeightsFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="problem"/> in the file <paramref name="sourceName"/>.</summary>
    /// <param name="sourceName">The file path or other name of the bytes being read.</param>
    /// <param name="problem">What is wrong, without the file name.</param>
    /// <param name="innerException">The parser error behind the problem, if any.</param>
    public WeightsFormatException(string sourceName, string problem, Exception? innerException = null)
        : base($"Invalid safetensors file '{sourceName}': {problem}", innerException)
    {
        SourceName = sourceName;
        Problem = problem;
    }

    /// <summary>The file path or other name of the bytes being read.</summary>
    public string SourceName { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
