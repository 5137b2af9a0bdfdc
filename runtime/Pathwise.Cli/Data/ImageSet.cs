using System;
using System.IO;
using FashionMnist;

namespace Pathwise.Cli.Data;

/// <summary>
/// Grey images read from an IDX file of unsigned bytes (<c>[count, height, width]</c>, the MNIST and Fashion-MNIST
/// format, raw or gzip), with their labels when a labels file lies beside them. Pixels are scaled to [0, 1].
/// </summary>
internal sealed class ImageSet
{
    /// <summary>The images file of a Fashion-MNIST folder's test split.</summary>
    public const string TestImages = "t10k-images-idx3-ubyte";

    private ImageSet(string source, byte[] pixels, int count, int height, int width, byte[]? labels, string description)
    {
        Source = source;
        Pixels = pixels;
        Count = count;
        Height = height;
        Width = width;
        Labels = labels;
        Description = description;
    }

    /// <summary>The images file.</summary>
    public string Source { get; }

    /// <summary>What the set is, for the summary line (<c>"the bundled slice: the first 500 Fashion-MNIST test images"</c>).</summary>
    public string Description { get; }

    /// <summary>The pixels, <c>[Count, Height, Width]</c> row-major, 0 to 255.</summary>
    public byte[] Pixels { get; }

    /// <summary>The number of images.</summary>
    public int Count { get; }

    /// <summary>Rows per image.</summary>
    public int Height { get; }

    /// <summary>Columns per image.</summary>
    public int Width { get; }

    /// <summary>Values per image, <c>Height · Width</c>.</summary>
    public int ImageSize => Height * Width;

    /// <summary>The label of each image, or null when no labels file was found.</summary>
    public byte[]? Labels { get; }

    /// <summary>The folder of the bundled slice: the first 500 Fashion-MNIST test images, shipped with the tool.</summary>
    public static string BundledDirectory => Path.Combine(AppContext.BaseDirectory, "Models", "fashion-mnist-slice");

    /// <summary>
    /// The default data: Debian's Fashion-MNIST test set (<c>apt-get install dataset-fashion-mnist</c>) when it is
    /// installed, else the bundled slice.
    /// </summary>
    public static string DefaultPath =>
        FindImages(FashionMnistData.DefaultDirectory) is not null ? FashionMnistData.DefaultDirectory : BundledDirectory;

    /// <summary>
    /// Reads <paramref name="path"/>: a folder holding <c>t10k-images-idx3-ubyte</c> (or <c>.gz</c>), or an images IDX
    /// file. Labels come from the file whose name has <c>labels-idx1</c> for <c>images-idx3</c>, when it exists.
    /// </summary>
    /// <exception cref="CliException">The path does not exist or a file is not an IDX file of bytes (exit code 1).</exception>
    public static ImageSet Load(string path)
    {
        string full = Path.GetFullPath(path);
        string images;
        if (Directory.Exists(full))
        {
            images = FindImages(full) ?? throw CliException.BadInput(
                $"the folder {full} holds no {TestImages}(.gz); expected a Fashion-MNIST folder or an IDX images file.");
        }
        else if (File.Exists(full))
        {
            images = full;
        }
        else
        {
            throw CliException.BadInput($"the data path {full} does not exist; expected a Fashion-MNIST folder or an IDX images file (--data).");
        }

        try
        {
            int[] shape = ReadShape(images);
            byte[] pixels = IdxReader.Read(images, [0, 0, 0]);

            byte[]? labels = null;
            string? labelsPath = LabelsPath(images);
            if (labelsPath is not null)
            {
                labels = IdxReader.Read(labelsPath, [shape[0]]);
            }

            string description = Path.GetDirectoryName(images) == Path.GetFullPath(BundledDirectory)
                ? "the bundled slice: the first 500 Fashion-MNIST test images"
                : $"{images}{(labels is null ? " (no labels file beside it)" : "")}";
            return new ImageSet(images, pixels, shape[0], shape[1], shape[2], labels, description);
        }
        catch (InvalidDataException e)
        {
            throw CliException.BadInput(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.BadInput($"cannot read {images}: {e.Message}", e);
        }
    }

    /// <summary>Image <paramref name="index"/> scaled to [0, 1]: <c>value / 255</c>.</summary>
    public float[] Image(int index)
    {
        var image = new float[ImageSize];
        CopyImage(index, image);
        return image;
    }

    /// <summary>Writes image <paramref name="index"/> scaled to [0, 1] into <paramref name="destination"/>.</summary>
    public void CopyImage(int index, Span<float> destination)
    {
        ReadOnlySpan<byte> image = Pixels.AsSpan(index * ImageSize, ImageSize);
        for (int i = 0; i < image.Length; i++)
        {
            destination[i] = image[i] / 255f;
        }
    }

    private static string? FindImages(string directory)
    {
        foreach (string name in new[] { TestImages + ".gz", TestImages })
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private static string? LabelsPath(string images)
    {
        string name = Path.GetFileName(images);
        if (!name.Contains("images-idx3", StringComparison.Ordinal))
        {
            return null;
        }

        string labels = Path.Combine(Path.GetDirectoryName(images)!, name.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
        return File.Exists(labels) ? labels : null;
    }

    /// <summary>The three dimensions of an IDX images file, read from its header (through gzip when compressed).</summary>
    private static int[] ReadShape(string path)
    {
        using Stream file = File.OpenRead(path);
        Stream stream = file;
        Span<byte> magic = stackalloc byte[2];
        bool gzip = file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        if (gzip)
        {
            stream = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        }

        using (stream)
        {
            Span<byte> header = stackalloc byte[16];
            if (stream.ReadAtLeast(header, 16, throwOnEndOfStream: false) < 16 || header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] != 3)
            {
                throw new InvalidDataException($"{path}: expected an IDX file of unsigned bytes with 3 dimensions [count, height, width].");
            }

            return
            [
                System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[4..]),
                System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[8..]),
                System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[12..]),
            ];
        }
    }
}
