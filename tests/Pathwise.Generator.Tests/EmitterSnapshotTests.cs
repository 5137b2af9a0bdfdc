using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Pathwise.Generator.Tests;

/// <summary>Pins the generated code of representative networks, and checks that it compiles cleanly.</summary>
public sealed class EmitterSnapshotTests
{
    [Fact]
    public void TinyMlp() => VerifyNetwork(Declarations.TinyMlp);

    [Fact]
    public void FashionCnn() => VerifyNetwork(Declarations.FashionCnn);

    [Fact]
    public void EveryLayerFloat64() => VerifyNetwork(Declarations.EveryLayerFloat64);

    private static void VerifyNetwork(string source, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Empty(run.Diagnostics);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Single(run.Sources);
        Snapshot.Verify(run.Sources[0].Source, test: test);
    }
}
