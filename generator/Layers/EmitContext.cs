using System.Globalization;
using Pathwise.Generator.Helpers;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>What a unit needs to write code: the writer, the scalar type and the generated names of a layer's members.</summary>
internal sealed class EmitContext
{
    public const string Runtime = "global::Pathwise";
    public const string Kernels = "global::Pathwise.CompilerServices.Kernels";

    private readonly ElementType _element;

    public EmitContext(SourceWriter writer, ElementType element)
    {
        W = writer;
        _element = element;
        T = element == ElementType.Float32 ? "float" : "double";
    }

    public SourceWriter W { get; }

    /// <summary>The scalar type as C#: <c>float</c> or <c>double</c>.</summary>
    public string T { get; }

    /// <summary>The static <c>Layer</c> field: <c>s_conv1</c>.</summary>
    public static string LayerField(LayerSpec layer) => GeneratedNames.LayerField(layer.Member);

    /// <summary>The static kernel geometry field: <c>s_conv1Shape</c>.</summary>
    public static string ShapeField(LayerSpec layer) => GeneratedNames.ShapeField(layer.Member);

    /// <summary>An instance field of the layer: <c>_norm</c> + <paramref name="suffix"/>.</summary>
    public static string Field(LayerSpec layer, string suffix) => GeneratedNames.Field(layer.Member, suffix);

    /// <summary>The field of the tensor <c>{WeightName}.{suffix}</c>: <c>_conv1Weight</c>.</summary>
    public static string TensorField(LayerSpec layer, string suffix) => GeneratedNames.TensorField(layer.Member, suffix);

    /// <summary>A number as a literal of the element type: <c>G9</c> and <c>f</c> for float, round-trip for double.</summary>
    public string Literal(double value) => _element == ElementType.Float32
        ? ((float)value).ToString("G9", CultureInfo.InvariantCulture) + "f"
        : value.ToString("R", CultureInfo.InvariantCulture) + (value == System.Math.Floor(value) && !value.ToString("R", CultureInfo.InvariantCulture).Contains("E") ? ".0" : "");

    /// <summary>A number as written in a <c>Layer</c> constructor argument (always a double).</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A string literal.</summary>
    public static string Quoted(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);
}
