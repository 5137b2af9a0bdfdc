using System;
using System.Buffers.Binary;
using System.IO;
using FashionMnist;
using Xunit;

namespace Pathwise.Samples.Tests;

/// <summary>
/// The IDX reader on good files and on each fault the hardening issue lists: every fault is an
/// <see cref="InvalidDataException"/> naming the file, raised before a claimed count is allocated.
/// </summary>
public sealed class IdxReaderTests
{
    private const string Name = "test-labels-idx1-ubyte";

    // The reader's own fixed costs (the decompressor's buffers, the message): far below any claimed count here.
    private const long FixedAllocation = 1 << 18;

    [Fact]
    public void GoodFiles_RawAndGzip_ReadBackExactly()
    {
        byte[] images = IdxFiles.Images(3, seed: 1);
        byte[] raw = IdxFiles.Raw([3, 28, 28], images);
        Assert.Equal(images, Read(raw, [0, 28, 28]));
        Assert.Equal(images, Read(IdxFiles.Gzip(raw), [0, 28, 28]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    public void PayloadEndingInsideTheHeader_IsInvalidData(int length)
    {
        byte[] header = IdxFiles.Raw([5], [0, 1, 2, 3, 4])[..length];
        AssertInvalid(header, [0], "ends inside the IDX header");
        AssertInvalid(IdxFiles.Gzip(header), [0], "ends inside the IDX header");
    }

    [Theory]
    [InlineData(int.MaxValue, "more than an array holds", "more than an array holds")]
    [InlineData(2_000_000_000, "the file holds 3", "holds at most")]
    public void CountsTheFileCannotHold_AreRefusedBeforeAllocating(int count, string rawFault, string gzipFault)
    {
        byte[] raw = IdxFiles.Raw([count], [1, 2, 3]);
        AssertInvalid(raw, [0], rawFault);

        // A 40-odd-byte gzip file claiming the count, its trailer even forged to agree with the header.
        byte[] gzip = IdxFiles.Gzip(raw);
        Assert.True(gzip.Length < 50);
        AssertInvalid(gzip, [0], gzipFault);
        BinaryPrimitives.WriteUInt32LittleEndian(gzip.AsSpan(gzip.Length - 4), (uint)(8L + count));
        AssertInvalid(gzip, [0], gzipFault);
    }

    [Fact]
    public void ThreeMillionImages_IsInvalidDataNotOverflow()
    {
        // 3e6 * 784 bytes is past the largest array; the count once overflowed an int.
        byte[] raw = IdxFiles.Raw([3_000_000, 28, 28], new byte[784]);
        AssertInvalid(raw, [0, 28, 28], "more than an array holds");
        AssertInvalid(IdxFiles.Gzip(raw), [0, 28, 28], "more than an array holds");
    }

    [Fact]
    public void WrongHeaders_AreInvalidData()
    {
        byte[] good = IdxFiles.Raw([2, 28, 28], new byte[2 * 784]);
        byte[] type = (byte[])good.Clone();
        type[2] = 0x0D;
        AssertInvalid(type, [0, 28, 28], "unsigned bytes");
        AssertInvalid(good, [0], "1 dimension(s)");
        AssertInvalid(IdxFiles.Raw([2, 27, 28], new byte[2 * 27 * 28]), [0, 28, 28], "dimension 1 is 27");
        AssertInvalid(IdxFiles.Raw([0, 28, 28], []), [0, 28, 28], "at least 1");
        AssertInvalid(IdxFiles.Raw([-5], []), [0], "dimension 0 is -5");
    }

    [Fact]
    public void DataShorterOrLongerThanTheHeaderSays_IsInvalidData()
    {
        AssertInvalid(IdxFiles.Raw([5], [1, 2, 3]), [0], "the file holds 3");
        AssertInvalid(IdxFiles.Raw([2], [1, 2, 3]), [0], "the file holds 3");

        // In gzip the trailer's size disagrees with the header; forged to agree, the inflater's own check of it fails.
        byte[] shortGzip = IdxFiles.Gzip(IdxFiles.Raw([5], [1, 2, 3]));
        AssertInvalid(shortGzip, [0], "the gzip trailer records 11");
        BinaryPrimitives.WriteUInt32LittleEndian(shortGzip.AsSpan(shortGzip.Length - 4), 8 + 5);
        AssertInvalid(shortGzip, [0], "corrupt gzip data");
        byte[] longGzip = IdxFiles.Gzip(IdxFiles.Raw([2], [1, 2, 3]));
        AssertInvalid(longGzip, [0], "the gzip trailer records 11");
        BinaryPrimitives.WriteUInt32LittleEndian(longGzip.AsSpan(longGzip.Length - 4), 8 + 2);
        AssertInvalid(longGzip, [0], "corrupt gzip data");
    }

    [Fact]
    public void CorruptGzip_IsInvalidData()
    {
        byte[] gzip = IdxFiles.Gzip(IdxFiles.Raw([4, 28, 28], IdxFiles.Images(4, seed: 2)));

        // The trailer: CRC-32, then the size; each byte flipped, each cut, junk after it.
        for (int i = 1; i <= 8; i++)
        {
            byte[] flipped = (byte[])gzip.Clone();
            flipped[^i] ^= 0x01;
            AssertInvalid(flipped, [0, 28, 28], string.Empty);
            AssertInvalid(gzip[..^i], [0, 28, 28], string.Empty);
        }

        byte[] junk = new byte[gzip.Length + 3];
        gzip.CopyTo(junk, 0);
        AssertInvalid(junk, [0, 28, 28], string.Empty);

        // A flipped bit in the compressed data: the inflater rejects it, or it inflates to other bytes whose CRC fails.
        for (int i = 10; i < gzip.Length - 8; i += 7)
        {
            byte[] corrupt = (byte[])gzip.Clone();
            corrupt[i] ^= 0x10;
            AssertInvalid(corrupt, [0, 28, 28], string.Empty);
        }
    }

    [Fact]
    public void FlippedPayloadByte_IsCaughtByTheCrc()
    {
        // Stored (incompressible) data: the deflate stream stays valid, only the CRC can tell (the inflater
        // checks it once read to the end; with the trailer cut, the reader's own check of it does).
        var random = new Random(3);
        byte[] data = new byte[784];
        random.NextBytes(data);
        byte[] gzip = IdxFiles.Gzip(IdxFiles.Raw([1, 28, 28], data));
        int index = Array.IndexOf(gzip, data[400], 30);
        gzip[index] ^= 0x01;
        AssertInvalid(gzip, [0, 28, 28], "corrupt gzip data");
    }

    [Fact]
    public void CutTrailer_IsCaughtByTheReadersOwnCheck()
    {
        // .NET's inflater checks the trailer only when it is whole: with it cut off, the data inflates silently.
        // Stored (incompressible) data makes the file end in the data itself, here ending in the right size, so
        // only the CRC-32 the reader computes can tell.
        var random = new Random(4);
        byte[] data = new byte[1000];
        random.NextBytes(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(996), 8 + 1000);
        byte[] gzip = IdxFiles.Gzip(IdxFiles.Raw([1000], data));
        Assert.True(gzip.AsSpan(gzip.Length - 12, 4).SequenceEqual(data.AsSpan(996)), "expected a stored final block");
        AssertInvalid(gzip[..^8], [0], "CRC-32");
    }

    [Fact]
    public void ErrorsNameTheFile()
    {
        string directory = Directory.CreateTempSubdirectory("idx").FullName;
        try
        {
            string path = IdxFiles.Write(directory, Name, IdxFiles.Raw([9], [1]));
            var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, [0]));
            Assert.StartsWith(path + ":", error.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static byte[] Read(byte[] file, int[] dimensions) => IdxReader.Read(new MemoryStream(file), Name, dimensions);

    private static void AssertInvalid(byte[] file, int[] dimensions, string expected)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => Read(file, dimensions));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith(Name + ":", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.True(allocated < FixedAllocation + IdxReader.MaxDeflateRatio * file.Length, $"{allocated} bytes allocated for a {file.Length}-byte file");
    }
}
