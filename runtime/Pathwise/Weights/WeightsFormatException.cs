using System;

namespace Pathwise.Weights;

/// <summary>
/// A weights file (safetensors or PyTorch checkpoint) is corrupt, truncated or refused. The message names the file
/// and what is wrong with it, such as <c>truncated body: tensor 'fc1.weight' needs bytes [0, 512) but the data
/// section has 100 bytes</c> or <c>refused global 'posix.system'</c>.
/// </summary>
public sealed class WeightsFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="problem"/> in the file <paramref name="sourceName"/>.</summary>
    /// <param name="sourceName">The file path or other name of the bytes being read.</param>
    /// <param name="problem">What is wrong, without the file name.</param>
    /// <param name="innerException">The parser error behind the problem, if any.</param>
    public WeightsFormatException(string sourceName, string problem, Exception? innerException = null)
        : this(sourceName, "safetensors", problem, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="problem"/> in the <paramref name="format"/> file <paramref name="sourceName"/>.</summary>
    /// <param name="sourceName">The file path or other name of the bytes being read.</param>
    /// <param name="format">The format the bytes were read as, such as <c>safetensors</c> or <c>PyTorch checkpoint</c>.</param>
    /// <param name="problem">What is wrong, without the file name.</param>
    /// <param name="innerException">The parser error behind the problem, if any.</param>
    public WeightsFormatException(string sourceName, string format, string problem, Exception? innerException)
        : base($"Invalid {format} file '{sourceName}': {problem}", innerException)
    {
        SourceName = sourceName;
        Format = format;
        Problem = problem;
    }

    /// <summary>The format the bytes were read as: <c>safetensors</c> or <c>PyTorch checkpoint</c>.</summary>
    public string Format { get; }

    /// <summary>The file path or other name of the bytes being read.</summary>
    public string SourceName { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
