using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;

namespace FashionMnist;

/// <summary>
/// Reads IDX files of unsigned bytes, the format of MNIST and Fashion-MNIST, raw or gzip-compressed. Every fault of
/// the file is an <see cref="InvalidDataException"/> naming the file and the problem, and the element count is
/// checked against what the file can hold before the data is allocated.
/// </summary>
/// <remarks>
/// An IDX file is two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions, each dimension
/// as a big-endian int32, then the elements. A gzip file is recognised by its magic bytes <c>1f 8b</c>; it must be
/// one gzip member, read to its end, whose trailer (the CRC-32 and size of the decompressed bytes) must match.
/// </remarks>
public static class IdxReader
{
    /// <summary>
    /// Deflate compresses at most 1032 to 1 (a 258-byte match costs at least two bits), so a gzip file of <c>L</c>
    /// bytes inflates to fewer than <c>1032 L</c> bytes: a bound on what a header may claim, checked before allocating.
    /// </summary>
    public const long MaxDeflateRatio = 1032;

    private const int GzipOverhead = 18;

    /// <summary>Reads the file at <paramref name="path"/>; see <see cref="Read(Stream, string, ReadOnlySpan{int})"/>.</summary>
    public static byte[] Read(string path, ReadOnlySpan<int> dimensions)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(file, path, dimensions);
    }

    /// <summary>
    /// Reads an IDX file of unsigned bytes whose dimensions are <paramref name="dimensions"/>, where 0 stands for
    /// "any count of at least 1"; returns the elements, row-major. <paramref name="stream"/> must be seekable (a
    /// gzip file's trailer is read first); <paramref name="name"/> names it in errors.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is not such a file: a wrong or truncated header, a count the
    /// file cannot hold, missing or extra data, corrupt gzip data or a trailer that does not match.</exception>
    public static byte[] Read(Stream stream, string name, ReadOnlySpan<int> dimensions)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("Expected a seekable stream.", nameof(stream));
        }

        long length = stream.Length - stream.Position;
        Span<byte> magic = stackalloc byte[2];
        long start = stream.Position;
        bool gzip = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        stream.Position = start;
        return gzip ? ReadGzip(stream, name, length, dimensions) : ReadRaw(stream, name, length, dimensions);
    }

    private static byte[] ReadRaw(Stream stream, string name, long length, ReadOnlySpan<int> dimensions)
    {
        long count = ReadHeader(stream, name, dimensions, crc: null);
        long data = length - HeaderLength(dimensions);
        if (count != data)
        {
            throw new InvalidDataException($"{name}: the header promises {count} bytes of data; the file holds {data}.");
        }

        var elements = new byte[count];
        stream.ReadExactly(elements);
        return elements;
    }

    private static byte[] ReadGzip(Stream stream, string name, long length, ReadOnlySpan<int> dimensions)
    {
        if (length < GzipOverhead)
        {
            throw new InvalidDataException($"{name}: a gzip file of {length} bytes is shorter than the gzip header and trailer.");
        }

        // The trailer: CRC-32 and size (mod 2^32) of the decompressed bytes, little-endian.
        long start = stream.Position;
        Span<byte> trailer = stackalloc byte[8];
        stream.Position = start + length - 8;
        stream.ReadExactly(trailer);
        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint expectedSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        stream.Position = start;

        var crc = new Crc32();
        using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        long count = ReadHeader(gzip, name, dimensions, crc);
        long total = HeaderLength(dimensions) + count;
        if (total > MaxDeflateRatio * length)
        {
            throw new InvalidDataException($"{name}: the header promises {count} bytes of data; a gzip file of {length} bytes holds at most {MaxDeflateRatio * length}.");
        }

        if ((uint)total != expectedSize)
        {
            throw new InvalidDataException($"{name}: the header promises {total} decompressed bytes; the gzip trailer records {expectedSize} (mod 2^32).");
        }

        var elements = new byte[count];
        if (ReadAtLeast(gzip, elements, name) != elements.Length)
        {
            throw new InvalidDataException($"{name}: truncated; the header promises {count} bytes of data.");
        }

        crc.Append(elements);

        // Reading to the end makes the decompressor check the trailer and shows data beyond the promised count.
        Span<byte> beyond = stackalloc byte[1];
        if (ReadAtLeast(gzip, beyond, name) != 0)
        {
            throw new InvalidDataException($"{name}: more data than the header's {count} bytes.");
        }

        // The decompressor checks the trailer only when it is whole: a cut trailer, or bytes after it, it passes
        // silently. The last eight bytes of the file must be this member's trailer.
        if (crc.GetCurrentHashAsUInt32() != expectedCrc)
        {
            throw new InvalidDataException($"{name}: the CRC-32 of the decompressed data is {crc.GetCurrentHashAsUInt32():x8}; the gzip trailer records {expectedCrc:x8}.");
        }

        return elements;
    }

    /// <summary>Reads and checks the magic, the type and the dimensions; returns the element count.</summary>
    private static long ReadHeader(Stream stream, string name, ReadOnlySpan<int> dimensions, Crc32? crc)
    {
        Span<byte> header = stackalloc byte[4];
        ReadHeaderBytes(stream, name, header, crc);
        if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] != dimensions.Length)
        {
            throw new InvalidDataException(
                $"{name}: expected an IDX file of unsigned bytes with {dimensions.Length} dimension(s), header 000008{dimensions.Length:X2}; got header {Convert.ToHexString(header)}.");
        }

        long count = 1;
        Span<byte> dimension = stackalloc byte[4];
        for (int d = 0; d < dimensions.Length; d++)
        {
            ReadHeaderBytes(stream, name, dimension, crc);
            int size = BinaryPrimitives.ReadInt32BigEndian(dimension);
            bool fits = dimensions[d] == 0 ? size >= 1 : size == dimensions[d];
            if (!fits)
            {
                throw new InvalidDataException($"{name}: dimension {d} is {size}; expected {(dimensions[d] == 0 ? "a count of at least 1" : dimensions[d])}.");
            }

            // Both factors are below 2^31, so the product fits a long before it is compared.
            count *= size;
            if (count > Array.MaxLength)
            {
                throw new InvalidDataException($"{name}: the dimensions promise more than {Array.MaxLength} bytes, more than an array holds.");
            }
        }

        return count;
    }

    private static void ReadHeaderBytes(Stream stream, string name, Span<byte> destination, Crc32? crc)
    {
        if (ReadAtLeast(stream, destination, name) != destination.Length)
        {
            throw new InvalidDataException($"{name}: the file ends inside the IDX header.");
        }

        crc?.Append(destination);
    }

    /// <summary>Fills <paramref name="destination"/> unless the data ends first; returns the bytes read.</summary>
    private static int ReadAtLeast(Stream stream, Span<byte> destination, string name)
    {
        try
        {
            return stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException error)
        {
            // The decompressor's complaint names neither the file nor the fault plainly ("unsupported compression method").
            throw new InvalidDataException($"{name}: corrupt gzip data ({error.Message})", error);
        }
    }

    private static long HeaderLength(ReadOnlySpan<int> dimensions) => 4 + 4L * dimensions.Length;
}
