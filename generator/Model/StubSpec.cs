using Pathwise.Generator.Helpers;

namespace Pathwise.Generator.Model;

// Every member must stay immutable and structurally equal, or incremental caching breaks:
// strings and EquatableArray only; never an ISymbol, SyntaxNode or Location.

/// <summary>
/// What a declaration in error still gets: an implementation part for each of its layer properties, so the
/// compiler reports only the PW diagnostics and not one CS9248 ("partial property must have an
/// implementation part") per layer.
/// </summary>
/// <param name="FullName">The type's namespace-qualified metadata name, unique in the compilation (for the file name).</param>
/// <param name="Namespace">The namespace's metadata name, <c>""</c> for the global namespace.</param>
/// <param name="TypeHeaders">The declaration headers from the outermost type in, e.g. <c>partial class Outer</c>, <c>partial record Net&lt;T&gt;</c>.</param>
/// <param name="Members">The layer properties that need an implementation part.</param>
internal sealed record StubSpec(string FullName, string Namespace, EquatableArray<string> TypeHeaders, EquatableArray<MemberStub> Members);

/// <summary>
/// One partial property definition to implement with throwing bodies, its signature as the definition wrote it:
/// <c>{Modifiers} partial {Type} {Name}{Parameters} { get; set; }</c>, types fully qualified.
/// </summary>
/// <param name="Modifiers">The written modifiers without <c>partial</c>, e.g. <c>"public static"</c>.</param>
/// <param name="Type">The property type with its ref kind, fully qualified, e.g. <c>global::Pathwise.Layer</c>.</param>
/// <param name="Name">The escaped property name, or <c>this</c> for an indexer.</param>
/// <param name="Parameters">An indexer's parameter list, e.g. <c>[int i]</c>; empty for a property.</param>
/// <param name="Accessors">The accessor keywords, e.g. <c>get</c>, <c>get set</c>, <c>get init</c>.</param>
internal sealed record MemberStub(string Modifiers, string Type, string Name, string Parameters, EquatableArray<string> Accessors);
