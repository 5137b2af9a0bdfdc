using System;
using System.Globalization;
using System.IO;
using System.Linq;
using FashionMnist;
using Xunit;

namespace Pathwise.Cli.Tests;

/// <summary><c>evaluate</c>, <c>inspect</c> and <c>bench</c> end to end in process.</summary>
public sealed class OtherCommandsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pathwise-commands").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("cnn")]
    [InlineData("mlp")]
    public void Evaluate_PrintsTheAccuracyCountedImageByImage(string model)
    {
        CliResult result = CliRun.Run("evaluate", "--model", model, "--data", CliRun.Slice, "--images", "0-199");

        Assert.True(result.ExitCode == 0, result.ToString());
        INetwork<float> network = model == "cnn" ? FashionCnn.Load(CliRun.Weights("cnn")) : FashionMlp.Load(CliRun.Weights("mlp"));
        FashionMnistData data = FashionMnistData.LoadTest(CliRun.Slice);
        int correct = 0;
        for (int i = 0; i < 200; i++)
        {
            float[] logits = network.Predict(data.Image(i));
            correct += Array.IndexOf(logits, logits.Max()) == data.Labels[i] ? 1 : 0;
        }

        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{model}: {100.0 * correct / 200:0.00}% correct on 200 images"), result.Output);
    }

    [Fact]
    public void Evaluate_WithoutLabels_ExitsWith1()
    {
        string images = Path.Combine(_directory, "t10k-images-idx3-ubyte.gz");
        File.Copy(Path.Combine(CliRun.Slice, "t10k-images-idx3-ubyte.gz"), images);

        CliResult result = CliRun.Run("evaluate", "--data", images);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has no labels file beside it", result.Error);
    }

    [Fact]
    public void Inspect_ListsTensors_AndSaysWhichBundledNetworkTheFileFits()
    {
        CliResult result = CliRun.Run("inspect", CliRun.Weights("cnn"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"│ conv1\.weight\s+│ F32\s+│ \[8, 1, 3, 3\]\s+│\s+72 │", result.Output);
        Assert.Matches(@"│ fc1\.weight\s+│ F32\s+│ \[64, 784\]\s+│\s+50,176 │", result.Output);
        Assert.Contains("Fits the bundled cnn (FashionCnn)", result.Output);
    }

    [Fact]
    public void Inspect_AgainstANetworkItDoesNotFit_ExitsWith2_NamingEachMismatch()
    {
        CliResult bundled = CliRun.Run("inspect", CliRun.Weights("cnn"), "--network", "mlp");
        CliResult declared = CliRun.Run("inspect", CliRun.Weights("cnn"), "--assembly", typeof(TinyNet).Assembly.Location, "--network", "TinyNet");

        Assert.Equal(2, bundled.ExitCode);
        Assert.Contains("Does not fit FashionMlp", bundled.Output);
        Assert.Contains("missing tensor 'fc3.weight' (expected shape [10, 128])", bundled.Output);
        Assert.Contains("unexpected tensor 'conv1.weight'", bundled.Output);
        Assert.Equal(2, declared.ExitCode);
        Assert.Contains("missing tensor 'hidden.weight' (expected shape [16, 784])", declared.Output);
    }

    [Fact]
    public void Inspect_AFileThatIsNotSafetensors_ExitsWith1()
    {
        string file = Path.Combine(_directory, "notes.safetensors");
        File.WriteAllText(file, "hello, not tensors");

        CliResult result = CliRun.Run("inspect", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot read {file}", result.Error);
    }

    [Fact]
    public void Bench_TimesEachRule()
    {
        CliResult result = CliRun.Run("bench", "--model", "mlp", "--data", CliRun.Slice, "--rule", "gausslegendre", "--rule", "riemannmiddle", "--points", "16", "--repeat", "3");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"│ mlp\s+│ GaussLegendre\s+│\s+16 │\s+\d+\.\d{3} │", result.Output);
        Assert.Matches(@"│ mlp\s+│ RiemannMiddle\s+│\s+16 │", result.Output);
    }
}
