using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace Pathwise.Weights.Tests;

/// <summary>Files built byte by byte from the format description, as PyTorch's <c>safetensors.torch.save_file</c> lays them out.</summary>
public sealed class InteropTests
{
    [Fact]
    public void Write_ProducesTheReferenceLayout_ByteForByte()
    {
        // Compact JSON, __metadata__ first, tensors sorted by name, offsets contiguous from 0,
        // header (138 bytes) padded with 6 spaces to 144 = 0x90.
        const string header =
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}" +
            "      ";
        byte[] expected = new byte[] { 0x90, 0, 0, 0, 0, 0, 0, 0 }
            .Concat(Encoding.ASCII.GetBytes(header))
            .Concat(new byte[] { 0x00, 0x00, 0x00, 0x3F })  // a = 0.5f
            .Concat(new byte[] { 0x00, 0x00, 0x80, 0x3F })  // b[0] = 1.0f
            .Concat(new byte[] { 0x00, 0x00, 0x00, 0xC0 })  // b[1] = -2.0f
            .ToArray();
        Assert.Equal(144, header.Length);

        using var dir = new TempDirectory();
        string path = dir.File("ref.safetensors");
        TensorData[] tensors =
        {
            TensorData.From("b", new[] { 2 }, new[] { 1.0f, -2.0f }),
            TensorData.From("a", Array.Empty<int>(), new[] { 0.5f }),
        };
        SafeTensors.Write(path, tensors, TensorDType.F32, new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Write_WithoutMetadataOrTensors_IsAnEmptyObjectPaddedToEightBytes()
    {
        byte[] expected = new byte[] { 8, 0, 0, 0, 0, 0, 0, 0 }.Concat(Encoding.ASCII.GetBytes("{}      ")).ToArray();

        Assert.Equal(expected, SafeTensors.Serialize(Array.Empty<TensorData>()));
    }

    [Fact]
    public void Write_LayoutInF16_ByteForByte()
    {
        // 56 = 0x38 bytes of header, already a multiple of 8: no padding.
        const string header = "{\"w\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[0,4]}}";
        byte[] expected = new byte[] { 0x38, 0, 0, 0, 0, 0, 0, 0 }
            .Concat(Encoding.ASCII.GetBytes(header))
            .Concat(new byte[] { 0x00, 0x3C, 0x00, 0xC0 }) // 1.0 = 0x3C00, -2.0 = 0xC000
            .ToArray();

        byte[] actual = SafeTensors.Serialize(new[] { new TensorData("w", new[] { 1, 2 }, new[] { 1.0, -2.0 }) }, TensorDType.F16);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Read_HandBuiltFile_WithMetadataAndAnI64BatchNormCounter()
    {
        // Tensors listed out of offset order and header unpadded: readers must not depend on either.
        string header =
            "{\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[24,32]}," +
            "\"__metadata__\":{\"format\":\"pt\",\"epoch\":\"12\"}," +
            "\"bn.weight\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}," +
            "\"bn.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,24]}}";
        byte[] data = HandBuilt.Concat(HandBuilt.F32(1f, 2f, 3f), HandBuilt.F32(-0.5f, 0f, 0.5f), HandBuilt.I64(1234567));
        byte[] file = HandBuilt.File(header, data);

        using var dir = new TempDirectory();
        string path = dir.File("bn.safetensors");
        File.WriteAllBytes(path, file);

        IReadOnlyDictionary<string, TensorData> tensors = SafeTensors.Read(path);
        IReadOnlyDictionary<string, string> metadata = SafeTensors.ReadMetadata(path);

        Assert.Equal(new[] { "bn.bias", "bn.num_batches_tracked", "bn.weight" }, tensors.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, tensors["bn.weight"].Values);
        Assert.Equal(new[] { -0.5, 0.0, 0.5 }, tensors["bn.bias"].Values);
        TensorData counter = tensors["bn.num_batches_tracked"];
        Assert.Equal(TensorDType.I64, counter.StoredAs);
        Assert.Equal(0, counter.Shape.Length);
        Assert.Equal(new[] { 1234567.0 }, counter.Values);
        Assert.Equal(TensorDType.F32, tensors["bn.weight"].StoredAs);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "12" }, metadata);
    }

    [Fact]
    public void Read_HandBuiltFile_WithEveryReadableDType()
    {
        string header =
            "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}," +
            "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}," +
            "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}," +
            "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]}}";
        byte[] data =
        {
            0x00, 0x3C, 0x00, 0xC0,                         // F16 1.0, -2.0
            0x80, 0x3F, 0x49, 0x40,                         // BF16 1.0, 3.140625
            0x18, 0x2D, 0x44, 0x54, 0xFB, 0x21, 0x09, 0x40, // F64 pi
            0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x00, 0x00, // I32 -1, 7
        };

        IReadOnlyDictionary<string, TensorData> tensors = SafeTensors.Read(HandBuilt.File(header, data), "mem");

        Assert.Equal(new[] { 1.0, -2.0 }, tensors["h"].Values);
        Assert.Equal(new[] { 1.0, 3.140625 }, tensors["b"].Values);
        Assert.Equal(new[] { Math.PI }, tensors["d"].Values);
        Assert.Equal(new[] { -1.0, 7.0 }, tensors["i"].Values);
        Assert.Equal(TensorDType.BF16, tensors["b"].StoredAs);
    }

    [Fact]
    public void ReadMetadata_IsEmptyWhenAbsent()
    {
        byte[] file = SafeTensors.Serialize(new[] { new TensorData("x", new[] { 1 }, new[] { 1.0 }) });

        Assert.Empty(SafeTensors.ReadMetadata(file, "mem"));
    }
}
