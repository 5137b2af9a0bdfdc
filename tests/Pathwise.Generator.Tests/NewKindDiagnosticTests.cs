using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;
using static Pathwise.Generator.Tests.DiagnosticTests;

namespace Pathwise.Generator.Tests;

/// <summary>
/// Bad declarations of the kinds an exported model brings (Dropout, Identity, GlobalAvgPool2D, general and 1-D
/// convolutions, GlobalAvgPool1D), each at its attribute.
/// </summary>
public sealed class NewKindDiagnosticTests
{
    [Theory]
    [InlineData("Dropout(1.5)")]
    [InlineData("Dropout(-0.1)")]
    [InlineData("Dropout(double.NaN)")]
    public void DropoutProbabilityOutsideZeroToOne_PW0015(string attribute) =>
        AssertSingle(Network($"[Input(4)] public partial InputLayer X {{ get; }}\n[{attribute}] public partial Layer D {{ get; }}\n[Dense(2)] public partial Layer Y {{ get; }}"), "PW0015", attribute);

    [Fact]
    public void GlobalPoolOnAFlatInput_PW0004() =>
        AssertSingle(Network("[Input(1, 4, 4)] public partial InputLayer X { get; }\n[Flatten] public partial Layer F { get; }\n[GlobalAvgPool2D] public partial Layer G { get; }"), "PW0004", "GlobalAvgPool2D");

    [Fact]
    public void DenseAfterGlobalPoolWithoutFlatten_PW0004() =>
        AssertSingle(Network("[Input(2, 4, 4)] public partial InputLayer X { get; }\n[GlobalAvgPool2D] public partial Layer G { get; }\n[Dense(3)] public partial Layer D { get; }"), "PW0004", "Dense(3)");

    [Fact]
    public void IdentityAndDropoutOnOneMember_PW0009() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[Identity, Dropout] public partial Layer D { get; }"), "PW0009", "Dropout");

    [Fact]
    public void LayerNormOnAnImage_PW0004() =>
        AssertSingle(Network("[Input(2, 4, 4)] public partial InputLayer X { get; }\n[LayerNorm] public partial Layer N { get; }"), "PW0004", "LayerNorm");

    [Theory]
    [InlineData("LayerNorm(Epsilon = 0)")]
    [InlineData("LayerNorm(Epsilon = 1e-50)")]
    public void LayerNormEpsilonNotPositiveInFloat32_PW0015(string attribute) =>
        AssertSingle(Network($"[Input(4)] public partial InputLayer X {{ get; }}\n[{attribute}] public partial Layer N {{ get; }}"), "PW0015", attribute);

    [Fact]
    public void LayerNormsWithOneWeightName_PW0008() =>
        AssertSingle(Network("[Input(4)] public partial InputLayer X { get; }\n[LayerNorm(WeightName = \"ln\")] public partial Layer A { get; }\n[LayerNorm(WeightName = \"ln\")] public partial Layer B { get; }"), "PW0008", "LayerNorm(WeightName = \"ln\")");

    [Fact]
    public void IdentityAsTheOnlyLayerAfterTheInput_Compiles()
    {
        GeneratorRun run = GeneratorHarness.Run(Network("[Input(4)] public partial InputLayer X { get; }\n[Identity] public partial Layer D { get; }"));
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
    }

    [Fact]
    public void EmbeddingNotDirectlyAfterTheInput_PW0004() =>
        AssertSingle(Network("[Input(5)] public partial InputLayer X { get; }\n[Identity] public partial Layer I { get; }\n[Embedding(10, 4)] public partial Layer E { get; }\n[SequenceMean] public partial Layer M { get; }"), "PW0004", "Embedding(10, 4)");

    [Fact]
    public void EmbeddingOfAnImageInput_PW0004() =>
        AssertSingle(Network("[Input(2, 3, 3)] public partial InputLayer X { get; }\n[Embedding(10, 4)] public partial Layer E { get; }"), "PW0004", "Embedding(10, 4)");

    [Theory]
    [InlineData("Embedding(0, 4)")]
    [InlineData("Embedding(10, -1)")]
    public void EmbeddingSizeNotPositive_PW0006(string attribute) =>
        AssertSingle(Network($"[Input(5)] public partial InputLayer X {{ get; }}\n[{attribute}] public partial Layer E {{ get; }}\n[SequenceMean] public partial Layer M {{ get; }}"), "PW0006", attribute);

    [Fact]
    public void SequenceMeanOfAFlatInput_PW0004() =>
        AssertSingle(Network("[Input(5)] public partial InputLayer X { get; }\n[Dense(4)] public partial Layer D { get; }\n[SequenceMean] public partial Layer M { get; }"), "PW0004", "SequenceMean");

    [Fact]
    public void DenseOnAnEmbeddingWithoutPooling_PW0004() =>
        AssertSingle(Network("[Input(5)] public partial InputLayer X { get; }\n[Embedding(10, 4)] public partial Layer E { get; }\n[Dense(2)] public partial Layer D { get; }"), "PW0004", "Dense(2)");

    [Fact]
    public void SequenceMeanOfAChannelLengthInput_Compiles()
    {
        GeneratorRun run = GeneratorHarness.Run(Network("[Input(3, 7)] public partial InputLayer X { get; }\n[SequenceMean] public partial Layer M { get; }\n[Dense(2)] public partial Layer D { get; }"));
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
    }

    [Fact]
    public void ConvGroupsNotDividingTheChannels_PW0015_SaysWhichDivide()
    {
        AssertSingle(Network("[Input(6, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(8, Groups = 4)] public partial Layer C { get; }"), "PW0015", "Conv2D(8, Groups = 4)");
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.Run(Network("[Input(6, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(8, Groups = 4)] public partial Layer C { get; }")).Diagnostics);
        Assert.Equal("Layer 'C': Groups must be a divisor of both the input channels (6) and OutChannels (8), such as 2 or 1, but is 4", diagnostic.GetMessage());
    }

    [Fact]
    public void DepthwiseSuggestion_WhenChannelsAgree() =>
        Assert.Contains("such as 4 (depthwise) or 1", Assert.Single(GeneratorHarness.Run(Network(
            "[Input(4, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(4, Groups = 3)] public partial Layer C { get; }")).Diagnostics).GetMessage());

    [Theory]
    [InlineData("Conv2D(2, Dilation = 3)", "3x3 (dilated to 7x7)", "5x5")]
    [InlineData("Conv2D(2, KernelHeight = 1, KernelWidth = 6)", "1x6", "5x5")]
    [InlineData("Conv2D(2, Kernel = 2, DilationWidth = 5, PaddingHeight = 1)", "2x2 (dilated to 2x6)", "7x5")]
    public void DilatedOrRectangularKernelLargerThanInput_PW0005(string attribute, string window, string input)
    {
        string source = Network($"[Input(1, 5, 5)] public partial InputLayer X {{ get; }}\n[{attribute}] public partial Layer C {{ get; }}");
        AssertSingle(source, "PW0005", attribute);
        Assert.Contains($"has a {window} window but its (padded) input is only {input}", Assert.Single(GeneratorHarness.Run(source).Diagnostics).GetMessage());
    }

    [Theory]
    [InlineData("Conv2D(2, Groups = 0)")]
    [InlineData("Conv2D(2, Dilation = 0)")]
    [InlineData("Conv2D(2, KernelWidth = -1)")]
    [InlineData("Conv2D(2, StrideHeight = -2)")]
    [InlineData("Conv2D(2, PaddingWidth = -1)")]
    [InlineData("Conv2D(2, DilationHeight = -1)")]
    [InlineData("Conv1D(2, Groups = -1)")]
    [InlineData("Conv1D(2, Stride = 0)")]
    [InlineData("Conv1D(0)")]
    public void NonPositiveConvSetting_PW0006(string attribute)
    {
        string input = attribute.StartsWith("Conv1D") ? "Input(2, 8)" : "Input(2, 8, 8)";
        AssertSingle(Network($"[{input}] public partial InputLayer X {{ get; }}\n[{attribute}] public partial Layer C {{ get; }}"), "PW0006", attribute);
    }

    [Fact]
    public void EveryBadConvSetting_IsReportedAtOnce_AtTheAttribute()
    {
        GeneratorRun run = GeneratorHarness.Run(Network(
            "[Input(2, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(2, Dilation = 0, Groups = 0, KernelWidth = -1, PaddingHeight = -3)] public partial Layer C { get; }"));
        Assert.Equal(4, run.Diagnostics.Length);
        Assert.All(run.Diagnostics, d => Assert.Equal("PW0006", d.Id));
        Assert.Equal(new[] { "Dilation", "Groups", "KernelWidth", "PaddingHeight" }, run.Diagnostics.Select(d => d.GetMessage().Split(':')[1].Trim().Split(' ')[0]).OrderBy(w => w, System.StringComparer.Ordinal));

        // Groups and kernel both wrong for the input: both said.
        run = GeneratorHarness.Run(Network("[Input(3, 4, 4)] public partial InputLayer X { get; }\n[Conv2D(4, Groups = 2, Kernel = 5)] public partial Layer C { get; }"));
        Assert.Equal(new[] { "PW0005", "PW0015" }, run.Diagnostics.Select(d => d.Id).OrderBy(id => id, System.StringComparer.Ordinal));
    }

    [Fact]
    public void PaddingOverrideOfZeroBesideAPadding_PW0015_SaysHowToWriteIt()
    {
        string source = Network("[Input(2, 8, 8)] public partial InputLayer X { get; }\n[Conv2D(2, Padding = 1, PaddingWidth = 0)] public partial Layer C { get; }");
        AssertSingle(source, "PW0015", "Conv2D(2, Padding = 1, PaddingWidth = 0)");
        Assert.Contains("leave Padding at 0 and write PaddingHeight = 1", Assert.Single(GeneratorHarness.Run(source).Diagnostics).GetMessage());
    }

    [Fact]
    public void Conv1DOnAnImage_PW0004() =>
        AssertSingle(Network("[Input(2, 4, 4)] public partial InputLayer X { get; }\n[Conv1D(3)] public partial Layer C { get; }"), "PW0004", "Conv1D(3)");

    [Fact]
    public void Conv2DOnASequence_PW0004() =>
        AssertSingle(Network("[Input(2, 16)] public partial InputLayer X { get; }\n[Conv2D(3)] public partial Layer C { get; }"), "PW0004", "Conv2D(3)");

    [Fact]
    public void Conv1DKernelLongerThanTheSequence_PW0005()
    {
        string source = Network("[Input(2, 4)] public partial InputLayer X { get; }\n[Conv1D(3, Kernel = 3, Dilation = 2)] public partial Layer C { get; }");
        AssertSingle(source, "PW0005", "Conv1D(3, Kernel = 3, Dilation = 2)");
        Assert.Contains("has a 3-long (dilated to 5) window but its (padded) input is only 4 long", Assert.Single(GeneratorHarness.Run(source).Diagnostics).GetMessage());
    }

    [Fact]
    public void Conv1DGroupsNotDividing_PW0015() =>
        AssertSingle(Network("[Input(4, 16)] public partial InputLayer X { get; }\n[Conv1D(6, Groups = 4)] public partial Layer C { get; }"), "PW0015", "Conv1D(6, Groups = 4)");

    [Fact]
    public void GlobalAvgPool1DOnAnImage_PW0004() =>
        AssertSingle(Network("[Input(2, 4, 4)] public partial InputLayer X { get; }\n[GlobalAvgPool1D] public partial Layer G { get; }"), "PW0004", "GlobalAvgPool1D");

    [Fact]
    public void GlobalAvgPool2DOnASequence_PW0004() =>
        AssertSingle(Network("[Input(2, 8)] public partial InputLayer X { get; }\n[GlobalAvgPool2D] public partial Layer G { get; }"), "PW0004", "GlobalAvgPool2D");

    [Fact]
    public void GeneralAndOneDimensionalConvolutions_Compile()
    {
        GeneratorRun run = GeneratorHarness.Run(Network("""
            [Input(4, 9, 8)] public partial InputLayer X { get; }
            [Conv2D(8, KernelHeight = 3, KernelWidth = 2, StrideHeight = 2, PaddingWidth = 1, Dilation = 2, Groups = 4), ReLU] public partial Layer Depth { get; }
            [Flatten] public partial Layer F { get; }
            [Dense(3)] public partial Layer D { get; }
            """));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string code = string.Concat(run.Sources.Select(s => s.Source));
        Assert.Contains("kernelHeight: 3, kernelWidth: 2, strideHeight: 2, strideWidth: 1, paddingHeight: 0, paddingWidth: 1, dilationHeight: 2, dilationWidth: 2, groups: 4", code);

        run = GeneratorHarness.Run(Network("""
            [Input(3, 20)] public partial InputLayer X { get; }
            [Conv1D(6, Kernel = 5, Padding = 2, Stride = 2, Dilation = 1, Groups = 3), ReLU] public partial Layer C { get; }
            [GlobalAvgPool1D] public partial Layer G { get; }
            [Flatten] public partial Layer F { get; }
            [Dense(2)] public partial Layer D { get; }
            """));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        code = string.Concat(run.Sources.Select(s => s.Source));
        Assert.Contains("height: 1, width: 20, outChannels: 6, kernelHeight: 1, kernelWidth: 5, strideHeight: 1, strideWidth: 2, paddingHeight: 0, paddingWidth: 2", code);
    }
}
