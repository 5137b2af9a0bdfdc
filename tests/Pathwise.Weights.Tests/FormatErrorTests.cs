using System;
using System.IO;
using System.Text;
using Xunit;

namespace Pathwise.Weights.Tests;

public sealed class FormatErrorTests
{
    private const string Source = "bad.safetensors";
    private const string JsonCharacters = "{}[],:\"0123456789-. ";

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(7)]
    public void FileShorterThanEightBytes(int length)
    {
        WeightsFormatException error = ReadFails(new byte[length]);

        Assert.Contains($"file is {length} bytes long, shorter than the 8-byte header length prefix", error.Message);
    }

    [Fact]
    public void HeaderLengthLargerThanTheFile()
    {
        byte[] file = HandBuilt.WithDeclaredLength(1000, Encoding.UTF8.GetBytes("{}"), ReadOnlySpan<byte>.Empty);

        WeightsFormatException error = ReadFails(file);

        Assert.Contains("header length 1000 is larger than the file: only 2 bytes follow the 8-byte prefix", error.Message);
    }

    [Fact]
    public void HeaderLengthNearULongMax_DoesNotOverflow()
    {
        byte[] file = HandBuilt.WithDeclaredLength(ulong.MaxValue, Encoding.UTF8.GetBytes("{}"), ReadOnlySpan<byte>.Empty);

        Assert.Contains($"header length {ulong.MaxValue} is larger than the file", ReadFails(file).Message);
    }

    [Theory]
    [InlineData("{\"x\":{\"dtype\":\"F32\"")]
    [InlineData("not json at all")]
    [InlineData("{\"x\":1,}")]
    public void HeaderNotValidJson(string header)
    {
        WeightsFormatException error = ReadFails(HandBuilt.File(header, ReadOnlySpan<byte>.Empty));

        Assert.Contains("header is not valid JSON", error.Message);
        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public void HeaderNotValidUtf8()
    {
        byte[] file = HandBuilt.WithDeclaredLength(4, new byte[] { (byte)'"', 0xC3, 0x28, (byte)'"' }, ReadOnlySpan<byte>.Empty);

        Assert.Contains("header is not valid UTF-8: invalid byte 0xC3 at header offset 1", ReadFails(file).Message);
    }

    [Fact]
    public void HeaderNotAnObject()
    {
        Assert.Contains("header must be a JSON object, found an array", ReadFails(HandBuilt.File("[1, 2]", ReadOnlySpan<byte>.Empty)).Message);
    }

    [Theory]
    [InlineData("dtype", "{\"fc.weight\":{\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("shape", "{\"fc.weight\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}")]
    [InlineData("data_offsets", "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1]}}")]
    public void TensorEntryMissingAField(string field, string header)
    {
        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[4]));

        Assert.Contains($"tensor 'fc.weight' is missing '{field}'", error.Message);
    }

    [Fact]
    public void TensorEntryNotAnObject()
    {
        WeightsFormatException error = ReadFails(HandBuilt.File("{\"fc.weight\":[1,2]}", ReadOnlySpan<byte>.Empty));

        Assert.Contains("tensor 'fc.weight' must be an object with dtype, shape and data_offsets, found an array", error.Message);
    }

    [Theory]
    [InlineData("f32")]
    [InlineData("F33")]
    public void UnknownDType(string dtype)
    {
        string header = $"{{\"fc.weight\":{{\"dtype\":\"{dtype}\",\"shape\":[4],\"data_offsets\":[0,4]}}}}";

        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[4]));

        Assert.Contains($"tensor 'fc.weight' has unsupported dtype '{dtype}' (supported: F16, BF16, F32, F64, I64, I32)", error.Message);
    }

    [Theory]
    [InlineData("U8")]
    [InlineData("F8_E4M3")]
    [InlineData("BOOL")]
    public void DTypeOfTheFormatThatPathwiseCannotRead(string dtype)
    {
        string header = $"{{\"fc.weight\":{{\"dtype\":\"{dtype}\",\"shape\":[4],\"data_offsets\":[0,4]}}}}";

        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[4]));

        Assert.Contains($"tensor 'fc.weight' has dtype '{dtype}', which Pathwise cannot read (supported: F16, BF16, F32, F64, I64, I32)", error.Message);
    }

    [Fact]
    public void DataOffsetsOutsideTheDataSection_IsATruncatedBody()
    {
        string header = "{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";

        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[10]));

        Assert.Contains("truncated body: tensor 'fc.bias' needs bytes [0, 16) but the data section has 10 bytes", error.Message);
    }

    [Fact]
    public void OffsetsNotMatchingDTypeSizeTimesShape()
    {
        string header = "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}";

        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[24]));

        Assert.Contains(
            "tensor 'fc.weight' has data_offsets [0, 16) spanning 16 bytes, but dtype F32 (4 bytes) × shape [2, 3] needs 24 bytes",
            error.Message);
    }

    [Fact]
    public void ShapeWhoseByteCountOverflows()
    {
        string header = "{\"huge\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}";

        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[8]));

        Assert.Contains("tensor 'huge'", error.Message);
        Assert.Contains("needs more bytes than a file can hold", error.Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        string header =
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}";

        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[24]));

        Assert.Contains("tensors 'a' and 'b' overlap: 'a' occupies [0, 16) and 'b' occupies [8, 24)", error.Message);
    }

    [Fact]
    public void NegativeDimension()
    {
        string header = "{\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,24]}}";

        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[24]));

        Assert.Contains("tensor 'conv.weight' has 'shape' element 1 = -3, not an integer in [0, 18446744073709551615]", error.Message);
    }

    [Theory]
    [InlineData("[0,4,8]", "has 3 data_offsets; expected exactly 2, [begin, end]")]
    [InlineData("[8,4]", "has invalid data_offsets [8, 4): begin must be no greater than end")]
    [InlineData("[0,4.5]", "has 'data_offsets' element 1 = 4.5, not an integer")]
    [InlineData("\"0,4\"", "has a 'data_offsets' that is a string, not an array of integers")]
    public void MalformedDataOffsets(string offsets, string problem)
    {
        string header = $"{{\"x\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{offsets}}}}}";

        WeightsFormatException error = ReadFails(HandBuilt.File(header, new byte[8]));

        Assert.Contains($"tensor 'x' {problem}", error.Message);
    }

    [Fact]
    public void DuplicateTensorName()
    {
        string entry = "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";

        WeightsFormatException error = ReadFails(HandBuilt.File("{" + entry + "," + entry + "}", new byte[4]));

        Assert.Contains("tensor 'x' appears more than once in the header", error.Message);
    }

    [Fact]
    public void MetadataValueNotAString()
    {
        WeightsFormatException error = ReadFails(HandBuilt.File("{\"__metadata__\":{\"epoch\":12}}", ReadOnlySpan<byte>.Empty));

        Assert.Contains("'__metadata__' entry 'epoch' must be a string, found a number", error.Message);
    }

    [Fact]
    public void ReadFromPath_NamesTheFile_AndReadMetadataValidatesToo()
    {
        using var dir = new TempDirectory();
        string path = dir.File("broken.safetensors");
        string header = "{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        File.WriteAllBytes(path, HandBuilt.File(header, new byte[10]));

        WeightsFormatException read = Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(path));
        WeightsFormatException metadata = Assert.Throws<WeightsFormatException>(() => SafeTensors.ReadMetadata(path));

        Assert.StartsWith($"Invalid safetensors file '{path}': truncated body: tensor 'fc.bias'", read.Message);
        Assert.Equal(path, read.SourceName);
        Assert.Equal(read.Message, metadata.Message);
    }

    [Fact]
    public void EveryTruncation_OfAValidFile_FailsWithAFormatError()
    {
        byte[] file = SafeTensors.Serialize(new[]
        {
            new TensorData("a", new[] { 2, 2 }, new[] { 1.0, 2.0, 3.0, 4.0 }),
            new TensorData("b", new[] { 3 }, new[] { 5.0, 6.0, 7.0 }),
        });

        for (int length = 0; length < file.Length; length++)
        {
            Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(file.AsSpan(0, length), Source));
        }

        Assert.Equal(2, SafeTensors.Read(file, Source).Count);
    }

    [Fact]
    public void CorruptedBytes_EitherLoadOrFailWithAFormatError_NeverAnotherException()
    {
        byte[] original = SafeTensors.Serialize(new[]
        {
            new TensorData("layer.weight", new[] { 2, 3 }, new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }),
            new TensorData("layer.bias", new[] { 2 }, new[] { 0.5, -0.5 }),
        }, TensorDType.F16, new System.Collections.Generic.Dictionary<string, string> { ["format"] = "pt" });
        var random = new Random(20240601);

        for (int trial = 0; trial < 5000; trial++)
        {
            byte[] corrupted = (byte[])original.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly the prefix and header, where the parser lives; sometimes the data.
                int headerEnd = 8 + (int)BitConverter.ToUInt64(original, 0);
                int at = random.Next(4) == 0 ? random.Next(corrupted.Length) : random.Next(headerEnd);
                corrupted[at] = random.Next(2) == 0 ? (byte)random.Next(256) : (byte)JsonCharacters[random.Next(JsonCharacters.Length)];
            }

            try
            {
                SafeTensors.Read(corrupted, Source);
            }
            catch (WeightsFormatException)
            {
            }
        }
    }

    private static WeightsFormatException ReadFails(byte[] file)
    {
        WeightsFormatException error = Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(file, Source));
        Assert.StartsWith($"Invalid safetensors file '{Source}': ", error.Message);
        Assert.Equal(Source, error.SourceName);
        return error;
    }
}
