using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;
using static Pathwise.Generator.Tests.DiagnosticTests;

namespace Pathwise.Generator.Tests;

/// <summary>The diagnostics of graph declarations ([Add], [Concat]): each at the argument that names the layer.</summary>
public sealed class GraphDiagnosticTests
{
    private const string Head = "[Input(4)] public partial InputLayer X { get; }\n[Dense(4)] public partial Layer A { get; }\n";

    [Fact]
    public void UnknownName_PW0018() =>
        AssertSingle(Network(Head + "[Add(\"Nope\")] public partial Layer S { get; }"), "PW0018", "\"Nope\"");

    [Fact]
    public void NullName_PW0018() =>
        AssertSingle(Network(Head + "[Concat(nameof(X), null)] public partial Layer S { get; }"), "PW0018", "null");

    [Fact]
    public void LaterLayer_PW0019() =>
        AssertSingle(Network(Head + "[Add(nameof(B))] public partial Layer S { get; }\n[Dense(4)] public partial Layer B { get; }"), "PW0019", "nameof(B)");

    [Fact]
    public void Itself_PW0019()
    {
        GeneratorRun run = GeneratorHarness.Run(Network(Head + "[Add(nameof(S))] public partial Layer S { get; }"));
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("PW0019", diagnostic.Id);
        Assert.Contains("which is itself", diagnostic.GetMessage());
    }

    [Fact]
    public void AddOfDifferentShapes_PW0020_SaysBothShapes()
    {
        GeneratorRun run = GeneratorHarness.Run(Network(Head + "[Dense(3)] public partial Layer B { get; }\n[Add(nameof(A))] public partial Layer S { get; }"));
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("PW0020", diagnostic.Id);
        Assert.Equal("Layer 'S' (Add) cannot join 'A' of shape [4] to its input 'B' of shape [3]: Add sums outputs of one shape", diagnostic.GetMessage());
        AssertSingle(Network(Head + "[Dense(3)] public partial Layer B { get; }\n[Add(nameof(A))] public partial Layer S { get; }"), "PW0020", "nameof(A)");
    }

    [Fact]
    public void ConcatOfDifferentHeights_PW0020() =>
        AssertSingle(
            Network("[Input(1, 8, 8)] public partial InputLayer X { get; }\n[MaxPool2D(2)] public partial Layer P { get; }\n[Concat(nameof(X))] public partial Layer C { get; }"),
            "PW0020", "nameof(X)");

    [Fact]
    public void ConcatOfFlatAndImage_PW0020() =>
        AssertSingle(
            Network("[Input(1, 4, 4)] public partial InputLayer X { get; }\n[Flatten] public partial Layer F { get; }\n[Concat(nameof(X))] public partial Layer C { get; }"),
            "PW0020", "nameof(X)");

    [Fact]
    public void NoNames_PW0009() =>
        AssertSingle(Network(Head + "[Add] public partial Layer S { get; }"), "PW0009", "Add");

    [Fact]
    public void EveryProblem_IsReportedAtOnce_EachAtItsArgument()
    {
        string source = Network(Head + "[Dense(3)] public partial Layer B { get; }\n[Add(\"Nope\", nameof(A), nameof(Z))] public partial Layer S { get; }\n[Concat(nameof(B), nameof(S), nameof(S))] public partial Layer Z { get; }\n[Add(nameof(S))] public partial Layer T { get; }");
        GeneratorRun run = GeneratorHarness.Run(source);
        SyntaxTree tree = run.Output.SyntaxTrees.First(t => t.ToString().Contains("Nope"));
        string[] found = [.. run.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).Select(d => d.Id + " " + tree.GetText().ToString(d.Location.SourceSpan))];
        // S: an unknown name, a shape mismatch ([4] to [3]) and a later layer; Z names S twice, which is fine, but S is in
        // error so Z's shape is unknown and nothing cascades; T adds S, unknown too.
        Assert.Equal(["PW0018 \"Nope\"", "PW0020 nameof(A)", "PW0019 nameof(Z)"], found);
    }

    [Fact]
    public void ValidGraph_Compiles_WithSourcesInTheLayerDescription()
    {
        GeneratorRun run = GeneratorHarness.Run(Network(Head + "[Dense(4)] public partial Layer B { get; }\n[Add(nameof(A), nameof(X)), ReLU] public partial Layer S { get; }\n[Concat(nameof(X))] public partial Layer C { get; }"));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string code = Assert.Single(run.Sources).Source;
        Assert.Contains("LayerKind.Add, global::Pathwise.ActivationKind.ReLU", code);
        Assert.Contains("sources: [2, 1, 0]", code);
        Assert.Contains("sources: [3, 0]", code);
    }
}

/// <summary>The diagnostics of <c>From = nameof(...)</c>, which makes a layer read an earlier layer instead of the previous one.</summary>
public sealed class FromDiagnosticTests
{
    private const string Head = "[Input(4)] public partial InputLayer X { get; }\n[Dense(4)] public partial Layer A { get; }\n";

    [Fact]
    public void UnknownFrom_PW0018() =>
        AssertSingle(Network(Head + "[Dense(4, From = \"Nope\")] public partial Layer B { get; }"), "PW0018", "\"Nope\"");

    [Fact]
    public void LaterFrom_PW0019() =>
        AssertSingle(Network(Head + "[Dense(4, From = nameof(C))] public partial Layer B { get; }\n[Dense(4)] public partial Layer C { get; }"), "PW0019", "nameof(C)");

    [Fact]
    public void LayerLeftUnread_PW0021() =>
        AssertSingle(Network(Head + "[Dense(4)] public partial Layer B { get; }\n[Dense(2, From = nameof(A))] public partial Layer C { get; }"), "PW0021", "B");

    [Fact]
    public void AddAfterFrom_ChecksTheShapeOfWhatItReads_PW0020() =>
        AssertSingle(Network(Head + "[Dense(3, From = nameof(X))] public partial Layer P { get; }\n[Add(nameof(A))] public partial Layer S { get; }"), "PW0020", "nameof(A)");

    [Fact]
    public void ProjectionShortcut_Compiles_ReadingTheNamedLayer()
    {
        GeneratorRun run = GeneratorHarness.Run(Network(Head + "[Dense(4), ReLU] public partial Layer B { get; }\n[Dense(4, From = nameof(X))] public partial Layer P { get; }\n[Add(nameof(B))] public partial Layer S { get; }"));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string code = Assert.Single(run.Sources).Source;
        Assert.Contains("new(\"P\", 3, global::Pathwise.LayerKind.Dense, global::Pathwise.ActivationKind.None, new global::Pathwise.TensorShape(4), new global::Pathwise.TensorShape(4), weightName: \"p\", bias: true, sources: [0]);", code);
        Assert.Contains("sources: [3, 2]", code);
    }
}
