using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Pathwise.Generator.Tests;

/// <summary>Edits that do not touch a declaration leave every step cached; edits that do, regenerate.</summary>
public sealed class IncrementalTests
{
    private const string Unrelated = "namespace Samples; public static class Helpers { public static int One() => 1; }";

    private static (GeneratorDriverRunResult Result, GeneratorDriver Driver) RunTwice(string before, string after)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Declarations.TinyMlp, before);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Last();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(after, (CSharpParseOptions)old.Options, old.FilePath));
        driver = driver.RunGenerators(edited);
        return (driver.GetRunResult(), driver);
    }

    private static ImmutableArray<IncrementalGeneratorRunStep> Steps(GeneratorDriverRunResult result, string name) =>
        result.Results.Single().TrackedSteps[name];

    [Fact]
    public void AddingUnrelatedMethod_DoesNotRegenerate()
    {
        (GeneratorDriverRunResult result, _) = RunTwice(Unrelated, Unrelated.Replace("}", "public static int Two() => 2; }"));
        foreach (IncrementalGeneratorRunStep step in Steps(result, Pathwise.Generator.NetworkGenerator.Steps.Specs))
        {
            Assert.All(step.Outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        }

        foreach (IncrementalGeneratorRunStep step in Steps(result, Pathwise.Generator.NetworkGenerator.Steps.Parse))
        {
            Assert.All(step.Outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        }
    }

    [Fact]
    public void ChangingDenseSize_Regenerates()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Declarations.TinyMlp);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Single();
        string changed = Declarations.TinyMlp.Replace("Dense(16,", "Dense(20,");
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(changed, (CSharpParseOptions)old.Options, old.FilePath)));
        GeneratorDriverRunResult result = driver.GetRunResult();
        Assert.Contains(Steps(result, Pathwise.Generator.NetworkGenerator.Steps.Specs).SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("DenseKernel.Forward<float>(x, _hiddenWeight, _hiddenBias, z, count, 8, 20);", result.GeneratedTrees.Single().ToString());
    }

    [Fact]
    public void EditingNetworkWhitespace_KeepsSpecCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Declarations.TinyMlp);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Single();
        string changed = Declarations.TinyMlp.Replace("public sealed partial class TinyMlp", "// a comment\npublic sealed partial class TinyMlp");
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(changed, (CSharpParseOptions)old.Options, old.FilePath)));
        foreach (IncrementalGeneratorRunStep step in Steps(driver.GetRunResult(), Pathwise.Generator.NetworkGenerator.Steps.Specs))
        {
            Assert.All(step.Outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        }
    }

    [Fact]
    public void EditingOneNetwork_LeavesTheOthersCached()
    {
        const string other = "using Pathwise;\nnamespace Samples; [Network] public partial class Other { [Input(3)] public partial InputLayer X { get; } [Dense(2)] public partial Layer Y { get; } }";
        (GeneratorDriverRunResult result, _) = RunTwice(other, other.Replace("Dense(2)", "Dense(5)"));
        var reasons = Steps(result, Pathwise.Generator.NetworkGenerator.Steps.Specs).SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Equal(2, reasons.Count);
        Assert.Single(reasons, r => r == IncrementalStepRunReason.Modified);
        Assert.Single(reasons, r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);

        // The file names depend only on the set of names, which did not change.
        Assert.All(Steps(result, Pathwise.Generator.NetworkGenerator.Steps.HintNames).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void FixingADeclaration_ReplacesItsStubWithTheNetwork()
    {
        const string broken = "using Pathwise;\nnamespace Samples; [Network] public partial class Other { [Input(3)] public partial InputLayer X { get; } [Dense(0)] public partial Layer Y { get; } }";
        (GeneratorDriverRunResult result, GeneratorDriver driver) = RunTwice(broken, broken.Replace("Dense(0)", "Dense(1)"));
        Assert.Empty(result.Diagnostics);
        Assert.Equal(2, result.GeneratedTrees.Count(t => t.ToString().Contains("INetwork<float>")));
        Assert.DoesNotContain(result.GeneratedTrees, t => t.ToString().Contains("throw null!"));
    }
}
