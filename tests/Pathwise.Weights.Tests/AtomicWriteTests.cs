using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

namespace Pathwise.Weights.Tests;

public sealed class AtomicWriteTests
{
    private static readonly TensorData Old = new("old", new[] { 2 }, new[] { 1.0, 2.0 });

    [Fact]
    public void SequenceThatThrowsAfterTheFirstTensor_LeavesTheOldFileAndNoTempFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensors.Write(path, new[] { Old });
        byte[] before = File.ReadAllBytes(path);

        var error = Assert.Throws<InvalidOperationException>(() => SafeTensors.Write(path, ThrowsAfterFirst()));

        Assert.Equal("boom", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.safetensors" }, dir.FileNames());
    }

    [Fact]
    public void InvalidInput_LeavesTheOldFileAndNoTempFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensors.Write(path, new[] { Old });
        byte[] before = File.ReadAllBytes(path);
        var duplicate = new TensorData("x", new[] { 1 }, new[] { 1.0 });

        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, new[] { duplicate, duplicate }));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.safetensors" }, dir.FileNames());
    }

    [Fact]
    public void FailureAfterTheTempFileIsWritten_DeletesIt()
    {
        // The destination is a non-empty directory, so the final move fails after the temp file is complete.
        using var dir = new TempDirectory();
        string path = dir.File("taken");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "keep.txt"), "keep");

        Assert.ThrowsAny<IOException>(() => SafeTensors.Write(path, new[] { Old }));

        Assert.Equal(new[] { "taken" }, dir.FileNames());
        Assert.Equal("keep", File.ReadAllText(Path.Combine(path, "keep.txt")));
    }

    [Fact]
    public void MissingDirectory_FailsWithoutCreatingAnything()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "absent", "model.safetensors");

        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Write(path, new[] { Old }));

        Assert.Empty(dir.FileNames());
    }

    [Fact]
    public void ReadOnlyDirectory_LeavesTheOldFileAndNoTempFiles()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix permissions only; Windows ACLs are out of scope here.
        }

        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        SafeTensors.Write(path, new[] { Old });
        byte[] before = File.ReadAllBytes(path);
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        if (CanCreateFileIn(dir.Path))
        {
            return; // Running as root (or with CAP_DAC_OVERRIDE): permissions are not enforced, nothing to test.
        }

        Assert.Throws<UnauthorizedAccessException>(() => SafeTensors.Write(path, new[] { new TensorData("new", new[] { 1 }, new[] { 3.0 }) }));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.safetensors" }, dir.FileNames());
    }

    private static bool CanCreateFileIn(string directory)
    {
        string probe = Path.Combine(directory, "probe");
        try
        {
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IEnumerable<TensorData> ThrowsAfterFirst()
    {
        yield return new TensorData("first", new[] { 1 }, new[] { 9.0 });
        throw new InvalidOperationException("boom");
    }
}
