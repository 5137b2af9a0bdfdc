using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Pathwise.Generator.Tests;

/// <summary>
/// Which convolution/pool pairs the emitter fuses into one <c>Conv2DReLUMaxPoolKernel</c> call: a ReLU convolution on
/// the kernel's stride-1 fast path followed by a 2x2, stride-2 max pool that is its only reader. Anything else keeps
/// the separate passes (the other snapshots pin that their code did not change).
/// </summary>
public sealed class ConvPoolFusionTests
{
    // Conv sits at index 2, behind an affine first layer, so the straight-path backward reaches it through its loop.
    private static string Network(string conv, string pool, string extra = "") => $$"""
        using Pathwise;

        namespace Checks;

        [Network]
        public sealed partial class Net
        {
            [Input(2, 10, 10)]                          public partial InputLayer Image { get; }
            [Conv2D(2, Kernel = 3, Padding = 1)]        public partial Layer Stem { get; }
            {{conv}}                                    public partial Layer Conv { get; }
            {{pool}}                                    public partial Layer Pool { get; }
            {{extra}}
            [Flatten]                                   public partial Layer Flat { get; }
            [Dense(3)]                                  public partial Layer Out { get; }
        }
        """;

    private static string Generate(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Empty(run.Diagnostics);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return run.Sources[0].Source;
    }

    private static int Occurrences(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    [Theory]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2)]")]
    [InlineData("[Conv2D(4, Kernel = 5, Padding = 4), ReLU]", "[MaxPool2D(2, Stride = 2)]")]
    [InlineData("[Conv2D(4, Kernel = 1, Bias = false), ReLU]", "[MaxPool2D(2)]")]
    public void FastPathReLUConvolution_ThenTwoByTwoMaxPool_IsFused(string conv, string pool)
    {
        string code = Generate(Network(conv, pool));
        Assert.Equal(1, Occurrences(code, "Conv2DReLUMaxPoolKernel.Forward<float>("));
        Assert.Equal(1, Occurrences(code, "Conv2DReLUMaxPoolKernel.Backward<float>("));
        Assert.Contains("if (from.Index < 2) ForwardConvPooled(workspace, count);", code);
        Assert.Contains("else if (from.Index < 3) ForwardPool(workspace, count);", code);
        Assert.Contains("if (from.Index >= 3 && to.Index < 2) BackwardConvPooled(workspace, count);", code);
        Assert.Contains("if (from.Index == 2 && to.Index < 2) BackwardConv(workspace, count);", code);
        // The straight-path backward (Stem is affine) runs the fused pass too; the convolution's own passes stay for partial passes.
        Assert.Equal(2, Occurrences(code, "BackwardConvPooled(workspace, count);"));
        Assert.DoesNotContain("private void ForwardConv(", code);
        Assert.Contains("private void BackwardConv(", code);
        Assert.Contains("private void ForwardPool(", code);
        Assert.Contains("private void BackwardPool(", code);
    }

    // Grow takes the pool's [4, 5, 5] back to [4, 10, 10], so Again can add Conv's output: Conv gets two readers.
    private const string SecondReader = "[Conv2D(4, Kernel = 2, Padding = 3)] public partial Layer Grow { get; }\n    [Add(nameof(Conv))] public partial Layer Again { get; }";

    [Theory]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1)]", "[MaxPool2D(2)]", "")]                                   // no activation
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), LeakyReLU(0.1)]", "[MaxPool2D(2)]", "")]                    // not ReLU
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(3)]", "")]                              // 3x3 window
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2, Stride = 1)]", "")]                  // overlapping windows
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[AvgPool2D(2)]", "")]                              // average pool
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2), ReLU]", "")]                        // pool with an activation
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1, Stride = 2), ReLU]", "[MaxPool2D(2)]", "")]                  // stride 2
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 2, Dilation = 2), ReLU]", "[MaxPool2D(2)]", "")]                // dilated
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1, Groups = 2), ReLU]", "[MaxPool2D(2)]", "")]                  // grouped
    [InlineData("[Conv2D(4, KernelHeight = 3, KernelWidth = 1, PaddingHeight = 1), ReLU]", "[MaxPool2D(2)]", "")] // rectangular
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 3), ReLU]", "[MaxPool2D(2)]", "")]                              // padding > K - 1
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2)]", SecondReader)]                    // a second reader
    public void OtherPairs_KeepTheirSeparatePasses(string conv, string pool, string extra)
    {
        string code = Generate(Network(conv, pool, extra));
        Assert.DoesNotContain("Conv2DReLUMaxPoolKernel", code);
        Assert.DoesNotContain("Pooled(", code);
        Assert.Contains("private void ForwardConv(", code);
    }
}
