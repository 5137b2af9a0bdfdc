using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Pathwise.Generator.Helpers;

namespace Pathwise.Generator.Model;

/// <summary>A diagnostic kept as plain values (no <see cref="Location"/>, which would pin the compilation).</summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        location ??= Location.None;
        FileLinePositionSpan lines = location.GetLineSpan();
        return new DiagnosticInfo(descriptor.Id, lines.Path ?? "", location.SourceSpan, lines.Span, new EquatableArray<string>(arguments));
    }

    public Diagnostic ToDiagnostic()
    {
        Location location = FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);
        return Diagnostic.Create(Diagnostics.ById(Id), location, System.Linq.Enumerable.ToArray<object>(Arguments));
    }
}

/// <summary>What the parser hands on: a spec when the declaration is valid, and its diagnostics.</summary>
internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
