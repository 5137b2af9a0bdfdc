using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace Pathwise.Weights;

/// <summary>
/// Lays out a safetensors file the way the reference implementation (and so PyTorch's <c>save_file</c>) does:
/// compact JSON with <c>__metadata__</c> first, tensors sorted by UTF-8 name, contiguous offsets from 0,
/// and the header padded with spaces to a multiple of 8 bytes.
/// </summary>
internal static class SafeTensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> through a temp file in the same directory.</summary>
    public static void WriteFile(
        string path,
        IEnumerable<TensorData> tensors,
        TensorDType dtype,
        IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!TensorDTypeInfo.IsWritable(dtype))
        {
            throw new ArgumentException($"Cannot write dtype {dtype}: only F16, BF16, F32 and F64 are writable.", nameof(dtype));
        }

        // Everything that can fail on the caller's input fails here, before a file exists.
        Layout layout = Prepare(tensors, dtype, metadata);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"Path '{path}' has no directory.", nameof(path));
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                WriteTo(stream, layout, dtype);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>Serializes to a byte array (same layout as <see cref="WriteFile"/>).</summary>
    public static byte[] WriteBytes(IEnumerable<TensorData> tensors, TensorDType dtype, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!TensorDTypeInfo.IsWritable(dtype))
        {
            throw new ArgumentException($"Cannot write dtype {dtype}: only F16, BF16, F32 and F64 are writable.", nameof(dtype));
        }

        Layout layout = Prepare(tensors, dtype, metadata);
        using var stream = new MemoryStream();
        WriteTo(stream, layout, dtype);
        return stream.ToArray();
    }

    private static Layout Prepare(IEnumerable<TensorData> tensors, TensorDType dtype, IReadOnlyDictionary<string, string>? metadata)
    {
        var items = new List<(byte[] NameUtf8, TensorData Tensor)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorData tensor in tensors)
        {
            if (tensor is null)
            {
                throw new ArgumentException("The tensor sequence contains null.", nameof(tensors));
            }

            if (tensor.Name == SafeTensorsReader.MetadataKey)
            {
                throw new ArgumentException($"A tensor cannot be named '{SafeTensorsReader.MetadataKey}'; the format reserves that key.", nameof(tensors));
            }

            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"Tensor '{tensor.Name}' appears more than once.", nameof(tensors));
            }

            items.Add((EncodeName(tensor.Name, "Tensor name"), tensor));
        }

        // The reference sorts by dtype alignment, then by name as Rust orders strings: by UTF-8 bytes.
        items.Sort(static (left, right) => left.NameUtf8.AsSpan().SequenceCompareTo(right.NameUtf8));

        var json = new StringBuilder("{");
        if (metadata is { Count: > 0 })
        {
            var keys = new List<string>(metadata.Keys);
            keys.Sort(StringComparer.Ordinal);
            json.Append('"').Append(SafeTensorsReader.MetadataKey).Append("\":{");
            for (int i = 0; i < keys.Count; i++)
            {
                string key = keys[i];
                string value = metadata[key] ?? throw new ArgumentException($"Metadata value for '{key}' is null.", nameof(metadata));
                EncodeName(key, "Metadata key");
                EncodeName(value, "Metadata value");
                json.Append(i > 0 ? "," : string.Empty);
                AppendJsonString(json, key).Append(':');
                AppendJsonString(json, value);
            }

            json.Append('}');
            json.Append(items.Count > 0 ? "," : string.Empty);
        }

        int size = TensorDTypeInfo.SizeOf(dtype);
        long offset = 0;
        var ordered = new TensorData[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            TensorData tensor = items[i].Tensor;
            ordered[i] = tensor;
            long length = (long)tensor.Values.Length * size;
            json.Append(i > 0 ? "," : string.Empty);
            AppendJsonString(json, tensor.Name).Append(":{\"dtype\":\"").Append(TensorDTypeInfo.NameOf(dtype)).Append("\",\"shape\":[");
            for (int d = 0; d < tensor.Shape.Length; d++)
            {
                json.Append(d > 0 ? "," : string.Empty).Append(tensor.Shape[d].ToString(CultureInfo.InvariantCulture));
            }

            json.Append("],\"data_offsets\":[")
                .Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append((offset + length).ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset += length;
        }

        json.Append('}');
        int padding = (8 - (StrictUtf8.GetByteCount(json.ToString()) % 8)) % 8;
        json.Append(' ', padding);
        return new Layout(StrictUtf8.GetBytes(json.ToString()), ordered);
    }

    private static void WriteTo(Stream stream, Layout layout, TensorDType dtype)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)layout.Header.Length);
        stream.Write(prefix);
        stream.Write(layout.Header);

        int size = TensorDTypeInfo.SizeOf(dtype);
        const int chunkElements = 8192;
        var buffer = new byte[chunkElements * size];
        foreach (TensorData tensor in layout.Tensors)
        {
            ReadOnlySpan<double> values = tensor.Values;
            for (int start = 0; start < values.Length; start += chunkElements)
            {
                ReadOnlySpan<double> chunk = values.Slice(start, Math.Min(chunkElements, values.Length - start));
                Span<byte> bytes = buffer.AsSpan(0, chunk.Length * size);
                ElementCodec.Encode(dtype, chunk, bytes);
                stream.Write(bytes);
            }
        }
    }

    private static byte[] EncodeName(string text, string what)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException exception)
        {
            throw new ArgumentException($"{what} '{text}' is not valid UTF-16 (it contains an unpaired surrogate).", exception);
        }
    }

    /// <summary>Appends a JSON string escaped as serde_json escapes: quote, backslash and control characters only.</summary>
    private static StringBuilder AppendJsonString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }

        return json.Append('"');
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original failure is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed record Layout(byte[] Header, TensorData[] Tensors);
}
