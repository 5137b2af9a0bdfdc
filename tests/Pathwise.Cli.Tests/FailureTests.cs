using System;
using System.IO;
using Xunit;

namespace Pathwise.Cli.Tests;

/// <summary>Bad paths and options: one clear <c>error:</c> line naming what was wrong, and the documented exit code.</summary>
public sealed class FailureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pathwise-failures").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("--bogus", "Unrecognized command or argument '--bogus'")]
    [InlineData("--method lime", "Argument 'lime' not recognized")]
    [InlineData("--rule simpson", "Argument 'simpson' not recognized")]
    [InlineData("--points 0", "--points must be between 1 and 1000000; got 0")]
    [InlineData("--points many", "many")]
    [InlineData("--images 3-1", "--images '3-1': '3-1' is not an index")]
    [InlineData("--images 500", "image 500 does not exist; the data holds 500 images (0 to 499)")]
    [InlineData("--target 10", "--target '10': expected predicted, label or an output index 0 to 9")]
    [InlineData("--method conductance", "name it with --layer NAME")]
    [InlineData("--method conductance --layer Hiden", "FashionCnn has no such hidden layer; its layers are Conv1, Pool1, Conv2, Pool2, Flat, Hidden, Logits")]
    [InlineData("--layer Hidden", "--layer applies to conductance, influence, layerig, regiontoneuron, neuronig and neuronconductance")]
    [InlineData("--model cnn --assembly x.dll", "--assembly declares the network of a weights file")]
    public void BadOption_ExitsWith1_NamingIt(string options, string message)
    {
        CliResult result = CliRun.Run(["explain", "--data", CliRun.Slice, .. options.Split(' ')]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(message, result.Error);
        Assert.StartsWith("error: ", result.Error);
    }

    [Fact]
    public void MissingData_ExitsWith1_NamingThePath()
    {
        string missing = Path.Combine(_directory, "no-such-folder");

        CliResult result = CliRun.Run("explain", "--data", missing);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the data path {missing} does not exist", result.Error);
    }

    [Fact]
    public void DataThatIsNotIdx_ExitsWith1_SayingWhatWasExpected()
    {
        string file = Path.Combine(_directory, "images-idx3-ubyte");
        File.WriteAllText(file, "not an IDX file at all");

        CliResult result = CliRun.Run("explain", "--data", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(file, result.Error);
        Assert.Contains("IDX", result.Error);
    }

    [Fact]
    public void ImagesOfAnotherSize_ExitWith1_NamingBothShapes()
    {
        // A raw IDX file of two 5x5 byte images: magic 00 00 08 03, then the dimensions big-endian.
        string file = Path.Combine(_directory, "small-images-idx3-ubyte");
        byte[] header = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 5];
        File.WriteAllBytes(file, [.. header, .. new byte[50]]);

        CliResult result = CliRun.Run("explain", "--data", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the images of {file} are 5x5 (25 values) but FashionCnn takes [1, 28, 28] (784 values)", result.Error);
    }

    [Fact]
    public void MissingWeights_ExitsWith1_NamingTheFile()
    {
        string missing = Path.Combine(_directory, "model.safetensors");

        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--model", missing);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the weights file {missing} does not exist", result.Error);
    }

    [Fact]
    public void WeightsThatDoNotFitTheNetwork_ExitWith2_NamingEachTensor()
    {
        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--model", CliRun.Weights("mlp"), "--network", "cnn");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing tensor 'conv1.weight' (expected shape [8, 1, 3, 3])", result.Error);
        Assert.Contains("tensor 'fc1.weight': expected shape [64, 784], found [256, 784]", result.Error);
    }

    [Fact]
    public void UnknownNetworkType_ExitsWith1_ListingTheDeclaredOnes()
    {
        var net = new TinyNet();
        net.InitializeWeights(new Random(1));
        string weights = Path.Combine(_directory, "tiny.safetensors");
        net.SaveWeights(weights);

        CliResult named = CliRun.Run("explain", "--data", CliRun.Slice, "--model", weights, "--assembly", typeof(TinyNet).Assembly.Location, "--network", "NoSuchNet");
        CliResult unnamed = CliRun.Run("explain", "--data", CliRun.Slice, "--model", weights, "--assembly", typeof(TinyNet).Assembly.Location);
        CliResult missing = CliRun.Run("explain", "--data", CliRun.Slice, "--model", weights, "--assembly", Path.Combine(_directory, "none.dll"));

        Assert.Equal(1, named.ExitCode);
        Assert.Contains("declares no such network; it declares", named.Error);
        Assert.Contains(typeof(TinyNet64).FullName!, named.Error);
        Assert.Equal(1, unnamed.ExitCode);
        Assert.Contains("declares 2 networks", unnamed.Error);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("none.dll does not exist", missing.Error);
    }

    [Fact]
    public void OutputThatCannotBeWritten_ExitsWith3()
    {
        string file = Path.Combine(_directory, "a-file");
        File.WriteAllText(file, "");

        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "0", "--output", Path.Combine(file, "pictures"));

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("cannot write the output", result.Error);
    }

    [Fact]
    public void NoCommand_PrintsTheHelp_AndExitsWith1()
    {
        CliResult result = CliRun.Run();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("explain", result.Output);
    }

    [Fact]
    public void Help_ListsTheCommands_AndTheExitCodes()
    {
        CliResult root = CliRun.Run("--help");
        CliResult explain = CliRun.Run("explain", "--help");

        Assert.Equal(0, root.ExitCode);
        Assert.Contains("Usage:\n  pathwise [command] [options]", root.Output.Replace("\r\n", "\n"));
        foreach (string command in new[] { "explain", "evaluate", "inspect <FILE>", "bench" })
        {
            Assert.Contains("  " + command, root.Output);
        }

        foreach (string text in new[] { root.Output, explain.Output })
        {
            Assert.Contains("Exit codes:", text);
            Assert.Contains("130  stopped by Ctrl-C", text);
        }

        Assert.Equal(0, explain.ExitCode);
        Assert.Contains("riemannleft, riemannright, riemannmiddle, trapezoid, gausslegendre, exact", explain.Output);
        Assert.Contains("--report <FILE.html>", explain.Output);
    }
}
