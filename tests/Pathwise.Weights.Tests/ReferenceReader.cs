using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Pathwise.Weights.Tests;

/// <summary>What the reference reader decides about a file.</summary>
internal enum Verdict
{
    /// <summary>The format accepts the file, and Pathwise can hold every tensor in it.</summary>
    Accept,

    /// <summary>The format (the Rust crate <c>safetensors</c>, or its specification where noted) rejects the file.</summary>
    Reject,

    /// <summary>
    /// The file is valid, but Pathwise cannot hold it: a dtype it does not decode (<c>U8</c>, <c>F8_E4M3</c>, ...)
    /// or a dimension above <see cref="int.MaxValue"/> (possible only in an empty tensor).
    /// </summary>
    Unreadable,
}

/// <summary>One tensor as the reference reader decodes it.</summary>
internal sealed record ReferenceTensor(string Name, string DType, ulong[] Shape, double[] Values);

/// <summary>The reference reader's decision, with the tensors and metadata when it accepts.</summary>
internal sealed record ReferenceResult(Verdict Verdict, string Reason, List<ReferenceTensor> Tensors, Dictionary<string, string> Metadata);

/// <summary>
/// A small, strict safetensors reader written from the format's README and the Rust crate's
/// <c>SafeTensors::read_metadata</c> / <c>Metadata::validate</c> (huggingface/safetensors, safetensors/src/tensor.rs)
/// with its JSON parser's rules (serde_json), independently of the product's reader. It has its own JSON parser
/// and its own element decoding, and shares no code with <c>Pathwise.Weights</c>.
/// </summary>
/// <remarks>
/// Where the Rust crate is more lenient than the format's README, this reader follows the README and says so:
/// duplicate keys ("Duplicate keys are disallowed"; serde keeps the last one), a tensor entry written as a JSON
/// array or a dtype written as <c>{"F32":null}</c> (serde artifacts; the README's header is a dict of dicts
/// with string dtypes).
/// </remarks>
internal static class ReferenceReader
{
    private const ulong MaxHeaderSize = 100_000_000;

    /// <summary>serde_json's recursion limit: the 128th nested array or object fails.</summary>
    private const int MaxNesting = 127;

    /// <summary>The crate's <c>Dtype</c> enum with <c>bitsize()</c>.</summary>
    private static readonly Dictionary<string, int> DTypeBits = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8, ["F4"] = 4, ["F6_E2M3"] = 6, ["F6_E3M2"] = 6, ["U8"] = 8, ["I8"] = 8,
        ["F8_E5M2"] = 8, ["F8_E4M3"] = 8, ["F8_E8M0"] = 8, ["F8_E4M3FNUZ"] = 8, ["F8_E5M2FNUZ"] = 8,
        ["I16"] = 16, ["U16"] = 16, ["F16"] = 16, ["BF16"] = 16, ["I32"] = 32, ["U32"] = 32, ["F32"] = 32,
        ["C64"] = 64, ["F64"] = 64, ["I64"] = 64, ["U64"] = 64,
    };

    private static readonly HashSet<string> PathwiseDTypes = new(StringComparer.Ordinal) { "F16", "BF16", "F32", "F64", "I64", "I32" };

    public static ReferenceResult Read(byte[] file)
    {
        try
        {
            return ReadOrThrow(file);
        }
        catch (Rejected rejected)
        {
            return new ReferenceResult(Verdict.Reject, rejected.Message, new(), new());
        }
    }

    private static ReferenceResult ReadOrThrow(byte[] file)
    {
        if (file.Length < 8)
        {
            throw new Rejected("header too small");
        }

        ulong n = 0;
        for (int i = 7; i >= 0; i--)
        {
            n = (n << 8) | file[i];
        }

        if (n > MaxHeaderSize)
        {
            throw new Rejected("header too large");
        }

        if (8 + n > (ulong)file.Length)
        {
            throw new Rejected("invalid header length");
        }

        string headerText;
        try
        {
            headerText = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(file, 8, (int)n);
        }
        catch (ArgumentException)
        {
            throw new Rejected("header is not UTF-8");
        }

        object root = new JsonParser(headerText).ParseDocument();
        if (root is not List<KeyValuePair<string, object>> members)
        {
            throw new Rejected("header is not an object");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<(string Name, string DType, ulong[] Shape, ulong Begin, ulong End)>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string key, object value) in members)
        {
            if (!keys.Add(key))
            {
                throw new Rejected("duplicate key (README: disallowed)");
            }

            if (key == "__metadata__")
            {
                ReadMetadata(value, metadata);
                continue;
            }

            if (value is not List<KeyValuePair<string, object>> fields)
            {
                throw new Rejected("tensor entry is not an object");
            }

            object? dtype = null, shape = null, offsets = null;
            foreach ((string field, object fieldValue) in fields)
            {
                switch (field)
                {
                    case "dtype": dtype = dtype is null ? fieldValue : throw new Rejected("duplicate field dtype"); break;
                    case "shape": shape = shape is null ? fieldValue : throw new Rejected("duplicate field shape"); break;
                    case "data_offsets": offsets = offsets is null ? fieldValue : throw new Rejected("duplicate field data_offsets"); break;
                }
            }

            if (dtype is not JsonString { Value: var dtypeName } || !DTypeBits.ContainsKey(dtypeName))
            {
                throw new Rejected("missing or unknown dtype");
            }

            ulong[] dims = UnsignedArray(shape ?? throw new Rejected("missing shape"));
            ulong[] pair = UnsignedArray(offsets ?? throw new Rejected("missing data_offsets"));
            if (pair.Length != 2)
            {
                throw new Rejected("data_offsets is not a pair");
            }

            entries.Add((key, dtypeName, dims, pair[0], pair[1]));
        }

        // Metadata::validate, on the entries sorted by (begin, end).
        entries.Sort((left, right) => left.Begin != right.Begin ? left.Begin.CompareTo(right.Begin) : left.End.CompareTo(right.End));
        ulong start = 0;
        foreach (var entry in entries)
        {
            if (entry.Begin != start || entry.End < entry.Begin)
            {
                throw new Rejected($"invalid offset for {entry.Name}");
            }

            start = entry.End;
            ulong elements = 1;
            foreach (ulong dim in entry.Shape)
            {
                BigInteger product = (BigInteger)elements * dim;
                if (product > ulong.MaxValue)
                {
                    throw new Rejected("validation overflow (elements)");
                }

                elements = (ulong)product;
            }

            BigInteger bits = (BigInteger)elements * DTypeBits[entry.DType];
            if (bits > ulong.MaxValue)
            {
                throw new Rejected("validation overflow (bits)");
            }

            if (bits % 8 != 0)
            {
                throw new Rejected("misaligned slice");
            }

            if (entry.End - entry.Begin != (ulong)(bits / 8))
            {
                throw new Rejected("tensor invalid info");
            }
        }

        if (start + 8 + n != (ulong)file.Length)
        {
            throw new Rejected("metadata incomplete buffer");
        }

        foreach (var entry in entries)
        {
            if (!PathwiseDTypes.Contains(entry.DType))
            {
                return new ReferenceResult(Verdict.Unreadable, $"dtype {entry.DType}", new(), new());
            }

            foreach (ulong dim in entry.Shape)
            {
                if (dim > int.MaxValue)
                {
                    return new ReferenceResult(Verdict.Unreadable, $"dimension {dim}", new(), new());
                }
            }
        }

        var tensors = new List<ReferenceTensor>();
        int dataStart = 8 + (int)n;
        foreach (var entry in entries)
        {
            tensors.Add(new ReferenceTensor(entry.Name, entry.DType, entry.Shape, Decode(entry.DType, file, dataStart + (int)entry.Begin, (int)(entry.End - entry.Begin))));
        }

        return new ReferenceResult(Verdict.Accept, "", tensors, metadata);
    }

    private static void ReadMetadata(object value, Dictionary<string, string> metadata)
    {
        if (value is JsonLiteral { Text: "null" })
        {
            return;
        }

        if (value is not List<KeyValuePair<string, object>> items)
        {
            throw new Rejected("__metadata__ is not an object");
        }

        foreach ((string key, object item) in items)
        {
            if (item is not JsonString text)
            {
                throw new Rejected("__metadata__ value is not a string");
            }

            if (!metadata.TryAdd(key, text.Value))
            {
                throw new Rejected("duplicate __metadata__ key (README: disallowed)");
            }
        }
    }

    /// <summary>A JSON array of usize: serde_json reads only plain digit runs as unsigned integers.</summary>
    private static ulong[] UnsignedArray(object value)
    {
        if (value is not List<object> items)
        {
            throw new Rejected("not an array");
        }

        var result = new ulong[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonNumber number)
            {
                throw new Rejected("not a number");
            }

            foreach (char c in number.Text)
            {
                if (c is < '0' or > '9')
                {
                    throw new Rejected("not an unsigned integer");
                }
            }

            BigInteger big = BigInteger.Parse(number.Text, CultureInfo.InvariantCulture);
            if (big > ulong.MaxValue)
            {
                throw new Rejected("integer beyond u64");
            }

            result[i] = (ulong)big;
        }

        return result;
    }

    private static double[] Decode(string dtype, byte[] file, int offset, int length)
    {
        int size = DTypeBits[dtype] / 8;
        var values = new double[length / size];
        for (int i = 0; i < values.Length; i++)
        {
            ulong bits = 0;
            for (int b = size - 1; b >= 0; b--)
            {
                bits = (bits << 8) | file[offset + i * size + b];
            }

            values[i] = dtype switch
            {
                "F16" => HalfToDouble((ushort)bits),
                "BF16" => BitConverter.Int32BitsToSingle((int)(bits << 16)),
                "F32" => BitConverter.Int32BitsToSingle((int)bits),
                "F64" => BitConverter.Int64BitsToDouble((long)bits),
                "I32" => (int)bits,
                "I64" => (long)bits,
                _ => throw new InvalidOperationException(dtype),
            };
        }

        return values;
    }

    /// <summary>IEEE binary16: sign, 5-bit exponent (bias 15), 10-bit fraction.</summary>
    private static double HalfToDouble(ushort bits)
    {
        int sign = bits >> 15;
        int exponent = (bits >> 10) & 0x1F;
        int fraction = bits & 0x3FF;
        double magnitude = exponent switch
        {
            0 => Math.ScaleB(fraction, -24),
            31 => fraction == 0 ? double.PositiveInfinity : double.NaN,
            _ => Math.ScaleB(1024 + fraction, exponent - 25),
        };
        return sign == 1 ? -magnitude : magnitude;
    }

    private sealed class Rejected(string reason) : Exception(reason);

    private sealed record JsonString(string Value);

    private sealed record JsonNumber(string Text);

    private sealed record JsonLiteral(string Text);

    /// <summary>
    /// RFC 8259 JSON with serde_json's extra refusals: escapes naming a lone surrogate, numbers whose value
    /// overflows a double, more than 127 nested containers. Objects are lists of members, in order, duplicates kept.
    /// </summary>
    private sealed class JsonParser(string text)
    {
        private int _at;

        public object ParseDocument()
        {
            SkipWhitespace();
            object value = ParseValue(0);
            SkipWhitespace();
            if (_at != text.Length)
            {
                throw new Rejected("trailing characters");
            }

            return value;
        }

        private object ParseValue(int depth)
        {
            if (_at >= text.Length)
            {
                throw new Rejected("unexpected end");
            }

            char c = text[_at];
            if (c is '{' or '[')
            {
                if (depth + 1 > MaxNesting)
                {
                    throw new Rejected("recursion limit");
                }

                return c == '{' ? ParseObject(depth + 1) : ParseArray(depth + 1);
            }

            if (c == '"')
            {
                return new JsonString(ParseString());
            }

            if (c == '-' || c is >= '0' and <= '9')
            {
                return ParseNumber();
            }

            foreach (string literal in new[] { "true", "false", "null" })
            {
                if (string.CompareOrdinal(text, _at, literal, 0, literal.Length) == 0)
                {
                    _at += literal.Length;
                    return new JsonLiteral(literal);
                }
            }

            throw new Rejected("unexpected character");
        }

        private List<KeyValuePair<string, object>> ParseObject(int depth)
        {
            var members = new List<KeyValuePair<string, object>>();
            _at++;
            SkipWhitespace();
            if (Peek() == '}')
            {
                _at++;
                return members;
            }

            while (true)
            {
                SkipWhitespace();
                if (Peek() != '"')
                {
                    throw new Rejected("expected a key");
                }

                string key = ParseString();
                SkipWhitespace();
                Expect(':');
                SkipWhitespace();
                members.Add(new(key, ParseValue(depth)));
                SkipWhitespace();
                if (Peek() == ',')
                {
                    _at++;
                    continue;
                }

                Expect('}');
                return members;
            }
        }

        private List<object> ParseArray(int depth)
        {
            var items = new List<object>();
            _at++;
            SkipWhitespace();
            if (Peek() == ']')
            {
                _at++;
                return items;
            }

            while (true)
            {
                SkipWhitespace();
                items.Add(ParseValue(depth));
                SkipWhitespace();
                if (Peek() == ',')
                {
                    _at++;
                    continue;
                }

                Expect(']');
                return items;
            }
        }

        private string ParseString()
        {
            var builder = new StringBuilder();
            _at++;
            while (true)
            {
                if (_at >= text.Length)
                {
                    throw new Rejected("unterminated string");
                }

                char c = text[_at++];
                if (c == '"')
                {
                    return builder.ToString();
                }

                if (c < 0x20)
                {
                    throw new Rejected("control character in string");
                }

                if (c != '\\')
                {
                    builder.Append(c);
                    continue;
                }

                char escape = _at < text.Length ? text[_at++] : throw new Rejected("unterminated escape");
                switch (escape)
                {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        int unit = Hex4();
                        if (unit is >= 0xDC00 and <= 0xDFFF)
                        {
                            throw new Rejected("lone trailing surrogate");
                        }

                        if (unit is >= 0xD800 and <= 0xDBFF)
                        {
                            if (_at + 1 >= text.Length || text[_at] != '\\' || text[_at + 1] != 'u')
                            {
                                throw new Rejected("lone leading surrogate");
                            }

                            _at += 2;
                            int low = Hex4();
                            if (low is < 0xDC00 or > 0xDFFF)
                            {
                                throw new Rejected("lone leading surrogate");
                            }

                            builder.Append((char)unit).Append((char)low);
                        }
                        else
                        {
                            builder.Append((char)unit);
                        }

                        break;
                    default:
                        throw new Rejected("invalid escape");
                }
            }
        }

        private int Hex4()
        {
            if (_at + 4 > text.Length)
            {
                throw new Rejected("short hex escape");
            }

            int value = 0;
            for (int i = 0; i < 4; i++)
            {
                char h = text[_at++];
                int digit = h is >= '0' and <= '9' ? h - '0' : h is >= 'a' and <= 'f' ? h - 'a' + 10 : h is >= 'A' and <= 'F' ? h - 'A' + 10 : -1;
                if (digit < 0)
                {
                    throw new Rejected("bad hex digit");
                }

                value = value * 16 + digit;
            }

            return value;
        }

        private JsonNumber ParseNumber()
        {
            int start = _at;
            if (Peek() == '-')
            {
                _at++;
            }

            if (Peek() == '0')
            {
                _at++;
            }
            else if (Peek() is >= '1' and <= '9')
            {
                SkipDigits();
            }
            else
            {
                throw new Rejected("bad number");
            }

            if (Peek() == '.')
            {
                _at++;
                if (Peek() is < '0' or > '9')
                {
                    throw new Rejected("bad fraction");
                }

                SkipDigits();
            }

            if (Peek() is 'e' or 'E')
            {
                _at++;
                if (Peek() is '+' or '-')
                {
                    _at++;
                }

                if (Peek() is < '0' or > '9')
                {
                    throw new Rejected("bad exponent");
                }

                SkipDigits();
            }

            string number = text.Substring(start, _at - start);
            if (!double.IsFinite(double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture)))
            {
                throw new Rejected("number out of range");
            }

            return new JsonNumber(number);
        }

        private void SkipDigits()
        {
            while (Peek() is >= '0' and <= '9')
            {
                _at++;
            }
        }

        private void SkipWhitespace()
        {
            while (Peek() is ' ' or '\t' or '\n' or '\r')
            {
                _at++;
            }
        }

        private char Peek() => _at < text.Length ? text[_at] : '\0';

        private void Expect(char c)
        {
            if (Peek() != c || _at >= text.Length)
            {
                throw new Rejected($"expected '{c}'");
            }

            _at++;
        }
    }
}
