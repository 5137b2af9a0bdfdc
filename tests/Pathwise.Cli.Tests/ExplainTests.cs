using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using FashionMnist;
using SkiaSharp;
using Xunit;

namespace Pathwise.Cli.Tests;

/// <summary><c>pathwise explain</c> end to end in process, on a few images of the bundled slice.</summary>
public sealed class ExplainTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pathwise-explain").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void BundledCnn_PrintsOneRowPerImage_WithThePredictionAndOutputChangeTheNetworkGives()
    {
        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "0-2");

        Assert.True(result.ExitCode == 0, result.ToString());
        FashionCnn cnn = FashionCnn.Load(CliRun.Weights("cnn"));
        FashionMnistData data = FashionMnistData.LoadTest(CliRun.Slice);
        float[] zero = new float[FashionMnistData.ImageSize];
        double[] atZero = Array.ConvertAll(cnn.Predict(zero), v => (double)v);
        foreach (int index in new[] { 0, 1, 2 })
        {
            float[] logits = cnn.Predict(data.Image(index));
            int predicted = Array.IndexOf(logits, logits.Max());
            string row = Row(result.Output, index);
            Assert.Contains(FashionMnistData.ClassNames[data.Labels[index]], row);
            Assert.Contains(FashionMnistData.ClassNames[predicted], row);
            // F(x) - F(0) of the predicted class, from the network directly, to the printed 4 decimals.
            double change = logits[predicted] - atZero[predicted];
            Assert.Contains(change.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture), row);
        }

        Assert.Contains("GaussLegendre on 50 points", result.Output);
        Assert.Empty(result.Error);
    }

    [Fact]
    public void AnImagesFile_IsReadWithTheLabelsFileBesideIt()
    {
        string images = Path.Combine(CliRun.Slice, "t10k-images-idx3-ubyte.gz");

        CliResult result = CliRun.Run("explain", "--data", images, "--images", "499", "--model", "mlp", "--method", "saliency");

        Assert.True(result.ExitCode == 0, result.ToString());
        FashionMnistData data = FashionMnistData.LoadTest(CliRun.Slice);
        Assert.Equal(FashionMnistData.ClassNames[data.Labels[499]], Row(result.Output, 499).Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[1]);
        Assert.Contains("of the bundled slice: the first 500 Fashion-MNIST test images.", result.Output);
    }

    [Theory]
    [InlineData("ig", 2)]            // the panel and the convergence plot
    [InlineData("interior", 1)]      // the saturation curve
    [InlineData("expected", 1)]
    [InlineData("saliency", 1)]
    [InlineData("inputxgradient", 1)]
    [InlineData("noisetunnel", 1)]
    [InlineData("conductance", 1)]   // the top neurons
    [InlineData("influence", 1)]
    [InlineData("layerig", 1)]
    [InlineData("neuronig", 1)]           // an input heat-map panel, as ig's
    [InlineData("neuronconductance", 1)]
    public void EveryMethod_RunsAndWritesItsPictures(string method, int pictures)
    {
        string output = Path.Combine(_directory, method);
        string[] args = ["explain", "--data", CliRun.Slice, "--images", "7", "--method", method, "--points", "8", "--baselines", "2", "--samples", "2", "--output", output];
        if (method is "conductance" or "influence" or "layerig")
        {
            args = [.. args, "--layer", "Hidden"];
        }
        else if (method is "neuronig" or "neuronconductance")
        {
            args = [.. args, "--layer", "Hidden", "--neuron", "5"];
        }

        CliResult result = CliRun.Run(args);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] files = Directory.GetFiles(output);
        Assert.Equal(pictures, files.Length);
        foreach (string file in files)
        {
            Assert.EndsWith(".png", file);
            using SKBitmap bitmap = SKBitmap.Decode(file);
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Width > 100 && bitmap.Height > 100, $"{file} is {bitmap.Width}x{bitmap.Height}");
        }

        Assert.Contains(Path.Combine(output, $"cnn-0007-shirt-{method}.png"), files);
    }

    [Fact]
    public void TargetLabel_OnAMisclassifiedImage_ExplainsTheLabel_NotThePrediction()
    {
        FashionCnn cnn = FashionCnn.Load(CliRun.Weights("cnn"));
        FashionMnistData data = FashionMnistData.LoadTest(CliRun.Slice);
        int index = Enumerable.Range(0, data.Count).First(i => ArgMax(cnn.Predict(data.Image(i))) != data.Labels[i]);
        float[] logits = cnn.Predict(data.Image(index));
        int label = data.Labels[index];

        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", index.ToString(CultureInfo.InvariantCulture), "--target", "label");

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] cells = Row(result.Output, index).Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(FashionMnistData.ClassNames[label], cells[2]);                   // target
        Assert.Equal(FashionMnistData.ClassNames[ArgMax(logits)], cells[3]);          // predicted
        double change = logits[label] - (double)cnn.Predict(new float[FashionMnistData.ImageSize])[label];
        Assert.Equal(change.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture), cells[5]);
    }

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    [Fact]
    public void ExactRule_ReportsPieces_AndIntegratesThePiecewiseLinearMlpExactly()
    {
        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "4", "--model", "mlp", "--rule", "exact");

        Assert.True(result.ExitCode == 0, result.ToString());
        string row = Row(result.Output, 4);
        Assert.Matches(@"\d+ pieces", row);
        // The exact rule's delta is float32 rounding only: far below Gauss-Legendre's on 50 points.
        Match delta = Regex.Match(row, @"(-?\d\.\d\dE[+-]\d\d)\s*│\s*(\d\.\d\dE[+-]\d\d)");
        Assert.True(delta.Success, row);
        Assert.True(double.Parse(delta.Groups[2].Value, CultureInfo.InvariantCulture) < 1e-5, row);
    }

    [Fact]
    public void DeclaredNetworkFromAnAssembly_LoadsItsWeights_AndExplains()
    {
        var net = new TinyNet();
        net.InitializeWeights(new Random(7));
        string weights = Path.Combine(_directory, "tiny.safetensors");
        net.SaveWeights(weights);
        var net64 = new TinyNet64();
        net64.InitializeWeights(new Random(8));
        string weights64 = Path.Combine(_directory, "tiny64.safetensors");
        net64.SaveWeights(weights64, Pathwise.Weights.TensorDType.F64);
        string assembly = typeof(TinyNet).Assembly.Location;

        CliResult single = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "0-1", "--model", weights, "--assembly", assembly, "--network", "TinyNet");
        CliResult @double = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "0", "--model", weights64, "--assembly", assembly, "--network", typeof(TinyNet64).FullName!);

        Assert.True(single.ExitCode == 0, single.ToString());
        Assert.True(@double.ExitCode == 0, @double.ToString());
        FashionMnistData data = FashionMnistData.LoadTest(CliRun.Slice);
        float[] logits = net.Predict(data.Image(1));
        int predicted = Array.IndexOf(logits, logits.Max());
        // Outputs of a declared network are named by index: label (a class name of the data), then predicted (the target, whose column is left out).
        string[] cells = Row(single.Output, 1).Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(cells[1] == FashionMnistData.ClassNames[data.Labels[1]] || cells[1] == data.Labels[1].ToString(CultureInfo.InvariantCulture), single.Output);
        Assert.Equal(predicted.ToString(CultureInfo.InvariantCulture), cells[2]);
        Assert.StartsWith("TinyNet64:", @double.Output);
    }

    [Fact]
    public void Report_IsOneSelfContainedPage_WithEveryPictureInline()
    {
        string report = Path.Combine(_directory, "page", "report.html");

        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "0,5", "--points", "16", "--report", report);

        Assert.True(result.ExitCode == 0, result.ToString());
        string html = File.ReadAllText(report);
        Assert.StartsWith("<!DOCTYPE html>", html);
        // Nothing is fetched: no external script, style, link or image.
        Assert.DoesNotMatch(@"(src|href)\s*=\s*""(?!data:)", html);
        Assert.DoesNotContain("<link", html);
        MatchCollection images = Regex.Matches(html, @"<img alt=""[^""]*"" src=""data:image/png;base64,([A-Za-z0-9+/=]+)""");
        Assert.Equal(3, images.Count);   // two panels and the convergence plot
        foreach (Match image in images)
        {
            using SKBitmap bitmap = SKBitmap.Decode(Convert.FromBase64String(image.Groups[1].Value));
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Width > 100);
        }

        Assert.Equal(2, Regex.Matches(html, @"<section class=""image""").Count);
        Assert.Equal(Row(result.Output, 5).Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[4],
            Regex.Match(html, @"id=""image-1"".*?data-field=""output-change""[^>]*>([^<]+)<", RegexOptions.Singleline).Groups[1].Value);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(report)!, "*.tmp"));
    }

    [Fact]
    public void Cancelled_StopsWithCode130_WritesNoHalfFile()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        string output = Path.Combine(_directory, "cancelled");

        CliResult result = CliRun.Run(cancel.Token, "explain", "--data", CliRun.Slice, "--images", "0-9", "--output", output, "--report", Path.Combine(output, "r.html"));

        Assert.Equal(130, result.ExitCode);
        Assert.Contains("stopped", result.Error);
        Assert.Empty(Directory.GetFiles(output, "*.tmp"));
        // The report says it is partial.
        Assert.Contains("Stopped by Ctrl-C after 0 of 10 images", File.ReadAllText(Path.Combine(output, "r.html")));
    }

    /// <summary>The table row of image <paramref name="index"/> (the line whose first cell is the index).</summary>
    internal static string Row(string output, int index)
    {
        foreach (string line in output.Split('\n'))
        {
            string[] cells = line.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (cells.Length > 5 && cells[0] == index.ToString(CultureInfo.InvariantCulture))
            {
                return line;
            }
        }

        throw new InvalidOperationException($"No table row for image {index} in:{Environment.NewLine}{output}");
    }
}
