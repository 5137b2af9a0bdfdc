using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Helpers;

/// <summary>
/// The identifiers the emitter gives each layer's fields and methods, in one place, so the parser can
/// check them for clashes before any code is written.
/// </summary>
internal static class GeneratedNames
{
    /// <summary>Members every generated network has.</summary>
    public static readonly string[] NetworkMembers =
    {
        "InputLength", "OutputLength", "s_info", "Info", "Parameters", "_parameters", "Load", "LoadWeights",
        "SaveWeights", "InitializeWeights", "ParametersChanged", "CreateWorkspace", "ForwardFrom", "BackwardFrom",
        "TangentFrom", "ForwardPath", "BackwardPathSum", "TangentPath",
    };

    public static string LayerField(string member) => "s_" + Camel(member);

    public static string ShapeField(string member) => "s_" + Camel(member) + "Shape";

    public static string Field(string member, string suffix) => "_" + Camel(member) + suffix;

    /// <summary>The field of a tensor: <c>conv1.running_mean</c> of member <c>Conv1</c> → <c>_conv1RunningMean</c>.</summary>
    public static string TensorField(string member, string tensorSuffix) =>
        Field(member, string.Concat(tensorSuffix.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part.Substring(1))));

    /// <summary>
    /// A name as C# source: <c>@class</c> for a keyword, and <c>@var</c> for a contextual one, which is always
    /// allowed and keeps the name an identifier wherever it lands.
    /// </summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>A dotted namespace as C# source, each part escaped: <c>@class.X</c>.</summary>
    public static string Namespace(string metadataName) =>
        string.Join(".", metadataName.Split('.').Select(Identifier));

    /// <summary>Every identifier the emitter declares for a layer of <paramref name="unit"/>'s kind on <paramref name="member"/>.</summary>
    public static IEnumerable<string> ForLayer(string member, Layers.LayerUnit unit, bool bias)
    {
        yield return LayerField(member);
        if (unit.Op == LayerOp.Input)
        {
            yield break;
        }

        yield return "Forward" + member;
        yield return "Backward" + member;
        yield return "Tangent" + member;
        foreach (string suffix in unit.TensorSuffixes(unit.HasBiasSetting && bias))
        {
            yield return TensorField(member, suffix);
        }

        foreach (string name in unit.ExtraNames(member))
        {
            yield return name;
        }
    }

    private static string Camel(string member) => char.ToLowerInvariant(member[0]) + member.Substring(1);
}
