using System;
using System.Collections.Generic;
using System.Globalization;
using Pathwise.Visualization;
using ScottPlot;
using SkiaSharp;

namespace Pathwise.Cli.Explaining;

/// <summary>One picture: its file name, a caption for the report, and the encoded PNG.</summary>
/// <param name="FileName">The name in the output folder.</param>
/// <param name="Caption">What it shows.</param>
/// <param name="Png">The PNG bytes.</param>
internal sealed record Picture(string FileName, string Caption, byte[] Png);

/// <summary>
/// The pictures of an explanation, drawn with <c>Pathwise.Visualization</c> and encoded to PNG in memory (the folder and
/// the report get the same bytes): the input, heat-map and overlay panel of an input attribution; the saturation
/// curve of interior gradients; the top neurons of a layer attribution; the rules' convergence.
/// </summary>
internal static class Pictures
{
    private const int PlotWidth = 800;
    private const int PlotHeight = 450;

    /// <summary>The pictures of <paramref name="explanation"/> of <paramref name="image"/> (<c>height x width</c>).</summary>
    public static List<Picture> Draw(Explanation explanation, float[] image, int height, int width, string stem, string title, string layer)
    {
        var pictures = new List<Picture>();
        if (explanation.InputValues is { } values)
        {
            using SKBitmap panel = AttributionImages.Panel(image, values, height, width, title);
            pictures.Add(new Picture($"{stem}.png", title, Encode(panel)));
        }

        if (explanation.Saturation is { } saturation)
        {
            using Plot plot = Plots.SaturationCurve(saturation, image, new float[image.Length], title);
            pictures.Add(new Picture($"{stem}.png", title + ": saturation along the path and the IG integrand", Encode(plot)));
        }

        if (explanation.LayerValues is { } neurons)
        {
            int top = Math.Min(10, neurons.Length);
            string summary = $"top {top} of {neurons.Length} neurons of {layer} (sum {explanation.Sum.ToString("0.###", CultureInfo.InvariantCulture)})";
            string caption = $"{title}: {summary}";
            using Plot plot = Plots.TopBars(neurons, top, summary, "attribution");
            pictures.Add(new Picture($"{stem}.png", caption, Encode(plot)));
        }

        return pictures;
    }

    /// <summary>The convergence plot: each rule's relative delta against points, log-log.</summary>
    public static Picture Convergence(IReadOnlyList<ConvergenceSeries> series, string fileName, string title)
    {
        using Plot plot = Plots.Convergence(series, title);
        return new Picture(fileName, title, Encode(plot));
    }

    private static byte[] Encode(SKBitmap bitmap)
    {
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}x{bitmap.Height} bitmap as PNG.");
        return data.ToArray();
    }

    private static byte[] Encode(Plot plot)
    {
        using ScottPlot.Image rendered = plot.GetImage(PlotWidth, PlotHeight);
        return rendered.GetImageBytes(ImageFormat.Png, 100);
    }
}
