using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Xunit;

namespace Pathwise.Package.Tests;

/// <summary>
/// Packs Pathwise and Pathwise.TorchSharp into a local folder once, then builds and runs apps that live outside
/// the repository and know only those packages, as a user's app would.
/// </summary>
public sealed class PackedConsumerTests : IClassFixture<PackedFeed>
{
    private readonly PackedFeed _feed;

    public PackedConsumerTests(PackedFeed feed) => _feed = feed;

    [Fact]
    public void Pathwise_Package_CarriesTheGeneratorAndDocs()
    {
        using ZipArchive package = ZipFile.OpenRead(_feed.PackagePath("Pathwise"));
        string[] entries = package.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains("analyzers/dotnet/cs/Pathwise.Generator.dll", entries);
        Assert.Contains("lib/net10.0/Pathwise.dll", entries);
        Assert.Contains("lib/net10.0/Pathwise.xml", entries);
        Assert.Contains("README.md", entries);
        string nuspec = ReadEntry(package, "Pathwise.nuspec");
        Assert.Contains("<license type=\"expression\">", nuspec);
        Assert.Contains("<readme>README.md</readme>", nuspec);
        Assert.Contains("<description>", nuspec);
        Assert.Contains("<tags>", nuspec);
        Assert.DoesNotContain("Pathwise.Generator\"", nuspec); // the generator is inside, never a dependency
    }

    [Fact]
    public void TorchSharp_Package_CarriesItsBuildFixTransitively()
    {
        using ZipArchive package = ZipFile.OpenRead(_feed.PackagePath("Pathwise.TorchSharp"));
        string[] entries = package.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains("build/Pathwise.TorchSharp.targets", entries);
        Assert.Contains("buildTransitive/Pathwise.TorchSharp.targets", entries);
        Assert.Contains("lib/net10.0/Pathwise.TorchSharp.dll", entries);
        string nuspec = ReadEntry(package, "Pathwise.TorchSharp.nuspec");
        // Exactly its own version of Pathwise ([v]), since the backend runs Pathwise's internal path core.
        Assert.Contains($"<dependency id=\"Pathwise\" version=\"[{_feed.Version}]\" include=\"All\" />", nuspec);
    }

    [Fact]
    public void Consumer_DeclaresLoadsAndExplains()
    {
        string output = _feed.BuildAndRun("Basic");
        Assert.Contains("consumer ok", output);
    }

    [Fact]
    public void TorchConsumer_RunsOnCpuWithNoImport()
    {
        string output = _feed.BuildAndRun("Torch");
        Assert.Contains("consumer ok", output);
    }

    private static string ReadEntry(ZipArchive package, string name)
    {
        using var reader = new StreamReader(package.GetEntry(name)!.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary>The local package folder and a scratch folder outside the repository; packed once per test run.</summary>
public sealed class PackedFeed : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);
    private readonly string _repository;
    private readonly string _root;

    public PackedFeed()
    {
        _repository = FindRepository();
        _root = Path.Combine(Path.GetTempPath(), $"pathwise-package-{Guid.NewGuid():N}");
        Feed = Path.Combine(_root, "feed");
        Directory.CreateDirectory(Feed);
        // A version no other run or user ever packed: NuGet takes a package already in a cache (the user's included,
        // which serves here as a fallback folder) by id and version alone, and would test a stale copy.
        string suffix = $"packtest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Guid.NewGuid():N}";
        foreach (string project in new[] { "runtime/Pathwise/Pathwise.csproj", "runtime/Pathwise.TorchSharp/Pathwise.TorchSharp.csproj" })
        {
            Dotnet(_repository, "pack", Path.Combine(_repository, project), "-c", "Release", "-o", Feed, "-nologo", $"-p:VersionSuffix={suffix}");
        }

        string packed = Path.GetFileName(Directory.GetFiles(Feed, "Pathwise.TorchSharp.*.nupkg").Single());
        Version = packed["Pathwise.TorchSharp.".Length..^".nupkg".Length];
        Assert.EndsWith(suffix, Version);
    }

    public string Feed { get; }

    public string Version { get; }

    public string PackagePath(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>
    /// Copies a consumer template outside the repository, restores it from the local folder only for Pathwise
    /// (packages already in the user's cache are used from there), builds and runs it; returns what it printed.
    /// </summary>
    public string BuildAndRun(string consumer)
    {
        string template = Path.Combine(_repository, "tests", "Pathwise.Package.Tests", "Consumers", consumer);
        string app = Path.Combine(_root, consumer);
        Directory.CreateDirectory(app);
        foreach (string file in Directory.GetFiles(template))
        {
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        }

        // A private package folder, so the test's packages never land in the user's cache; packages already there
        // (TorchSharp-cpu) are used from it.
        string userCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(app, "packages")}" />
              </config>
              <packageSources>
                <add key="pathwise-local" value="{Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="user-cache" value="{userCache}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        Dotnet(app, "build", "-c", "Release", "-nologo", $"-p:PathwiseVersion={Version}");
        return Dotnet(app, "run", "-c", "Release", "--no-build", $"-p:PathwiseVersion={Version}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Dotnet(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host inherits the outer `dotnet test`'s MSBuild settings; a nested build must start clean.
        foreach (string name in start.Environment.Keys.ToArray())
        {
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish within {Limit}.\n{output}");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} in {workingDirectory} exited {process.ExitCode}:\n{output}");
        return output.ToString();
    }

    private static string FindRepository()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Generator.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Generator.sln above {AppContext.BaseDirectory}.");
    }
}
