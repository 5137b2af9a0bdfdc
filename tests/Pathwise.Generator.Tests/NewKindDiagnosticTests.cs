using Xunit;
using static Pathwise.Generator.Tests.DiagnosticTests;

namespace Pathwise.Generator.Tests;

/// <summary>Bad declarations of the kinds an exported model brings (Dropout, Identity, GlobalAvgPool2D), each at its attribute.</summary>
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
}
