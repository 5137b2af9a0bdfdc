using System;
using System.IO;
using FashionMnist;
using Xunit;

namespace Pathwise.Samples.Tests;

/// <summary>A Fashion-MNIST split from its two files: labels must name one of the ten classes, counts must agree.</summary>
public sealed class FashionMnistDataTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fashion").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void GzipSplit_LoadsImagesAndLabels()
    {
        byte[] pixels = IdxFiles.Images(2, seed: 5);
        IdxFiles.Write(_directory, "t10k-images-idx3-ubyte.gz", IdxFiles.Gzip(IdxFiles.Raw([2, 28, 28], pixels)));
        IdxFiles.Write(_directory, "t10k-labels-idx1-ubyte.gz", IdxFiles.Gzip(IdxFiles.Raw([2], [9, 0])));
        FashionMnistData data = FashionMnistData.LoadTest(_directory);
        Assert.Equal(2, data.Count);
        Assert.Equal(pixels, data.Pixels);
        Assert.Equal(new byte[] { 9, 0 }, data.Labels);
        Assert.Equal(pixels[784 + 300] / 255f, data.Image(1)[300]);
    }

    [Fact]
    public void RawSplit_LoadsWhenNoGzipFileIsThere()
    {
        IdxFiles.Write(_directory, "train-images-idx3-ubyte", IdxFiles.Raw([1, 28, 28], IdxFiles.Images(1, seed: 6)));
        IdxFiles.Write(_directory, "train-labels-idx1-ubyte", IdxFiles.Raw([1], [3]));
        Assert.Equal(new byte[] { 3 }, FashionMnistData.LoadTraining(_directory).Labels);
    }

    [Fact]
    public void MissingFiles_SayHowToGetThem()
    {
        var error = Assert.Throws<FileNotFoundException>(() => FashionMnistData.LoadTest(_directory));
        Assert.Contains("t10k-images-idx3-ubyte.gz", error.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(127)]
    [InlineData(255)]
    public void LabelsOutsideTheTenClasses_AreInvalidData(byte label)
    {
        string images = IdxFiles.Write(_directory, "images.gz", IdxFiles.Gzip(IdxFiles.Raw([3, 28, 28], IdxFiles.Images(3, seed: 7))));
        string labels = IdxFiles.Write(_directory, "labels.gz", IdxFiles.Gzip(IdxFiles.Raw([3], [1, label, 2])));
        var error = Assert.Throws<InvalidDataException>(() => FashionMnistData.Load(images, labels));
        Assert.StartsWith(labels + ":", error.Message);
        Assert.Contains($"label 1 is {label}; expected a class 0..9", error.Message);
    }

    [Fact]
    public void DifferentNumbersOfImagesAndLabels_AreInvalidData()
    {
        string images = IdxFiles.Write(_directory, "images", IdxFiles.Raw([2, 28, 28], IdxFiles.Images(2, seed: 8)));
        string labels = IdxFiles.Write(_directory, "labels", IdxFiles.Raw([3], [1, 2, 3]));
        var error = Assert.Throws<InvalidDataException>(() => FashionMnistData.Load(images, labels));
        Assert.Contains("2 images", error.Message);
        Assert.Contains("3 labels", error.Message);
        Assert.Contains(labels, error.Message);
    }
}
