using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace FashionMnist;

/// <summary>
/// One split of Fashion-MNIST: 28x28 grey images as bytes (0 = background) and their labels 0..9, read from the
/// gzip IDX files that Debian's <c>dataset-fashion-mnist</c> package installs.
/// </summary>
public sealed class FashionMnistData
{
    /// <summary>Where <c>apt-get install dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Pixels per image.</summary>
    public const int ImageSize = 28 * 28;

    /// <summary>The class names, by label.</summary>
    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private FashionMnistData(byte[] pixels, byte[] labels)
    {
        Pixels = pixels;
        Labels = labels;
    }

    /// <summary>The images, <c>[Count, 28, 28]</c> row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>The labels, one per image.</summary>
    public byte[] Labels { get; }

    /// <summary>The number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Reads the training split (<c>train-*</c>, 60,000 images) from <paramref name="directory"/>.</summary>
    public static FashionMnistData LoadTraining(string directory) => Load(directory, "train");

    /// <summary>Reads the test split (<c>t10k-*</c>, 10,000 images) from <paramref name="directory"/>.</summary>
    public static FashionMnistData LoadTest(string directory) => Load(directory, "t10k");

    /// <summary>Writes image <paramref name="index"/> scaled to [0, 1], the network's input, into <paramref name="destination"/>.</summary>
    public void CopyImage(int index, Span<float> destination)
    {
        ReadOnlySpan<byte> image = Pixels.AsSpan(index * ImageSize, ImageSize);
        for (int i = 0; i < ImageSize; i++)
        {
            destination[i] = image[i] / 255f;
        }
    }

    /// <summary>Image <paramref name="index"/> scaled to [0, 1].</summary>
    public float[] Image(int index)
    {
        var image = new float[ImageSize];
        CopyImage(index, image);
        return image;
    }

    private static FashionMnistData Load(string directory, string split)
    {
        byte[] images = ReadIdx(Path.Combine(directory, $"{split}-images-idx3-ubyte.gz"), [0, 28, 28]);
        byte[] labels = ReadIdx(Path.Combine(directory, $"{split}-labels-idx1-ubyte.gz"), [0]);
        if (images.Length != labels.Length * ImageSize)
        {
            throw new InvalidDataException($"{split}: {images.Length / ImageSize} images but {labels.Length} labels in {directory}.");
        }

        return new FashionMnistData(images, labels);
    }

    // IDX: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions, each dimension as a
    // big-endian int32, then the data. `expected` gives the dimensions, 0 for "any count".
    private static byte[] ReadIdx(string path, int[] expected)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Fashion-MNIST file not found: {path}. Install the data set with " +
                "`apt-get install dataset-fashion-mnist`, or pass --data DIR for a folder holding the four *-ubyte.gz files.",
                path);
        }

        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        Span<byte> header = stackalloc byte[4];
        gzip.ReadExactly(header);
        if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] != expected.Length)
        {
            throw new InvalidDataException(
                $"{path}: expected an IDX file of unsigned bytes with {expected.Length} dimension(s); got header {Convert.ToHexString(header)}.");
        }

        long count = 1;
        Span<byte> dimension = stackalloc byte[4];
        for (int d = 0; d < expected.Length; d++)
        {
            gzip.ReadExactly(dimension);
            int size = BinaryPrimitives.ReadInt32BigEndian(dimension);
            if (size < 0 || (expected[d] != 0 && size != expected[d]))
            {
                throw new InvalidDataException($"{path}: dimension {d} is {size}; expected {(expected[d] == 0 ? "a count" : expected[d])}.");
            }

            count *= size;
        }

        var data = new byte[checked((int)count)];
        try
        {
            gzip.ReadExactly(data);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: truncated; the header promises {count} bytes of data.");
        }

        return data;
    }
}
