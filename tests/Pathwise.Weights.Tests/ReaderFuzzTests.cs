using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Pathwise.Weights.Tests;

/// <summary>
/// Mutated safetensors files judged by <see cref="ReferenceReader"/>: the product must reject exactly the files the
/// reference rejects, always with <see cref="WeightsFormatException"/>, and decode the same values when both accept.
/// </summary>
public sealed class ReaderFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 12_000;

    private static readonly string[] NamePool =
    {
        "\"fc1.weight\"", "\"fc1.bias\"", "\"conv.weight\"", "\"bn.running_var\"", "\"\"", "\"caf\\u00e9\"", "\"caf\u00e9\"",
        "\"\\ud83d\\ude00 smile\"", "\"quote\\\"d\"", "\"a\\/b\"", "\"tab\\tname\"", "\"__metadata_\"",
    };

    private static readonly string[] DTypes = { "F32", "F32", "F16", "BF16", "F64", "I32", "I64", "F32", "F64", "U8", "BOOL", "F4", "C64" };

    private static readonly string[] OtherDTypes =
    {
        "F32", "F16", "BF16", "F64", "I32", "I64", "U8", "I8", "BOOL", "F4", "F6_E2M3", "F8_E4M3", "C64", "U64",
        "f32", "F33", "", " F32", "F\\u0033\\u0032",
    };

    private static readonly string[] BadNumbers =
    {
        "-0", "-1", "0.0", "1.0", "4e0", "1E2", "1e400", "-1e400", "00", "18446744073709551615", "18446744073709551616",
        "9223372036854775808", "4294967296", "2147483648", "2147483647", "0", "1", "4", "8", "-0.0", "1e-400",
    };

    private static readonly string[] Surrogates =
    {
        "\\ud800", "\\udc00", "\\ud800x", "\\ud800\\ud800", "\\udbff\\udfff", "\\ud83d\\ude00", "\\uD800\\uDC00", "\\u0000",
        "\\ud800\\u0041", "\\\\ud800",
    };

    private static readonly string[] UnknownFieldValues =
    {
        "1", "-0", "1e400", "-1e999", "1e308", "\"\\ud800\"", "\"ok\"", "[[[]]]", "{}", "null", "true",
        "{\"a\":\"\\udc00\"}", "123456789012345678901234567890", "{\"x\":1,\"x\":2}", "[1,-0.0,\"\\ud83d\\ude00\"]",
    };

    private static readonly string[] MetadataValues =
    {
        "null", "{}", "[]", "\"text\"", "{\"a\":1}", "{\"a\":\"x\",\"a\":\"y\"}", "{\"a\":null}", "{\"a\":\"\\ud800\"}",
        "{\"\\udc00\":\"v\"}", "{\"format\":\"pt\"}",
    };

    [Fact]
    public void MutatedFiles_ProductAgreesWithTheReferenceReader()
    {
        var random = new Random(8_2026);
        var verdicts = new Dictionary<Verdict, int> { [Verdict.Accept] = 0, [Verdict.Reject] = 0, [Verdict.Unreadable] = 0 };
        for (int i = 0; i < Cases; i++)
        {
            byte[] file = MakeCase(random);
            ReferenceResult expected = ReferenceReader.Read(file);
            verdicts[expected.Verdict]++;
            Judge(file, expected, $"case {i}");
        }

        output.WriteLine($"{Cases} files: {verdicts[Verdict.Accept]} accepted, {verdicts[Verdict.Reject]} rejected, {verdicts[Verdict.Unreadable]} valid but unreadable");

        // The mutations must exercise every outcome, not only the easy rejections.
        Assert.True(verdicts[Verdict.Accept] >= Cases / 10, $"only {verdicts[Verdict.Accept]} accepted files");
        Assert.True(verdicts[Verdict.Reject] >= Cases / 3, $"only {verdicts[Verdict.Reject]} rejected files");
        Assert.True(verdicts[Verdict.Unreadable] >= Cases / 100, $"only {verdicts[Verdict.Unreadable]} unreadable files");
    }

    /// <summary>Checks the product against the reference on one file; public so the regression tests reuse it.</summary>
    internal static void Judge(byte[] file, ReferenceResult expected, string label)
    {
        IReadOnlyDictionary<string, TensorData>? tensors = null;
        IReadOnlyDictionary<string, string>? metadata = null;
        Exception? error = null;
        try
        {
            tensors = SafeTensors.Read(file, "fuzz");
            metadata = SafeTensors.ReadMetadata(file, "fuzz");
        }
        catch (Exception exception)
        {
            error = exception;
        }

        string context = $"{label}: reference says {expected.Verdict} ({expected.Reason}); product {(error is null ? "accepted" : $"threw {error.GetType().Name}: {error.Message}")}\nfile: {Show(file)}";
        if (error is not null && error is not WeightsFormatException)
        {
            Assert.Fail(context);
        }

        switch (expected.Verdict)
        {
            case Verdict.Reject:
                Assert.True(error is not null, context);
                break;
            case Verdict.Unreadable:
                Assert.True(error is WeightsFormatException { Problem: var problem } && (problem.Contains("which Pathwise cannot read", StringComparison.Ordinal) || problem.Contains("which Pathwise cannot represent", StringComparison.Ordinal)), context);
                break;
            case Verdict.Accept:
                Assert.True(error is null, context);
                Assert.Equal(expected.Tensors.Count, tensors!.Count);
                foreach (ReferenceTensor reference in expected.Tensors)
                {
                    Assert.True(tensors.TryGetValue(reference.Name, out TensorData? actual), context + $"\nmissing tensor '{reference.Name}'");
                    Assert.Equal(reference.DType, actual!.StoredAs.ToString());
                    Assert.Equal(reference.Shape.Select(d => (int)d).ToArray(), actual.Shape);
                    Assert.Equal(reference.Values.Length, actual.Values.Length);
                    for (int k = 0; k < reference.Values.Length; k++)
                    {
                        // Every element of these dtypes is exactly a double, so decoding must agree to the bit
                        // (any NaN matches any NaN: payloads may be quietened).
                        double want = reference.Values[k];
                        double got = actual.Values[k];
                        Assert.True(
                            BitConverter.DoubleToInt64Bits(want) == BitConverter.DoubleToInt64Bits(got) || (double.IsNaN(want) && double.IsNaN(got)),
                            $"{context}\ntensor '{reference.Name}' element {k}: expected {want:R}, read {got:R}");
                    }
                }

                Assert.Equal(expected.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal), metadata!.OrderBy(p => p.Key, StringComparer.Ordinal));
                break;
        }
    }

    private static byte[] MakeCase(Random random)
    {
        var model = FileModel.Random(random);
        int edits = random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            model.Mutate(random);
        }

        byte[] file = model.Serialize(random);
        if (random.Next(3) == 0)
        {
            int byteEdits = random.Next(1, 4);
            for (int e = 0; e < byteEdits; e++)
            {
                file = MutateBytes(random, file);
            }
        }

        return file;
    }

    private static byte[] MutateBytes(Random random, byte[] file)
    {
        if (file.Length == 0)
        {
            return new byte[] { (byte)random.Next(256) };
        }

        int headerEnd = file.Length >= 8 ? (int)Math.Min((ulong)file.Length, 8 + BinaryPrimitives.ReadUInt64LittleEndian(file)) : file.Length;
        int at = random.Next(4) == 0 || headerEnd == 0 ? random.Next(file.Length) : random.Next(headerEnd);
        var bytes = new List<byte>(file);
        switch (random.Next(7))
        {
            case 6:
                // Raw UTF-8 edge cases: encoded surrogate, overlong, beyond U+10FFFF, a valid 4-byte character, a BOM.
                byte[][] sequences = { new byte[] { 0xED, 0xA0, 0x80 }, new byte[] { 0xC0, 0xAF }, new byte[] { 0xF4, 0x90, 0x80, 0x80 }, new byte[] { 0xF0, 0x9F, 0x98, 0x80 }, new byte[] { 0xEF, 0xBB, 0xBF } };
                bytes.InsertRange(at, sequences[random.Next(sequences.Length)]);
                break;
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                const string JsonCharacters = "{}[],:\"0123456789-.eE \\u";
                bytes[at] = random.Next(2) == 0 ? (byte)random.Next(256) : (byte)JsonCharacters[random.Next(JsonCharacters.Length)];
                break;
            case 2:
                int keep = random.Next(file.Length);
                bytes.RemoveRange(keep, file.Length - keep);
                break;
            case 3:
                bytes.Insert(at, (byte)random.Next(256));
                break;
            case 4:
                bytes.RemoveAt(at);
                break;
            default:
                if (bytes.Count >= 8)
                {
                    ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
                    long[] deltas = { -8, -2, -1, 1, 2, 8 };
                    ulong edited = random.Next(5) == 0 ? (ulong)random.NextInt64() : length + (ulong)deltas[random.Next(deltas.Length)];
                    byte[] prefix = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(prefix, edited);
                    for (int i = 0; i < 8; i++)
                    {
                        bytes[i] = prefix[i];
                    }
                }

                break;
        }

        return bytes.ToArray();
    }

    private static string Show(byte[] file)
    {
        var builder = new StringBuilder();
        foreach (byte b in file.AsSpan(0, Math.Min(file.Length, 600)))
        {
            builder.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return builder.ToString();
    }

    /// <summary>A safetensors file as editable JSON text fragments, so mutations can act at the JSON level.</summary>
    private sealed class FileModel
    {
        private readonly List<Member> _members = new();
        private readonly List<byte> _data = new();
        private string _leading = "";
        private string _trailing = "";
        private bool _pad;
        private long _lengthDelta;

        public static FileModel Random(Random random)
        {
            var model = new FileModel { _pad = random.Next(2) == 0 };
            int count = random.Next(5);
            string[] names = NamePool.OrderBy(_ => random.Next()).Take(count).ToArray();
            var tensors = new List<(string Name, string DType, int[] Shape, int Bytes)>();
            foreach (string name in names)
            {
                string dtype = DTypes[random.Next(DTypes.Length)];
                int[] shape = new int[random.Next(4)];
                for (int d = 0; d < shape.Length; d++)
                {
                    shape[d] = random.Next(6) == 0 ? 0 : random.Next(1, 4);
                }

                int bits = dtype switch { "F4" => 4, "U8" or "BOOL" => 8, "F16" or "BF16" => 16, "F32" or "I32" => 32, _ => 64 };
                tensors.Add((name, dtype, shape, shape.Aggregate(1, (a, b) => a * b) * bits / 8));
            }

            // Data in a random order, independent of the header order.
            int offset = 0;
            var offsets = new Dictionary<string, (int, int)>();
            foreach (var tensor in tensors.OrderBy(_ => random.Next()))
            {
                offsets[tensor.Name] = (offset, offset + tensor.Bytes);
                offset += tensor.Bytes;
            }

            for (int b = 0; b < offset; b++)
            {
                model._data.Add((byte)random.Next(256));
            }

            foreach (var tensor in tensors)
            {
                (int begin, int end) = offsets[tensor.Name];
                var fields = new List<(string, string)>
                {
                    ("\"dtype\"", $"\"{tensor.DType}\""),
                    ("\"shape\"", "[" + string.Join(",", tensor.Shape) + "]"),
                    ("\"data_offsets\"", $"[{begin},{end}]"),
                };
                model._members.Add(new Member(tensor.Name, null, fields.OrderBy(_ => random.Next()).ToList()));
            }

            if (random.Next(3) == 0)
            {
                model._members.Insert(random.Next(model._members.Count + 1), new Member("\"__metadata__\"", "{\"format\":\"pt\",\"k\\u00e9y\":\"v\\n\"}", null));
            }

            return model;
        }

        public void Mutate(Random random)
        {
            Member? tensor = _members.Count(m => m.Fields is not null) == 0 ? null : _members.Where(m => m.Fields is not null).ElementAt(random.Next(_members.Count(m => m.Fields is not null)));
            switch (random.Next(20))
            {
                case 0 when tensor is not null:
                    // A field repeated inside one entry, with the same or a different value.
                    (string field, string value) = tensor.Fields![random.Next(tensor.Fields.Count)];
                    string repeat = random.Next(2) == 0 ? value : field == "\"dtype\"" ? "\"I32\"" : "[0,4]";
                    tensor.Fields.Insert(random.Next(tensor.Fields.Count + 1), (field, repeat));
                    break;
                case 1 when tensor is not null:
                    EditField(tensor, "\"data_offsets\"", v => { string[] p = v.Trim('[', ']').Split(','); return p.Length == 2 ? $"[{p[1]},{p[0]}]" : v; });
                    break;
                case 2 when tensor is not null:
                    EditField(tensor, "\"dtype\"", _ => $"\"{OtherDTypes[random.Next(OtherDTypes.Length)]}\"");
                    break;
                case 3 when tensor is not null:
                    EditField(tensor, random.Next(2) == 0 ? "\"shape\"" : "\"data_offsets\"", v => ReplaceNumber(random, v));
                    break;
                case 4:
                    InsertSurrogate(random, tensor);
                    break;
                case 5 when tensor is not null:
                    tensor.Fields!.Insert(random.Next(tensor.Fields.Count + 1), ("\"extra\"", UnknownFieldValues[random.Next(UnknownFieldValues.Length)]));
                    break;
                case 6 when tensor is not null:
                    tensor.Fields!.RemoveAt(random.Next(tensor.Fields.Count));
                    break;
                case 7 when _members.Count > 0:
                    Member copy = _members[random.Next(_members.Count)];
                    _members.Insert(random.Next(_members.Count + 1), copy.Clone());
                    break;
                case 8:
                    // An empty tensor anywhere: at a boundary it is valid, inside another tensor's bytes it is not.
                    int at = random.Next(_data.Count + 2);
                    string shape = random.Next(2) == 0 ? "[0]" : "[2,0]";
                    _members.Insert(random.Next(_members.Count + 1), new Member($"\"empty{random.Next(100)}\"", null, new() { ("\"dtype\"", "\"F32\""), ("\"shape\"", shape), ("\"data_offsets\"", $"[{at},{at}]") }));
                    break;
                case 9 when tensor is not null:
                    int[] shifts = { -8, -4, -1, 1, 2, 4 };
                    EditField(tensor, "\"data_offsets\"", v => ShiftNumbers(v, shifts[random.Next(shifts.Length)], random.Next(3)));
                    break;
                case 10 when tensor is not null:
                    string[] shapes = { "[2147483647,2147483647,3,0]", "[2147483647,2147483647,5,0]", "[4294967296,0]", "[0,18446744073709551615]", "[]", "[1]", "[0]", "[3,0,2147483648]" };
                    EditField(tensor, "\"shape\"", _ => shapes[random.Next(shapes.Length)]);
                    break;
                case 11:
                    Member? metadata = _members.FirstOrDefault(m => m.Fields is null && m.Name == "\"__metadata__\"");
                    string metadataValue = MetadataValues[random.Next(MetadataValues.Length)];
                    if (metadata is null || random.Next(4) == 0)
                    {
                        _members.Insert(random.Next(_members.Count + 1), new Member("\"__metadata__\"", metadataValue, null));
                    }
                    else
                    {
                        metadata.Raw = metadataValue;
                    }

                    break;
                case 12 when tensor is not null:
                    // The array form serde would accept but the format does not define.
                    string Get(string name) => tensor.Fields!.FirstOrDefault(f => f.Field == name).Value ?? "null";
                    tensor.Raw = $"[{Get("\"dtype\"")},{Get("\"shape\"")},{Get("\"data_offsets\"")}]";
                    tensor.Fields = null;
                    break;
                case 13:
                    string[] leading = { "", " ", "\t\n", "\r\n ", "\uFEFF", "\u00A0" };
                    string[] trailing = { "", " ", "   \t\r\n", "\0", " x", "\u00A0" };
                    _leading = leading[random.Next(leading.Length)];
                    _trailing = trailing[random.Next(trailing.Length)];
                    break;
                case 14 when tensor is not null:
                    // serde_json refuses the 128th nested container; the entry's field sits at depth 2.
                    int depth = random.Next(123, 128);
                    tensor.Fields!.Add(("\"deep\"", new string('[', depth) + new string(']', depth)));
                    break;
                case 15 when tensor is not null:
                    EditField(tensor, "\"dtype\"", v => "{" + v + ":null}");
                    break;
                case 16:
                    if (random.Next(2) == 0 || _data.Count == 0)
                    {
                        _data.Add((byte)random.Next(256));
                    }
                    else
                    {
                        _data.RemoveAt(_data.Count - 1);
                    }

                    break;
                case 18 when tensor is not null:
                    // The same value spelled another way: -0, 4.0, 4e0, 04. Only plain digits are integers.
                    EditField(tensor, random.Next(2) == 0 ? "\"shape\"" : "\"data_offsets\"", v => Respell(random, v));
                    break;
                case 19:
                    // Keys spelled with escapes still name the same field.
                    if (tensor is not null && tensor.Fields!.Count > 0 && random.Next(2) == 0)
                    {
                        int index = random.Next(tensor.Fields.Count);
                        string key = tensor.Fields[index].Field;
                        tensor.Fields[index] = ("\"" + $"\\u{(int)key[1]:x4}" + key.Substring(2), tensor.Fields[index].Value);
                    }
                    else
                    {
                        _members.Insert(random.Next(_members.Count + 1), new Member("\"__m\\u0065tadata__\"", "{\"a\":\"b\"}", null));
                    }

                    break;
                case 17:
                    long[] deltas = { -8, -1, 1, 8 };
                    _lengthDelta = deltas[random.Next(deltas.Length)];
                    break;
            }
        }

        public byte[] Serialize(Random random)
        {
            var json = new StringBuilder(_leading).Append('{');
            for (int i = 0; i < _members.Count; i++)
            {
                json.Append(i == 0 ? "" : ",").Append(_members[i].Name).Append(':').Append(_members[i].ToJson());
            }

            json.Append('}').Append(_trailing);
            byte[] header = Encoding.UTF8.GetBytes(json.ToString());
            int padding = _pad ? (8 - header.Length % 8) % 8 : 0;
            var file = new byte[8 + header.Length + padding + _data.Count];
            BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)(header.Length + padding + _lengthDelta));
            header.CopyTo(file, 8);
            file.AsSpan(8 + header.Length, padding).Fill((byte)' ');
            _data.CopyTo(file, 8 + header.Length + padding);
            return file;
        }

        private static void EditField(Member tensor, string field, Func<string, string> edit)
        {
            int index = tensor.Fields!.FindIndex(f => f.Field == field);
            if (index >= 0)
            {
                tensor.Fields[index] = (field, edit(tensor.Fields[index].Value));
            }
        }

        private static string ReplaceNumber(Random random, string array)
        {
            string[] parts = array.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                return "[" + BadNumbers[random.Next(BadNumbers.Length)] + "]";
            }

            parts[random.Next(parts.Length)] = BadNumbers[random.Next(BadNumbers.Length)];
            return "[" + string.Join(",", parts) + "]";
        }

        private static string Respell(Random random, string array)
        {
            string[] parts = array.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                return array;
            }

            int i = random.Next(parts.Length);
            string[] spellings = { "-" + parts[i], parts[i] + ".0", parts[i] + "e0", parts[i] + "E+0", "0" + parts[i], " " + parts[i] + " " };
            parts[i] = parts[i] == "0" && random.Next(2) == 0 ? "-0" : spellings[random.Next(spellings.Length)];
            return "[" + string.Join(",", parts) + "]";
        }

        private static string ShiftNumbers(string array, int shift, int which)
        {
            string[] parts = array.Trim('[', ']').Split(',');
            for (int i = 0; i < parts.Length; i++)
            {
                if ((which == 2 || which == i) && long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out long n))
                {
                    parts[i] = Math.Max(0, n + shift).ToString(CultureInfo.InvariantCulture);
                }
            }

            return "[" + string.Join(",", parts) + "]";
        }

        private void InsertSurrogate(Random random, Member? tensor)
        {
            string escape = Surrogates[random.Next(Surrogates.Length)];
            switch (random.Next(3))
            {
                case 0 when tensor is not null:
                    tensor.Name = tensor.Name.Insert(1 + random.Next(tensor.Name.Length - 1), escape);
                    break;
                case 1 when tensor is not null:
                    EditField(tensor, "\"dtype\"", v => v.Length >= 2 ? v.Insert(1 + random.Next(v.Length - 1), escape) : v);
                    break;
                default:
                    _members.Insert(random.Next(_members.Count + 1), new Member("\"__metadata__\"", random.Next(2) == 0 ? $"{{\"k{escape}\":\"v\"}}" : $"{{\"k\":\"v{escape}\"}}", null));
                    break;
            }
        }

        private sealed class Member(string name, string? raw, List<(string Field, string Value)>? fields)
        {
            public string Name { get; set; } = name;

            public string? Raw { get; set; } = raw;

            public List<(string Field, string Value)>? Fields { get; set; } = fields;

            public Member Clone() => new(Name, Raw, Fields is null ? null : new(Fields));

            public string ToJson() => Fields is null ? Raw! : "{" + string.Join(",", Fields.Select(f => f.Field + ":" + f.Value)) + "}";
        }
    }
}
