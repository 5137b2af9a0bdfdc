using System;
using System.Globalization;
using SkiaSharp;

namespace Pathwise.Visualization;

/// <summary>A signed heat-map drawn by <see cref="AttributionImages.Heatmap"/>: the bitmap and where its parts are.</summary>
public sealed class RenderedHeatmap : IDisposable
{
    internal RenderedHeatmap(SKBitmap bitmap, SKRectI map, SKRectI colorBar, double clip, string[] labels)
    {
        Bitmap = bitmap;
        Map = map;
        ColorBar = colorBar;
        Clip = clip;
        Labels = labels;
    }

    /// <summary>The picture: the map, then the colour bar and its labels on the right.</summary>
    public SKBitmap Bitmap { get; }

    /// <summary>Where the map is: map pixel <c>(row, column)</c> covers <c>Scale x Scale</c> pixels from <c>(Map.Left + column·Scale, Map.Top + row·Scale)</c>.</summary>
    public SKRectI Map { get; }

    /// <summary>Where the colour bar is: its top row is <c>+Clip</c> (red), its middle 0 (white), its bottom row <c>-Clip</c> (blue).</summary>
    public SKRectI ColorBar { get; }

    /// <summary>The clipping value <c>c</c>: the colour bar runs from <c>-c</c> to <c>+c</c>.</summary>
    public double Clip { get; }

    /// <summary>The colour bar's lowest value, <c>-Clip</c>.</summary>
    public double ColorBarMinimum => -Clip;

    /// <summary>The colour bar's highest value, <c>+Clip</c>.</summary>
    public double ColorBarMaximum => Clip;

    /// <summary>The colour bar's labels, top to bottom: <c>+c</c>, <c>0</c>, <c>-c</c> (three significant digits).</summary>
    public string[] Labels { get; }

    /// <summary>Frees the bitmap.</summary>
    public void Dispose() => Bitmap.Dispose();
}

/// <summary>
/// Pictures of an attribution over an image: the input in grey, the signed heat-map with its colour bar
/// (<see cref="DivergingColorMap"/>, clipped at a percentile by <see cref="Clipping"/>) and the map blended over the input.
/// </summary>
public static class AttributionImages
{
    /// <summary>Blank pixels around a map and between a map and its colour bar.</summary>
    public const int Margin = 8;

    /// <summary>The colour bar's width in pixels.</summary>
    public const int ColorBarWidth = 16;

    /// <summary>The room right of the colour bar for its labels.</summary>
    public const int LabelWidth = 64;

    private const float FontSize = 13;

    /// <summary>
    /// The signed heat-map of <paramref name="values"/> (<c>[height, width]</c>, row-major): each value drawn as
    /// <see cref="DivergingColorMap.Map(double, double)"/> at the clipping value <c>c</c> (<see cref="HeatmapOptions.Clip"/>, else
    /// <see cref="Clipping.AbsolutePercentile"/> at <see cref="HeatmapOptions.Percentile"/>), with a colour bar from <c>-c</c>
    /// to <c>+c</c>. The bitmap is <c>Margin + width·Scale + Margin + ColorBarWidth + LabelWidth</c> wide and
    /// <c>height·Scale + 2 Margin</c> high.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is not <c>height·width</c> long, or holds NaN or infinity.</exception>
    public static RenderedHeatmap Heatmap(ReadOnlySpan<float> values, int height, int width, HeatmapOptions? options = null)
    {
        options ??= new HeatmapOptions();
        CheckShape(values.Length, height, width, nameof(values));
        double clip = options.Clip ?? Clipping.AbsolutePercentile(values, options.Percentile);
        int scale = options.Scale;
        var map = new SKRectI(Margin, Margin, Margin + width * scale, Margin + height * scale);
        var bar = new SKRectI(map.Right + Margin, map.Top, map.Right + Margin + ColorBarWidth, map.Bottom);
        var bitmap = new SKBitmap(bar.Right + LabelWidth, map.Bottom + Margin, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        var colors = new SKColor[values.Length];
        for (int i = 0; i < colors.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Expected finite values; values[{i}] is {values[i]}.", nameof(values));
            }

            colors[i] = DivergingColorMap.Map(values[i], clip);
        }

        FillMap(bitmap, map, scale, height, width, colors);

        // The bar: row y (0 at the top) shows t = 1 - 2 (y + 0.5) / barHeight, so its top is +c and its bottom -c.
        for (int y = 0; y < bar.Height; y++)
        {
            SKColor color = DivergingColorMap.Map(1 - 2 * (y + 0.5) / bar.Height);
            for (int x = bar.Left; x < bar.Right; x++)
            {
                bitmap.SetPixel(x, bar.Top + y, color);
            }
        }

        using var outline = new SKPaint { Color = SKColors.Gray, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawRect(bar.Left - 0.5f, bar.Top - 0.5f, bar.Width + 1, bar.Height + 1, outline);
        string[] labels = [Label(clip, signed: true), "0", Label(-clip, signed: true)];
        using var font = Font();
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        float x0 = bar.Right + 4;
        canvas.DrawText(labels[0], x0, bar.Top + FontSize - 2, font, ink);
        canvas.DrawText(labels[1], x0, bar.MidY + FontSize / 2 - 2, font, ink);
        canvas.DrawText(labels[2], x0, bar.Bottom, font, ink);
        canvas.Flush();
        return new RenderedHeatmap(bitmap, map, bar, clip, labels);
    }

    /// <summary>
    /// The input in grey: each value <c>v</c> drawn as the grey level <c>round(255 · clamp((v - low) / (high - low), 0, 1))</c>
    /// (0 black, 255 white), <c>Scale x Scale</c> pixels per value, with a <c>Margin</c> of white around it.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not <c>height·width</c>, or <c>high ≤ low</c>.</exception>
    public static SKBitmap Grayscale(ReadOnlySpan<float> image, int height, int width, int scale = 8, float low = 0, float high = 1)
    {
        CheckShape(image.Length, height, width, nameof(image));
        CheckScale(scale);
        if (!(high > low))
        {
            throw new ArgumentException($"Expected high > low; got low {low}, high {high}.", nameof(high));
        }

        var map = new SKRectI(Margin, Margin, Margin + width * scale, Margin + height * scale);
        var bitmap = new SKBitmap(map.Right + Margin, map.Bottom + Margin, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.Erase(SKColors.White);
        var colors = new SKColor[image.Length];
        for (int i = 0; i < colors.Length; i++)
        {
            colors[i] = Gray(image[i], low, high);
        }

        FillMap(bitmap, map, scale, height, width, colors);
        return bitmap;
    }

    /// <summary>
    /// The map blended over the grey input: with <c>g</c> the input's grey, <c>C = Map(t)</c> the map's colour at
    /// <c>t = clamp(v / c, -1, 1)</c> and <c>α = OverlayOpacity · |t|</c>, each channel is <c>(1 - α) g + α C</c>: where the
    /// attribution is zero the input shows unchanged. Same size as <see cref="Grayscale"/>. Returns the bitmap and the clip used.
    /// </summary>
    /// <exception cref="ArgumentException">A length is not <c>height·width</c>, or a value is not finite.</exception>
    public static (SKBitmap Bitmap, double Clip) Overlay(ReadOnlySpan<float> image, ReadOnlySpan<float> values, int height, int width, HeatmapOptions? options = null, float low = 0, float high = 1)
    {
        options ??= new HeatmapOptions();
        CheckShape(image.Length, height, width, nameof(image));
        CheckShape(values.Length, height, width, nameof(values));
        double clip = options.Clip ?? Clipping.AbsolutePercentile(values, options.Percentile);
        int scale = options.Scale;
        double opacity = options.OverlayOpacity;
        var map = new SKRectI(Margin, Margin, Margin + width * scale, Margin + height * scale);
        var bitmap = new SKBitmap(map.Right + Margin, map.Bottom + Margin, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.Erase(SKColors.White);
        var colors = new SKColor[values.Length];
        for (int i = 0; i < colors.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Expected finite values; values[{i}] is {values[i]}.", nameof(values));
            }

            double t = clip == 0 ? 0 : Math.Clamp(values[i] / clip, -1, 1);
            SKColor grey = Gray(image[i], low, high);
            SKColor color = DivergingColorMap.Map(t);
            double alpha = opacity * Math.Abs(t);
            colors[i] = new SKColor(Blend(grey.Red, color.Red, alpha), Blend(grey.Green, color.Green, alpha), Blend(grey.Blue, color.Blue, alpha));
        }

        FillMap(bitmap, map, scale, height, width, colors);
        return (bitmap, clip);
    }

    /// <summary>
    /// One picture of three tiles side by side under their titles: the input (<see cref="Grayscale"/>), the heat-map
    /// with its colour bar (<see cref="Heatmap"/>) and the overlay (<see cref="Overlay"/>), the last two at the same clip.
    /// </summary>
    public static SKBitmap Panel(ReadOnlySpan<float> image, ReadOnlySpan<float> values, int height, int width, string title, HeatmapOptions? options = null)
    {
        options ??= new HeatmapOptions();
        using SKBitmap input = Grayscale(image, height, width, options.Scale);
        using RenderedHeatmap heatmap = Heatmap(values, height, width, options);
        (SKBitmap overlayBitmap, _) = Overlay(image, values, height, width, options with { Clip = heatmap.Clip });
        using SKBitmap overlay = overlayBitmap;
        const int titleHeight = 40;
        SKBitmap[] tiles = [input, heatmap.Bitmap, overlay];
        string[] captions = ["input", $"attribution, clipped at ±{Label(heatmap.Clip, signed: false)} (p{options.Percentile:0.#} of |value|)", "overlay"];
        int panelWidth = 0;
        int panelHeight = 0;
        foreach (SKBitmap tile in tiles)
        {
            panelWidth += tile.Width;
            panelHeight = Math.Max(panelHeight, tile.Height);
        }

        var panel = new SKBitmap(panelWidth, panelHeight + titleHeight, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(panel);
        canvas.Clear(SKColors.White);
        using var font = Font();
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, Margin, FontSize + 2, font, ink);
        int left = 0;
        for (int k = 0; k < tiles.Length; k++)
        {
            canvas.DrawText(Fit(captions[k], font, tiles[k].Width - Margin), left + Margin, titleHeight - 4, font, ink);
            canvas.DrawBitmap(tiles[k], left, titleHeight);
            left += tiles[k].Width;
        }

        canvas.Flush();
        return panel;
    }

    /// <summary>The clipping value as a colour-bar label: three significant digits, invariant culture, a sign when <paramref name="signed"/>.</summary>
    public static string Label(double value, bool signed) =>
        (signed && value > 0 ? "+" : "") + value.ToString("G3", CultureInfo.InvariantCulture);

    private static void FillMap(SKBitmap bitmap, SKRectI map, int scale, int height, int width, SKColor[] colors)
    {
        for (int row = 0; row < height; row++)
        {
            for (int column = 0; column < width; column++)
            {
                SKColor c = colors[row * width + column];
                int top = map.Top + row * scale;
                int left = map.Left + column * scale;
                for (int dy = 0; dy < scale; dy++)
                {
                    for (int dx = 0; dx < scale; dx++)
                    {
                        bitmap.SetPixel(left + dx, top + dy, c);
                    }
                }
            }
        }
    }

    private static SKColor Gray(float value, float low, float high)
    {
        double fraction = float.IsFinite(value) ? Math.Clamp((value - low) / (double)(high - low), 0, 1) : 0;
        byte level = (byte)Math.Round(255 * fraction, MidpointRounding.AwayFromZero);
        return new SKColor(level, level, level);
    }

    private static byte Blend(byte under, byte over, double alpha) =>
        (byte)Math.Round((1 - alpha) * under + alpha * over, MidpointRounding.AwayFromZero);

    private static string Fit(string text, SKFont font, float width)
    {
        while (text.Length > 4 && font.MeasureText(text) > width)
        {
            text = text[..^4] + "...";
        }

        return text;
    }

    internal static SKFont Font() => new(SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default, FontSize);

    private static void CheckShape(int length, int height, int width, string name)
    {
        if (height < 1 || width < 1 || length != (long)height * width)
        {
            throw new ArgumentException($"Expected {name} of {height} x {width} = {(long)height * width} values (height and width >= 1); got {length}.", name);
        }
    }

    private static void CheckScale(int scale)
    {
        if (scale is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"Expected a scale in [1, 64]; got {scale}.");
        }
    }
}
