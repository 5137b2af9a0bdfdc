using System;
using System.IO;
using Xunit;

namespace Pathwise.Cli.Tests;

/// <summary>
/// A test that renders in Debian's <c>chromium</c> (which <c>.ci/run</c> installs): skipped, saying how to install it,
/// only when no <c>chromium</c> is on the PATH.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when <see cref="Path"/> is null.</summary>
    public ChromiumFactAttribute()
    {
        if (Path is null)
        {
            Skip = "chromium is not installed: run `apt-get update && apt-get install -y chromium` (.ci/run does).";
        }
    }

    /// <summary>The <c>chromium</c> executable on the PATH, or null.</summary>
    public static string? Path { get; } = Find();

    private static string? Find()
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(directory, "chromium");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
