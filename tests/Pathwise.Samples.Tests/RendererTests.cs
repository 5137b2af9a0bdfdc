using System;
using System.IO;
using Pathwise.Visualization;
using SkiaSharp;
using Xunit;

namespace Pathwise.Samples.Tests;

/// <summary>The pictures: sizes, colours that follow the sign under the documented map, the colour bar's range, the clipping.</summary>
public sealed class RendererTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pictures").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(-1.0, 0, 0, 255)]     // -1: blue
    [InlineData(-0.5, 128, 128, 255)] // halfway to blue: 255 · 0.5 = 127.5 rounds to 128
    [InlineData(0.0, 255, 255, 255)]  // 0: white
    [InlineData(0.25, 255, 191, 191)] // 255 · 0.75 = 191.25
    [InlineData(1.0, 255, 0, 0)]      // +1: red
    [InlineData(3.0, 255, 0, 0)]      // clamped
    [InlineData(-7.0, 0, 0, 255)]
    public void ColorMap_IsBlueWhiteRed(double t, int red, int green, int blue)
    {
        SKColor color = DivergingColorMap.Map(t);
        Assert.Equal((red, green, blue), (color.Red, color.Green, color.Blue));
    }

    [Fact]
    public void Percentile_MatchesNumpyLinearInterpolation()
    {
        // |values| sorted: 0, 1, 2, ..., 100 (101 values, signs mixed): rank p/100 · 100 = p exactly.
        var values = new float[101];
        for (int i = 0; i <= 100; i++)
        {
            values[i] = (i % 2 == 0 ? 1 : -1) * (100 - i);
        }

        Assert.Equal(99.0, Clipping.AbsolutePercentile(values, 99));
        Assert.Equal(50.0, Clipping.AbsolutePercentile(values, 50));
        Assert.Equal(100.0, Clipping.AbsolutePercentile(values, 100));
        Assert.Equal(0.0, Clipping.AbsolutePercentile(values, 0));

        // np.percentile(np.abs([-4, 1, 3, 10]), 99): sorted 1, 3, 4, 10, rank 0.99 · 3 = 2.97, so 4 + 0.97 · (10 - 4) = 9.82.
        Assert.Equal(9.82, Clipping.AbsolutePercentile([-4f, 1f, 3f, 10f], 99), 12);
        Assert.Equal(0.0, Clipping.AbsolutePercentile([], 99));
    }

    [Fact]
    public void Percentile_RejectsBadInput()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Clipping.AbsolutePercentile([1f], 100.5));
        ArgumentException e = Assert.Throws<ArgumentException>(() => Clipping.AbsolutePercentile([1f, float.NaN], 99));
        Assert.Contains("values[1]", e.Message);
    }

    [Fact]
    public void Heatmap_HasTheDocumentedSize()
    {
        using RenderedHeatmap heatmap = AttributionImages.Heatmap(new float[28 * 28], 28, 28, new HeatmapOptions { Scale = 5 });
        int margin = AttributionImages.Margin;
        Assert.Equal(margin + 28 * 5 + margin + AttributionImages.ColorBarWidth + AttributionImages.LabelWidth, heatmap.Bitmap.Width);
        Assert.Equal(28 * 5 + 2 * margin, heatmap.Bitmap.Height);
        Assert.Equal(new SKRectI(margin, margin, margin + 140, margin + 140), heatmap.Map);

        using SKBitmap grey = AttributionImages.Grayscale(new float[6 * 10], 6, 10, scale: 3);
        Assert.Equal((10 * 3 + 2 * margin, 6 * 3 + 2 * margin), (grey.Width, grey.Height));
    }

    [Fact]
    public void Heatmap_PixelsFollowTheSign()
    {
        // Left third negative, middle third zero, right third positive; magnitudes 2 everywhere except one outlier.
        const int height = 12;
        const int width = 12;
        var values = new float[height * width];
        for (int row = 0; row < height; row++)
        {
            for (int column = 0; column < width; column++)
            {
                values[row * width + column] = column < 4 ? -2f : column < 8 ? 0f : 2f;
            }
        }

        values[0] = -50f; // an outlier, clipped away by the 99th percentile
        const int scale = 4;
        using RenderedHeatmap heatmap = AttributionImages.Heatmap(values, height, width, new HeatmapOptions { Scale = scale });
        Assert.Equal(2.0, heatmap.Clip, 12);   // 143 of 144 magnitudes are 0 or 2; rank 0.99 · 143 lands in the 2s
        for (int row = 0; row < height; row++)
        {
            for (int column = 0; column < width; column++)
            {
                SKColor pixel = heatmap.Bitmap.GetPixel(heatmap.Map.Left + column * scale + scale / 2, heatmap.Map.Top + row * scale + scale / 2);
                SKColor expected = column < 4 ? new SKColor(0, 0, 255) : column < 8 ? new SKColor(255, 255, 255) : new SKColor(255, 0, 0);
                Assert.Equal(expected, pixel);
            }
        }
    }

    [Fact]
    public void Heatmap_HalfTheClipIsHalfwayOnTheMapAndTheBar()
    {
        var values = new float[] { 4f, 2f, -2f, 0f };
        using RenderedHeatmap heatmap = AttributionImages.Heatmap(values, 2, 2, new HeatmapOptions { Scale = 40, Percentile = 100 });
        Assert.Equal(4.0, heatmap.Clip);
        Assert.Equal(new SKColor(255, 128, 128), heatmap.Bitmap.GetPixel(heatmap.Map.Left + 60, heatmap.Map.Top + 20));  // +2 = +c/2
        Assert.Equal(new SKColor(128, 128, 255), heatmap.Bitmap.GetPixel(heatmap.Map.Left + 20, heatmap.Map.Top + 60));  // -2 = -c/2

        // The bar's row a quarter down (row 20 of 80: t = 1 - 2 · 20.5 / 80 = 0.4875) stands for +c/2 within one row's step
        // (2/80 of t, 6.4 grey levels): green 255 · 0.5125 = 130.7.
        SKColor bar = heatmap.Bitmap.GetPixel(heatmap.ColorBar.MidX, heatmap.ColorBar.Top + heatmap.ColorBar.Height / 4);
        Assert.Equal(80, heatmap.ColorBar.Height);
        Assert.Equal((255, 131, 131), (bar.Red, bar.Green, bar.Blue));
    }

    [Fact]
    public void ColorBar_RangeIsTheClippingValue()
    {
        var random = new Random(7);
        var values = new float[28 * 28];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * 0.3f;
        }

        double clip = Clipping.AbsolutePercentile(values, 99);
        using RenderedHeatmap heatmap = AttributionImages.Heatmap(values, 28, 28);
        Assert.Equal(clip, heatmap.Clip);
        Assert.Equal(-clip, heatmap.ColorBarMinimum);
        Assert.Equal(clip, heatmap.ColorBarMaximum);
        Assert.Equal([AttributionImages.Label(clip, signed: true), "0", AttributionImages.Label(-clip, signed: true)], heatmap.Labels);
        Assert.InRange(double.Parse(heatmap.Labels[0], System.Globalization.CultureInfo.InvariantCulture), clip * 0.995, clip * 1.005);

        // Top of the bar: red (t = 1 - 1/height, within one step of +1); bottom: blue; middle rows: near white.
        SKColor top = heatmap.Bitmap.GetPixel(heatmap.ColorBar.MidX, heatmap.ColorBar.Top);
        SKColor bottom = heatmap.Bitmap.GetPixel(heatmap.ColorBar.MidX, heatmap.ColorBar.Bottom - 1);
        Assert.Equal(255, top.Red);
        Assert.Equal(top.Green, top.Blue);
        Assert.InRange(top.Green, 0, 2);       // 255 / 224 = 1.1
        Assert.Equal(255, bottom.Blue);
        Assert.Equal(bottom.Red, bottom.Green);
        Assert.InRange(bottom.Green, 0, 2);

        // A fixed clip is taken as given, and values beyond it saturate.
        using RenderedHeatmap fixedClip = AttributionImages.Heatmap(values, 28, 28, new HeatmapOptions { Clip = 0.1 });
        Assert.Equal(0.1, fixedClip.Clip);
        Assert.Equal("+0.1", fixedClip.Labels[0]);
    }

    [Fact]
    public void Overlay_ShowsTheInputWhereTheAttributionIsZero()
    {
        float[] image = [0.2f, 0.2f, 0.2f, 1f];
        float[] values = [0f, 1f, -1f, 0f];
        (SKBitmap bitmap, double clip) = AttributionImages.Overlay(image, values, 2, 2, new HeatmapOptions { Scale = 2, Percentile = 100, OverlayOpacity = 0.5 });
        using (bitmap)
        {
            int m = AttributionImages.Margin;
            Assert.Equal(1.0, clip);
            Assert.Equal(new SKColor(51, 51, 51), bitmap.GetPixel(m, m));                    // 0.2 · 255 grey, unchanged
            Assert.Equal(new SKColor(153, 26, 26), bitmap.GetPixel(m + 2, m));               // 0.5 grey 51 + 0.5 red
            Assert.Equal(new SKColor(26, 26, 153), bitmap.GetPixel(m, m + 2));               // 0.5 grey 51 + 0.5 blue
            Assert.Equal(new SKColor(255, 255, 255), bitmap.GetPixel(m + 2, m + 2));         // white input, zero attribution
        }
    }

    [Fact]
    public void Renderer_RejectsMisshapedInput()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => AttributionImages.Heatmap(new float[10], 3, 3));
        Assert.Contains("3 x 3 = 9", e.Message);
        Assert.Contains("got 10", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeatmapOptions { Scale = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeatmapOptions { Percentile = 101 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeatmapOptions { Clip = -1 });
    }

    [Fact]
    public void Pngs_AreWrittenAtomicallyWithTheirSize()
    {
        string path = Path.Combine(_directory, "sub", "map.png");
        using (RenderedHeatmap heatmap = AttributionImages.Heatmap(new float[28 * 28], 28, 28))
        {
            ImageFiles.WritePng(heatmap.Bitmap, path);
            ImageFiles.WritePng(heatmap.Bitmap, path);   // overwrites
            using SKBitmap read = SKBitmap.Decode(path);
            Assert.Equal((heatmap.Bitmap.Width, heatmap.Bitmap.Height), (read.Width, read.Height));
        }

        using (ScottPlot.Plot plot = Plots.TopBars([0.5f, -2f, 1f], 2, "bars", "value"))
        {
            string plotPath = Path.Combine(_directory, "bars.png");
            Plots.Save(plot, plotPath, 640, 400);
            using SKBitmap read = SKBitmap.Decode(plotPath);
            Assert.Equal((640, 400), (read.Width, read.Height));
        }

        string[] entries = Array.ConvertAll(Directory.GetFileSystemEntries(_directory), entry => Path.GetFileName(entry));
        Array.Sort(entries, StringComparer.Ordinal);
        Assert.Equal(["bars.png", "sub"], entries);   // no temp file left behind
        Assert.Equal(["map.png"], Array.ConvertAll(Directory.GetFiles(Path.Combine(_directory, "sub")), file => Path.GetFileName(file)));
    }

    [Fact]
    public void TopByMagnitude_OrdersByAbsoluteValue()
    {
        Assert.Equal([1, 3, 0], Plots.TopByMagnitude([0.5f, -2f, 0.1f, 1f], 3));
        Assert.Equal([1, 0], Plots.TopByMagnitude([0.5f, -2f], 10));
    }
}
