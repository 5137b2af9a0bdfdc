using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Pathwise.Generator;

/// <summary>The catalogue of Pathwise declaration errors. Each message says how to fix the declaration.</summary>
internal static class Diagnostics
{
    private const string Category = "Pathwise";

    public static readonly DiagnosticDescriptor NotPartial = Error(
        "PW0001", "Network class must be partial",
        "Network class '{0}' must be declared 'partial' so Pathwise can generate its forward and gradient code; add the 'partial' modifier");

    public static readonly DiagnosticDescriptor NoInput = Error(
        "PW0002", "Network has no input layer",
        "Network '{0}' has no input layer; declare its first layer as '[Input(...)] public partial InputLayer Name {{ get; }}'");

    public static readonly DiagnosticDescriptor InputNotFirst = Error(
        "PW0003", "Input layer must come first, once",
        "'{0}' is an input layer but is not the first layer; a network has exactly one [Input] layer, declared before every other layer");

    public static readonly DiagnosticDescriptor ShapeMismatch = Error(
        "PW0004", "Layer does not accept its input shape",
        "Layer '{0}' ({1}) cannot take input of shape {2}: {3}");

    public static readonly DiagnosticDescriptor KernelTooLarge = Error(
        "PW0005", "Window larger than its input",
        "Layer '{0}' has a {1} window but its (padded) input is only {2}; use a smaller kernel or dilation, add padding, or remove a pooling layer before it");

    public static readonly DiagnosticDescriptor NonPositiveSize = Error(
        "PW0006", "Size must be positive",
        "Layer '{0}': {1} must be {2}, but is {3}");

    public static readonly DiagnosticDescriptor SoftmaxNotLast = Error(
        "PW0007", "Softmax must be on the last layer",
        "'{0}' applies {1}, which is allowed only on the last layer; move it to the last layer or explain the logits instead");

    public static readonly DiagnosticDescriptor DuplicateWeightName = Error(
        "PW0008", "Duplicate weight name",
        "Layer '{0}' uses weight name '{1}', already used by layer '{2}'; give one of them a distinct WeightName");

    public static readonly DiagnosticDescriptor UnsupportedLayerOrder = Error(
        "PW0009", "Unsupported layer declaration",
        "Layer '{0}': {1}");

    public static readonly DiagnosticDescriptor BadLayerMember = Error(
        "PW0010", "Layer member must be a partial get-only property",
        "'{0}' carries a layer attribute, so it must be a non-static 'partial' property of type '{1}' with only a getter and no implementation of its own, e.g. 'public partial {1} {0} {{ get; }}', but {2}");

    public static readonly DiagnosticDescriptor UnsupportedType = Error(
        "PW0011", "Network must be a top-level, non-generic, non-static class",
        "Network '{0}' must be a top-level, non-generic, non-static class that can take a generated part: {1}");

    public static readonly DiagnosticDescriptor BadInputShape = Error(
        "PW0012", "Input shape must be [features], [channels, length] or [channels, height, width]",
        "Input '{0}' has shape {1}; declare [Input(features)], [Input(channels, length)] or [Input(channels, height, width)] with positive sizes");

    public static readonly DiagnosticDescriptor NameClash = Error(
        "PW0013", "Generated member name clash",
        "{0} needs the generated member '{1}', which clashes with {2}; rename {3}");

    public static readonly DiagnosticDescriptor TooLarge = Error(
        "PW0014", "Layer too large",
        "Layer '{0}' needs {1} elements for {2}, more than a .NET array holds ({3}); use smaller sizes");

    public static readonly DiagnosticDescriptor BadScalar = Error(
        "PW0015", "Setting out of range",
        "Layer '{0}': {1} must be {2}, but is {3}");

    public static readonly DiagnosticDescriptor LayerInOtherPart = Error(
        "PW0016", "Layers must be declared in one part",
        "Layer '{0}' is declared in another part of partial class '{1}' than its [Network] attribute; layers run in declaration order, which is defined only within one part, so declare every layer in the part that carries [Network]");

    public static readonly DiagnosticDescriptor BadPrecision = Error(
        "PW0017", "Unknown precision",
        "Network '{0}' has precision {1}, which is not a Precision member; declare [Network] for float32 or [Network(Precision.Float64)]");

    public static readonly DiagnosticDescriptor UnknownLayer = Error(
        "PW0018", "Unknown layer name",
        "Layer '{0}' ({1}) reads '{2}', which is not a layer of network '{3}'; name an earlier layer with nameof, e.g. [{1}(nameof(Block1))]");

    public static readonly DiagnosticDescriptor ReadsLaterLayer = Error(
        "PW0019", "Layer reads itself or a later layer",
        "Layer '{0}' ({1}) reads '{2}', which is {3}; a layer reads only layers declared before it, so the network has no cycles");

    public static readonly DiagnosticDescriptor JoinShapeMismatch = Error(
        "PW0020", "Joined layers' shapes do not fit",
        "Layer '{0}' ({1}) cannot join '{2}' of shape {3} to its input '{4}' of shape {5}: {6}");

    public static readonly DiagnosticDescriptor UnreadLayer = Error(
        "PW0021", "Layer read by no later layer",
        "Layer '{0}' is read by no later layer, so its output would be computed and dropped; read it (the next layer, [Add], [Concat] or From = nameof({0})) or remove it");

    private static readonly DiagnosticDescriptor[] s_all =
    {
        NotPartial, NoInput, InputNotFirst, ShapeMismatch, KernelTooLarge, NonPositiveSize, SoftmaxNotLast, DuplicateWeightName,
        UnsupportedLayerOrder, BadLayerMember, UnsupportedType, BadInputShape, NameClash, TooLarge, BadScalar, LayerInOtherPart, BadPrecision,
        UnknownLayer, ReadsLaterLayer, JoinShapeMismatch, UnreadLayer,
    };

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = s_all.ToDictionary(d => d.Id);

    /// <summary>Every descriptor of the catalogue, in ID order.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All => s_all;

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
