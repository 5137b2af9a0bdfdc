using System;
using System.IO;

namespace FashionMnist;

/// <summary>
/// One split of Fashion-MNIST: 28x28 grey images as bytes (0 = background) and their labels 0..9, read from the
/// gzip IDX files that Debian's <c>dataset-fashion-mnist</c> package installs (or the same files uncompressed).
/// </summary>
public sealed class FashionMnistData
{
    /// <summary>Where <c>apt-get install dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Pixels per image.</summary>
    public const int ImageSize = Side * Side;

    /// <summary>An image's height and width in pixels.</summary>
    public const int Side = 28;

    /// <summary>A square region of an image, one flag per pixel: rows <c>top .. top + side</c>, columns <c>left .. left + side</c>.</summary>
    public static bool[] Square(int top, int left, int side)
    {
        var mask = new bool[ImageSize];
        for (int row = top; row < top + side; row++)
        {
            for (int column = left; column < left + side; column++)
            {
                mask[row * Side + column] = true;
            }
        }

        return mask;
    }

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
    public static FashionMnistData LoadTraining(string directory) => LoadSplit(directory, "train");

    /// <summary>Reads the test split (<c>t10k-*</c>, 10,000 images) from <paramref name="directory"/>.</summary>
    public static FashionMnistData LoadTest(string directory) => LoadSplit(directory, "t10k");

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

    /// <summary>
    /// Reads a split from its two IDX files, gzip-compressed or raw. Every fault of the files is an
    /// <see cref="InvalidDataException"/> naming the file: see <see cref="IdxReader"/>, and besides a label outside
    /// 0..9 or a different number of images and labels.
    /// </summary>
    public static FashionMnistData Load(string imagesPath, string labelsPath)
    {
        byte[] images = IdxReader.Read(imagesPath, [0, 28, 28]);
        byte[] labels = IdxReader.Read(labelsPath, [0]);
        if (images.Length != labels.Length * ImageSize)
        {
            throw new InvalidDataException($"{imagesPath} holds {images.Length / ImageSize} images but {labelsPath} holds {labels.Length} labels.");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= ClassNames.Length)
            {
                throw new InvalidDataException($"{labelsPath}: label {i} is {labels[i]}; expected a class 0..{ClassNames.Length - 1}.");
            }
        }

        return new FashionMnistData(images, labels);
    }

    private static FashionMnistData LoadSplit(string directory, string split) =>
        Load(Find(directory, $"{split}-images-idx3-ubyte"), Find(directory, $"{split}-labels-idx1-ubyte"));

    /// <summary>The gzip file <c>name.gz</c>, else the raw file <c>name</c>.</summary>
    private static string Find(string directory, string name)
    {
        string compressed = Path.Combine(directory, name + ".gz");
        if (File.Exists(compressed))
        {
            return compressed;
        }

        string raw = Path.Combine(directory, name);
        if (File.Exists(raw))
        {
            return raw;
        }

        throw new FileNotFoundException(
            $"Fashion-MNIST file not found: {compressed}. Install the data set with " +
            "`apt-get install dataset-fashion-mnist`, or pass --data DIR for a folder holding the four *-ubyte.gz files.",
            compressed);
    }
}
