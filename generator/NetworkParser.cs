using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Pathwise.Generator.Helpers;
using Pathwise.Generator.Model;

namespace Pathwise.Generator;

/// <summary>Turns a <c>[Network]</c> class into a shape-checked <see cref="NetworkSpec"/> and its diagnostics.</summary>
internal static class NetworkParser
{
    private const string Namespace = "Pathwise";

    private static readonly HashSet<string> s_operations = new()
    {
        "InputAttribute", "DenseAttribute", "Conv2DAttribute", "MaxPool2DAttribute", "AvgPool2DAttribute", "FlattenAttribute", "BatchNormAttribute",
    };

    private static readonly HashSet<string> s_activations = new()
    {
        "ReLUAttribute", "LeakyReLUAttribute", "TanhAttribute", "SigmoidAttribute", "GELUAttribute", "SoftmaxAttribute", "LogSoftmaxAttribute",
    };

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NotPartial, syntax.Identifier.GetLocation(), type.Name));
            return Result(null, diagnostics);
        }

        string? unsupported =
            syntax is RecordDeclarationSyntax ? "declare it as a 'partial class', not a record"
            : type.ContainingType is not null ? $"move it out of '{type.ContainingType.Name}'"
            : type.IsGenericType ? "remove its type parameters"
            : null;
        if (unsupported is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedType, syntax.Identifier.GetLocation(), type.Name, unsupported));
            return Result(null, diagnostics);
        }

        ElementType element = ReadElement(context.Attributes);
        var declared = new List<DeclaredLayer>();
        foreach (IPropertySymbol property in OrderedProperties(type))
        {
            ct.ThrowIfCancellationRequested();
            DeclaredLayer? layer = ReadMember(property, diagnostics);
            if (layer is not null)
            {
                declared.Add(layer);
            }
        }

        if (diagnostics.Count > 0)
        {
            return Result(null, diagnostics);
        }

        if (declared.Count == 0 || declared[0].Operation?.AttributeClass?.Name != "InputAttribute")
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NoInput, syntax.Identifier.GetLocation(), type.Name));
            return Result(null, diagnostics);
        }

        var layers = new List<LayerSpec>();
        var weightOwners = new Dictionary<string, string>();
        ShapeSpec? shape = null;
        for (int i = 0; i < declared.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            LayerSpec? layer = Infer(declared[i], i, declared.Count, shape, element, diagnostics);
            if (layer is null)
            {
                return Result(null, diagnostics);
            }

            if (HasWeights(layer.Op))
            {
                if (weightOwners.TryGetValue(layer.WeightName, out string? owner))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateWeightName, declared[i].OperationLocation, layer.Member, layer.WeightName, owner));
                    return Result(null, diagnostics);
                }

                weightOwners.Add(layer.WeightName, layer.Member);
            }

            layers.Add(layer);
            shape = layer.Out;
        }

        if (!CheckNames(type, declared, layers, diagnostics))
        {
            return Result(null, diagnostics);
        }

        if (layers.Count < 2)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedLayerOrder, declared[0].MemberLocation, declared[0].Property.Name, "a network needs at least one layer after its input; declare one, e.g. [Dense(10)]"));
            return Result(null, diagnostics);
        }

        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        // A static Load needs 'new T()'; a type whose constructors all need arguments gets only LoadWeights.
        bool parameterless = type.InstanceConstructors.Any(c => c.Parameters.All(p => p.IsOptional || p.IsParams));
        var spec = new NetworkSpec(ns, type.Name, element, new EquatableArray<LayerSpec>(layers), parameterless);
        return Result(spec, diagnostics);
    }

    /// <summary>
    /// Every identifier the emitter will declare must be free: not another layer's, not one every network
    /// has, and not a member the user already wrote.
    /// </summary>
    private static bool CheckNames(INamedTypeSymbol type, List<DeclaredLayer> declared, List<LayerSpec> layers, List<DiagnosticInfo> diagnostics)
    {
        var owners = new Dictionary<string, string>(System.StringComparer.Ordinal);
        foreach (string name in GeneratedNames.NetworkMembers)
        {
            owners[name] = "a member every generated network has";
        }

        var layerMembers = new HashSet<string>(layers.Select(l => l.Member), System.StringComparer.Ordinal);
        foreach (string name in type.MemberNames)
        {
            if (!layerMembers.Contains(name) && !owners.ContainsKey(name))
            {
                owners[name] = $"the member '{name}' of '{type.Name}'";
            }
        }

        for (int i = 0; i < layers.Count; i++)
        {
            foreach (string name in new[] { layers[i].Member }.Concat(GeneratedNames.ForLayer(layers[i])))
            {
                if (owners.TryGetValue(name, out string? owner))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NameClash, declared[i].MemberLocation, layers[i].Member, name, owner));
                    return false;
                }

                owners[name] = $"layer '{layers[i].Member}'";
            }
        }

        return true;
    }

    private static ParseResult Result(NetworkSpec? spec, List<DiagnosticInfo> diagnostics) =>
        new(diagnostics.Count == 0 ? spec : null, new EquatableArray<DiagnosticInfo>(diagnostics));

    private static ElementType ReadElement(ImmutableArray<AttributeData> attributes)
    {
        foreach (AttributeData attribute in attributes)
        {
            if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int precision)
            {
                return precision == 1 ? ElementType.Float64 : ElementType.Float32;
            }
        }

        return ElementType.Float32;
    }

    private static IEnumerable<IPropertySymbol> OrderedProperties(INamedTypeSymbol type) =>
        type.GetMembers()
            .OfType<IPropertySymbol>()
            .Where(p => p.Locations.Length > 0 && p.Locations[0].IsInSource)
            .OrderBy(p => p.Locations[0].SourceTree?.FilePath, System.StringComparer.Ordinal)
            .ThenBy(p => p.Locations[0].SourceSpan.Start);

    /// <summary>One member with its layer attributes, before shape inference.</summary>
    private sealed class DeclaredLayer
    {
        public DeclaredLayer(IPropertySymbol property, AttributeData? operation, AttributeData? activation)
        {
            Property = property;
            Operation = operation;
            ActivationAttribute = activation;
        }

        public IPropertySymbol Property { get; }

        public AttributeData? Operation { get; }

        public AttributeData? ActivationAttribute { get; }

        public Location MemberLocation => Property.Locations[0];

        public Location OperationLocation => LocationOf(Operation ?? ActivationAttribute) ?? MemberLocation;

        public Location ActivationLocation => LocationOf(ActivationAttribute) ?? MemberLocation;
    }

    private static Location? LocationOf(AttributeData? attribute) => attribute?.ApplicationSyntaxReference?.GetSyntax().GetLocation();

    private static DeclaredLayer? ReadMember(IPropertySymbol property, List<DiagnosticInfo> diagnostics)
    {
        AttributeData? operation = null;
        AttributeData? activation = null;
        foreach (AttributeData attribute in property.GetAttributes())
        {
            INamedTypeSymbol? attributeClass = attribute.AttributeClass;
            if (attributeClass is null || attributeClass.ContainingNamespace?.ToDisplayString() != Namespace)
            {
                continue;
            }

            bool isOperation = s_operations.Contains(attributeClass.Name);
            bool isActivation = s_activations.Contains(attributeClass.Name);
            if (!isOperation && !isActivation)
            {
                continue;
            }

            if ((isOperation && operation is not null) || (isActivation && activation is not null))
            {
                string what = isOperation ? "layer kind" : "activation";
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedLayerOrder, LocationOf(attribute) ?? property.Locations[0], property.Name,
                    $"a member declares one {what}; it already has [{Short((isOperation ? operation : activation)!)}], so declare [{Short(attribute)}] on a member of its own"));
                return null;
            }

            if (isOperation)
            {
                operation = attribute;
            }
            else
            {
                activation = attribute;
            }
        }

        if (operation is null && activation is null)
        {
            return null;
        }

        bool isInput = operation?.AttributeClass?.Name == "InputAttribute";
        string expectedType = isInput ? "InputLayer" : "Layer";
        bool typeOk = property.Type is INamedTypeSymbol named && named.Name == expectedType && named.ContainingNamespace?.ToDisplayString() == Namespace;
        if (!property.IsPartialDefinition || property.IsStatic || property.SetMethod is not null || property.GetMethod is null || !typeOk)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadLayerMember, property.Locations[0], property.Name, expectedType));
            return null;
        }

        return new DeclaredLayer(property, operation, activation);
    }

    private static string Short(AttributeData attribute)
    {
        string name = attribute.AttributeClass?.Name ?? "?";
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    private static LayerSpec? Infer(DeclaredLayer declared, int index, int count, ShapeSpec? input, ElementType element, List<DiagnosticInfo> diagnostics)
    {
        string member = declared.Property.Name;
        AttributeData? operation = declared.Operation;
        string kind = operation is null ? "Activation" : Short(operation);
        LayerOp op = operation is null ? LayerOp.Activation : (LayerOp)System.Enum.Parse(typeof(LayerOp), kind);
        Location at = declared.OperationLocation;

        if (op == LayerOp.Input && index > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InputNotFirst, at, member));
            return null;
        }

        Activation activation = ReadActivation(declared.ActivationAttribute, out double slope);
        if (activation != Activation.None && op == LayerOp.Input)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedLayerOrder, declared.ActivationLocation, member, "an input layer cannot carry an activation; declare the activation on the next layer"));
            return null;
        }

        if ((activation == Activation.Softmax || activation == Activation.LogSoftmax) && index != count - 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.SoftmaxNotLast, declared.ActivationLocation, member, activation.ToString()));
            return null;
        }

        if (activation == Activation.LeakyReLU && !IsFinite(slope))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadScalar, declared.ActivationLocation, member, "the negative slope", "a finite number", Format(slope)));
            return null;
        }

        string weightName = Named(operation, "WeightName") as string ?? SnakeCase(member);
        bool bias = Named(operation, "Bias") as bool? ?? true;
        var settings = new LayerSettings(Slope: slope);
        ShapeSpec output;
        switch (op)
        {
            case LayerOp.Input:
            {
                int[] dims = Dimensions(operation!);
                if ((dims.Length != 1 && dims.Length != 3) || dims.Any(d => d < 1))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadInputShape, at, member, "[" + string.Join(", ", dims) + "]"));
                    return null;
                }

                output = dims.Length == 1 ? ShapeSpec.Flat(dims[0]) : ShapeSpec.Image(dims[0], dims[1], dims[2]);
                input = output;
                break;
            }

            case LayerOp.Dense:
            {
                int units = FirstArgument(operation!);
                if (!Positive(member, "Units", units, at, diagnostics))
                {
                    return null;
                }

                if (input!.Rank != 1)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ShapeMismatch, at, member, "Dense", input.ToString(), "Dense takes a flat [features] input; declare a [Flatten] layer before it"));
                    return null;
                }

                output = ShapeSpec.Flat(units);
                settings = settings with { Bias = bias };
                break;
            }

            case LayerOp.Conv2D:
            {
                int channels = FirstArgument(operation!);
                int kernel = Named(operation, "Kernel") as int? ?? 3;
                int padding = Named(operation, "Padding") as int? ?? 0;
                int stride = Named(operation, "Stride") as int? ?? 1;
                if (!Positive(member, "OutChannels", channels, at, diagnostics) || !Positive(member, "Kernel", kernel, at, diagnostics)
                    || !Positive(member, "Stride", stride, at, diagnostics) || !NonNegative(member, "Padding", padding, at, diagnostics))
                {
                    return null;
                }

                if (!RequireImage(member, "Conv2D", input!, at, diagnostics) || !Fits(member, kernel, input!.Height + 2 * padding, input.Width + 2 * padding, at, diagnostics))
                {
                    return null;
                }

                output = ShapeSpec.Image(channels, (input.Height + 2 * padding - kernel) / stride + 1, (input.Width + 2 * padding - kernel) / stride + 1);
                settings = settings with { Kernel = kernel, Padding = padding, Stride = stride, Bias = bias };
                break;
            }

            case LayerOp.MaxPool2D:
            case LayerOp.AvgPool2D:
            {
                int kernel = FirstArgument(operation!);
                int stride = Named(operation, "Stride") as int? ?? 0;
                if (!Positive(member, "Kernel", kernel, at, diagnostics) || !NonNegative(member, "Stride", stride, at, diagnostics))
                {
                    return null;
                }

                stride = stride == 0 ? kernel : stride;
                if (!RequireImage(member, kind, input!, at, diagnostics) || !Fits(member, kernel, input!.Height, input.Width, at, diagnostics))
                {
                    return null;
                }

                output = ShapeSpec.Image(input.Channels, (input.Height - kernel) / stride + 1, (input.Width - kernel) / stride + 1);
                settings = settings with { Kernel = kernel, Stride = stride };
                break;
            }

            case LayerOp.Flatten:
                output = ShapeSpec.Flat(input!.Length);
                break;

            case LayerOp.BatchNorm:
            {
                double epsilon = Named(operation, "Epsilon") as double? ?? 1e-5;
                if (!(epsilon > 0) || !IsFinite(epsilon) || (element == ElementType.Float32 && !((float)epsilon > 0 && !float.IsInfinity((float)epsilon))))
                {
                    string expected = element == ElementType.Float32 ? "positive, finite and representable as a float" : "positive and finite";
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadScalar, at, member, "Epsilon", expected, Format(epsilon)));
                    return null;
                }

                output = input!;
                settings = settings with { Epsilon = epsilon };
                break;
            }

            default:
                output = input!;
                break;
        }

        long elements = (long)output.Channels * output.Height * output.Width;
        long weights = op switch
        {
            LayerOp.Dense => (long)output.Channels * input!.Channels * input.Height * input.Width,
            LayerOp.Conv2D => (long)output.Channels * input!.Channels * settings.Kernel * settings.Kernel,
            _ => 0,
        };
        if (elements > MaxElements || weights > MaxElements)
        {
            bool weightsTooMany = weights > MaxElements;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooLarge, at, member, Format(weightsTooMany ? weights : elements), weightsTooMany ? "its weights" : "one point's output", Format(MaxElements)));
            return null;
        }

        if ((activation == Activation.Softmax || activation == Activation.LogSoftmax) && output.Rank != 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ShapeMismatch, declared.ActivationLocation, member, activation.ToString(), output.ToString(), "softmax runs over a flat [classes] output; declare a [Flatten] and a [Dense] layer first"));
            return null;
        }

        string accessibility = SyntaxFacts.GetText(declared.Property.DeclaredAccessibility);
        return new LayerSpec(member, accessibility, op, activation, input!, output, weightName, settings);
    }

    private static Activation ReadActivation(AttributeData? attribute, out double slope)
    {
        slope = 0;
        switch (attribute?.AttributeClass?.Name)
        {
            case null:
                return Activation.None;
            case "ReLUAttribute":
                return Activation.ReLU;
            case "LeakyReLUAttribute":
                slope = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is double s ? s : 0.01;
                return Activation.LeakyReLU;
            case "TanhAttribute":
                return Activation.Tanh;
            case "SigmoidAttribute":
                return Activation.Sigmoid;
            case "GELUAttribute":
                return Named(attribute, "Approximation") is int approximation && approximation == 1 ? Activation.GeluTanh : Activation.Gelu;
            case "SoftmaxAttribute":
                return Activation.Softmax;
            default:
                return Activation.LogSoftmax;
        }
    }

    /// <summary>
    /// The first constructor argument as an int, or 0 when the attribute does not bind (the compiler reports
    /// that error itself; 0 then reads as a non-positive size rather than crashing the generator).
    /// </summary>
    private static int FirstArgument(AttributeData attribute) =>
        attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is int value ? value : 0;

    /// <summary>The <c>params int[]</c> of <c>[Input(...)]</c>; unbound or non-int entries read as 0.</summary>
    private static int[] Dimensions(AttributeData attribute)
    {
        if (attribute.ConstructorArguments.Length == 0)
        {
            return new int[0];
        }

        TypedConstant argument = attribute.ConstructorArguments[0];
        return argument.Kind == TypedConstantKind.Array
            ? argument.Values.Select(v => v.Value is int d ? d : 0).ToArray()
            : new[] { argument.Value is int single ? single : 0 };
    }

    private static object? Named(AttributeData? attribute, string name)
    {
        if (attribute is null)
        {
            return null;
        }

        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                return argument.Value.Value;
            }
        }

        return null;
    }

    private static bool Positive(string member, string what, int value, Location at, List<DiagnosticInfo> diagnostics)
    {
        if (value >= 1)
        {
            return true;
        }

        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveSize, at, member, what, "at least 1", value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return false;
    }

    private static bool NonNegative(string member, string what, int value, Location at, List<DiagnosticInfo> diagnostics)
    {
        if (value >= 0)
        {
            return true;
        }

        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NonPositiveSize, at, member, what, "zero or more", value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return false;
    }

    private static bool RequireImage(string member, string kind, ShapeSpec input, Location at, List<DiagnosticInfo> diagnostics)
    {
        if (input.Rank == 3)
        {
            return true;
        }

        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ShapeMismatch, at, member, kind, input.ToString(), kind + " takes a [channels, height, width] input; it cannot follow a Flatten or Dense layer"));
        return false;
    }

    private static bool Fits(string member, int kernel, int height, int width, Location at, List<DiagnosticInfo> diagnostics)
    {
        if (kernel <= height && kernel <= width)
        {
            return true;
        }

        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.KernelTooLarge, at, member, kernel.ToString(System.Globalization.CultureInfo.InvariantCulture),
            height.ToString(System.Globalization.CultureInfo.InvariantCulture), width.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return false;
    }

    /// <summary>The most elements one buffer may need; a workspace also multiplies this by its capacity, checked at run time.</summary>
    private const long MaxElements = int.MaxValue / 8;

    private static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    private static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static string Format(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool HasWeights(LayerOp op) => op is LayerOp.Dense or LayerOp.Conv2D or LayerOp.BatchNorm;

    /// <summary><c>Conv1</c> → <c>conv1</c>, <c>HiddenLayer</c> → <c>hidden_layer</c>: PyTorch attribute style.</summary>
    internal static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
