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

namespace Pathwise.Onnx.Tests;

/// <summary>
/// Compiles a declaration's C# text as a user's build would: Roslyn with the Pathwise generator in-process, then
/// loads the assembly and creates the network.
/// </summary>
internal static class CompiledNetwork
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var paths = trusted.Split(Path.PathSeparator).Where(p => p.EndsWith(".dll", StringComparison.Ordinal)).ToList();
        paths.Add(typeof(NetworkAttribute).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    });

    /// <summary>Compiles <paramref name="declaration"/>; fails the test on any error or generator warning, listing them with the source.</summary>
    public static Type Compile(string declaration, string typeName)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Imported" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(declaration, parse, path: "Imported.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new NetworkGenerator().AsSourceGenerator()], parseOptions: parse);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

        using var image = new MemoryStream();
        var result = output.Emit(image);
        IEnumerable<Diagnostic> problems = generatorDiagnostics.Concat(result.Diagnostics)
            .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Id.StartsWith("PW", StringComparison.Ordinal)));
        Assert.True(result.Success && !problems.Any(), string.Join("\n", problems) + "\n" + declaration);
        Assembly assembly = Assembly.Load(image.ToArray());
        return assembly.GetType(typeName, throwOnError: true)!;
    }

    /// <summary>The generated <c>static Load(string path)</c>: a new network with the file's weights.</summary>
    public static INetwork<T> Load<T>(Type type, string weightsPath) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        MethodInfo load = type.GetMethod("Load", BindingFlags.Public | BindingFlags.Static, [typeof(string)])!;
        return (INetwork<T>)load.Invoke(null, [weightsPath])!;
    }
}
