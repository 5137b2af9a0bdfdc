using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Pathwise.Generator.Helpers;
using Pathwise.Generator.Layers;
using Pathwise.Generator.Model;

namespace Pathwise.Generator;

/// <summary>
/// Turns a <c>[Network]</c> class into a shape-checked <see cref="NetworkSpec"/> and its diagnostics. Every
/// problem of a declaration is reported at once, each at the offending code; a later layer is shape-checked
/// as long as the shapes before it are known, so one mistake does not cascade into others.
/// </summary>
internal static class NetworkParser
{
    private const string Namespace = "Pathwise";

    private const string NetworkAttributeName = "Pathwise.NetworkAttribute";

    /// <summary>
    /// The most elements one buffer may hold: .NET's <c>Array.MaxLength</c>. A workspace multiplies a layer's
    /// size by its capacity, which the runtime checks when it allocates.
    /// </summary>
    internal const long MaxElements = 0x7FFFFFC7;

    private static readonly HashSet<string> s_activations = new()
    {
        "ReLUAttribute", "LeakyReLUAttribute", "TanhAttribute", "SigmoidAttribute", "GELUAttribute", "SoftmaxAttribute", "LogSoftmaxAttribute",
    };

    /// <summary>Modifiers a layer property may carry besides <c>partial</c>; the generated part repeats them.</summary>
    private static readonly HashSet<SyntaxKind> s_layerModifiers = new()
    {
        SyntaxKind.PublicKeyword, SyntaxKind.InternalKeyword, SyntaxKind.ProtectedKeyword, SyntaxKind.PrivateKeyword,
        SyntaxKind.NewKeyword, SyntaxKind.VirtualKeyword, SyntaxKind.UnsafeKeyword, SyntaxKind.PartialKeyword,
    };

    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        if (!SpeaksForType(type, syntax))
        {
            return ParseResult.Nothing;
        }

        var diagnostics = new List<DiagnosticInfo>();
        CheckType(type, syntax, diagnostics);
        ElementType element = ReadElement(type, context.Attributes, diagnostics);

        var needImplementation = new List<IPropertySymbol>();
        var layerNames = new HashSet<string>(System.StringComparer.Ordinal);
        List<DeclaredLayer> declared = ReadLayers(type, syntax, diagnostics, needImplementation, layerNames, ct);
        List<LayerSpec> layers = InferLayers(type, syntax, declared, element, diagnostics, ct);
        CheckWeightNames(declared, diagnostics);
        CheckNames(type, syntax, declared, layerNames, diagnostics);

        if (diagnostics.Count > 0 || layers.Count != declared.Count)
        {
            StubSpec? stub = Stub(type, needImplementation, ct);
            return new ParseResult(null, stub, new EquatableArray<DiagnosticInfo>(diagnostics));
        }

        // A static Load needs 'new T()': a concrete type with a constructor callable without arguments.
        // Load calls `new T()`: it needs a constructor callable without arguments that leaves no required member unset.
        bool hasRequired = HasRequiredMembers(type);
        bool canCreate = !type.IsAbstract && type.InstanceConstructors.Any(c =>
            c.Parameters.All(p => p.IsOptional || p.IsParams) && (!hasRequired || SetsRequiredMembers(c)));
        var spec = new NetworkSpec(NamespaceName(type.ContainingNamespace), type.Name, element, new EquatableArray<LayerSpec>(layers), canCreate);
        return new ParseResult(spec, null, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>
    /// With <c>[Network]</c> on several parts of one class (the compiler reports the duplicate attribute), only
    /// the part carrying the first of them speaks for the type, so it is generated and reported once.
    /// </summary>
    private static bool SpeaksForType(INamedTypeSymbol type, TypeDeclarationSyntax syntax)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == NetworkAttributeName)
            {
                SyntaxReference? reference = attribute.ApplicationSyntaxReference;
                return reference is null || (reference.SyntaxTree == syntax.SyntaxTree && syntax.Span.Contains(reference.Span));
            }
        }

        return true;
    }

    private static void CheckType(INamedTypeSymbol type, TypeDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics)
    {
        Location at = syntax.Identifier.GetLocation();
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NotPartial, at, type.Name));
        }

        var reasons = new List<string>();
        if (syntax is RecordDeclarationSyntax)
        {
            reasons.Add("declare it as a 'partial class', not a record");
        }

        if (type.ContainingType is not null)
        {
            reasons.Add($"move it out of '{type.ContainingType.Name}'");
        }

        if (type.TypeParameters.Length > 0)
        {
            reasons.Add("remove its type parameters");
        }

        if (type.IsStatic)
        {
            reasons.Add("remove 'static'; a network is an object that holds its weights");
        }

        if (type.IsFileLocal)
        {
            reasons.Add("remove 'file'; the generated part lives in another file, which a file-local class cannot span");
        }

        if (type.ContainingNamespace.IsGlobalNamespace && type.ContainingType is null && type.Name is "System" or Namespace)
        {
            reasons.Add($"rename it or move it into a namespace; a class '{type.Name}' in the global namespace hides the namespace '{type.Name}' that the generated code uses");
        }

        foreach (string reason in reasons)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedType, at, type.Name, reason));
        }
    }

    private static ElementType ReadElement(INamedTypeSymbol type, ImmutableArray<AttributeData> attributes, List<DiagnosticInfo> diagnostics)
    {
        foreach (AttributeData attribute in attributes)
        {
            if (attribute.ConstructorArguments.Length == 1 && LayerReader.ValueOf(attribute.ConstructorArguments[0]) is int precision)
            {
                switch (precision)
                {
                    case 0:
                        return ElementType.Float32;
                    case 1:
                        return ElementType.Float64;
                    default:
                        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadPrecision, LocationOf(attribute), type.Name, LayerReader.Format(precision)));
                        return ElementType.Float32;
                }
            }
        }

        return ElementType.Float32;
    }

    /// <summary>A namespace's metadata name, <c>class.X</c> for <c>namespace @class.X</c>; empty for the global one.</summary>
    private static bool HasRequiredMembers(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            foreach (ISymbol member in t.GetMembers())
            {
                if (member is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true })
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool SetsRequiredMembers(IMethodSymbol constructor) =>
        constructor.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute");

    private static string NamespaceName(INamespaceSymbol ns)
    {
        var parts = new List<string>();
        for (INamespaceSymbol? n = ns; n is not null && !n.IsGlobalNamespace; n = n.ContainingNamespace)
        {
            parts.Insert(0, n.Name);
        }

        return string.Join(".", parts);
    }

    /// <summary>One member with its layer attributes, before shape inference.</summary>
    private sealed class DeclaredLayer
    {
        public DeclaredLayer(IPropertySymbol property, AttributeData? operation, AttributeData? activation, string modifiers, bool wellFormed)
        {
            Property = property;
            Operation = operation;
            ActivationAttribute = activation;
            Modifiers = modifiers;
            WellFormed = wellFormed;
            Unit = (operation?.AttributeClass is { } attributeClass ? LayerUnits.ByAttribute(attributeClass.Name) : null) ?? LayerUnits.Of(LayerOp.Activation);
            Bias = LayerReader.NamedArgument(operation, "Bias") as bool? ?? true;
        }

        public IPropertySymbol Property { get; }

        public string Member => Property.Name;

        public AttributeData? Operation { get; }

        public AttributeData? ActivationAttribute { get; }

        /// <summary>The kind's unit: the attribute's, or the activation-only unit for a member without a layer kind.</summary>
        public LayerUnit Unit { get; }

        public LayerOp Op => Unit.Op;

        public bool Bias { get; }

        /// <summary>The written modifiers without <c>partial</c>.</summary>
        public string Modifiers { get; }

        /// <summary>Whether the member itself is a valid layer property (its attributes may still be wrong).</summary>
        public bool WellFormed { get; }

        /// <summary>The tensor prefix, set by shape inference when it is valid.</summary>
        public string? WeightName { get; set; }

        public Location MemberLocation => Property.Locations[0];

        public Location OperationLocation => LocationOf(Operation ?? ActivationAttribute, MemberLocation);

        public Location ActivationLocation => LocationOf(ActivationAttribute, MemberLocation);
    }

    private static Location LocationOf(AttributeData? attribute, Location? fallback = null) =>
        attribute?.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? fallback ?? Location.None;

    /// <summary>
    /// The members carrying layer attributes, in declaration order, from the part that carries <c>[Network]</c>
    /// (members in other parts get PW0016). Every partial definition without an implementation goes into
    /// <paramref name="needImplementation"/>, for the stub of a declaration in error; every layer member's name,
    /// in whichever part, goes into <paramref name="layerNames"/>.
    /// </summary>
    private static List<DeclaredLayer> ReadLayers(INamedTypeSymbol type, TypeDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, List<IPropertySymbol> needImplementation, HashSet<string> layerNames, CancellationToken ct)
    {
        var declared = new List<DeclaredLayer>();
        foreach (ISymbol symbol in type.GetMembers())
        {
            ct.ThrowIfCancellationRequested();
            if (symbol is not IPropertySymbol property || property.Locations.Length == 0 || !property.Locations[0].IsInSource || property.Name.Length == 0)
            {
                continue;
            }

            if (!ReadAttributes(property, diagnostics, out AttributeData? operation, out AttributeData? activation))
            {
                continue;
            }

            layerNames.Add(property.Name);
            if (property.IsPartialDefinition && property.PartialImplementationPart is null)
            {
                needImplementation.Add(property);
            }

            Location location = property.Locations[0];
            if (location.SourceTree != syntax.SyntaxTree || !syntax.Span.Contains(location.SourceSpan))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.LayerInOtherPart, location, property.Name, type.Name));
                continue;
            }

            bool isInput = operation?.AttributeClass?.Name == "InputAttribute";
            string? problem = MemberProblem(property, isInput ? "InputLayer" : "Layer", out string modifiers, ct);
            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadLayerMember, location, property.Name, isInput ? "InputLayer" : "Layer", problem));
            }

            declared.Add(new DeclaredLayer(property, operation, activation, modifiers, problem is null));
        }

        // Within one part, declaration order is source order.
        declared.Sort((a, b) => a.MemberLocation.SourceSpan.Start.CompareTo(b.MemberLocation.SourceSpan.Start));
        return declared;
    }

    /// <summary>
    /// The member's one layer kind and one activation from Pathwise; false when it has neither. A second
    /// kind or activation is PW0009, and the first one stands.
    /// </summary>
    private static bool ReadAttributes(IPropertySymbol property, List<DiagnosticInfo> diagnostics, out AttributeData? operation, out AttributeData? activation)
    {
        operation = null;
        activation = null;
        foreach (AttributeData attribute in property.GetAttributes())
        {
            INamedTypeSymbol? attributeClass = attribute.AttributeClass;
            if (attributeClass is null || attributeClass.ContainingNamespace?.ToDisplayString() != Namespace || attributeClass.ContainingType is not null)
            {
                continue;
            }

            bool isOperation = LayerUnits.ByAttribute(attributeClass.Name) is not null;
            bool isActivation = s_activations.Contains(attributeClass.Name);
            if (!isOperation && !isActivation)
            {
                continue;
            }

            AttributeData? first = isOperation ? operation : activation;
            if (first is not null)
            {
                string what = isOperation ? "layer kind" : "activation";
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedLayerOrder, LocationOf(attribute, property.Locations[0]), property.Name,
                    $"a member declares one {what}; it already has [{Short(first)}], so declare [{Short(attribute)}] on a member of its own"));
            }
            else if (isOperation)
            {
                operation = attribute;
            }
            else
            {
                activation = attribute;
            }
        }

        return operation is not null || activation is not null;
    }

    /// <summary>Why <paramref name="property"/> cannot be a layer, or null; and its written modifiers without <c>partial</c>.</summary>
    private static string? MemberProblem(IPropertySymbol property, string expectedType, out string modifiers, CancellationToken ct)
    {
        modifiers = "";
        SyntaxTokenList tokens = property.DeclaringSyntaxReferences.Length > 0 && property.DeclaringSyntaxReferences[0].GetSyntax(ct) is BasePropertyDeclarationSyntax declaration
            ? declaration.Modifiers
            : default;
        modifiers = string.Join(" ", tokens.Where(t => !t.IsKind(SyntaxKind.PartialKeyword)).Select(t => t.Text));

        if (property.IsIndexer)
        {
            return "it is an indexer";
        }

        if (property.PartialImplementationPart is not null)
        {
            return "it has an implementation part; remove it, Pathwise writes it";
        }

        if (!property.IsPartialDefinition)
        {
            return "it is not a 'partial' property without a body";
        }

        if (property.IsStatic)
        {
            return "it is static";
        }

        if (property.SetMethod is not null)
        {
            return "it has a setter";
        }

        if (property.GetMethod is null)
        {
            return "it has no getter";
        }

        if (property.ReturnsByRef || property.ReturnsByRefReadonly)
        {
            return "it returns by reference";
        }

        bool typeOk = property.Type is INamedTypeSymbol named && named.Name == expectedType && named.ContainingNamespace?.ToDisplayString() == Namespace && named.ContainingType is null;
        if (!typeOk)
        {
            return $"its type is '{property.Type.ToDisplayString()}'";
        }

        foreach (SyntaxToken token in tokens)
        {
            if (!s_layerModifiers.Contains(token.Kind()))
            {
                return $"it is '{token.Text}'; a layer takes only an accessibility modifier and 'new', 'virtual' or 'unsafe'";
            }
        }

        return null;
    }

    private static string Short(AttributeData attribute)
    {
        string name = attribute.AttributeClass?.Name ?? "?";
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    /// <summary>
    /// Checks every layer's settings and infers the shapes in order. A layer whose input shape is unknown (a
    /// layer before it is in error) has only its own settings checked. Returns the specs of the layers that are
    /// entirely valid; the network is valid when that is every layer and no diagnostic was reported.
    /// </summary>
    private static List<LayerSpec> InferLayers(INamedTypeSymbol type, TypeDeclarationSyntax syntax, List<DeclaredLayer> declared, ElementType element, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var layers = new List<LayerSpec>();
        if (declared.Count == 0 || declared[0].Op != LayerOp.Input)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NoInput, syntax.Identifier.GetLocation(), type.Name));
        }
        else if (declared.Count == 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedLayerOrder, declared[0].MemberLocation, declared[0].Member, "a network needs at least one layer after its input; declare one, e.g. [Dense(10)]"));
        }

        var outputs = new ShapeSpec?[declared.Count];
        var readers = new int[declared.Count];
        bool resolved = true;
        for (int i = 0; i < declared.Count; i++)
        {
            ct.ThrowIfCancellationRequested();

            // The layer the operation reads as x: the previous one, or the one its From names.
            int source = i - 1;
            if (ReadFrom(declared[i], out string? from, out Location fromAt))
            {
                if (declared[i].Op == LayerOp.Input)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedLayerOrder, fromAt, declared[i].Member, "an input layer reads no layer, so it takes no From"));
                }
                else
                {
                    int? named = ResolveName(type, declared, i, from, fromAt, diagnostics);
                    resolved &= named is not null;
                    source = named ?? -1;
                }
            }

            Join? join = declared[i].Unit.Joins ? ResolveJoin(type, declared, i, outputs, diagnostics) : null;
            resolved &= join is null || join.Valid;
            if (source >= 0 && i > 0)
            {
                readers[source]++;
            }

            foreach ((int named, JoinSource? _) in join?.Named ?? new List<(int, JoinSource?)>())
            {
                readers[named]++;
            }

            ShapeSpec? input = source >= 0 ? outputs[source] : null;
            string inputMember = source >= 0 ? declared[source].Member : "";
            LayerSpec? layer = Infer(declared[i], i, declared.Count, input, element, diagnostics, out ShapeSpec? shape, inputMember, source, join);
            outputs[i] = shape;
            if (layer is not null)
            {
                layers.Add(layer);
            }
        }

        // With From, a layer may be left unread: its output would be computed and dropped.
        for (int i = 0; resolved && i < declared.Count - 1; i++)
        {
            if (readers[i] == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnreadLayer, declared[i].MemberLocation, declared[i].Member));
            }
        }

        return layers;
    }

    /// <summary>The <c>From</c> named argument of a layer's attribute, with the location of its value; false when it is not written (or null).</summary>
    private static bool ReadFrom(DeclaredLayer layer, out string? name, out Location at)
    {
        name = LayerReader.NamedArgument(layer.Operation, "From") as string;
        at = layer.OperationLocation;
        if (name is null)
        {
            return false;
        }

        if (layer.Operation?.ApplicationSyntaxReference?.GetSyntax() is AttributeSyntax { ArgumentList: { } list })
        {
            foreach (AttributeArgumentSyntax argument in list.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == "From")
                {
                    at = argument.Expression.GetLocation();
                }
            }
        }

        return true;
    }

    /// <summary>
    /// The index of the layer named <paramref name="name"/> for layer <paramref name="index"/> to read, or null after
    /// reporting PW0018 (no such layer) or PW0019 (itself or a later layer) at <paramref name="at"/>.
    /// </summary>
    private static int? ResolveName(INamedTypeSymbol type, List<DeclaredLayer> declared, int index, string? name, Location at, List<DiagnosticInfo> diagnostics)
    {
        DeclaredLayer layer = declared[index];
        string kind = layer.Operation is null ? "Activation" : Short(layer.Operation);
        int source = name is null ? -1 : declared.FindIndex(d => d.Member == name);
        if (source < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnknownLayer, at, layer.Member, kind, name ?? "null", type.Name));
            return null;
        }

        if (source >= index)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ReadsLaterLayer, at, layer.Member, kind, name!, source == index ? "itself" : "declared after it"));
            return null;
        }

        return source;
    }

    /// <summary>The layers a joining attribute names, resolved; <see cref="Valid"/> is false after a name was reported.</summary>
    private sealed class Join
    {
        public List<(int Index, JoinSource? Source)> Named { get; } = new();

        public bool Valid { get; set; } = true;
    }

    /// <summary>
    /// Resolves the names of <c>[Add(...)]</c> or <c>[Concat(...)]</c> on layer <paramref name="index"/>: each must be a
    /// layer declared before it (PW0018 for an unknown name, PW0019 for itself or a later layer, each at its argument).
    /// A named layer whose shape is unknown (it is in error) resolves without a source, so no shape check cascades.
    /// </summary>
    private static Join ResolveJoin(INamedTypeSymbol type, List<DeclaredLayer> declared, int index, ShapeSpec?[] outputs, List<DiagnosticInfo> diagnostics)
    {
        DeclaredLayer layer = declared[index];
        AttributeData attribute = layer.Operation!;
        string kind = Short(attribute);
        var join = new Join();
        var names = new List<string?>();
        if (attribute.ConstructorArguments.Length == 1)
        {
            TypedConstant argument = attribute.ConstructorArguments[0];
            if (argument.Kind == TypedConstantKind.Array && !argument.IsNull)
            {
                names.AddRange(argument.Values.Select(v => LayerReader.ValueOf(v) as string));
            }
            else if (argument.Kind == TypedConstantKind.Error)
            {
                join.Valid = false;
                return join;
            }
        }

        if (names.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedLayerOrder, layer.OperationLocation, layer.Member,
                $"[{kind}] names at least one earlier layer whose output it joins to the previous layer's, e.g. [{kind}(nameof(Block1))]"));
            join.Valid = false;
            return join;
        }

        // Each name's own argument, when written one per argument: [Add(nameof(A), nameof(B))].
        var arguments = attribute.ApplicationSyntaxReference?.GetSyntax() is AttributeSyntax syntax && syntax.ArgumentList is { } list
            ? list.Arguments.Where(a => a.NameEquals is null).ToList()
            : new List<AttributeArgumentSyntax>();
        for (int k = 0; k < names.Count; k++)
        {
            string? name = names[k];
            Location at = arguments.Count == names.Count ? arguments[k].GetLocation() : layer.OperationLocation;
            if (ResolveName(type, declared, index, name, at, diagnostics) is not int source)
            {
                join.Valid = false;
                continue;
            }

            join.Named.Add((source, outputs[source] is { } shape ? new JoinSource(name!, shape, at) : null));
        }

        return join;
    }

    private static void CheckWeightNames(List<DeclaredLayer> declared, List<DiagnosticInfo> diagnostics)
    {
        var owners = new Dictionary<string, string>(System.StringComparer.Ordinal);
        foreach (DeclaredLayer layer in declared)
        {
            if (!layer.Unit.HasWeights || layer.WeightName is null)
            {
                continue;
            }

            if (owners.TryGetValue(layer.WeightName, out string? owner))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateWeightName, layer.OperationLocation, layer.Member, layer.WeightName, owner));
            }
            else
            {
                owners.Add(layer.WeightName, layer.Member);
            }
        }
    }

    /// <summary>
    /// One layer: its settings always, its shapes when <paramref name="input"/> is known. Returns its spec when
    /// it is entirely valid; <paramref name="output"/> is its output shape, or null when that is unknown. What is
    /// particular to the kind (its settings, shape rule and weight count) its <see cref="LayerUnit"/> says.
    /// </summary>
    private static LayerSpec? Infer(DeclaredLayer declared, int index, int count, ShapeSpec? input, ElementType element, List<DiagnosticInfo> diagnostics, out ShapeSpec? output, string previous, int source, Join? join)
    {
        output = null;
        string member = declared.Member;
        AttributeData? operation = declared.Operation;
        LayerUnit unit = declared.Unit;
        LayerOp op = unit.Op;
        string kind = operation is null ? "Activation" : Short(operation);
        Location at = declared.OperationLocation;
        int reported = diagnostics.Count;

        if (op == LayerOp.Input && index > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InputNotFirst, at, member));
        }

        Activation activation = ReadActivation(declared.ActivationAttribute, out double slope);
        if (activation != Activation.None && op == LayerOp.Input)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedLayerOrder, declared.ActivationLocation, member, "an input layer cannot carry an activation; declare the activation on the next layer"));
        }

        bool softmax = activation is Activation.Softmax or Activation.LogSoftmax;
        if (softmax && index != count - 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.SoftmaxNotLast, declared.ActivationLocation, member, activation.ToString()));
        }

        if (activation == Activation.LeakyReLU && !Representable(slope, element))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadScalar, declared.ActivationLocation, member, "the negative slope", Finite(element), LayerReader.Format(slope)));
        }

        string? weightName = null;
        if (unit.HasWeights)
        {
            object? written = LayerReader.NamedArgument(operation, "WeightName");
            weightName = written as string ?? SnakeCase(member);
            if (written is string name && !ValidWeightName(name))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadScalar, at, member, "WeightName",
                    "a state_dict prefix such as \"fc1\" or \"features.0\": not empty, no leading, trailing or doubled dots", Quoted(name)));
                weightName = null;
            }
        }

        declared.WeightName = weightName;
        var reader = new LayerReader(member, kind, operation, at, element, diagnostics);
        reader.FollowsInput = index == 1;
        var settings = new LayerSettings(Slope: slope, Bias: unit.HasBiasSetting && declared.Bias);
        int[]? dims = null;
        if (op == LayerOp.Input)
        {
            dims = Dimensions(operation!);
            if (dims is null || dims.Length is < 1 or > 3 || dims.Any(d => d < 1))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadInputShape, at, member, dims is null ? "null" : "[" + string.Join(", ", dims) + "]"));
                dims = null;
            }
        }
        else
        {
            // Sizes the unit finds bad stop shape inference; bad scalars do not.
            settings = unit.Read(reader, settings);
        }

        // Shapes: the input layer's own, or each later layer's from the shape before it when that is known.
        if (op == LayerOp.Input)
        {
            if (dims is null || index > 0)
            {
                return null;
            }

            if (!reader.WithinLimit(Product(dims), "one input point"))
            {
                return null;
            }

            input = output = dims.Length switch
            {
                1 => ShapeSpec.Flat(dims[0]),
                2 => ShapeSpec.Sequence(dims[0], dims[1]),
                _ => ShapeSpec.Image(dims[0], dims[1], dims[2]),
            };
        }
        else
        {
            if (input is null || reader.SizesInvalid)
            {
                return null;
            }

            // A join checks the shapes of the names it resolved even when another name is in error: every problem at once.
            output = join is null
                ? unit.OutputShape(reader, input, settings)
                : unit.JoinShape(reader, previous, input, join.Named.Where(n => n.Source is not null).Select(n => n.Source!.Value).ToList());
            if (join is not null && (!join.Valid || join.Named.Any(n => n.Source is null)))
            {
                output = null;
                return null;
            }

            if (output is null || !reader.WithinLimit((BigInteger)output.Channels * output.Height * output.Width, "one point's output"))
            {
                output = null;
                return null;
            }

            if (!reader.WithinLimit(unit.WeightCount(input, settings), "its weights"))
            {
                return null;
            }

            if (softmax && output.Rank != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ShapeMismatch, declared.ActivationLocation, member, activation.ToString(), output.ToString(), "softmax runs over a flat [classes] output; declare a [Flatten] and a [Dense] layer first"));
                return null;
            }
        }

        if (diagnostics.Count != reported || !declared.WellFormed || weightName is null && unit.HasWeights)
        {
            return null;
        }

        var inputs = new List<LayerInput>();
        if (index > 0)
        {
            inputs.Add(new LayerInput(previous, source, input!));
        }

        foreach ((int other, JoinSource? named) in join?.Named ?? new List<(int, JoinSource?)>())
        {
            inputs.Add(new LayerInput(named!.Value.Member, other, named.Value.Shape));
        }

        return new LayerSpec(member, declared.Modifiers, op, activation, input!, output, weightName ?? "", settings, new EquatableArray<LayerInput>(inputs));
    }

    private static BigInteger Product(int[] dims)
    {
        BigInteger product = BigInteger.One;
        foreach (int d in dims)
        {
            product *= d;
        }

        return product;
    }

    /// <summary>A <c>WeightName</c> that makes well-formed tensor names: <c>{prefix}.weight</c>.</summary>
    private static bool ValidWeightName(string name) =>
        name.Trim().Length > 0 && !name.StartsWith(".", System.StringComparison.Ordinal) && !name.EndsWith(".", System.StringComparison.Ordinal)
        && name.IndexOf("..", System.StringComparison.Ordinal) < 0;

    /// <summary>Finite, and finite once converted to the element type (a float literal must not become infinity).</summary>
    private static bool Representable(double value, ElementType element) =>
        !double.IsNaN(value) && !double.IsInfinity(value) && (element == ElementType.Float64 || !float.IsInfinity((float)value));

    private static string Finite(ElementType element) => element == ElementType.Float32 ? "a finite number representable as a float" : "a finite number";

    /// <summary>
    /// Every identifier the emitter declares must be free: not the class's own name, not another layer's, not
    /// one every network has, and not a member the user already wrote. One PW0013 per offending member.
    /// </summary>
    private static void CheckNames(INamedTypeSymbol type, TypeDeclarationSyntax syntax, List<DeclaredLayer> declared, HashSet<string> layerNames, List<DiagnosticInfo> diagnostics)
    {
        string network = $"Network '{type.Name}'";
        var owners = new Dictionary<string, string>(System.StringComparer.Ordinal)
        {
            [type.Name] = $"the name of class '{type.Name}'",
        };

        foreach (string name in GeneratedNames.NetworkMembers)
        {
            if (name == type.Name)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NameClash, syntax.Identifier.GetLocation(), network, name, "the class's own name", "the class"));
                continue;
            }

            ISymbol? user = layerNames.Contains(name) ? null : type.GetMembers(name).FirstOrDefault(m => !m.IsImplicitlyDeclared && m.Locations.Length > 0 && m.Locations[0].IsInSource);
            if (user is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NameClash, user.Locations[0], network, name, $"the member '{name}' of '{type.Name}'", "that member"));
            }

            owners[name] = "a member every generated network has";
        }

        foreach (string name in type.MemberNames)
        {
            if (!layerNames.Contains(name) && !owners.ContainsKey(name))
            {
                owners[name] = $"the member '{name}' of '{type.Name}'";
            }
        }

        foreach (DeclaredLayer layer in declared)
        {
            string? clash = null;
            foreach (string name in new[] { layer.Member }.Concat(GeneratedNames.ForLayer(layer.Member, layer.Unit, layer.Bias)))
            {
                if (clash is null && owners.TryGetValue(name, out string? owner))
                {
                    clash = name;
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NameClash, layer.MemberLocation, $"Layer '{layer.Member}'", name, owner, "the layer"));
                }

                if (!owners.ContainsKey(name))
                {
                    owners[name] = $"layer '{layer.Member}'";
                }
            }
        }
    }

    /// <summary>
    /// The implementation parts that keep a declaration in error from adding one CS9248 per layer, or null when
    /// there is nothing to implement or the type cannot take another part (a part not 'partial', a file-local type).
    /// </summary>
    private static StubSpec? Stub(INamedTypeSymbol type, List<IPropertySymbol> properties, CancellationToken ct)
    {
        if (properties.Count == 0)
        {
            return null;
        }

        var headers = new List<string>();
        var names = new List<string>();
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.IsFileLocal || t.DeclaringSyntaxReferences.Length == 0)
            {
                return null;
            }

            string? keyword = null;
            foreach (SyntaxReference reference in t.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(ct) is not TypeDeclarationSyntax declaration || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    return null;
                }

                keyword ??= Keyword(declaration);
            }

            string parameters = t.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", t.TypeParameters.Select(p => GeneratedNames.Identifier(p.Name))) + ">";
            headers.Insert(0, $"partial {keyword} {GeneratedNames.Identifier(t.Name)}{parameters}");
            names.Insert(0, t.MetadataName);
        }

        var members = new List<MemberStub>();
        foreach (IPropertySymbol property in properties)
        {
            if (HasErrors(property.Type) || property.Parameters.Any(p => HasErrors(p.Type)))
            {
                continue;
            }

            string modifiers = property.DeclaringSyntaxReferences[0].GetSyntax(ct) is BasePropertyDeclarationSyntax declaration
                ? string.Join(" ", declaration.Modifiers.Where(t => !t.IsKind(SyntaxKind.PartialKeyword)).Select(t => t.Text))
                : "";
            string refKind = property.ReturnsByRefReadonly ? "ref readonly " : property.ReturnsByRef ? "ref " : "";
            string parameters = property.IsIndexer ? "[" + string.Join(", ", property.Parameters.Select(Parameter)) + "]" : "";
            var accessors = new List<string>();
            if (property.GetMethod is not null)
            {
                accessors.Add("get");
            }

            if (property.SetMethod is not null)
            {
                accessors.Add(property.SetMethod.IsInitOnly ? "init" : "set");
            }

            members.Add(new MemberStub(modifiers, refKind + property.Type.ToDisplayString(s_typeFormat), property.IsIndexer ? "this" : GeneratedNames.Identifier(property.Name), parameters, new EquatableArray<string>(accessors)));
        }

        string ns = NamespaceName(type.ContainingNamespace);
        string fullName = (ns.Length == 0 ? "" : ns + ".") + string.Join(".", names);
        return members.Count == 0 ? null : new StubSpec(fullName, ns, new EquatableArray<string>(headers), new EquatableArray<MemberStub>(members));
    }

    private static string Keyword(TypeDeclarationSyntax declaration) => declaration switch
    {
        RecordDeclarationSyntax record => record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
        StructDeclarationSyntax structure => structure.Modifiers.Any(SyntaxKind.RefKeyword) ? "ref struct" : "struct",
        InterfaceDeclarationSyntax => "interface",
        _ => "class",
    };

    private static string Parameter(IParameterSymbol parameter)
    {
        string modifier = parameter.IsParams ? "params " : parameter.RefKind switch
        {
            RefKind.Ref => "ref ",
            RefKind.Out => "out ",
            RefKind.In => "in ",
            RefKind.RefReadOnlyParameter => "ref readonly ",
            _ => "",
        };
        return modifier + parameter.Type.ToDisplayString(s_typeFormat) + " " + GeneratedNames.Identifier(parameter.Name);
    }

    private static bool HasErrors(ITypeSymbol type) => type switch
    {
        IErrorTypeSymbol => true,
        IArrayTypeSymbol array => HasErrors(array.ElementType),
        IPointerTypeSymbol pointer => HasErrors(pointer.PointedAtType),
        INamedTypeSymbol named => named.TypeArguments.Any(HasErrors) || (named.ContainingType is not null && HasErrors(named.ContainingType)),
        _ => type.TypeKind == TypeKind.Error,
    };

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
                slope = attribute.ConstructorArguments.Length == 1 && LayerReader.ValueOf(attribute.ConstructorArguments[0]) is double s ? s : 0.01;
                return Activation.LeakyReLU;
            case "TanhAttribute":
                return Activation.Tanh;
            case "SigmoidAttribute":
                return Activation.Sigmoid;
            case "GELUAttribute":
                return LayerReader.NamedArgument(attribute, "Approximation") is int approximation && approximation == 1 ? Activation.GeluTanh : Activation.Gelu;
            case "SoftmaxAttribute":
                return Activation.Softmax;
            default:
                return Activation.LogSoftmax;
        }
    }

    /// <summary>
    /// The <c>params int[]</c> of <c>[Input(...)]</c>, null for <c>[Input(null)]</c> or <c>[Input(default)]</c>;
    /// unbound or non-int entries read as 0.
    /// </summary>
    private static int[]? Dimensions(AttributeData attribute)
    {
        if (attribute.ConstructorArguments.Length == 0)
        {
            return new int[0];
        }

        TypedConstant argument = attribute.ConstructorArguments[0];
        if (argument.IsNull)
        {
            return null;
        }

        return argument.Kind == TypedConstantKind.Array
            ? argument.Values.Select(v => LayerReader.ValueOf(v) is int d ? d : 0).ToArray()
            : new[] { LayerReader.ValueOf(argument) is int single ? single : 0 };
    }

    private static string Quoted(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

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
