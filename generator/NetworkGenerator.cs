using Microsoft.CodeAnalysis;
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
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Pathwise.NetworkAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => NetworkParser.Parse(ctx, ct))
            .WithTrackingName(Steps.Parse);

        IncrementalValuesProvider<NetworkSpec> specs = results
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .WithTrackingName(Steps.Specs);

        IncrementalValuesProvider<Helpers.EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (r, _) => r.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(Steps.Diagnostics);

        context.RegisterSourceOutput(specs, static (spc, spec) =>
            spc.AddSource(HintName(spec), NetworkEmitter.Emit(spec)));

        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (DiagnosticInfo info in list)
            {
                spc.ReportDiagnostic(info.ToDiagnostic());
            }
        });
    }

    private static string HintName(NetworkSpec spec) =>
        (spec.Namespace.Length == 0 ? spec.TypeName : spec.Namespace + "." + spec.TypeName) + ".g.cs";
}
