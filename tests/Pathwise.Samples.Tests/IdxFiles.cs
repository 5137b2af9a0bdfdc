using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace Pathwise.Samples.Tests;

/// <summary>Builds IDX files of unsigned bytes, raw and gzip-compressed, for the reader's tests.</summary>
internal static class IdxFiles
{
    /// <summary>The header (magic, type 0x08, dimension count, big-endian dimensions) followed by <paramref name="data"/>.</summary>
    public static byte[] Raw(int[] dimensions, ReadOnlySpan<byte> data)
    {
        var file = new byte[4 + 4 * dimensions.Length + data.Length];
        file[2] = 0x08;
        file[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + 4 * d), dimensions[d]);
        }

        data.CopyTo(file.AsSpan(4 + 4 * dimensions.Length));
        return file;
    }

    /// <summary>One gzip member holding <paramref name="content"/>.</summary>
    public static byte[] Gzip(ReadOnlySpan<byte> content)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    /// <summary><paramref name="count"/> images of 28x28 with smooth, compressible strokes.</summary>
    public static byte[] Images(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 28 * 28];
        for (int i = 0; i < pixels.Length; i++)
        {
            int row = i / 28 % 28;
            pixels[i] = row is > 6 and < 20 ? (byte)random.Next(100, 256) : (byte)0;
        }

        return pixels;
    }

    /// <summary>Writes <paramref name="bytes"/> to a new file in <paramref name="directory"/>; returns its path.</summary>
    public static string Write(string directory, string name, byte[] bytes)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
