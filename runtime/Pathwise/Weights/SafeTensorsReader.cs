using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
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

    /// <summary>
    /// Validates the file as the reference implementation (the <c>safetensors</c> crate) does: the prefix, the JSON
    /// header, every tensor's dtype, shape and offsets, and that the tensors cover the data section exactly.
    /// </summary>
    public static Header ReadHeader(ReadOnlySpan<byte> file, string sourceName)
    {
        if (file.Length < PrefixLength)
        {
            throw Format(sourceName, $"file is {file.Length} bytes long, shorter than the 8-byte header length prefix");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        ulong available = (ulong)(file.Length - PrefixLength);
        if (headerLength > available || headerLength > MaxHeaderLength)
        {
            if (ForeignFormat.Describe(file) is string foreign)
            {
                throw Format(sourceName, $"not a safetensors file: it looks like {foreign}");
            }

            throw Format(sourceName, headerLength > available
                ? $"header length {headerLength} is larger than the file: only {available} bytes follow the 8-byte prefix"
                : $"header length {headerLength} exceeds the {MaxHeaderLength}-byte limit");
        }

        int dataStart = PrefixLength + (int)headerLength;
        long dataLength = file.Length - dataStart;
        byte[] headerBytes = file.Slice(PrefixLength, (int)headerLength).ToArray();
        using JsonDocument document = HeaderJson.Parse(headerBytes, sourceName);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw Format(sourceName, $"header must be a JSON object, found {Describe(document.RootElement.ValueKind)}");
        }

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            // The format disallows duplicate keys; the reference parser would silently keep the last one.
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

        CheckCoverage(entries, dataLength, sourceName);
        return new Header(dataStart, entries, metadata);
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

        JsonElement? dtypeElement = null;
        JsonElement? shapeElement = null;
        JsonElement? offsetsElement = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            // Other fields are ignored, as the reference implementation ignores them.
            switch (field.Name)
            {
                case "dtype":
                    dtypeElement = Once(dtypeElement, field, name, sourceName);
                    break;
                case "shape":
                    shapeElement = Once(shapeElement, field, name, sourceName);
                    break;
                case "data_offsets":
                    offsetsElement = Once(offsetsElement, field, name, sourceName);
                    break;
            }
        }

        // dtype
        if (dtypeElement is not JsonElement dtypeValue)
        {
            throw Format(sourceName, $"tensor '{name}' is missing 'dtype'");
        }

        if (dtypeValue.ValueKind != JsonValueKind.String)
        {
            throw Format(sourceName, $"tensor '{name}' has a 'dtype' that is {Describe(dtypeValue.ValueKind)}, not a string");
        }

        string dtypeName = dtypeValue.GetString()!;
        if (!TensorDTypeInfo.TryParse(dtypeName, out TensorDType dtype))
        {
            throw Format(sourceName, TensorDTypeInfo.IsFormatOnly(dtypeName)
                ? $"tensor '{name}' has dtype '{dtypeName}', which Pathwise cannot read (supported: {TensorDTypeInfo.SupportedNames})"
                : $"tensor '{name}' has unsupported dtype '{dtypeName}' (supported: {TensorDTypeInfo.SupportedNames})");
        }

        // shape
        if (shapeElement is not JsonElement shapeValue)
        {
            throw Format(sourceName, $"tensor '{name}' is missing 'shape'");
        }

        ulong[] rawShape = ReadUnsignedIntegers(name, "shape", shapeValue, sourceName);

        // data_offsets
        if (offsetsElement is not JsonElement offsetsValue)
        {
            throw Format(sourceName, $"tensor '{name}' is missing 'data_offsets'");
        }

        ulong[] offsets = ReadUnsignedIntegers(name, "data_offsets", offsetsValue, sourceName);
        if (offsets.Length != 2)
        {
            throw Format(sourceName, $"tensor '{name}' has {offsets.Length} data_offsets; expected exactly 2, [begin, end]");
        }

        ulong begin = offsets[0];
        ulong end = offsets[1];
        if (end < begin)
        {
            throw Format(sourceName, $"tensor '{name}' has invalid data_offsets [{begin}, {end}): begin must be no greater than end");
        }

        if (end > (ulong)dataLength)
        {
            throw Format(sourceName, $"truncated body: tensor '{name}' needs bytes [{begin}, {end}) but the data section has {dataLength} bytes");
        }

        // The reference multiplies the dimensions left to right in 64 bits and fails on the first overflow,
        // even when a later dimension is 0.
        int size = TensorDTypeInfo.SizeOf(dtype);
        ulong? elementCount = Shapes.TryElementCount(rawShape);
        ulong? expectedBytes = elementCount is ulong count && count <= ulong.MaxValue / (ulong)size ? count * (ulong)size : null;
        if (expectedBytes != end - begin)
        {
            string needed = expectedBytes is ulong bytes ? $"{bytes} bytes" : "more bytes than a file can hold";
            throw Format(sourceName, $"tensor '{name}' has data_offsets [{begin}, {end}) spanning {end - begin} bytes, but dtype {dtypeName} ({size} bytes) × shape {Shapes.Format(rawShape)} needs {needed}");
        }

        var shape = new int[rawShape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            // Valid for the format only when another dimension is 0; TensorData holds int dimensions.
            if (rawShape[i] > int.MaxValue)
            {
                throw Format(sourceName, $"tensor '{name}' has dimension {rawShape[i]} at index {i} in shape {Shapes.Format(rawShape)}, larger than {int.MaxValue}, which Pathwise cannot represent");
            }

            shape[i] = (int)rawShape[i];
        }

        // end <= dataLength < 2^31, so the count and the offsets fit in int.
        return new Entry(name, dtype, shape, (int)elementCount!.Value, (long)begin, (long)end);
    }

    private static JsonElement Once(JsonElement? previous, JsonProperty field, string name, string sourceName) =>
        previous is null
            ? field.Value
            : throw Format(sourceName, $"tensor '{name}' has '{field.Name}' more than once");

    private static ulong[] ReadUnsignedIntegers(string name, string field, JsonElement element, string sourceName)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Format(sourceName, $"tensor '{name}' has a '{field}' that is {Describe(element.ValueKind)}, not an array of integers");
        }

        var result = new ulong[element.GetArrayLength()];
        int index = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            // Like the reference: plain digits only, so -1, -0, 4.0 and 1e2 are refused, and at most 2^64 - 1.
            string text = item.GetRawText();
            if (item.ValueKind != JsonValueKind.Number
                || text.AsSpan().IndexOfAnyExcept("0123456789") >= 0
                || !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
            {
                throw Format(sourceName, $"tensor '{name}' has '{field}' element {index} = {text}, not an integer in [0, {ulong.MaxValue}]");
            }

            result[index++] = number;
        }

        return result;
    }

    /// <summary>
    /// The reference's rule: sorted by offsets, each tensor begins where the previous one ends, the first at 0,
    /// and the last ends at the end of the file. No gap, no overlap (an empty tensor inside another's bytes
    /// included), no trailing bytes, so a wrong header length cannot shift the data section unnoticed.
    /// </summary>
    private static void CheckCoverage(List<Entry> entries, long dataLength, string sourceName)
    {
        var sorted = new List<Entry>(entries);
        sorted.Sort(static (left, right) =>
        {
            int byBegin = left.Begin.CompareTo(right.Begin);
            if (byBegin != 0)
            {
                return byBegin;
            }

            int byEnd = left.End.CompareTo(right.End);
            return byEnd != 0 ? byEnd : string.CompareOrdinal(left.Name, right.Name);
        });

        long covered = 0;
        Entry? previous = null;
        foreach (Entry entry in sorted)
        {
            if (entry.Begin > covered)
            {
                throw Format(sourceName, previous is null
                    ? $"data section has {entry.Begin - covered} unused bytes [0, {entry.Begin}) before the first tensor '{entry.Name}'"
                    : $"data section has {entry.Begin - covered} unused bytes [{covered}, {entry.Begin}) between tensors '{previous.Name}' and '{entry.Name}'");
            }

            if (entry.Begin < covered)
            {
                throw Format(sourceName, $"tensors '{previous!.Name}' and '{entry.Name}' overlap: '{previous.Name}' occupies [{previous.Begin}, {previous.End}) and '{entry.Name}' occupies [{entry.Begin}, {entry.End})");
            }

            covered = entry.End;
            previous = entry;
        }

        if (covered != dataLength)
        {
            throw Format(sourceName, previous is null
                ? $"data section has {dataLength} bytes but the header lists no tensor to cover them (a wrong header length shifts the data section)"
                : $"data section has {dataLength - covered} bytes [{covered}, {dataLength}) after the last tensor '{previous.Name}'; the tensors must cover it exactly (a wrong header length shifts the data section)");
        }
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
