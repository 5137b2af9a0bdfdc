using System;
using System.Collections.Generic;
using System.Text;
using Xunit;

namespace Pathwise.Weights.Tests;

/// <summary>
/// One regression test per rule the reader shares with the reference implementation (the Rust crate
/// <c>safetensors</c>): each builds the smallest file that breaks the rule, checks the product's message, and
/// checks that <see cref="ReferenceReader"/> reaches the same verdict.
/// </summary>
public sealed class ReferenceRuleTests
{
    private const string Source = "rule.safetensors";

    [Fact]
    public void HeaderLengthOneTooSmall_WouldShiftEveryWeight_IsRejected()
    {
        // A writer pads the header with spaces; one byte less of header moves the data section one byte earlier,
        // which used to load every weight shifted by a byte.
        byte[] data = HandBuilt.F32(-0.1686f, 0.25f);
        byte[] good = HandBuilt.File("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  ", data);
        byte[] shifted = (byte[])good.Clone();
        shifted[0]--;

        Assert.Equal(-0.1686f, (float)SafeTensors.Read(good, Source)["w"].Values[0]);
        WeightsFormatException error = Rejects(shifted);

        Assert.Contains("data section has 1 bytes [8, 9) after the last tensor 'w'; the tensors must cover it exactly", error.Message);
    }

    [Fact]
    public void HeaderLengthOneTooLarge_IsATruncatedBody()
    {
        // The first data byte is a space (I32 32), so the longer header is still valid JSON.
        byte[] data = { 32, 0, 0, 0, 7, 0, 0, 0 };
        byte[] file = HandBuilt.File("{\"w\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}} ", data);
        file[0]++;

        Assert.Contains("truncated body: tensor 'w' needs bytes [0, 8) but the data section has 7 bytes", Rejects(file).Message);
    }

    [Fact]
    public void GapBeforeTheFirstTensor_IsRejected()
    {
        byte[] file = HandBuilt.File("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);

        Assert.Contains("data section has 4 unused bytes [0, 4) before the first tensor 'w'", Rejects(file).Message);
    }

    [Fact]
    public void GapBetweenTensors_IsRejected()
    {
        string header =
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";

        Assert.Contains("data section has 4 unused bytes [4, 8) between tensors 'a' and 'b'", Rejects(HandBuilt.File(header, new byte[12])).Message);
    }

    [Fact]
    public void BytesAfterTheLastTensor_AreRejected()
    {
        byte[] file = HandBuilt.File("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[6]);

        Assert.Contains("data section has 2 bytes [4, 6) after the last tensor 'w'", Rejects(file).Message);
    }

    [Fact]
    public void DataWithNoTensorToCoverIt_IsRejected()
    {
        Assert.Contains("data section has 3 bytes but the header lists no tensor to cover them", Rejects(HandBuilt.File("{}", new byte[3])).Message);
    }

    [Fact]
    public void EmptyTensorInsideAnotherTensorsBytes_IsRejected()
    {
        string header =
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";

        Assert.Contains("tensors 'a' and 'e' overlap: 'a' occupies [0, 8) and 'e' occupies [4, 4)", Rejects(HandBuilt.File(header, new byte[8])).Message);
    }

    [Fact]
    public void EmptyTensorsAtTensorBoundaries_AreAccepted()
    {
        string header =
            "{\"start\":{\"dtype\":\"F64\",\"shape\":[0,3],\"data_offsets\":[0,0]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
            "\"middle\":{\"dtype\":\"I32\",\"shape\":[2,0],\"data_offsets\":[4,4]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}," +
            "\"end\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[8,8]}}";

        IReadOnlyDictionary<string, TensorData> tensors = Accepts(HandBuilt.File(header, HandBuilt.F32(1.5f, -2f)));

        Assert.Equal(5, tensors.Count);
        Assert.Equal(new[] { 0, 3 }, tensors["start"].Shape);
        Assert.Equal(0, tensors["middle"].Values.Length);
        Assert.Equal(-2.0, tensors["b"].Values[0]);
    }

    [Theory]
    [InlineData("\"dtype\":\"F32\",\"dtype\":\"I32\"", "dtype")]
    [InlineData("\"dtype\":\"F32\",\"dtype\":\"F32\"", "dtype")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1],\"shape\":[1]", "shape")]
    [InlineData("\"dtype\":\"F32\",\"data_offsets\":[0,4],\"data_offsets\":[0,4]", "data_offsets")]
    public void FieldRepeatedInsideOneEntry_IsRejected(string fields, string repeated)
    {
        string header = "{\"w\":{" + fields + (fields.Contains("\"shape\"", StringComparison.Ordinal) ? "" : ",\"shape\":[1]")
            + (fields.Contains("data_offsets", StringComparison.Ordinal) ? "" : ",\"data_offsets\":[0,4]") + "}}";

        Assert.Contains($"tensor 'w' has '{repeated}' more than once", Rejects(HandBuilt.File(header, HandBuilt.F32(1))).Message);
    }

    [Theory]
    [InlineData("[-0,4]", "-0")]
    [InlineData("[0.0,4]", "0.0")]
    [InlineData("[0,4e0]", "4e0")]
    [InlineData("[0,4.0]", "4.0")]
    [InlineData("[0,18446744073709551616]", "18446744073709551616")]
    public void OffsetThatIsNotAPlainUnsignedInteger_IsRejected(string offsets, string bad)
    {
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + offsets + "}}";

        Assert.Contains($"= {bad}, not an integer in [0, 18446744073709551615]", Rejects(HandBuilt.File(header, HandBuilt.F32(1))).Message);
    }

    [Fact]
    public void NegativeZeroInAShape_IsRejected()
    {
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-0],\"data_offsets\":[0,0]}}";

        Assert.Contains("tensor 'w' has 'shape' element 0 = -0, not an integer", Rejects(HandBuilt.File(header, Array.Empty<byte>())).Message);
    }

    [Theory]
    [InlineData("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", "\\ud800")]
    [InlineData("{\"w\\udc00\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", "\\udc00")]
    [InlineData("{\"w\":{\"dtype\":\"F32\\ud800\",\"shape\":[0],\"data_offsets\":[0,0]}}", "\\ud800")]
    [InlineData("{\"__metadata__\":{\"\\ud800\":\"v\"}}", "\\ud800")]
    [InlineData("{\"__metadata__\":{\"k\":\"\\uDBFF\\u0041\"}}", "\\uDBFF")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"note\":[\"\\ud800\\ud800\"]}}", "\\ud800")]
    [InlineData("{\"\\ud800\":0}", "\\ud800")]
    public void LoneSurrogateEscape_AnywhereInTheHeader_IsAFormatError(string header, string escape)
    {
        WeightsFormatException error = Rejects(HandBuilt.File(header, Array.Empty<byte>()));

        Assert.Contains($"has the escape {escape}, a lone UTF-16 surrogate that is not a character", error.Message);
    }

    [Fact]
    public void SurrogatePairEscape_IsOneCharacter()
    {
        string header = "{\"\\ud83d\\ude00\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"__metadata__\":{\"k\\\\ud800\":\"\\uD83D\\uDE00\"}}";

        byte[] file = HandBuilt.File(header, HandBuilt.F32(3));

        Assert.Equal(3.0, Accepts(file)["\U0001F600"].Values[0]);
        Assert.Equal("\U0001F600", SafeTensors.ReadMetadata(file, Source)["k\\ud800"]);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e999")]
    [InlineData("1" + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    public void NumberBeyondADouble_EvenInAnIgnoredField_IsRejected(string number)
    {
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"note\":" + number + "}}";

        Assert.Contains("is out of the range of a double", Rejects(HandBuilt.File(header, Array.Empty<byte>())).Message);
    }

    [Fact]
    public void UnknownFieldsInAnEntry_AreIgnored_AsTheReferenceIgnoresThem()
    {
        string header = "{\"w\":{\"note\":{\"a\":[1e308,-0,null]},\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1e-400}}";

        Assert.Equal(7.0, Accepts(HandBuilt.File(header, HandBuilt.F32(7)))["w"].Values[0]);
    }

    [Fact]
    public void ByteOrderMark_IsRejected()
    {
        byte[] header = Encoding.UTF8.GetBytes("\uFEFF{}");

        Assert.Contains("header starts with a UTF-8 byte order mark", Rejects(HandBuilt.WithDeclaredLength((ulong)header.Length, header, default)).Message);
    }

    [Theory]
    [InlineData(" \t\r\n{} \t\r\n")]
    [InlineData("{}        ")]
    [InlineData("\n{}")]
    public void JsonWhitespaceAroundTheHeader_IsAccepted(string header)
    {
        Assert.Empty(Accepts(HandBuilt.File(header, Array.Empty<byte>())));
    }

    [Theory]
    [InlineData("{}\0\0")]
    [InlineData("\u00A0{}")]
    [InlineData("{} {}")]
    public void OtherPaddingAroundTheHeader_IsRejected(string header)
    {
        Assert.Contains("header is not valid JSON", Rejects(HandBuilt.File(header, Array.Empty<byte>())).Message);
    }

    [Theory]
    [InlineData(125, true)]
    [InlineData(126, false)]
    public void NestingDepth_FollowsTheReferenceLimitOf127(int arrays, bool accepted)
    {
        // The root object and the entry are two levels; the arrays make 127 or 128.
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"deep\":" + new string('[', arrays) + new string(']', arrays) + "}}";
        byte[] file = HandBuilt.File(header, Array.Empty<byte>());

        if (accepted)
        {
            Accepts(file);
        }
        else
        {
            Assert.Contains("header is not valid JSON", Rejects(file).Message);
        }
    }

    [Fact]
    public void ShapeWhoseProductOverflows64Bits_IsRejected_EvenWithALaterZero()
    {
        // 2147483647² × 5 passes 2^64 before the 0 is reached; the reference fails there.
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,5,0],\"data_offsets\":[0,0]}}";

        Assert.Contains("needs more bytes than a file can hold", Rejects(HandBuilt.File(header, Array.Empty<byte>())).Message);
    }

    [Fact]
    public void HugeButEmptyShapeWithin64Bits_IsAnEmptyTensor()
    {
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,3,0],\"data_offsets\":[0,0]}}";

        TensorData tensor = Accepts(HandBuilt.File(header, Array.Empty<byte>()))["w"];

        Assert.Equal(new[] { int.MaxValue, int.MaxValue, 3, 0 }, tensor.Shape);
        Assert.Equal(0, tensor.Values.Length);
    }

    [Fact]
    public void EmptyTensorWithADimensionAboveIntMax_IsValidButNotRepresentable()
    {
        string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0,4294967296],\"data_offsets\":[0,0]}}";
        byte[] file = HandBuilt.File(header, Array.Empty<byte>());

        Assert.Equal(Verdict.Unreadable, ReferenceReader.Read(file).Verdict);
        WeightsFormatException error = Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(file, Source));
        Assert.Contains("tensor 'w' has dimension 4294967296 at index 1 in shape [0, 4294967296], larger than 2147483647, which Pathwise cannot represent", error.Message);
    }

    [Fact]
    public void ValidFileWithADTypePathwiseDoesNotDecode_IsNamedAsSuch()
    {
        byte[] file = HandBuilt.File("{\"w\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[3]);

        Assert.Equal(Verdict.Unreadable, ReferenceReader.Read(file).Verdict);
        Assert.Contains("tensor 'w' has dtype 'U8', which Pathwise cannot read", Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(file, Source)).Message);
    }

    [Fact]
    public void DuplicateMetadataKey_IsRejected()
    {
        Assert.Contains("'__metadata__' entry 'a' appears more than once", Rejects(HandBuilt.File("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", Array.Empty<byte>())).Message);
    }

    [Fact]
    public void NullMetadata_IsNoMetadata()
    {
        byte[] file = HandBuilt.File("{\"__metadata__\":null}", Array.Empty<byte>());

        Accepts(file);
        Assert.Empty(SafeTensors.ReadMetadata(file, Source));
    }

    [Theory]
    [InlineData("{\"w\":[\"F32\",[1],[0,4]]}", "tensor 'w' must be an object with dtype, shape and data_offsets, found an array")]
    [InlineData("{\"w\":{\"dtype\":{\"F32\":null},\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'w' has a 'dtype' that is an object, not a string")]
    public void SerdeOnlyForms_AreRejected_AsTheFormatDefinesNeither(string header, string problem)
    {
        // The Rust crate's serde derive would take these; the format's README defines an entry as a dict with a string dtype.
        Assert.Contains(problem, Rejects(HandBuilt.File(header, HandBuilt.F32(1))).Message);
    }

    private static WeightsFormatException Rejects(byte[] file)
    {
        ReaderFuzzTests.Judge(file, ReferenceReader.Read(file), "regression");
        Assert.Equal(Verdict.Reject, ReferenceReader.Read(file).Verdict);
        WeightsFormatException error = Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(file, Source));
        Assert.StartsWith($"Invalid safetensors file '{Source}': ", error.Message);
        return error;
    }

    private static IReadOnlyDictionary<string, TensorData> Accepts(byte[] file)
    {
        ReferenceResult reference = ReferenceReader.Read(file);
        Assert.Equal(Verdict.Accept, reference.Verdict);
        ReaderFuzzTests.Judge(file, reference, "regression");
        return SafeTensors.Read(file, Source);
    }
}
