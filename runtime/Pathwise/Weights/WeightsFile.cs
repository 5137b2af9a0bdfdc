using System;
using System.Collections.Generic;
using System.IO;

namespace Pathwise.Weights;

/// <summary>
/// Reads a weights file of either format Pathwise knows, chosen by its content, never by its extension: a zip
/// archive (first bytes <c>PK\x03\x04</c>) is read as a PyTorch checkpoint (<see cref="PyTorchCheckpoint"/>),
/// anything else as safetensors (<see cref="SafeTensors"/>), whose reader names other formats it recognises.
/// </summary>
public static class WeightsFile
{
    /// <summary>Reads every tensor of the safetensors or PyTorch checkpoint file at <paramref name="path"/>.</summary>
    /// <exception cref="WeightsFormatException">The file is corrupt, truncated, of another format, or a checkpoint naming a refused global.</exception>
    public static IReadOnlyDictionary<string, TensorData> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads every tensor of a safetensors or PyTorch checkpoint file held in <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">A name for the bytes, used in error messages.</param>
    /// <exception cref="WeightsFormatException">The bytes are corrupt, truncated, of another format, or a checkpoint naming a refused global.</exception>
    public static IReadOnlyDictionary<string, TensorData> Read(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return IsPyTorchCheckpoint(bytes)
            ? PyTorchCheckpointReader.ReadTensors(bytes, sourceName)
            : SafeTensorsReader.ReadTensors(bytes, sourceName);
    }

    /// <summary>
    /// The metadata of a weights file held in <paramref name="bytes"/>: a safetensors header's <c>__metadata__</c>
    /// (<see cref="SafeTensors.ReadMetadata(ReadOnlySpan{byte}, string)"/>); a PyTorch checkpoint carries none (empty).
    /// </summary>
    /// <exception cref="WeightsFormatException">A safetensors file whose header is corrupt or truncated.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return IsPyTorchCheckpoint(bytes) ? new Dictionary<string, string>() : SafeTensorsReader.ReadMetadata(bytes, sourceName);
    }

    /// <summary><see langword="true"/> when <paramref name="bytes"/> start as a zip archive does, as every <c>torch.save</c> file since PyTorch 1.6 does.</summary>
    internal static bool IsPyTorchCheckpoint(ReadOnlySpan<byte> bytes) => bytes.StartsWith("PK\u0003\u0004"u8);
}
