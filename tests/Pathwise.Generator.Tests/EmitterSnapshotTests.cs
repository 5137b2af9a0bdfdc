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

    [Fact]
    public void ExportedKinds() => VerifyNetwork(Declarations.ExportedKinds);

    [Fact]
    public void TextClassifier() => VerifyNetwork(Declarations.TextClassifier);

    /// <summary>A graph: a residual sum with an activation, a concatenation with the input, an identity over a layer read twice (a copy).</summary>
    [Fact]
    public void ResidualCnn() => VerifyNetwork(Declarations.ResidualCnn);

    [Fact]
    public void Convolutions()
    {
        GeneratorRun run = GeneratorHarness.Run(Declarations.Convolutions);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Equal(2, run.Sources.Count);
        foreach ((string hint, string source) in run.Sources.OrderBy(s => s.HintName, System.StringComparer.Ordinal))
        {
            Snapshot.Verify(source, test: "Convolutions." + hint.Split('.')[^3]);
        }
    }

    /// <summary>The stub of a declaration in error, from a hand-built spec: nested headers, escaped names, every accessor shape.</summary>
    [Fact]
    public void StubForDeclarationInError()
    {
        var stub = new Model.StubSpec(
            "class.Outer`1.Net",
            "class",
            new Helpers.EquatableArray<string>(new[] { "partial class Outer<T>", "partial record Net" }),
            new Helpers.EquatableArray<Model.MemberStub>(new[]
            {
                new Model.MemberStub("public", "global::Pathwise.InputLayer", "X", "", new Helpers.EquatableArray<string>(new[] { "get" })),
                new Model.MemberStub("", "global::Pathwise.Layer", "@var", "", new Helpers.EquatableArray<string>(new[] { "get" })),
                new Model.MemberStub("internal static", "ref global::Pathwise.Layer", "D", "", new Helpers.EquatableArray<string>(new[] { "get" })),
                new Model.MemberStub("protected", "global::Pathwise.Layer?", "E", "", new Helpers.EquatableArray<string>(new[] { "get", "set" })),
                new Model.MemberStub("public", "global::Pathwise.Layer", "this", "[int i]", new Helpers.EquatableArray<string>(new[] { "get", "init" })),
            }));
        Snapshot.Verify(NetworkEmitter.EmitStub(stub));
    }

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

/// <summary>The generator knows no backend: <c>ToTorch</c> is an extension method of Pathwise.TorchSharp.</summary>
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
    public void WithBackendReferenced_EmitsTheSameCode() =>
        Assert.Equal(
            GeneratorHarness.Run(Declarations.TinyMlp).Sources.Single().Source,
            GeneratorHarness.Run(Declarations.TinyMlp, BackendStub).Sources.Single().Source);

    [Fact]
    public void WithoutBackend_EmitsNoTorchSharpReference() =>
        Assert.DoesNotContain("TorchSharp", GeneratorHarness.Run(Declarations.TinyMlp).Sources.Single().Source);
}

/// <summary>Declarations at the edges of what C# allows still produce code that compiles.</summary>
public sealed class DeclarationShapeTests
{
    [Theory]
    [InlineData("using Pathwise;\n[Network] public partial class GlobalNet { [Input(3)] public partial InputLayer X { get; } [Dense(2)] public partial Layer Y { get; } }")]
    [InlineData("using Pathwise;\nnamespace A.B.C { [Network(Precision.Float64)] internal sealed partial class Deep { [Input(3)] internal partial InputLayer X { get; } [Sigmoid] internal partial Layer S { get; } [Dense(2), Softmax] internal partial Layer Y { get; } } }")]
    [InlineData("using Pathwise;\nnamespace N; [Network] public partial class OnlyPool { [Input(2, 4, 4)] public partial InputLayer X { get; } [AvgPool2D(2)] public partial Layer P { get; } }")]
    [InlineData("using Pathwise;\nnamespace N; [Network] public partial class Flat1D { [Input(5)] public partial InputLayer X { get; } [Flatten] public partial Layer F { get; } [BatchNorm] public partial Layer B { get; } }")]
    [InlineData("using Pathwise;\nnamespace N; public partial class UserCode { public int Existing => 1; } [Network] public partial class WithMembers { public WithMembers(int seed) { } private WithMembers() { } [Input(2)] public partial InputLayer X { get; } public int Other { get; set; } [Dense(1)] public partial Layer Y { get; } }")]
    [InlineData("using Pathwise;\nnamespace N; [Network] public partial class OnlyArgs { public OnlyArgs(int seed) { } [Input(2)] public partial InputLayer X { get; } [Dense(1)] public partial Layer Y { get; } }")]
    [InlineData("using Pathwise;\nnamespace N; [Network] public partial class Keywords { [Input(2)] public partial InputLayer @in { get; } [Dense(1, WeightName = \"odd \\\"name\\\"\")] public partial Layer @class { get; } }")]
    [InlineData("using Pathwise;\nnamespace N; [Network] public partial class OptionalArgs { public OptionalArgs(int seed = 0) { } [Input(2)] public partial InputLayer X { get; } [Dense(1)] public partial Layer Y { get; } public static OptionalArgs FromFile(string path) => Load(path); }")]
    public void GeneratedCode_Compiles(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Empty(run.Diagnostics);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Single(run.Sources);
    }
}
