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

/// <summary>
/// What the parser hands on: a spec when the declaration is valid; otherwise its diagnostics and, when the
/// type can take another partial part, the stub that keeps the compiler quiet about its layer properties.
/// A declaration that is not the one speaking for its type (a second <c>[Network]</c> part) gives nothing.
/// </summary>
internal sealed record ParseResult(NetworkSpec? Spec, StubSpec? Stub, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public static ParseResult Nothing { get; } = new(null, null, EquatableArray<DiagnosticInfo>.Empty);
}
