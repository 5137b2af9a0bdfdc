using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace Pathwise.Weights.Tests;

/// <summary>A fresh directory under the system temp path, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pathwise-weights-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] FileNames()
    {
        string[] names = Directory.GetFileSystemEntries(Path);
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = System.IO.Path.GetFileName(names[i]);
        }

        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows() && Directory.Exists(Path))
        {
            // Undo any read-only mode a test set, or the delete fails for non-root users.
            System.IO.File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Builds safetensors bytes by hand, following the format description rather than the library.</summary>
internal static class HandBuilt
{
    /// <summary><c>[u64 LE header length][header UTF-8][data]</c>, with no padding added.</summary>
    public static byte[] File(string headerJson, ReadOnlySpan<byte> data)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        return WithDeclaredLength((ulong)header.Length, header, data);
    }

    /// <summary>Like <see cref="File"/> but with an arbitrary declared header length.</summary>
    public static byte[] WithDeclaredLength(ulong declaredLength, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength);
        header.CopyTo(bytes.AsSpan(8));
        data.CopyTo(bytes.AsSpan(8 + header.Length));
        return bytes;
    }

    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    public static byte[] I64(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        }

        return bytes;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        using var stream = new MemoryStream();
        foreach (byte[] part in parts)
        {
            stream.Write(part);
        }

        return stream.ToArray();
    }
}
