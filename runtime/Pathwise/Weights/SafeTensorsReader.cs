using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pathwise.Weights;

/// <summary>
/// Parses and validates a safetensors file held in memory. Every check runs before any tensor is decoded,
/// so a bad file fails with one <see cref="WeightsFormatException"/> and never loads partially.
/// </summary>
internal static class SafeTensorsReader
{
    /// <summary>The header key holding free-form string metadata instead of a tensor.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The reference implementation refuses headers above 100 MB; so do we.</summary>
    private const ulong MaxHeaderLength = 100_000_000;

    private const int PrefixLength = 8;

    /// <summary>Reads and validates the header of <paramref name="file"/>, then decodes every tensor.</summary>
    public static Dictionary<string, TensorData> ReadTensors(ReadOnlySpan<byte> file, string sourceName)
    {
        Header header = ReadHeader(file, sourceName);
        ReadOnlySpan<byte> data = file.Slice(header.DataStart);
        var tensors = new Dictionary<string, TensorData>(header.Entries.Count, StringComparer.Ordinal);
        foreach (Entry entry in header.Entries)
        {
            var values = new double[entry.ElementCount];
            ElementCodec.Decode(entry.DType, data.Slice((int)entry.Begin, (int)(entry.End - entry.Begin)), values);
            tensors.Add(entry.Name, new TensorData(entry.Name, entry.Shape, values, entry.DType));
        }

        return tensors;
    }

    /// <summary>Reads and validates the header of <paramref name="file"/> and returns its <c>__metadata__</c> map.</summary>
    public static Dictionary<string, string> ReadMetadata(ReadOnlySpan<byte> file, string sourceName) =>
        ReadHeader(file, sourceName).Metadata;

    /// <summary>Validates the prefix, the JSON header and every tensor's byte range against the data section.</summary>
    public static Header ReadHeader(ReadOnlySpan<byte> file, string sourceName)
    {
        if (file.Length < PrefixLength)
        {
            throw Format(sourceName, $"file is {file.Length} bytes long, shorter than the 8-byte header length prefix");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        ulong available = (ulong)(file.Length - PrefixLength);
        if (headerLength > available)
        {
            throw Format(sourceName, $"header length {headerLength} is larger than the file: only {available} bytes follow the 8-byte prefix");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw Format(sourceName, $"header length {headerLength} exceeds the {MaxHeaderLength}-byte limit");
        }

        int dataStart = PrefixLength + (int)headerLength;
        long dataLength = file.Length - dataStart;
        byte[] headerBytes = file.Slice(PrefixLength, (int)headerLength).ToArray();

        // JsonDocument does not validate UTF-8 inside strings until they are read; check it all up front.
        int invalidAt = FindInvalidUtf8(headerBytes);
        if (invalidAt >= 0)
        {
            throw Format(sourceName, $"header is not valid UTF-8: invalid byte 0x{headerBytes[invalidAt]:X2} at header offset {invalidAt}");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException exception)
        {
            throw Format(sourceName, $"header is not valid JSON: {exception.Message}", exception);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Format(sourceName, $"header must be a JSON object, found {Describe(document.RootElement.ValueKind)}");
            }

            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw Format(sourceName, property.Name == MetadataKey
                        ? $"header has more than one '{MetadataKey}' entry"
                        : $"tensor '{property.Name}' appears more than once in the header");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadataEntry(property.Value, metadata, sourceName);
                }
                else
                {
                    entries.Add(ReadEntry(property.Name, property.Value, dataLength, sourceName));
                }
            }

            CheckOverlaps(entries, sourceName);
            return new Header(dataStart, entries, metadata);
        }
    }

    private static void ReadMetadataEntry(JsonElement value, Dictionary<string, string> metadata, string sourceName)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Format(sourceName, $"'{MetadataKey}' must be an object of strings, found {Describe(value.ValueKind)}");
        }

        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Format(sourceName, $"'{MetadataKey}' entry '{item.Name}' must be a string, found {Describe(item.Value.ValueKind)}");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Format(sourceName, $"'{MetadataKey}' entry '{item.Name}' appears more than once");
            }
        }
    }

    private static Entry ReadEntry(string name, JsonElement value, long dataLength, string sourceName)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Format(sourceName, $"tensor '{name}' must be an object with dtype, shape and data_offsets, found {Describe(value.ValueKind)}");
        }

        // dtype
        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement))
        {
            throw Format(sourceName, $"tensor '{name}' is missing 'dtype'");
        }

        if (dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Format(sourceName, $"tensor '{name}' has a 'dtype' that is {Describe(dtypeElement.ValueKind)}, not a string");
        }

        string dtypeName = dtypeElement.GetString()!;
        if (!TensorDTypeInfo.TryParse(dtypeName, out TensorDType dtype))
        {
            throw Format(sourceName, $"tensor '{name}' has unsupported dtype '{dtypeName}' (supported: {TensorDTypeInfo.SupportedNames})");
        }

        // shape
        if (!value.TryGetProperty("shape", out JsonElement shapeElement))
        {
            throw Format(sourceName, $"tensor '{name}' is missing 'shape'");
        }

        long[] rawShape = ReadIntegers(name, "shape", shapeElement, sourceName);
        for (int i = 0; i < rawShape.Length; i++)
        {
            if (rawShape[i] < 0)
            {
                throw Format(sourceName, $"tensor '{name}' has negative dimension {rawShape[i]} at index {i} in shape {Shapes.Format(rawShape)}");
            }

            if (rawShape[i] > int.MaxValue)
            {
                throw Format(sourceName, $"tensor '{name}' has dimension {rawShape[i]} at index {i} in shape {Shapes.Format(rawShape)}, larger than {int.MaxValue}");
            }
        }

        // data_offsets
        if (!value.TryGetProperty("data_offsets", out JsonElement offsetsElement))
        {
            throw Format(sourceName, $"tensor '{name}' is missing 'data_offsets'");
        }

        long[] offsets = ReadIntegers(name, "data_offsets", offsetsElement, sourceName);
        if (offsets.Length != 2)
        {
            throw Format(sourceName, $"tensor '{name}' has {offsets.Length} data_offsets; expected exactly 2, [begin, end]");
        }

        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin)
        {
            throw Format(sourceName, $"tensor '{name}' has invalid data_offsets [{begin}, {end}): begin must be non-negative and no greater than end");
        }

        if (end > dataLength)
        {
            throw Format(sourceName, $"truncated body: tensor '{name}' needs bytes [{begin}, {end}) but the data section has {dataLength} bytes");
        }

        int size = TensorDTypeInfo.SizeOf(dtype);
        long? elementCount = Shapes.TryElementCount(rawShape);
        long? expectedBytes = elementCount is long count && count <= long.MaxValue / size ? count * size : null;
        if (expectedBytes != end - begin)
        {
            string needed = expectedBytes is long bytes ? $"{bytes} bytes" : "more bytes than a file can hold";
            throw Format(sourceName, $"tensor '{name}' has data_offsets [{begin}, {end}) spanning {end - begin} bytes, but dtype {dtypeName} ({size} bytes) × shape {Shapes.Format(rawShape)} needs {needed}");
        }

        if (elementCount > Array.MaxLength)
        {
            throw Format(sourceName, $"tensor '{name}' with shape {Shapes.Format(rawShape)} has more elements than an array can hold");
        }

        var shape = new int[rawShape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = (int)rawShape[i];
        }

        return new Entry(name, dtype, shape, (int)elementCount!.Value, begin, end);
    }

    private static long[] ReadIntegers(string name, string field, JsonElement element, string sourceName)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Format(sourceName, $"tensor '{name}' has a '{field}' that is {Describe(element.ValueKind)}, not an array of integers");
        }

        var result = new long[element.GetArrayLength()];
        int index = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long number))
            {
                throw Format(sourceName, $"tensor '{name}' has '{field}' element {index} = {item.GetRawText()}, not an integer");
            }

            result[index++] = number;
        }

        return result;
    }

    private static void CheckOverlaps(List<Entry> entries, string sourceName)
    {
        // Empty tensors occupy no bytes and cannot overlap anything.
        var occupied = entries.FindAll(static entry => entry.End > entry.Begin);
        occupied.Sort(static (left, right) =>
        {
            int byBegin = left.Begin.CompareTo(right.Begin);
            return byBegin != 0 ? byBegin : string.CompareOrdinal(left.Name, right.Name);
        });

        for (int i = 1; i < occupied.Count; i++)
        {
            Entry previous = occupied[i - 1];
            Entry current = occupied[i];
            if (current.Begin < previous.End)
            {
                throw Format(sourceName, $"tensors '{previous.Name}' and '{current.Name}' overlap: '{previous.Name}' occupies [{previous.Begin}, {previous.End}) and '{current.Name}' occupies [{current.Begin}, {current.End})");
            }
        }
    }

    private static int FindInvalidUtf8(ReadOnlySpan<byte> text)
    {
        int offset = 0;
        while (offset < text.Length)
        {
            if (Rune.DecodeFromUtf8(text.Slice(offset), out _, out int consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    private static WeightsFormatException Format(string sourceName, string problem, Exception? inner = null) =>
        new(sourceName, problem, inner);

    /// <summary>A validated header: where the data section starts, the tensors in header order, and the metadata.</summary>
    internal sealed record Header(int DataStart, List<Entry> Entries, Dictionary<string, string> Metadata);

    /// <summary>One validated tensor entry; <c>[Begin, End)</c> lies inside the data section and matches dtype × shape.</summary>
    internal sealed record Entry(string Name, TensorDType DType, int[] Shape, int ElementCount, long Begin, long End);
}
