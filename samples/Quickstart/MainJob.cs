using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using FashionMnist;
using Pathwise;
using Pathwise.Visualization;
using ScottPlot;
using SkiaSharp;

namespace Quickstart;

/// <summary>What <see cref="MainJob.Run"/> works on and where it writes.</summary>
/// <param name="DataDirectory">The folder with Fashion-MNIST's gzip IDX files.</param>
/// <param name="ModelsDirectory">The folder with <c>fashion-cnn.safetensors</c> and <c>fashion-mlp.safetensors</c>.</param>
/// <param name="OutputDirectory">The folder the pictures are written to (created when missing).</param>
/// <param name="Images">How many test images to explain, one per class, 1 to 10.</param>
/// <param name="Classify">How many test images to classify for the accuracy line (the first ones; at most the test set).</param>
public sealed record JobOptions(string DataDirectory, string ModelsDirectory, string OutputDirectory, int Images = 6, int Classify = 10_000);

/// <summary>One explained prediction: a row of the summary table.</summary>
public sealed record ExplanationRow(
    string Model, int Image, string Label, string Predicted, double Confidence, double OutputChange, double Delta, double RelativeDelta, int Points, double Milliseconds);

/// <summary>What the job did: the table's rows, the accuracies and the files it wrote.</summary>
public sealed record JobResult(IReadOnlyList<ExplanationRow> Rows, double CnnAccuracy, double MlpAccuracy, int Classified, IReadOnlyList<string> Files);

/// <summary>
/// The main job on the committed models: classify Fashion-MNIST test images with the CNN and the MLP, explain a
/// handful with Integrated Gradients (50 Gauss–Legendre points, zero baseline), print a summary table and write
/// pictures: per image the input, the signed heat-map and the overlay; for the CNN also the saturation curve, the
/// hidden layer's top conductances and, for the first image, region-to-neuron for the centre; per model the
/// convergence of every quadrature rule.
/// </summary>
public static class MainJob
{
    private const int Points = 50;
    private static readonly int[] ConvergencePoints = [2, 4, 8, 16, 32, 64, 128, 256];

    /// <summary>Runs the job, writing its report to <paramref name="log"/>.</summary>
    public static JobResult Run(JobOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Images is < 1 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Images, $"Expected 1 to 10 images to explain; got {options.Images}.");
        }

        var files = new List<string>();
        string output = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(output);

        FashionCnn cnn = FashionCnn.Load(Path.Combine(options.ModelsDirectory, "fashion-cnn.safetensors"));
        FashionMlp mlp = FashionMlp.Load(Path.Combine(options.ModelsDirectory, "fashion-mlp.safetensors"));
        FashionMnistData test = FashionMnistData.LoadTest(options.DataDirectory);
        int classify = Math.Clamp(options.Classify, 1, test.Count);

        // 1. Classify: both models over the first test images, one PredictBatch call each.
        var pixels = new float[classify * FashionMnistData.ImageSize];
        for (int i = 0; i < classify; i++)
        {
            test.CopyImage(i, pixels.AsSpan(i * FashionMnistData.ImageSize, FashionMnistData.ImageSize));
        }

        var clock = Stopwatch.StartNew();
        double cnnAccuracy = Accuracy(cnn, pixels, test, classify);
        double cnnSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        double mlpAccuracy = Accuracy(mlp, pixels, test, classify);
        double mlpSeconds = clock.Elapsed.TotalSeconds;
        log.WriteLine($"Classified {classify:N0} Fashion-MNIST test images: CNN {cnnAccuracy:P2} correct ({cnnSeconds:0.0} s), MLP {mlpAccuracy:P2} ({mlpSeconds:0.0} s).");

        // 2. Explain one test image per class with the predicted class as the target.
        var igOptions = new IntegratedGradientsOptions { Points = Points, Rule = QuadratureRule.GaussLegendre, Baseline = Baseline.Zero };
        var layerOptions = new LayerAttributionOptions { Points = Points, Rule = QuadratureRule.GaussLegendre, Baseline = Baseline.Zero };
        var cnnIg = new IntegratedGradients<float>(cnn, igOptions);
        var mlpIg = new IntegratedGradients<float>(mlp, igOptions);
        var baseline = new float[FashionMnistData.ImageSize];
        bool[] centre = FashionMnistData.Square(7, 7, 14);
        var rows = new List<ExplanationRow>();
        int[] picked = OnePerClass(test, options.Images);
        cnnIg.Attribute(test.Image(picked[0]), 0);   // warm-up, so the times below are steady-state
        mlpIg.Attribute(test.Image(picked[0]), 0);
        for (int n = 0; n < picked.Length; n++)
        {
            int index = picked[n];
            float[] image = test.Image(index);
            string stem = $"{n + 1:00}-{Slug(FashionMnistData.ClassNames[test.Labels[index]])}";
            foreach ((string name, INetwork<float> model, IntegratedGradients<float> ig) in new (string, INetwork<float>, IntegratedGradients<float>)[] { ("cnn", cnn, cnnIg), ("mlp", mlp, mlpIg) })
            {
                float[] logits = model.Predict(image);
                int target = ArgMax(logits);
                long start = Stopwatch.GetTimestamp();
                Attribution<float> attribution = ig.Attribute(image, target);
                double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                ConvergenceDelta delta = attribution.Delta;
                rows.Add(new ExplanationRow(
                    name.ToUpperInvariant(), index, FashionMnistData.ClassNames[test.Labels[index]], FashionMnistData.ClassNames[target], Softmax(logits, target),
                    delta.OutputAtInput - delta.OutputAtBaseline, delta.Absolute, delta.Relative, attribution.Points, milliseconds));

                string title = $"{name.ToUpperInvariant()}, test image {index} ({FashionMnistData.ClassNames[test.Labels[index]]}): IG of '{FashionMnistData.ClassNames[target]}', {Points} Gauss-Legendre points";
                using (SKBitmap panel = AttributionImages.Panel(image, attribution.Values, FashionMnistData.Side, FashionMnistData.Side, title))
                {
                    files.Add(Write(output, $"{name}-{stem}-ig.png", path => ImageFiles.WritePng(panel, path)));
                }

                if (model != (INetwork<float>)cnn)
                {
                    continue;
                }

                InteriorGradientsResult<float> interior = cnn.InteriorGradients(image, target, new InteriorGradientsOptions { Count = 50 });
                using (Plot saturation = Plots.SaturationCurve(interior, image, baseline, $"CNN, image {index}: saturation along the path, target '{FashionMnistData.ClassNames[target]}'"))
                {
                    files.Add(Write(output, $"{name}-{stem}-saturation.png", path => Plots.Save(saturation, path)));
                }

                LayerAttribution<float> conductance = cnn.LayerConductance(cnn.Hidden, image, target, layerOptions);
                using (Plot bars = Plots.TopBars(conductance.Values, 10, $"CNN, image {index}: conductance of Hidden, top 10 of 64 (sum {conductance.Sum():0.##})", "conductance"))
                {
                    files.Add(Write(output, $"{name}-{stem}-conductance.png", path => Plots.Save(bars, path)));
                }

                if (n == 0)
                {
                    LayerAttribution<float> region = cnn.RegionToNeuron(cnn.Hidden, image, target, centre, layerOptions);
                    using (Plot bars = Plots.TopBars(region.Values, 10, $"CNN, image {index}: centre 14x14 (rows, columns 7-20) via Hidden (region IG {region.Sum():0.##})", "share of the region's IG"))
                    {
                        files.Add(Write(output, $"{name}-{stem}-region-centre.png", path => Plots.Save(bars, path)));
                    }
                }
            }
        }

        // 3. Convergence of every rule on the first image, per model.
        float[] first = test.Image(picked[0]);
        files.Add(Write(output, "cnn-convergence.png", path => SaveConvergence(cnn, first, "CNN", path)));
        files.Add(Write(output, "mlp-convergence.png", path => SaveConvergence(mlp, first, "MLP", path)));

        PrintTable(rows, log);
        log.WriteLine();
        log.WriteLine($"Wrote {files.Count} pictures to {output}");
        return new JobResult(rows, cnnAccuracy, mlpAccuracy, classify, files);
    }

    /// <summary>The fraction of the first <paramref name="count"/> test images whose largest output is the label, with <c>PredictBatch</c>.</summary>
    public static double Accuracy(INetwork<float> model, ReadOnlySpan<float> pixels, FashionMnistData data, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var logits = new float[count * 10];
        model.PredictBatch(pixels[..(count * FashionMnistData.ImageSize)], logits);
        int correct = 0;
        for (int i = 0; i < count; i++)
        {
            correct += ArgMax(logits.AsSpan(i * 10, 10)) == data.Labels[i] ? 1 : 0;
        }

        return (double)correct / count;
    }

    private static void SaveConvergence(INetwork<float> model, float[] image, string name, string path)
    {
        int target = ArgMax(model.Predict(image));
        var series = new List<ConvergenceSeries>();
        foreach (QuadratureRule rule in Enum.GetValues<QuadratureRule>())
        {
            var deltas = new double[ConvergencePoints.Length];
            for (int k = 0; k < ConvergencePoints.Length; k++)
            {
                var ig = new IntegratedGradients<float>(model, new IntegratedGradientsOptions { Points = ConvergencePoints[k], Rule = rule });
                deltas[k] = ig.Attribute(image, target).Delta.Relative;
            }

            series.Add(new ConvergenceSeries(rule.ToString(), ConvergencePoints, deltas));
        }

        using Plot plot = Plots.Convergence(series, $"{name}: IG's relative convergence delta by rule (float32)");
        Plots.Save(plot, path);
    }

    private static void PrintTable(List<ExplanationRow> rows, TextWriter log)
    {
        log.WriteLine();
        log.WriteLine($"Integrated Gradients, {Points} Gauss-Legendre points, zero baseline (black image), target = predicted class:");
        log.WriteLine($"{"model",-5} {"image",5}  {"label",-11}  {"predicted",-11} {"conf.",7}  {"F(x)-F(0)",9}  {"delta",9}  {"rel. delta",10}  {"points",6}  {"ms",6}");
        foreach (ExplanationRow row in rows)
        {
            log.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{row.Model,-5} {row.Image,5}  {row.Label,-11}  {row.Predicted,-11} {row.Confidence,7:P1}  {row.OutputChange,9:+0.000;-0.000}  {row.Delta,9:E1}  {row.RelativeDelta,10:E1}  {row.Points,6}  {row.Milliseconds,6:0.00}"));
        }
    }

    private static string Write(string directory, string name, Action<string> write)
    {
        string path = Path.Combine(directory, name);
        write(path);
        return path;
    }

    private static int[] OnePerClass(FashionMnistData data, int count)
    {
        var picked = new List<int>();
        var seen = new HashSet<int>();
        for (int i = 0; i < data.Count && picked.Count < count; i++)
        {
            if (seen.Add(data.Labels[i]))
            {
                picked.Add(i);
            }
        }

        return [.. picked];
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    private static double Softmax(float[] logits, int target)
    {
        double max = logits[ArgMax(logits)];
        double total = 0;
        foreach (float logit in logits)
        {
            total += Math.Exp(logit - max);
        }

        return Math.Exp(logits[target] - max) / total;
    }

    private static string Slug(string name) => name.ToLowerInvariant().Replace('/', '-').Replace(' ', '-');
}
