using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Pathwise.Generator.Tests;

/// <summary>Each diagnostic of the catalogue fires on a bad declaration, at the offending code, and nothing is generated.</summary>
public sealed class DiagnosticTests
{
    /// <summary>
    /// Exactly one diagnostic, <paramref name="id"/>, on <paramref name="locatedText"/>; no network code; and no
    /// compiler error beside it unless the declaration is itself not valid C# (<paramref name="validCSharp"/>).
    /// </summary>
    internal static void AssertSingle(string source, string id, string locatedText, bool validCSharp = true)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        FileLinePositionSpan lines = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = Assert.Single(run.Output.SyntaxTrees, t => t.FilePath == lines.Path);
        string text = tree.GetText().ToString(diagnostic.Location.SourceSpan);
        Assert.Equal(tree.GetLineSpan(diagnostic.Location.SourceSpan).Span, lines.Span);
        Assert.Equal(locatedText, text);
        Assert.DoesNotContain(run.Sources, s => s.Source.Contains("INetwork"));
        if (validCSharp)
        {
            var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, "compiler errors beside the PW one:\n" + string.Join("\n", errors));
        }
    }

    internal static string Network(string body, string header = "[Network] public partial class Net") => $$"""
        using Pathwise;
        {{header}}
        {
        {{body}}
        }
        """;

    [Fact]
    public void ClassNotPartial_PW0001() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }", "[Network] public class Net"), "PW0001", "Net", validCSharp: false);

    [Fact]
    public void NoInputLayer_PW0002() =>
        AssertSingle(Network("[Dense(4)] public partial Layer D { get; }"), "PW0002", "Net");

    [Fact]
    public void SecondInputLayer_PW0003() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Input(4)] public partial InputLayer Y { get; }"), "PW0003", "Input(4)");

    [Fact]
    public void DenseAfterConvWithoutFlatten_PW0004() =>
        AssertSingle(Network("[Input(1, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(4)] public partial Layer C { get; }\n[Dense(10)] public partial Layer D { get; }"), "PW0004", "Dense(10)");

    [Fact]
    public void ConvAfterFlatten_PW0004() =>
        AssertSingle(Network("[Input(16)] public partial InputLayer X { get; }\n[Conv2D(4, Kernel = 1)] public partial Layer C { get; }"), "PW0004", "Conv2D(4, Kernel = 1)");

    [Fact]
    public void KernelLargerThanInput_PW0005() =>
        AssertSingle(Network("[Input(1, 4, 4)] public partial InputLayer X { get; }\n[Conv2D(2, Kernel = 5)] public partial Layer C { get; }"), "PW0005", "Conv2D(2, Kernel = 5)");

    [Fact]
    public void PoolLargerThanInput_PW0005() =>
        AssertSingle(Network("[Input(1, 3, 3)] public partial InputLayer X { get; }\n[MaxPool2D(4)] public partial Layer P { get; }"), "PW0005", "MaxPool2D(4)");

    [Fact]
    public void ZeroUnits_PW0006() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(0)] public partial Layer D { get; }"), "PW0006", "Dense(0)");

    [Fact]
    public void NegativeStride_PW0006() =>
        AssertSingle(Network("[Input(1, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(2, Stride = -1)] public partial Layer C { get; }"), "PW0006", "Conv2D(2, Stride = -1)");

    [Fact]
    public void SoftmaxNotLast_PW0007() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(4), Softmax] public partial Layer D { get; }\n[Dense(2)] public partial Layer E { get; }"), "PW0007", "Softmax");

    [Fact]
    public void DuplicateWeightName_PW0008() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(4, WeightName = \"fc\")] public partial Layer D { get; }\n[Dense(2, WeightName = \"fc\")] public partial Layer E { get; }"), "PW0008", "Dense(2, WeightName = \"fc\")");

    [Fact]
    public void TwoLayerKindsOnOneMember_PW0009() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(4), BatchNorm] public partial Layer D { get; }"), "PW0009", "BatchNorm");

    [Fact]
    public void ActivationOnInput_PW0009() =>
        AssertSingle(Network("[Input(4), ReLU] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }"), "PW0009", "ReLU");

    [Fact]
    public void LayerMemberNotPartial_PW0010() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(2)] public Layer D { get; } = null!;"), "PW0010", "D");

    [Fact]
    public void LayerMemberWrongType_PW0010() =>
        AssertSingle(Network("[Input(4)] public partial Layer X { get; }\n[Dense(2)] public partial Layer D { get; }"), "PW0010", "X");

    [Fact]
    public void NestedNetwork_PW0011() =>
        AssertSingle("using Pathwise;\npublic partial class Outer { [Network] public partial class Net { [Input(4)] public partial InputLayer X { get; } [Dense(2)] public partial Layer D { get; } } }", "PW0011", "Net");

    [Fact]
    public void InputOfRankFour_PW0012() =>
        AssertSingle(Network("[Input(1, 2, 4, 4)] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }"), "PW0012", "Input(1, 2, 4, 4)");

    [Fact]
    public void RecordNetwork_PW0011() =>
        AssertSingle("using Pathwise;\n[Network] public partial record Net { [Input(4)] public partial InputLayer X { get; } [Dense(2)] public partial Layer D { get; } }", "PW0011", "Net");

    [Fact]
    public void LayersThatDifferOnlyInFirstLetterCase_PW0013() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(3)] public partial Layer Hidden { get; }\n[Dense(2, WeightName = \"other\")] public partial Layer hidden { get; }"), "PW0013", "hidden");

    [Fact]
    public void LayerNamedLikeAGeneratedMember_PW0013() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(3)] public partial Layer Info { get; }"), "PW0013", "Info");

    [Fact]
    public void ShapeFieldClash_PW0013() =>
        AssertSingle(Network("[Input(1, 6, 6)] public partial InputLayer X { get; }\n[Conv2D(2)] public partial Layer Conv { get; }\n[Flatten] public partial Layer ConvShape { get; }"), "PW0013", "ConvShape");

    [Fact]
    public void UserMemberClash_PW0013() =>
        AssertSingle(Network("private readonly float[] _denseWeight = new float[1];\n[Input(4)] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer Dense { get; }"), "PW0013", "Dense");

    [Fact]
    public void HugeDense_PW0014() =>
        AssertSingle(Network("[Input(100000)] public partial InputLayer X { get; }\n[Dense(100000)] public partial Layer D { get; }"), "PW0014", "Dense(100000)");

    [Fact]
    public void HugeInput_PW0014() =>
        AssertSingle(Network("[Input(50000, 50000, 1)] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }"), "PW0014", "Input(50000, 50000, 1)");

    [Fact]
    public void NaNSlope_PW0015() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Dense(2), LeakyReLU(double.NaN)] public partial Layer D { get; }"), "PW0015", "LeakyReLU(double.NaN)");

    [Fact]
    public void EpsilonThatOverflowsFloat_PW0015() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[BatchNorm(Epsilon = 1e300)] public partial Layer B { get; }"), "PW0015", "BatchNorm(Epsilon = 1e300)");

    [Fact]
    public void Catalogue_IsNumberedWithoutGaps_AndEveryEntryIsAnError()
    {
        var ids = Diagnostics.All.Select(d => d.Id).ToList();
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => $"PW{i:D4}"), ids);
        foreach (DiagnosticDescriptor descriptor in Diagnostics.All)
        {
            Assert.Same(descriptor, Diagnostics.ById(descriptor.Id));
            Assert.Equal(DiagnosticSeverity.Error, descriptor.DefaultSeverity);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.MessageFormat.ToString()));
        }
    }
}

/// <summary>Declarations that do not even compile: the generator reports what it can and never throws.</summary>
public sealed class MalformedDeclarationTests
{
    [Theory]
    [InlineData("[Input(\"x\")] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense] public partial Layer D { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense(\"wide\")] public partial Layer D { get; }")]
    [InlineData("[Input] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }")]
    [InlineData("[Input(1, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(Kernel = \"k\")] public partial Layer C { get; }")]
    [InlineData("[Input(1, 8, 8)] public partial InputLayer X { get; }\n[MaxPool2D(2.5)] public partial Layer P { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense(2), LeakyReLU(\"s\")] public partial Layer D { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense(2), Unknown] public partial Layer D { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense(new[] { 2 })] public partial Layer D { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense(2), LeakyReLU(new[] { 0.1 })] public partial Layer D { get; }")]
    [InlineData("[Input(new[] { new[] { 1 } })] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense(2, WeightName = new[] { \"a\" }, Bias = null)] public partial Layer D { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Dense(2)] public partial Layer D { get; }\n[Dense(2)] public partial Layer D { get; }")]
    [InlineData("[Input(4)] public partial InputLayer X { get; }\n[Conv2D(2, Kernel = 3, Kernel = 4)] public partial Layer D { get; }")]
    public void BrokenAttributes_DoNotCrashTheGenerator(string body)
    {
        string source = "using Pathwise;\n[Network(new[] { 1 })] public partial class Net\n{\n" + body + "\n}";
        Assert.DoesNotContain(GeneratorHarness.Run(source).Diagnostics, d => d.Id == "CS8785");
        source = "using Pathwise;\n[Network] public partial class Net\n{\n" + body + "\n}";
        GeneratorRun run = GeneratorHarness.Run(source);
        // A generator that throws shows up as warning CS8785 on the compilation.
        Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Id == "CS8785");
        Assert.DoesNotContain(run.Diagnostics, d => d.Id == "CS8785");
    }
}
