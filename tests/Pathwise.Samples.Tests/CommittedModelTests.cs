using System;
using System.IO;
using FashionMnist;
using Pathwise;
using Pathwise.Visualization;
using Quickstart;
using SkiaSharp;
using Xunit;

namespace Pathwise.Samples.Tests;

/// <summary>The committed models (samples/Models) on the full Fashion-MNIST test set, and the quick start's main job end to end.</summary>
public sealed class CommittedModelTests : IDisposable
{
    private static readonly string Models = Path.Combine(AppContext.BaseDirectory, "Models");
    private readonly string _directory = Directory.CreateTempSubdirectory("quickstart").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [DatasetFact]
    public void Cnn_IsAtLeast90PercentAccurate()
    {
        FashionMnistData test = FashionMnistData.LoadTest(FashionMnistData.DefaultDirectory);
        FashionCnn cnn = FashionCnn.Load(Path.Combine(Models, "fashion-cnn.safetensors"));
        double accuracy = MainJob.Accuracy(cnn, AllImages(test), test, test.Count);
        Assert.Equal(10_000, test.Count);
        Assert.True(accuracy >= 0.90, $"CNN test accuracy {accuracy:P2}; expected at least 90 %.");
    }

    [DatasetFact]
    public void Mlp_IsAtLeast88PercentAccurate()
    {
        FashionMnistData test = FashionMnistData.LoadTest(FashionMnistData.DefaultDirectory);
        FashionMlp mlp = FashionMlp.Load(Path.Combine(Models, "fashion-mlp.safetensors"));
        double accuracy = MainJob.Accuracy(mlp, AllImages(test), test, test.Count);
        Assert.True(accuracy >= 0.88, $"MLP test accuracy {accuracy:P2}; expected at least 88 %.");
    }

    [Fact]
    public void CommittedSlice_RunsTheMainJobWithoutTheDataSet()
    {
        // The first command's fallback on a machine without Debian's Fashion-MNIST: 500 committed test images.
        string slice = Path.Combine(Models, "fashion-mnist-slice");
        FashionMnistData test = FashionMnistData.LoadTest(slice);
        Assert.Equal(500, test.Count);
        if (Directory.Exists(FashionMnistData.DefaultDirectory))
        {
            FashionMnistData full = FashionMnistData.LoadTest(FashionMnistData.DefaultDirectory);
            Assert.Equal(full.Labels.AsSpan(0, 500).ToArray(), test.Labels);
            Assert.Equal(full.Image(499), test.Image(499));
        }

        var log = new StringWriter();
        JobResult result = MainJob.Run(new JobOptions(slice, Models, Path.Combine(_directory, "slice"), Images: 1, Classify: 500), log);
        Assert.Equal(500, result.Classified);
        Assert.True(result.CnnAccuracy >= 0.88, $"CNN accuracy on the slice {result.CnnAccuracy:P2}");
    }

    [DatasetFact]
    public void MainJob_WritesTheTableAndThePictures()
    {
        var log = new StringWriter();
        string output = Path.Combine(_directory, "out");
        JobResult result = MainJob.Run(new JobOptions(FashionMnistData.DefaultDirectory, Models, output, Images: 2, Classify: 200), log);

        // Two images, each explained by both models.
        Assert.Equal(4, result.Rows.Count);
        Assert.Equal(200, result.Classified);
        foreach (ExplanationRow row in result.Rows)
        {
            Assert.Equal(50, row.Points);
            Assert.InRange(row.Confidence, 0.1, 1.0);
            Assert.True(row.RelativeDelta < 0.05, $"{row.Model} image {row.Image}: relative delta {row.RelativeDelta}");
            Assert.Contains($"{row.Image,5}  {row.Label,-11}  {row.Predicted,-11}", log.ToString());
        }

        // Per image: the CNN's and the MLP's IG panels, the CNN's saturation curve and conductance; for the first image the
        // region-to-neuron bars; per model the convergence plot.
        FashionMnistData test = FashionMnistData.LoadTest(FashionMnistData.DefaultDirectory);
        string first = Slug(FashionMnistData.ClassNames[test.Labels[0]]);
        string[] expected =
        [
            $"cnn-01-{first}-ig.png", $"mlp-01-{first}-ig.png", $"cnn-01-{first}-saturation.png", $"cnn-01-{first}-conductance.png",
            $"cnn-01-{first}-region-centre.png", "cnn-convergence.png", "mlp-convergence.png",
        ];
        foreach (string name in expected)
        {
            Assert.Contains(Path.Combine(output, name), result.Files);
        }

        Assert.Equal(11, result.Files.Count);
        Assert.Equal(11, Directory.GetFiles(output).Length);   // nothing else, no temp file
        Assert.Contains($"Wrote 11 pictures to {output}", log.ToString());

        // A panel is the grey input, the heat-map with its bar and the overlay side by side under a 40-pixel title band.
        using SKBitmap panel = SKBitmap.Decode(Path.Combine(output, $"cnn-01-{first}-ig.png"));
        int tile = 28 * 8 + 2 * AttributionImages.Margin;
        Assert.Equal(tile + (tile + AttributionImages.ColorBarWidth + AttributionImages.LabelWidth) + tile, panel.Width);
        Assert.Equal(tile + 40, panel.Height);
        using SKBitmap plot = SKBitmap.Decode(Path.Combine(output, "cnn-convergence.png"));
        Assert.Equal((Plots.DefaultWidth, Plots.DefaultHeight), (plot.Width, plot.Height));
    }

    [DatasetFact]
    public void SaturationIntegrand_IntegratesToTheOutputChange()
    {
        // The committed MLP is piecewise linear along the path, so the integrand is piecewise constant: its right Riemann
        // sum (1/n) · Σ_k dF/da(k/n), k = 1..n, is F(x) - F(0) up to the few steps that straddle a ReLU kink, each off
        // by at most |jump| / n. Independent truth: F from Predict.
        FashionMnistData test = FashionMnistData.LoadTest(FashionMnistData.DefaultDirectory);
        FashionMlp mlp = FashionMlp.Load(Path.Combine(Models, "fashion-mlp.safetensors"));
        float[] image = test.Image(0);
        var baseline = new float[image.Length];
        const int n = 4000;
        InteriorGradientsResult<float> interior = mlp.InteriorGradients(image, 9, new InteriorGradientsOptions { Count = n });
        double[] integrand = Plots.PathIntegrand(interior, image, baseline);
        double integral = 0;
        foreach (double value in integrand)
        {
            integral += value / n;
        }

        double change = (double)mlp.Predict(image)[9] - mlp.Predict(baseline)[9];
        Assert.Equal(change, interior.OutputAtInput - interior.OutputAtBaseline, 3);
        Assert.True(Math.Abs(integral - change) <= 2e-3 * Math.Abs(change), $"integral {integral}, F(x) - F(0) {change}");
        Assert.Throws<ArgumentException>(() => Plots.PathIntegrand(interior, image.AsSpan(1), baseline));
    }

    private static float[] AllImages(FashionMnistData data)
    {
        var pixels = new float[data.Count * FashionMnistData.ImageSize];
        for (int i = 0; i < data.Count; i++)
        {
            data.CopyImage(i, pixels.AsSpan(i * FashionMnistData.ImageSize, FashionMnistData.ImageSize));
        }

        return pixels;
    }

    private static string Slug(string name) => name.ToLowerInvariant().Replace('/', '-').Replace(' ', '-');
}
