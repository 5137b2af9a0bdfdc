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

/// <summary>With the TorchSharp backend referenced, every network also gets <c>ToTorch</c>.</summary>
public sealed class TorchSharpEmissionTests
{
    private const string BackendStub = """
        namespace Pathwise.TorchSharp
        {
            public sealed class TorchNetwork<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
            {
                public TorchNetwork(Pathwise.NetworkInfo info, Pathwise.ParameterSet<T> parameters, string device) { }
            }
        }
        """;

    [Fact]
    public void WithBackendReferenced_EmitsToTorch()
    {
        GeneratorRun run = GeneratorHarness.Run(Declarations.TinyMlp, BackendStub);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Contains("public global::Pathwise.TorchSharp.TorchNetwork<float> ToTorch(string device = \"cpu\") => new(Description, Parameters, device);", run.Sources.Single().Source);
    }

    [Fact]
    public void WithoutBackend_EmitsNoTorchSharpReference() =>
        Assert.DoesNotContain("TorchSharp", GeneratorHarness.Run(Declarations.TinyMlp).Sources.Single().Source);
}
