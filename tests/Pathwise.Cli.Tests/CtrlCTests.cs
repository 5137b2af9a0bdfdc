using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SkiaSharp;
using Xunit;

namespace Pathwise.Cli.Tests;

/// <summary>Ctrl-C on the tool as a process: SIGINT stops it with code 130, and every file it wrote is whole.</summary>
public sealed class CtrlCTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pathwise-sigint").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Sigint_StopsWith130_KeepsEveryFinishedPicture_AndWritesThePartialReport()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;   // SIGINT by kill(1), through GNU env's --default-signal
        }

        string output = Path.Combine(_directory, "out");
        string report = Path.Combine(output, "report.html");
        // Through env(1) with SIGINT's default action restored: a child inherits an ignored SIGINT (a test host may
        // run with it ignored, as a shell's background jobs do), and .NET then leaves it ignored, as it should.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (string argument in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "Pathwise.Cli.dll"), "explain", "--data", CliRun.Slice, "--images", "all", "--output", output, "--report", report })
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        try
        {
            await Interrupt(process, output, report);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task Interrupt(Process process, string output, string report)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while ((!Directory.Exists(output) || Directory.GetFiles(output, "*.png").Length < 3) && clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
        {
            Thread.Sleep(20);
        }

        Assert.False(process.HasExited, "The tool ended before it was interrupted.");
        using (Process kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }

        using var stopWithin = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(stopWithin.Token);   // throws if the tool does not stop within 30 s of SIGINT
        string errors = await stderr;
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}; stderr: {errors}");
        Assert.Contains("stopped: cancelled after", errors);
        string[] pictures = Directory.GetFiles(output, "*.png");
        Assert.InRange(pictures.Length, 3, 499);
        foreach (string picture in pictures)
        {
            using SKBitmap bitmap = SKBitmap.Decode(picture);
            Assert.True(bitmap is { Width: > 100 }, $"{picture} is not a whole PNG.");
        }

        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));
        string html = File.ReadAllText(report);
        Assert.Contains("Stopped by Ctrl-C after", html);
        Assert.EndsWith("</html>\n", html);
        Assert.Contains("╰", await stdout);   // the table of the finished rows was printed
    }
}
