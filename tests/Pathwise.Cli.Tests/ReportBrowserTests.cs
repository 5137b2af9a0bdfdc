using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using FashionMnist;
using SkiaSharp;
using Xunit;

namespace Pathwise.Cli.Tests;

/// <summary>
/// The report in a real browser: headless Chromium loads the page from disk, runs its script (which marks the body
/// once every picture has decoded with a width) and renders a screenshot; the DOM after load must show every picture
/// loaded and the summary table must hold the numbers the network gives.
/// </summary>
public sealed class ReportBrowserTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pathwise-browser").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [ChromiumFact]
    public void Report_InChromium_LoadsEveryPicture_AndItsTableHoldsTheNumbers()
    {
        string report = Path.Combine(_directory, "report.html");
        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "0-2", "--points", "16", "--report", report);
        Assert.True(result.ExitCode == 0, result.ToString());

        string dom = Chromium("--dump-dom", new Uri(report).AbsoluteUri);

        // Three panels and the convergence plot, all decoded with a width.
        Assert.Contains("data-images-loaded=\"4/4\"", dom);
        Assert.Contains("data-images-ok=\"true\"", dom);
        string summary = Regex.Match(dom, @"<table id=""summary"">(.*?)</table>", RegexOptions.Singleline).Groups[1].Value;
        string[][] rows = [.. Regex.Matches(summary, @"<tr>(.*?)</tr>", RegexOptions.Singleline)
            .Skip(1)
            .Select(row => Regex.Matches(row.Groups[1].Value, @"<td[^>]*>(.*?)</td>").Select(cell => WebUtility.HtmlDecode(cell.Groups[1].Value)).ToArray())];
        Assert.Equal(3, rows.Length);
        FashionCnn cnn = FashionCnn.Load(CliRun.Weights("cnn"));
        FashionMnistData data = FashionMnistData.LoadTest(CliRun.Slice);
        float[] atZero = cnn.Predict(new float[FashionMnistData.ImageSize]);
        for (int index = 0; index < 3; index++)
        {
            float[] logits = cnn.Predict(data.Image(index));
            int predicted = Array.IndexOf(logits, logits.Max());
            string[] cells = rows[index];
            Assert.Equal(index.ToString(CultureInfo.InvariantCulture), cells[0]);
            Assert.Equal(FashionMnistData.ClassNames[data.Labels[index]], cells[1]);
            Assert.Equal(FashionMnistData.ClassNames[predicted], cells[3]);
            Assert.Equal(((double)logits[predicted] - atZero[predicted]).ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture), cells[5]);
            // Completeness: |delta| = |sum of attributions - (F(x) - F(0))| to the table's rounding.
            double sum = double.Parse(cells[6], CultureInfo.InvariantCulture);
            double change = double.Parse(cells[5], CultureInfo.InvariantCulture);
            double delta = double.Parse(cells[7], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(sum - change - delta) <= 1e-4 + Math.Abs(delta) * 0.01, $"row {index}: sum {sum}, change {change}, delta {delta}");
        }

        // The screenshot shows the heat-maps: strongly red and strongly blue pixels, which nothing else on the page has.
        string screenshot = Path.Combine(_directory, "report.png");
        Chromium($"--screenshot={screenshot}", "--window-size=1280,1200", "--hide-scrollbars", new Uri(report).AbsoluteUri);
        using SKBitmap shot = SKBitmap.Decode(screenshot);
        Assert.NotNull(shot);
        int red = 0;
        int blue = 0;
        using SKBitmap rgba = shot.Copy(SKColorType.Rgba8888);
        ReadOnlySpan<byte> pixels = rgba.GetPixelSpan();
        for (int i = 0; i < pixels.Length; i += 4)
        {
            byte r = pixels[i];
            byte g = pixels[i + 1];
            byte b = pixels[i + 2];
            red += r > 200 && g < 90 && b < 90 ? 1 : 0;
            blue += b > 200 && r < 90 && g < 90 ? 1 : 0;
        }

        Assert.True(red > 100 && blue > 100, $"the screenshot has {red} red and {blue} blue pixels; the heat-maps did not render.");
    }

    [ChromiumFact]
    public void BrokenPicture_IsReported_ByThePagesOwnCheck()
    {
        // The control for the test above: the same check must fail when a picture does not decode.
        string report = Path.Combine(_directory, "report.html");
        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "0-1", "--points", "8", "--report", report);
        Assert.True(result.ExitCode == 0, result.ToString());
        string html = File.ReadAllText(report);
        int start = html.IndexOf("data:image/png;base64,", StringComparison.Ordinal) + "data:image/png;base64,".Length;
        string broken = Path.Combine(_directory, "broken.html");
        File.WriteAllText(broken, html[..start] + "AAAA" + html[(start + 4)..]);

        string dom = Chromium("--dump-dom", new Uri(broken).AbsoluteUri);

        Assert.Contains("data-images-loaded=\"2/3\"", dom);
        Assert.Contains("data-images-ok=\"false\"", dom);
    }

    private string Chromium(params string[] arguments)
    {
        var start = new ProcessStartInfo(ChromiumFactAttribute.Path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={Path.Combine(_directory, "profile")}", "--virtual-time-budget=5000" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "chromium did not finish within 30 s.");
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {error.Result}");
        return output;
    }
}
