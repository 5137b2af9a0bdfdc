using System;
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pathwise.Weights;

/// <summary>
/// Parses a safetensors header as the reference implementation's JSON parser (<c>serde_json</c>) does, and
/// refuses what it refuses: invalid UTF-8, a byte order mark, escapes that decode to a lone UTF-16 surrogate,
/// numbers beyond the range of a double, and more than <see cref="MaxDepth"/> nested arrays or objects.
/// </summary>
/// <remarks>
/// <see cref="JsonDocument"/> alone accepts all of these (the surrogates then throw
/// <see cref="InvalidOperationException"/> when a string is read), so one token pass checks every string and
/// number in the header, including values of fields the reader otherwise ignores.
/// </remarks>
internal static class HeaderJson
{
    /// <summary><c>serde_json</c> refuses the 128th nested array or object.</summary>
    public const int MaxDepth = 127;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Checks and parses <paramref name="header"/>; the document's strings can all be read as UTF-16.</summary>
    /// <exception cref="WeightsFormatException">The header is not JSON that the reference implementation reads.</exception>
    public static JsonDocument Parse(byte[] header, string sourceName)
    {
        int invalidAt = FindInvalidUtf8(header);
        if (invalidAt >= 0)
        {
            throw new WeightsFormatException(sourceName, $"header is not valid UTF-8: invalid byte 0x{header[invalidAt]:X2} at header offset {invalidAt}");
        }

        if (header.AsSpan().StartsWith("\uFEFF"u8))
        {
            throw new WeightsFormatException(sourceName, "header starts with a UTF-8 byte order mark; it must start with '{'");
        }

        try
        {
            CheckTokens(header, sourceName);
            return JsonDocument.Parse(header, DocumentOptions);
        }
        catch (JsonException exception)
        {
            throw new WeightsFormatException(sourceName, $"header is not valid JSON: {exception.Message}", exception);
        }
    }

    private static void CheckTokens(byte[] header, string sourceName)
    {
        var reader = new Utf8JsonReader(header, ReaderOptions);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName or JsonTokenType.String when reader.ValueIsEscaped:
                    int surrogate = FindLoneSurrogateEscape(reader.ValueSpan);
                    if (surrogate >= 0)
                    {
                        string escape = Encoding.ASCII.GetString(reader.ValueSpan.Slice(surrogate, 6));
                        throw new WeightsFormatException(
                            sourceName,
                            $"header string at offset {reader.TokenStartIndex} has the escape {escape}, a lone UTF-16 surrogate that is not a character");
                    }

                    break;
                case JsonTokenType.Number:
                    if (!double.TryParse(reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                    {
                        throw new WeightsFormatException(
                            sourceName,
                            $"header number {Encoding.ASCII.GetString(reader.ValueSpan)} at offset {reader.TokenStartIndex} is out of the range of a double");
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// The index in <paramref name="escaped"/> (a string's raw bytes between the quotes) of the first
    /// <c>\uXXXX</c> escape naming a surrogate that is not part of a high-low pair, or -1.
    /// </summary>
    private static int FindLoneSurrogateEscape(ReadOnlySpan<byte> escaped)
    {
        int i = 0;
        while (i < escaped.Length)
        {
            if (escaped[i] != (byte)'\\')
            {
                i++;
                continue;
            }

            if (escaped[i + 1] != (byte)'u')
            {
                i += 2;
                continue;
            }

            int unit = HexValue(escaped.Slice(i + 2, 4));
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return i;
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                bool paired = i + 12 <= escaped.Length
                    && escaped[i + 6] == (byte)'\\'
                    && escaped[i + 7] == (byte)'u'
                    && HexValue(escaped.Slice(i + 8, 4)) is >= 0xDC00 and <= 0xDFFF;
                if (!paired)
                {
                    return i;
                }

                i += 12;
                continue;
            }

            i += 6;
        }

        return -1;
    }

    // The reader has already checked that an escape's four characters are hex digits.
    private static int HexValue(ReadOnlySpan<byte> hex) =>
        int.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

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
}
