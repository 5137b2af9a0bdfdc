using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Pathwise.Generator;
using Xunit;

namespace Pathwise.Generator.Tests;

/// <summary>The result of running the generator on one source: generated files and diagnostics.</summary>
public sealed record GeneratorRun(ImmutableArray<Diagnostic> Diagnostics, IReadOnlyList<(string HintName, string Source)> Sources, Compilation Output);

/// <summary>
/// Runs <see cref="NetworkGenerator"/> the way the compiler does, twice: the second run on a clone of the
/// compilation must find every step cached, and no step may hold a symbol or syntax node.
/// </summary>
public static class GeneratorHarness
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var paths = trusted.Split(Path.PathSeparator).Where(p => p.EndsWith(".dll", StringComparison.Ordinal)).ToList();
        paths.Add(typeof(NetworkAttribute).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    });

    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create(
            "Declarations",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Preview), path: $"Network{i}.cs")),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorRun Run(params string[] sources)
    {
        CSharpCompilation compilation = Compile(sources);
        GeneratorDriver driver = CreateDriver();
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorDriverRunResult first = driver.GetRunResult();

        GeneratorDriver second = driver.RunGenerators(compilation.Clone());
        AssertCached(second.GetRunResult());
        AssertNoCompilerObjects(first);

        var files = first.Results.SelectMany(r => r.GeneratedSources).Select(s => (s.HintName, s.SourceText.ToString())).ToList();
        return new GeneratorRun(diagnostics, files, output);
    }

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new NetworkGenerator().AsSourceGenerator() },
            parseOptions: new CSharpParseOptions(LanguageVersion.Preview),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static void AssertCached(GeneratorDriverRunResult result)
    {
        foreach (GeneratorRunResult generator in result.Results)
        {
            foreach ((string name, ImmutableArray<IncrementalGeneratorRunStep> steps) in generator.TrackedSteps)
            {
                if (!IsOurs(name))
                {
                    continue;
                }

                foreach (IncrementalGeneratorRunStep step in steps)
                {
                    foreach ((object _, IncrementalStepRunReason reason) in step.Outputs)
                    {
                        Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                            $"Step '{name}' was {reason} on an identical second run; its model is not equatable.");
                    }
                }
            }
        }
    }

    private static bool IsOurs(string name) =>
        name is NetworkGenerator.Steps.Parse or NetworkGenerator.Steps.Specs or NetworkGenerator.Steps.Diagnostics
            or NetworkGenerator.Steps.Stubs or NetworkGenerator.Steps.HintNames;

    private static void AssertNoCompilerObjects(GeneratorDriverRunResult result)
    {
        foreach (GeneratorRunResult generator in result.Results)
        {
            foreach ((string name, ImmutableArray<IncrementalGeneratorRunStep> steps) in generator.TrackedSteps)
            {
                if (!IsOurs(name))
                {
                    continue;
                }

                foreach (IncrementalGeneratorRunStep step in steps)
                {
                    foreach ((object value, IncrementalStepRunReason _) in step.Outputs)
                    {
                        AssertPlain(value, name, 0);
                    }
                }
            }
        }
    }

    private static void AssertPlain(object? value, string step, int depth)
    {
        if (value is null || depth > 6 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        Assert.False(value is ISymbol or SyntaxNode or Compilation or Location, $"Step '{step}' holds a {value.GetType().Name}, which pins the compilation.");
        if (value is System.Collections.IEnumerable sequence)
        {
            foreach (object? item in sequence)
            {
                AssertPlain(item, step, depth + 1);
            }

            return;
        }

        foreach (PropertyInfo property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0)
            {
                AssertPlain(property.GetValue(value), step, depth + 1);
            }
        }
    }
}
