using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace Pathwise.Generator.Tests;

/// <summary>
/// Snapshot checks after Verify's conventions: the accepted text lives in
/// <c>Snapshots/&lt;Class&gt;.&lt;Test&gt;.verified.cs</c> beside the test; on a mismatch the new text is
/// written to <c>*.received.cs</c> and the test fails with the first differing lines. Accept a change by
/// moving the received file over the verified one (or run once with PATHWISE_ACCEPT_SNAPSHOTS=1).
/// </summary>
public static class Snapshot
{
    public static void Verify(string actual, string? name = null, [CallerMemberName] string test = "", [CallerFilePath] string file = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(file)!, "Snapshots");
        string stem = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(file)}.{test}{(name is null ? "" : "." + name)}");
        string verifiedPath = stem + ".verified.cs";
        string receivedPath = stem + ".received.cs";
        actual = actual.Replace("\r\n", "\n");

        string? verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n") : null;
        if (verified == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(directory);
        if (Environment.GetEnvironmentVariable("PATHWISE_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(verifiedPath, actual);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        throw new XunitException(verified is null
            ? $"No verified snapshot at {verifiedPath}; review {receivedPath} and rename it to accept."
            : $"Snapshot differs from {verifiedPath}; received text in {receivedPath}.\n{Diff(verified, actual)}");
    }

    private static string Diff(string expected, string actual)
    {
        string[] left = expected.Split('\n');
        string[] right = actual.Split('\n');
        var builder = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < Math.Max(left.Length, right.Length) && shown < 12; i++)
        {
            string? l = i < left.Length ? left[i] : null;
            string? r = i < right.Length ? right[i] : null;
            if (l != r)
            {
                builder.Append("line ").Append(i + 1).Append('\n');
                builder.Append("- ").Append(l ?? "<none>").Append('\n');
                builder.Append("+ ").Append(r ?? "<none>").Append('\n');
                shown++;
            }
        }

        return builder.ToString();
    }
}
