using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace Pathwise.Samples.Tests;

/// <summary>The quick start as a user meets it: without the data set it says how to install it and stops.</summary>
public sealed class QuickstartProgramTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("quickstart-program").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void WithoutTheDataSet_SaysHowToInstallIt()
    {
        string missing = Path.Combine(_directory, "no-such-folder");
        string output = Path.Combine(_directory, "out");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quickstart.dll"));
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(missing);
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(output);
        using Process process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "The quick start did not stop within a minute.");
        Assert.Equal(2, process.ExitCode);
        Assert.Contains(missing, error);
        Assert.Contains("apt-get update && apt-get install -y dataset-fashion-mnist", error);
        Assert.False(Directory.Exists(output));
    }
}
