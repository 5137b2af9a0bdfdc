using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace Pathwise.Generator.Tests;

/// <summary>
/// Random declarations through the generator, in batches of one compilation each (one file per network, so
/// every error can be traced to its network). For each network: the generator does not throw; it reports a PW
/// error or its code compiles with no error; and when the declaration is valid C# that can take a generated part,
/// the PW errors are the only errors. Seeded, so a failure reproduces; bounded to a few thousand declarations.
/// </summary>
public sealed class GeneratorFuzzTests
{
    private static readonly Regex s_namespace = new(@"^namespace (?<name>[^;]+);", RegexOptions.Multiline);
    private static readonly Regex s_header = new(@"^\s*partial (?:record struct|ref struct|class|record|struct|interface) (?<name>[^\s<:]+)", RegexOptions.Multiline);

    private readonly ITestOutputHelper _output;

    public GeneratorFuzzTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(20261126, 25, 40)]
    [InlineData(7, 25, 40)]
    public void RandomDeclarations_GivePWErrorsOrCodeThatCompiles(int seed, int batches, int perBatch)
    {
        var fuzzer = new DeclarationFuzzer(seed);
        var failures = new List<string>();
        int compiled = 0, rejected = 0, indexedFiles = 0;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        Stopwatch clock = Stopwatch.StartNew();
        for (int batch = 0; batch < batches; batch++)
        {
            List<FuzzedNetwork> networks = Enumerable.Range(0, perBatch).Select(_ => fuzzer.Next()).ToList();
            GeneratorRun run = GeneratorHarness.Run(networks.Select(n => n.Source).ToArray());
            Check(networks, run, failures, ref compiled, ref rejected, ids);
            indexedFiles += run.Sources.Count(source => Regex.IsMatch(source.HintName, @"\.[0-9]+\.g\.cs$"));
            if (failures.Count > 0)
            {
                break;
            }
        }

        _output.WriteLine($"seed {seed}: {compiled + rejected} declarations in {clock.Elapsed.TotalSeconds:F1} s; {compiled} compiled, {rejected} rejected with PW errors; {indexedFiles} files named apart from a name differing in case");
        _output.WriteLine(string.Join(", ", ids.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(3)));

        // The grammar must reach both outcomes often, and most of the catalogue.
        Assert.True(compiled >= (compiled + rejected) / 5, $"only {compiled} of {compiled + rejected} declarations compiled");
        Assert.True(rejected >= (compiled + rejected) / 5, $"only {rejected} of {compiled + rejected} declarations were rejected");
        Assert.True(ids.Count >= 14, "PW diagnostics reached: " + string.Join(", ", ids.Keys));
        Assert.True(indexedFiles > 0, "no two networks had names differing only in case");
    }

    private static void Check(List<FuzzedNetwork> networks, GeneratorRun run, List<string> failures, ref int compiled, ref int rejected, Dictionary<string, int> ids)
    {
        var pw = new int[networks.Count];
        var errors = networks.Select(_ => new List<Diagnostic>()).ToArray();
        var implemented = new bool[networks.Count];

        foreach (Diagnostic diagnostic in run.Diagnostics)
        {
            int index = UserFile(diagnostic.Location);
            if (!diagnostic.Id.StartsWith("PW", StringComparison.Ordinal) || index < 0)
            {
                // A generator exception shows here as CS8785.
                failures.Add($"Generator diagnostic not on a network: {diagnostic}");
                continue;
            }

            pw[index]++;
            ids[diagnostic.Id] = ids.TryGetValue(diagnostic.Id, out int seen) ? seen + 1 : 1;
        }

        var generatedOwner = new Dictionary<SyntaxTree, int>();
        foreach (SyntaxTree tree in run.Output.SyntaxTrees.Skip(networks.Count))
        {
            string text = tree.GetText().ToString();
            string ns = Unescape(s_namespace.Match(text) is { Success: true } m ? m.Groups["name"].Value : "");
            string type = Unescape(s_header.Match(text).Groups["name"].Value);
            int owner = networks.FindIndex(n => Unescape(n.Namespace) == ns && Unescape(n.OuterType) == type);
            if (owner < 0)
            {
                failures.Add($"Generated file {tree.FilePath} ({ns}.{type}) belongs to no network:\n{text}");
                continue;
            }

            generatedOwner[tree] = owner;
            implemented[owner] |= text.Contains("INetwork<");
        }

        foreach (Diagnostic error in run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
        {
            int index = UserFile(error.Location);
            if (index < 0 && error.Location.SourceTree is { } tree && generatedOwner.TryGetValue(tree, out int owner))
            {
                index = owner;
            }

            if (index < 0)
            {
                failures.Add($"Compiler error on no network: {error}");
                continue;
            }

            errors[index].Add(error);
        }

        for (int i = 0; i < networks.Count; i++)
        {
            FuzzedNetwork network = networks[i];
            string? problem =
                pw[i] == 0 && errors[i].Count > 0 ? "no PW error, yet the compilation has errors"
                : pw[i] == 0 && !implemented[i] ? "no PW error, yet no network code"
                : pw[i] > 0 && implemented[i] ? "PW errors, yet network code"
                : network.ValidCSharp && network.TakesParts && errors[i].Count > 0 ? "PW errors buried under compiler errors"
                : !(network.ValidCSharp && network.TakesParts) && pw[i] == 0 ? "a declaration that cannot be generated, without a PW error"
                : null;
            if (problem is not null)
            {
                var pwText = run.Diagnostics.Where(d => UserFile(d.Location) == i).Select(d => d.ToString());
                failures.Add($"{problem}:\n{network.Source}\nPW: {string.Join("\n", pwText)}\nErrors: {string.Join("\n", errors[i])}");
            }
            else if (pw[i] == 0)
            {
                compiled++;
            }
            else
            {
                rejected++;
            }
        }
    }

    /// <summary>The network index of a location in a user file (<c>Network{i}.cs</c>), or -1.</summary>
    private static int UserFile(Location location)
    {
        string path = location.GetLineSpan().Path ?? "";
        return path.StartsWith("Network", StringComparison.Ordinal) && path.EndsWith(".cs", StringComparison.Ordinal)
            && int.TryParse(path.Substring("Network".Length, path.Length - "Network".Length - ".cs".Length), out int index) ? index : -1;
    }

    private static string Unescape(string name) => name.Replace("@", "");
}
