using System.Linq;
using Microsoft.CodeAnalysis;
using Pathwise.Generator.Helpers;
using Pathwise.Generator.Model;

namespace Pathwise.Generator;

/// <summary>
/// Generates a network's forward, backward and straight-path code from its <c>[Network]</c> declaration.
/// The parsed spec feeds the source output; diagnostics go to an output of their own.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incremental-caching tests.</summary>
    public static class Steps
    {
        public const string Parse = "Parse";
        public const string Specs = "Specs";
        public const string Diagnostics = "Diagnostics";
        public const string Stubs = "Stubs";
        public const string HintNames = "HintNames";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Pathwise.NetworkAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.RecordDeclarationSyntax,
                static (ctx, ct) => NetworkParser.Parse(ctx, ct))
            .WithTrackingName(Steps.Parse);

        IncrementalValuesProvider<NetworkSpec> specs = results
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .WithTrackingName(Steps.Specs);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (r, _) => r.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(Steps.Diagnostics);

        // A declaration in error still gets its layer properties implemented, so only its PW errors show.
        IncrementalValuesProvider<StubSpec> stubs = results
            .Where(static r => r.Stub is not null)
            .Select(static (r, _) => r.Stub!)
            .WithTrackingName(Steps.Stubs);

        // File names must differ ignoring case; only the names are collected, so one network's edit leaves the others cached.
        IncrementalValueProvider<EquatableArray<string>> clashing = specs.Select(static (s, _) => s.FullName).Collect()
            .Combine(stubs.Select(static (s, _) => s.FullName).Collect())
            .Select(static (names, _) => HintNames.Clashing(names.Left.Concat(names.Right)))
            .WithTrackingName(Steps.HintNames);

        context.RegisterSourceOutput(specs.Combine(clashing), static (spc, input) =>
            spc.AddSource(HintNames.For(input.Left.FullName, input.Right), NetworkEmitter.Emit(input.Left)));

        context.RegisterSourceOutput(stubs.Combine(clashing), static (spc, input) =>
            spc.AddSource(HintNames.For(input.Left.FullName, input.Right), NetworkEmitter.EmitStub(input.Left)));

        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (DiagnosticInfo info in list)
            {
                spc.ReportDiagnostic(info.ToDiagnostic());
            }
        });
    }
}
