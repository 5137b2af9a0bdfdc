using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Pathwise.Generator.Tests;

/// <summary>
/// The straight path fuses the first layer with its pooling (<c>PathPoolKernel</c>) exactly when the first layer is a 2-D
/// convolution with ReLU or no activation, read by a 2x2, stride-2 max pooling alone, in a chain; every other network
/// keeps the passes it had (FashionCnn's snapshot shows the fused code, the others that nothing changed).
/// </summary>
public sealed class FirstPoolFusionTests
{
    [Theory]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2)]", "ReLU")]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1)]", "[MaxPool2D(2)]", "None")]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1, KernelWidth = 1, Dilation = 2), ReLU]", "[MaxPool2D(2)]", "ReLU")]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2, Stride = 2)]", "ReLU")]
    public void Fuses(string conv, string pool, string activation)
    {
        string source = Generate(Chain(conv, pool));
        Assert.Contains($"PathPoolKernel.MaxForward<double>(start, step, alphas, workspace.Activations(s_pool, count), workspace.PathWinners(s_pool, count), workspace.PathPacked(s_conv), s_poolShape, global::Pathwise.ActivationKind.{activation});", source);
        Assert.Contains("PathPoolKernel.MaxBackwardSum<double>(workspace.Gradients(s_pool, count), workspace.PathWinners(s_pool, count), pointCoefficients, weighted, s_poolShape);", source);
        Assert.Equal(2, Occurrences(source, "if (workspace.InputGradientSumOnly)"));
    }

    [Theory]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), LeakyReLU(0.1)]", "[MaxPool2D(2)]")]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), Tanh]", "[MaxPool2D(2)]")]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(3)]")]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2, Stride = 1)]")]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[AvgPool2D(2)]")]
    [InlineData("[Conv2D(4, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2), ReLU]")]
    [InlineData("[BatchNorm]", "[MaxPool2D(2)]")]
    public void KeepsThePasses(string first, string second)
    {
        string source = Generate(Chain(first, second));
        Assert.DoesNotContain("PathPoolKernel", source);
        Assert.DoesNotContain("if (workspace.InputGradientSumOnly)", source);
    }

    [Theory]
    [InlineData("[Conv2D(6, Kernel = 3, Padding = 1), ReLU]", "[MaxPool2D(2)]", true)]
    [InlineData("[Conv2D(6, Kernel = 5, Padding = 2), ReLU]", "[MaxPool2D(2)]", true)]
    [InlineData("[Conv2D(6, Kernel = 3, Padding = 1, Stride = 2), ReLU]", "[MaxPool2D(2)]", false)]
    [InlineData("[Conv2D(6, Kernel = 3, Padding = 1), Tanh]", "[MaxPool2D(2)]", false)]
    [InlineData("[Conv2D(6, Kernel = 3, Padding = 1), ReLU]", "[AvgPool2D(2)]", false)]
    public void TheSecondConvolution_RunsFromChanges_WhenItIsFusedWithItsPool(string conv, string pool, bool fuses)
    {
        string source = Generate($$"""
            [Input(2, 8, 8)]                             public partial InputLayer Image { get; }
            [Conv2D(4, Kernel = 3, Padding = 1), ReLU]   public partial Layer Conv { get; }
            [MaxPool2D(2)]                               public partial Layer Pool { get; }
            {{conv}}                                     public partial Layer Conv2 { get; }
            {{pool}}                                     public partial Layer Pool2 { get; }
            [Flatten]                                    public partial Layer Flat { get; }
            [Dense(3)]                                   public partial Layer Out { get; }
            """);
        Assert.Contains("PathPoolKernel.MaxForward<double>", source);
        Assert.Equal(fuses, source.Contains("PathConvReLUMaxPoolKernel.Forward<double>("));
        Assert.Equal(fuses, source.Contains("PathConvReLUMaxPoolKernel.BackwardSum<double>("));
        Assert.Equal(!fuses, source.Contains("PathPoolKernel.MaxBackwardSum<double>"));
    }

    [Fact]
    public void AGraph_KeepsThePasses()
    {
        // The convolution has a second reader (a skip around the pooling's block).
        string source = Generate("""
            [Input(1, 8, 8)]                                 public partial InputLayer Image { get; }
            [Conv2D(4, Kernel = 3, Padding = 1), ReLU]       public partial Layer Conv { get; }
            [MaxPool2D(2)]                                   public partial Layer Pool { get; }
            [Flatten]                                        public partial Layer Flat { get; }
            [Dense(256)]                                     public partial Layer Wide { get; }
            [Flatten(From = nameof(Conv))]                   public partial Layer Skip { get; }
            [Add(nameof(Wide))]                              public partial Layer Sum { get; }
            [Dense(3)]                                       public partial Layer Out { get; }
            """);
        Assert.DoesNotContain("PathPoolKernel", source);
    }

    private static string Chain(string first, string second) => $$"""
        [Input(2, 8, 8)]     public partial InputLayer Image { get; }
        {{first}}            public partial Layer Conv { get; }
        {{second}}           public partial Layer Pool { get; }
        [Flatten]            public partial Layer Flat { get; }
        [Dense(3)]           public partial Layer Out { get; }
        """;

    private static string Generate(string layers)
    {
        string declaration = $$"""
            using Pathwise;

            namespace Samples;

            [Network(Precision.Float64)]
            public sealed partial class Net
            {
            {{layers}}
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(declaration);
        Assert.Empty(run.Diagnostics);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return Assert.Single(run.Sources).Source;
    }

    private static int Occurrences(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, System.StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, System.StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
