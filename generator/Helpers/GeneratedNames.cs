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
        "InputLength", "OutputLength", "Description", "Info", "Parameters", "_parameters", "Load", "LoadWeights",
        "SaveWeights", "InitializeWeights", "ParametersChanged", "CreateWorkspace", "ForwardFrom", "BackwardFrom",
        "TangentFrom", "ForwardPath", "BackwardPathSum", "TangentPath", "ToTorch",
    };

    public static string LayerField(string member) => "s_" + Camel(member);

    public static string ShapeField(string member) => "s_" + Camel(member) + "Shape";

    public static string Field(string member, string suffix) => "_" + Camel(member) + suffix;

    /// <summary>The field of a tensor: <c>conv1.running_mean</c> of member <c>Conv1</c> → <c>_conv1RunningMean</c>.</summary>
    public static string TensorField(string member, string tensorSuffix) =>
        Field(member, string.Concat(tensorSuffix.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part.Substring(1))));

    /// <summary>A member name as C# source: <c>@class</c> for a keyword.</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>Every identifier the emitter declares for <paramref name="layer"/>.</summary>
    public static IEnumerable<string> ForLayer(LayerSpec layer)
    {
        yield return LayerField(layer.Member);
        if (layer.Op == LayerOp.Input)
        {
            yield break;
        }

        yield return "Forward" + layer.Member;
        yield return "Backward" + layer.Member;
        yield return "Tangent" + layer.Member;
        switch (layer.Op)
        {
            case LayerOp.Dense:
            case LayerOp.Conv2D:
                yield return TensorField(layer.Member, "weight");
                if (layer.Settings.Bias)
                {
                    yield return TensorField(layer.Member, "bias");
                }

                if (layer.Op == LayerOp.Conv2D)
                {
                    yield return ShapeField(layer.Member);
                }

                break;
            case LayerOp.MaxPool2D:
            case LayerOp.AvgPool2D:
                yield return ShapeField(layer.Member);
                break;
            case LayerOp.BatchNorm:
                foreach (string suffix in new[] { "weight", "bias", "running_mean", "running_var" })
                {
                    yield return TensorField(layer.Member, suffix);
                }

                yield return Field(layer.Member, "Scale");
                yield return Field(layer.Member, "Shift");
                break;
        }
    }

    private static string Camel(string member) => char.ToLowerInvariant(member[0]) + member.Substring(1);
}
