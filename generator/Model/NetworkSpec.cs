using Pathwise.Generator.Helpers;

namespace Pathwise.Generator.Model;

// Every member must stay immutable and structurally equal, or incremental caching breaks:
// strings, numbers, enums and EquatableArray only; never an ISymbol, SyntaxNode or Location.

/// <summary>
/// A parsed, shape-checked network declaration. <see cref="Namespace"/> and <see cref="TypeName"/> are metadata
/// names (<c>class</c>, not <c>@class</c>); the emitter escapes them. <see cref="CanCreate"/> says whether
/// <c>new T()</c> compiles (not abstract, a constructor callable without arguments), which <c>Load</c> needs.
/// </summary>
internal sealed record NetworkSpec(
    string Namespace,
    string TypeName,
    ElementType Element,
    EquatableArray<LayerSpec> Layers,
    bool CanCreate = true)
{
    /// <summary>The namespace-qualified metadata name, unique in the compilation.</summary>
    public string FullName => Namespace.Length == 0 ? TypeName : Namespace + "." + TypeName;
}

/// <summary>The generated network's scalar type.</summary>
internal enum ElementType
{
    Float32,
    Float64,
}
