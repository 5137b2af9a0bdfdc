using Pathwise.Generator.Helpers;

namespace Pathwise.Generator.Model;

// Every member must stay immutable and structurally equal, or incremental caching breaks:
// strings, numbers, enums and EquatableArray only; never an ISymbol, SyntaxNode or Location.

/// <summary>A parsed, shape-checked network declaration.</summary>
internal sealed record NetworkSpec(
    string Namespace,
    string TypeName,
    ElementType Element,
    EquatableArray<LayerSpec> Layers,
    bool HasParameterlessConstructor = true);

/// <summary>The generated network's scalar type.</summary>
internal enum ElementType
{
    Float32,
    Float64,
}
