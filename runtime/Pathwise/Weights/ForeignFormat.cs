using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Pathwise.Weights;

/// <summary>
/// Recognises files that are not safetensors at all (a PyTorch checkpoint, a pickle, an ONNX model, text, ...)
/// from their first bytes, so a wrong file is named instead of being reported as a safetensors file with an
/// absurd header length.
/// </summary>
/// <remarks>
/// The reader asks only after the file has already failed the header-length check, so a guess here changes
/// a message, never whether a file loads. Every description completes the sentence "it looks like ...".
/// </remarks>
internal static class ForeignFormat
{
    private const int TextSampleLength = 40;

    private static ReadOnlySpan<byte> Hdf5Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    private static ReadOnlySpan<byte> NumPySignature => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private static ReadOnlySpan<byte> GzipSignature => [0x1F, 0x8B];

    /// <summary>What the file looks like, or <see langword="null"/> if its first bytes match nothing known.</summary>
    public static string? Describe(ReadOnlySpan<byte> file)
    {
        if (file.StartsWith("PK\u0003\u0004"u8) || file.StartsWith("PK\u0005\u0006"u8))
        {
            return "a zip archive (signature PK\\x03\\x04), as a PyTorch checkpoint saved by torch.save (.pt, .pth, .bin) is; "
                + "read a saved state_dict with PyTorchCheckpoint.Read or WeightsFile.Read (a network's Load and LoadWeights take either format)";
        }

        if (file.Length >= 2 && file[0] == 0x80 && file[1] is >= 2 and <= 5)
        {
            return $"a Python pickle (protocol {file[1]}), as a legacy PyTorch checkpoint is; "
                + "load it in Python and save the state_dict with safetensors.torch.save_file";
        }

        if (file.StartsWith(Hdf5Signature))
        {
            return "an HDF5 file (Keras .h5 weights)";
        }

        if (file.StartsWith(NumPySignature))
        {
            return "a NumPy .npy array";
        }

        if (file.StartsWith("GGUF"u8))
        {
            return "a GGUF model file";
        }

        if (file.StartsWith(GzipSignature))
        {
            return "a gzip-compressed file";
        }

        if (LooksLikeOnnx(file))
        {
            return "an ONNX model (a protobuf ModelProto starting with its ir_version field)";
        }

        return DescribeText(file);
    }

    /// <summary>
    /// ONNX files are protobuf <c>ModelProto</c> messages; writers emit field 1 (<c>ir_version</c>, a small varint)
    /// first, followed by another ModelProto field such as <c>producer_name</c> or <c>graph</c>. Bytes 4 to 7 are
    /// then that field's contents, never all zero, whereas a safetensors header length below 2^32 has them zero.
    /// </summary>
    private static bool LooksLikeOnnx(ReadOnlySpan<byte> file) =>
        file.Length >= 8
        && BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(4)) != 0
        && file[0] == 0x08
        && file[1] is >= 1 and <= 0x7F
        && file[2] is 0x12 or 0x1A or 0x22 or 0x28 or 0x32 or 0x3A or 0x42 or 0x72;

    private static string? DescribeText(ReadOnlySpan<byte> file)
    {
        ReadOnlySpan<byte> sample = file.Slice(0, Math.Min(file.Length, 512));
        if (sample.StartsWith("version https://git-lfs"u8))
        {
            return "a Git LFS pointer, not the weights it points to; fetch them with `git lfs pull`";
        }

        // Text: valid UTF-8 (a sample may end inside a character) with no control characters but tab, CR and LF.
        int offset = 0;
        while (offset < sample.Length)
        {
            OperationStatus status = Rune.DecodeFromUtf8(sample.Slice(offset), out Rune rune, out int consumed);
            if (status == OperationStatus.NeedMoreData && offset + consumed == sample.Length && sample.Length < file.Length)
            {
                break;
            }

            if (status != OperationStatus.Done || (Rune.IsControl(rune) && rune.Value is not ('\t' or '\r' or '\n')))
            {
                return null;
            }

            offset += consumed;
        }

        string text = Encoding.UTF8.GetString(sample.Slice(0, offset));
        string start = text.Length > TextSampleLength ? text.Substring(0, TextSampleLength) + "..." : text;
        start = start.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
        string kind = text.TrimStart().StartsWith('<') ? "an HTML or XML text file" : text.TrimStart().StartsWith('{') ? "a JSON text file" : "a text file";
        return $"{kind} (it starts \"{start}\")";
    }
}
