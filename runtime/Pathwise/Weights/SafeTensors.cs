using System;
using System.Collections.Generic;
using System.IO;

namespace Pathwise.Weights;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length <c>N</c>, <c>N</c> bytes of
/// UTF-8 JSON mapping each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets
/// relative to the data section) plus an optional <c>"__metadata__"</c> map of strings, then the raw
/// little-endian tensor bytes.
/// </summary>
/// <remarks>
/// Reading validates a file as the reference implementation (the Rust crate <c>safetensors</c>) does, and where
/// that crate is more lenient than the format's description, as the description says: the header is UTF-8 JSON
/// (no byte order mark, no lone surrogate escapes, no numbers beyond a double) holding an object; each entry has
/// <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> exactly once, as a string and plain unsigned integers;
/// no key repeats; and the tensors, sorted by offsets, cover the data section exactly, with no gap, overlap or
/// trailing byte, so a wrong header length cannot shift the data unnoticed. Every failure is a
/// <see cref="WeightsFormatException"/> naming the problem, including a file that is not safetensors at all
/// (a PyTorch <c>.pt</c> zip, a pickle, an ONNX model, text).
/// </remarks>
public static class SafeTensors
{
    /// <summary>Reads every tensor of the file at <paramref name="path"/>, converting values to <see cref="double"/>.</summary>
    /// <exception cref="WeightsFormatException">The file is corrupt or truncated; the message says how.</exception>
    public static IReadOnlyDictionary<string, TensorData> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return SafeTensorsReader.ReadTensors(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads every tensor of a safetensors file held in <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">A name for the bytes, used in error messages.</param>
    /// <exception cref="WeightsFormatException">The bytes are corrupt or truncated; the message says how.</exception>
    public static IReadOnlyDictionary<string, TensorData> Read(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return SafeTensorsReader.ReadTensors(bytes, sourceName);
    }

    /// <summary>Reads the <c>__metadata__</c> map of the file at <paramref name="path"/> (empty if absent), validating the whole header.</summary>
    /// <exception cref="WeightsFormatException">The file is corrupt or truncated; the message says how.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return SafeTensorsReader.ReadMetadata(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads the <c>__metadata__</c> map of a file held in <paramref name="bytes"/> (empty if absent), validating the whole header.</summary>
    /// <exception cref="WeightsFormatException">The bytes are corrupt or truncated; the message says how.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return SafeTensorsReader.ReadMetadata(bytes, sourceName);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/>, every value stored as <paramref name="dtype"/>
    /// (rounded to nearest, ties to even, when narrowing). The write is atomic: the file is built in a temp file
    /// in the same directory, flushed to disk, then moved over <paramref name="path"/>; on any failure the temp
    /// file is deleted and an existing <paramref name="path"/> is left untouched.
    /// </summary>
    /// <param name="path">The destination file; replaced if it exists.</param>
    /// <param name="tensors">The tensors; names must be distinct. Written sorted by name with contiguous offsets.</param>
    /// <param name="dtype">F16, BF16, F32 or F64.</param>
    /// <param name="metadata">Optional string pairs stored under <c>__metadata__</c>, sorted by key.</param>
    /// <exception cref="ArgumentException">The dtype is not writable, a name repeats or is reserved, or a string is not valid UTF-16.</exception>
    public static void Write(
        string path,
        IEnumerable<TensorData> tensors,
        TensorDType dtype = TensorDType.F32,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.WriteFile(path, tensors, dtype, metadata);

    /// <summary>Serializes <paramref name="tensors"/> to the bytes <see cref="Write"/> would put in a file.</summary>
    /// <exception cref="ArgumentException">The dtype is not writable, a name repeats or is reserved, or a string is not valid UTF-16.</exception>
    public static byte[] Serialize(
        IEnumerable<TensorData> tensors,
        TensorDType dtype = TensorDType.F32,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.WriteBytes(tensors, dtype, metadata);
}
