using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Microsoft.CodeAnalysis;
using Xunit;
using static Pathwise.Generator.Tests.DiagnosticTests;

namespace Pathwise.Generator.Tests;

/// <summary>
/// One regression test per case of the hardening issue: the generator never throws, what it accepts compiles,
/// nothing is silently wrong, and a declaration in error shows all its PW errors and nothing else.
/// </summary>
public sealed class HardeningTests
{
    private const string TwoLayers = "[Input(4)] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }";

    private static List<Diagnostic> CompilerErrors(GeneratorRun run) =>
        run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

    private static void AssertCompiles(GeneratorRun run, int networks = 1)
    {
        Assert.Empty(run.Diagnostics);
        List<Diagnostic> errors = CompilerErrors(run);
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n" + string.Join("\n", run.Sources.Select(s => s.Source)));
        Assert.Equal(networks, run.Sources.Count(s => s.Source.Contains("INetwork")));
    }

    private static string Located(GeneratorRun run, Diagnostic diagnostic) =>
        run.Output.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path).GetText().ToString(diagnostic.Location.SourceSpan);

    // --- The generator threw (CS8785) ---

    [Theory]
    [InlineData("null")]
    [InlineData("default")]
    public void NullInputShape_PW0012(string argument) =>
        AssertSingle(Network($"[Input({argument})] public partial InputLayer X {{ get; }}\n[Dense(2)] public partial Layer D {{ get; }}"), "PW0012", $"Input({argument})");

    [Fact]
    public void NetworkAttributeOnTwoParts_GeneratesOnce()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using Pathwise;\nnamespace N; [Network] public partial class Net { [Input(4)] public partial InputLayer X { get; } [Dense(2)] public partial Layer D { get; } }",
            "using Pathwise;\nnamespace N; [Network] public partial class Net { }");
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
        // The compiler's own error for the duplicate attribute is the only one.
        Assert.Equal(new[] { "CS0579" }, CompilerErrors(run).Select(d => d.Id));
    }

    [Fact]
    public void NamesDifferingOnlyInCase_GetDistinctFiles()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using Pathwise;\nnamespace N; [Network] public partial class Net { [Input(4)] public partial InputLayer X { get; } [Dense(2)] public partial Layer D { get; } }",
            "using Pathwise;\nnamespace N; [Network] public partial class net { [Input(3)] public partial InputLayer X { get; } [Dense(1)] public partial Layer D { get; } }",
            "using Pathwise;\nnamespace n; [Network] public partial class Net { [Input(2)] public partial InputLayer X { get; } [Dense(1)] public partial Layer D { get; } }");
        AssertCompiles(run, networks: 3);
        Assert.Equal(3, run.Sources.Select(s => s.HintName.ToUpperInvariant()).Distinct().Count());
    }

    [Fact]
    public void KeywordNamespace_Compiles()
    {
        GeneratorRun run = GeneratorHarness.Run("using Pathwise;\nnamespace @class.X; [Network] public partial class Net { " + TwoLayers + " }");
        AssertCompiles(run);
        Assert.Contains("namespace @class.X;", run.Sources.Single().Source);
    }

    // --- Accepted, but the generated code did not compile ---

    [Fact]
    public void SlopeThatOverflowsFloat_PW0015() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(2), LeakyReLU(1e39)] public partial Layer D { get; }"), "PW0015", "LeakyReLU(1e39)");

    [Fact]
    public void SlopeThatOverflowsFloat_IsFineInFloat64() =>
        AssertCompiles(GeneratorHarness.Run(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(2), LeakyReLU(1e39)] public partial Layer D { get; }", "[Network(Precision.Float64)] public partial class Net")));

    [Theory]
    [InlineData("private static int s_info;", "s_info")]
    [InlineData("public void Load(int x) { }", "Load")]
    [InlineData("private int _parameters;", "_parameters")]
    [InlineData("public class Info { }", "Info")]
    public void UserMemberNamedLikeAGeneratedOne_PW0013(string member, string located) =>
        AssertSingle(Network(member + "\n" + TwoLayers), "PW0013", located);

    [Theory]
    [InlineData("Load")]
    [InlineData("Info")]
    [InlineData("Parameters")]
    [InlineData("InputLength")]
    public void ClassNamedLikeAGeneratedMember_PW0013(string name) =>
        AssertSingle(Network(TwoLayers, $"[Network] public partial class {name}"), "PW0013", name);

    [Fact]
    public void ClassNamedLikeALayersGeneratedMember_PW0013() =>
        AssertSingle(Network(TwoLayers, "[Network] public partial class ForwardD"), "PW0013", "D");

    [Fact]
    public void AbstractClass_CompilesWithoutLoad()
    {
        GeneratorRun run = GeneratorHarness.Run(Network(TwoLayers, "[Network] public abstract partial class Net"));
        AssertCompiles(run);
        Assert.DoesNotContain(" Load(string path)", run.Sources.Single().Source);
        Assert.Contains("LoadWeights(string path)", run.Sources.Single().Source);
    }

    [Theory]
    [InlineData("public required int Seed { get; init; }", false)]
    [InlineData("public required int Seed;", false)]
    [InlineData("public required int Seed { get; init; } [System.Diagnostics.CodeAnalysis.SetsRequiredMembers] public Net() { }", true)]
    public void RequiredMembers_GetLoadOnlyWhenAConstructorSetsThem(string members, bool load)
    {
        GeneratorRun run = GeneratorHarness.Run("using Pathwise;\nnamespace N; [Network] public partial class Net { " + members + " [Input(4)] public partial InputLayer X { get; } [Dense(2)] public partial Layer D { get; } }");
        AssertCompiles(run);
        Assert.Equal(load, run.Sources.Single().Source.Contains("public static Net Load(string path)"));
    }

    [Fact]
    public void FileClass_PW0011() =>
        // A file-local class cannot take a part from another file, so its layers stay unimplemented (CS9248).
        AssertSingle(Network(TwoLayers, "[Network] file partial class Net"), "PW0011", "Net", validCSharp: false);

    [Fact]
    public void StaticClass_PW0011() =>
        AssertSingle(Network(TwoLayers, "[Network] public static partial class Net"), "PW0011", "Net", validCSharp: false);

    [Theory]
    [InlineData("@class")]
    [InlineData("var")]
    [InlineData("nameof")]
    [InlineData("@string")]
    public void KeywordClassName_Compiles(string name)
    {
        GeneratorRun run = GeneratorHarness.Run("using Pathwise;\nnamespace N; [Network] public partial class " + name + " { " + TwoLayers + " public static " + name + " Make() => Load(\"x\"); }");
        AssertCompiles(run);
    }

    [Fact]
    public void ClassSystemInTheGlobalNamespace_PW0011() =>
        AssertSingle(Network(TwoLayers, "[Network] public partial class System"), "PW0011", "System");

    [Fact]
    public void ClassNamedSystemInANamespace_Compiles() =>
        AssertCompiles(GeneratorHarness.Run("using Pathwise;\nnamespace N; [Network] public partial class System { " + TwoLayers + " }"));

    [Theory]
    [InlineData("[Dense(2)] public partial Layer this[int i] { get; }", "this")]
    [InlineData("[Dense(2)] public partial Layer D { get; }\npublic partial Layer D => null!;", "D")]
    [InlineData("[Dense(2)] public partial ref Layer D { get; }", "D")]
    [InlineData("[Dense(2)] public partial Layer D { get; set; }", "D")]
    [InlineData("[Dense(2)] public partial Layer D { set; }", "D")]
    [InlineData("[Dense(2)] public partial Layer D { get; init; }", "D")]
    [InlineData("[Dense(2)] public partial Layer? D { get; }\n[Dense(2, WeightName = \"e\")] public partial InputLayer E { get; }", "E")]
    public void LayerMemberShapes_PW0010(string layer, string located) =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n" + layer), "PW0010", located);

    [Theory]
    [InlineData("partial Layer D { get; }")]
    [InlineData("internal partial Layer D { get; }")]
    [InlineData("protected internal partial Layer D { get; }")]
    [InlineData("private protected partial Layer D { get; }")]
    [InlineData("public virtual partial Layer D { get; }")]
    [InlineData("public new partial Layer D { get; }")]
    [InlineData("new internal virtual partial Layer D { get; }")]
    public void LayerMemberModifiers_AreRepeated_AndCompile(string layer)
    {
        GeneratorRun run = GeneratorHarness.Run(Network("[Input(4)] partial InputLayer X { get; }\n[Dense(2)] " + layer));
        AssertCompiles(run);
        string modifiers = layer.Substring(0, layer.IndexOf("partial", System.StringComparison.Ordinal));
        Assert.Contains($"    {modifiers}partial global::Pathwise.Layer D => s_d;", run.Sources.Single().Source);
    }

    [Theory]
    [InlineData("public static partial Layer D { get; }", true)]
    [InlineData("public override partial Layer D { get; }", false)]
    [InlineData("public sealed partial Layer D { get; }", false)]
    public void UnsupportedLayerModifiers_PW0010(string layer, bool validCSharp) =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(2)] " + layer), "PW0010", "D", validCSharp);

    // --- Silently wrong ---

    [Fact]
    public void LayersSplitAcrossParts_PW0016()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using Pathwise;\nnamespace N; [Network] public partial class Net { [Input(4)] public partial InputLayer X { get; } [Dense(3)] public partial Layer Hidden { get; } }",
            "using Pathwise;\nnamespace N; public partial class Net { [Dense(2)] public partial Layer Logits { get; } }");
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("PW0016", diagnostic.Id);
        Assert.Equal("Logits", Located(run, diagnostic));
        Assert.Empty(CompilerErrors(run));
    }

    [Fact]
    public void LayersInTheOtherPartThanNetwork_PW0016ForEach()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using Pathwise;\nnamespace N; [Network] public partial class Net { }",
            "using Pathwise;\nnamespace N; public partial class Net { [Input(4)] public partial InputLayer X { get; } [Dense(2)] public partial Layer D { get; } }");
        Assert.Equal(new[] { "PW0002", "PW0016", "PW0016" }, run.Diagnostics.Select(d => d.Id).OrderBy(id => id));
        Assert.Empty(CompilerErrors(run));
    }

    [Fact]
    public void HugePadding_PW0014() =>
        AssertSingle(Network("[Input(1, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(2, Padding = int.MaxValue)] public partial Layer C { get; }"), "PW0014", "Conv2D(2, Padding = int.MaxValue)");

    [Fact]
    public void LargePaddingWithinLimits_ComputesTheShapeExactly()
    {
        // 8 + 2 * 20000 = 40008 rows; (40008 - 3) / 20000 + 1 = 3.
        GeneratorRun run = GeneratorHarness.Run(Network("[Input(1, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(2, Padding = 20000, Stride = 20000)] public partial Layer C { get; }"));
        AssertCompiles(run);
        Assert.Contains("new global::Pathwise.TensorShape(2, 3, 3)", run.Sources.Single().Source);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\" \"")]
    [InlineData("\".fc\"")]
    [InlineData("\"fc.\"")]
    [InlineData("\"a..b\"")]
    public void BadWeightName_PW0015(string name) =>
        AssertSingle(Network($"[Input(4)] public partial InputLayer X {{ get; }}\n[Dense(2, WeightName = {name})] public partial Layer D {{ get; }}"), "PW0015", $"Dense(2, WeightName = {name})");

    [Fact]
    public void DottedWeightName_Compiles() =>
        AssertCompiles(GeneratorHarness.Run(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(2, WeightName = \"features.0\")] public partial Layer D { get; }")));

    [Theory]
    [InlineData("(Precision)5")]
    [InlineData("(Precision)(-1)")]
    public void UnknownPrecision_PW0017(string precision) =>
        AssertSingle(Network(TwoLayers, $"[Network({precision})] public partial class Net"), "PW0017", $"Network({precision})");

    [Fact]
    public void LayerAboveTheOldLimit_Compiles() =>
        // 300,000,000 elements: above int.MaxValue / 8, below Array.MaxLength.
        AssertCompiles(GeneratorHarness.Run(Network("[Input(300000000)] public partial InputLayer X { get; }\n[Dense(1)] public partial Layer D { get; }")));

    [Fact]
    public void LayerAboveArrayMaxLength_PW0014_PrintsTheExactCount()
    {
        GeneratorRun run = GeneratorHarness.Run(Network("[Input(int.MaxValue, int.MaxValue, int.MaxValue)] public partial InputLayer X { get; }\n[Dense(1)] public partial Layer D { get; }"));
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("PW0014", diagnostic.Id);
        string exact = BigInteger.Pow(int.MaxValue, 3).ToString();
        Assert.Contains($"needs {exact} elements", diagnostic.GetMessage());
        Assert.Contains("(2147483591)", diagnostic.GetMessage());
    }

    [Fact]
    public void LimitIsArrayMaxLength()
    {
        AssertCompiles(GeneratorHarness.Run(Network("[Input(2147483591)] public partial InputLayer X { get; }\n[Flatten] public partial Layer F { get; }")));
        AssertSingle(Network("[Input(2147483592)] public partial InputLayer X { get; }\n[Flatten] public partial Layer F { get; }"), "PW0014", "Input(2147483592)");
    }

    // --- All errors at once, and only PW errors ---

    [Fact]
    public void SeveralErrors_AreAllReported_EachAtItsCode()
    {
        GeneratorRun run = GeneratorHarness.Run(Network("""
            [Input(4)] public partial InputLayer X { get; }
            [Dense(0)] public partial Layer A { get; }
            [Dense(3), Softmax] public partial Layer B { get; }
            [BatchNorm(Epsilon = -1)] public partial Layer C { get; }
            [Dense(2, WeightName = "")] public partial Layer D { get; }
            [Conv2D(2)] public partial Layer E { get; }
            """));
        // A's size leaves the shapes unknown from A on, so E's shape error is not reported as a cascade.
        var found = run.Diagnostics.Select(d => d.Id + " " + Located(run, d)).OrderBy(text => text, System.StringComparer.Ordinal);
        Assert.Equal(
            new[] { "PW0006 Dense(0)", "PW0007 Softmax", "PW0015 BatchNorm(Epsilon = -1)", "PW0015 Dense(2, WeightName = \"\")" },
            found);
        Assert.Empty(CompilerErrors(run));
    }

    [Fact]
    public void ShapeErrors_ContinueWhileShapesAreKnown()
    {
        GeneratorRun run = GeneratorHarness.Run(Network("""
            [Input(1, 8, 8)] public partial InputLayer X { get; }
            [Conv2D(4, Kernel = 9)] public partial Layer A { get; }
            [Dense(3)] public partial Layer B { get; }
            [BatchNorm(Epsilon = 0)] public partial Layer C { get; }
            """));
        // The kernel error leaves A's output unknown, so B is not shape-checked, but C's setting still is.
        Assert.Equal(new[] { "PW0005", "PW0015" }, run.Diagnostics.Select(d => d.Id).OrderBy(id => id));
        Assert.Empty(CompilerErrors(run));
    }

    [Fact]
    public void DeclarationInError_HasNoCompilerErrors_OnlyPW()
    {
        GeneratorRun run = GeneratorHarness.Run(Network("""
            [Input(4)] public partial InputLayer X { get; }
            [Dense(3)] internal partial Layer A { get; }
            [Dense(-3)] partial Layer B { get; }
            [Dense(2)] protected virtual partial Layer C { get; }
            public static Net Make() => new();
            """));
        Assert.Equal("PW0006", Assert.Single(run.Diagnostics).Id);
        Assert.Empty(CompilerErrors(run));
        Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Id == "CS9248");
    }

    [Fact]
    public void NestedGenericAndRecordNetworks_InError_HaveNoCompilerErrors()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using Pathwise;\nnamespace N; public partial class Outer<T> { [Network] public partial class Net { " + TwoLayers + " } }",
            "using Pathwise;\nnamespace N; [Network] public partial class Gen<T> { " + TwoLayers + " }",
            "using Pathwise;\nnamespace N; [Network] public partial record Rec { " + TwoLayers + " }");
        Assert.Equal(new[] { "PW0011", "PW0011", "PW0011" }, run.Diagnostics.Select(d => d.Id));
        Assert.Empty(CompilerErrors(run));
    }
}

/// <summary>File names: readable when they can be, unique ignoring case always, the same on every run.</summary>
public sealed class HintNameTests
{
    [Fact]
    public void PlainName_IsTheFullName()
    {
        Helpers.EquatableArray<string> clashing = Helpers.HintNames.Clashing(new[] { "Samples.TinyMlp", "Samples.Other" });
        Assert.Equal(0, clashing.Count);
        Assert.Equal("Samples.TinyMlp.g.cs", Helpers.HintNames.For("Samples.TinyMlp", clashing));
    }

    [Fact]
    public void NonAsciiCharacters_AreEscaped() =>
        Assert.Equal("N._00D1et.g.cs", Helpers.HintNames.For("N.Ñet", Helpers.EquatableArray<string>.Empty));

    [Fact]
    public void NamesDifferingInCase_AreIndexedInOrdinalOrder_WhateverTheInputOrder()
    {
        string[] names = { "N.net", "N.Net", "n.NET", "N.Other" };
        Helpers.EquatableArray<string> forward = Helpers.HintNames.Clashing(names);
        Helpers.EquatableArray<string> backward = Helpers.HintNames.Clashing(names.Reverse());
        Assert.Equal(forward, backward);
        string[] files = names.Select(n => Helpers.HintNames.For(n, forward)).ToArray();
        // Ordinal order: "N.Net" < "N.net" < "n.NET".
        Assert.Equal(new[] { "N.net.1.g.cs", "N.Net.0.g.cs", "n.NET.2.g.cs", "N.Other.g.cs" }, files);
        Assert.Equal(files.Length, files.Distinct(System.StringComparer.OrdinalIgnoreCase).Count());
    }
}

/// <summary>Primary constructors: their parameters are in scope in the generated part, which must not mind.</summary>
public sealed class PrimaryConstructorTests
{
    [Theory]
    [InlineData("int count, string path, object workspace, int Description")]
    [InlineData("int seed = 0")]
    public void PrimaryConstructorParameters_DoNotBreakTheGeneratedCode(string parameters)
    {
        GeneratorRun run = GeneratorHarness.Run("using Pathwise;\nnamespace N; [Network] public partial class Net(" + parameters + ") { [Input(4)] public partial InputLayer X { get; } [Dense(2)] public partial Layer D { get; } }");
        Assert.Empty(run.Diagnostics);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        // Load needs a constructor callable without arguments.
        Assert.Equal(parameters.Contains('='), run.Sources.Single().Source.Contains("public static Net Load(string path)"));
    }
}
