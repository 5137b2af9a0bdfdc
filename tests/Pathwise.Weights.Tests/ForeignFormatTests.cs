using System;
using System.IO;
using System.IO.Compression;
using System.Text;
using Xunit;

namespace Pathwise.Weights.Tests;

/// <summary>Files that are not safetensors at all are told apart and named, not reported as an absurd header length.</summary>
public sealed class ForeignFormatTests
{
    private const string Source = "model.bin";

    [Fact]
    public void PyTorchZipCheckpoint_IsNamed()
    {
        // torch.save writes a zip archive holding data.pkl and the tensor storages.
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream entry = zip.CreateEntry("archive/data.pkl").Open();
            entry.Write(new byte[] { 0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E });
        }

        string problem = Problem(stream.ToArray());

        Assert.StartsWith("not a safetensors file: it looks like a zip archive (signature PK\\x03\\x04), as a PyTorch checkpoint saved by torch.save", problem);
        Assert.DoesNotContain("header length", problem);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    public void Pickle_IsNamedWithItsProtocol(byte protocol)
    {
        byte[] pickle = { 0x80, protocol, 0x7D, 0x71, 0x00, 0x28, 0x58, 0x03, 0x00, 0x00, 0x00, 0x66, 0x63, 0x31, 0x2E };

        Assert.StartsWith($"not a safetensors file: it looks like a Python pickle (protocol {protocol})", Problem(pickle));
    }

    [Fact]
    public void OnnxModel_IsNamed()
    {
        // ModelProto: ir_version = 8 (field 1, varint), producer_name = "pytorch" (field 2, bytes), ...
        byte[] onnx = { 0x08, 0x08, 0x12, 0x07, (byte)'p', (byte)'y', (byte)'t', (byte)'o', (byte)'r', (byte)'c', (byte)'h', 0x1A, 0x03, (byte)'2', (byte)'.', (byte)'1' };

        Assert.StartsWith("not a safetensors file: it looks like an ONNX model", Problem(onnx));
    }

    [Fact]
    public void GitLfsPointer_SaysToFetchTheWeights()
    {
        byte[] pointer = Encoding.ASCII.GetBytes("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1234\n");

        Assert.Equal("not a safetensors file: it looks like a Git LFS pointer, not the weights it points to; fetch them with `git lfs pull`", Problem(pointer));
    }

    [Theory]
    [InlineData("<!DOCTYPE html><html><body>Not Found</body></html>", "an HTML or XML text file (it starts \"<!DOCTYPE html><html><body>Not Found</bo...\")")]
    [InlineData("{\"architectures\": [\"BertModel\"]}\n", "a JSON text file (it starts \"{\"architectures\": [\"BertModel\"]}\\n\")")]
    [InlineData("fc1.weight 0.1 0.2 0.3\n", "a text file (it starts \"fc1.weight 0.1 0.2 0.3\\n\")")]
    public void Text_IsNamedAndQuoted(string text, string looksLike)
    {
        Assert.Equal($"not a safetensors file: it looks like {looksLike}", Problem(Encoding.UTF8.GetBytes(text)));
    }

    [Theory]
    [InlineData(new byte[] { 0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n', 0, 0 }, "an HDF5 file")]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0x76, 0 }, "a NumPy .npy array")]
    [InlineData(new byte[] { (byte)'G', (byte)'G', (byte)'U', (byte)'F', 3, 0, 0, 0, 0, 0 }, "a GGUF model file")]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0xFF }, "a gzip-compressed file")]
    public void OtherWeightFormats_AreNamed(byte[] file, string looksLike)
    {
        Assert.StartsWith($"not a safetensors file: it looks like {looksLike}", Problem(file));
    }

    [Fact]
    public void UnrecognisedBinary_KeepsTheHeaderLengthMessage()
    {
        byte[] file = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xFF, 0xFE };

        Assert.StartsWith("header length 578437695752307201 is larger than the file", Problem(file));
    }

    [Fact]
    public void SafetensorsFileThatIsValid_IsNeverSniffed()
    {
        // A valid file whose first byte happens to be 0x08, like an ONNX file: 8 bytes of header "{}      ".
        byte[] file = HandBuilt.File("{}      ", ReadOnlySpan<byte>.Empty);

        Assert.Equal(0x08, file[0]);
        Assert.Empty(SafeTensors.Read(file, Source));
    }

    private static string Problem(byte[] file) =>
        Assert.Throws<WeightsFormatException>(() => SafeTensors.Read(file, Source)).Problem;
}
