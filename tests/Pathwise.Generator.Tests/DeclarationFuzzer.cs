using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Pathwise.Generator.Tests;

/// <summary>One random network declaration, in a file of its own, and what the grammar knows about it.</summary>
/// <param name="Source">The file's text.</param>
/// <param name="Namespace">The namespace as written (escaped), empty for the global namespace.</param>
/// <param name="OuterType">The outermost type's name as written, which a generated file's first header repeats.</param>
/// <param name="ValidCSharp">Whether the text is valid C# before any generated code (e.g. not a static class with instance members).</param>
/// <param name="TakesParts">Whether the type can take a generated part (partial, not file-local, containers partial).</param>
public sealed record FuzzedNetwork(string Source, string Namespace, string OuterType, bool ValidCSharp, bool TakesParts);

/// <summary>
/// A grammar of network declarations for fuzzing the generator: layer kinds in plausible and implausible orders,
/// sizes including 0, negatives and huge ones, activations, settings out of range, member shapes and modifiers,
/// type kinds and modifiers, names including keywords, contextual keywords, generated-member names and names that
/// differ only in case. It writes only text that is valid C# apart from what the generator decides, unless it
/// says otherwise (<see cref="FuzzedNetwork.ValidCSharp"/>), and never two members of one name.
/// </summary>
public sealed class DeclarationFuzzer
{
    private static readonly string[] s_layerNames =
    {
        "Input", "Hidden", "hidden", "Conv1", "conv1", "Pool", "Flat", "Logits", "Norm", "Act", "X", "x", "Y", "Out", "Layer",
        "InputLayer", "@class", "@in", "@int", "var", "nameof", "value", "async", "dynamic", "from", "Info", "Load", "Description",
        "Parameters", "ForwardHidden", "HiddenShape", "Conv1Shape", "_hidden", "É", "Ünits", "Δ", "s_hidden",
    };

    /// <summary>Layer names that clash with nothing the generator writes, nor with each other.</summary>
    private static readonly string[] s_cleanLayerNames =
    {
        "Input", "Hidden", "Conv1", "Pool", "Flat", "Logits", "Norm", "Act", "X", "Y", "Out", "Layer", "InputLayer", "@class", "@in",
        "@int", "var", "nameof", "value", "async", "dynamic", "from", "É", "Ünits", "Δ", "_hidden",
    };

    private static readonly string[] s_cleanTypeNames = { "Net", "net", "NET", "Mlp", "Cnn", "@class", "var", "nameof", "@string", "System", "Ñet" };

    private static readonly string[] s_typeNames =
    {
        "Net", "net", "NET", "Mlp", "Cnn", "@class", "var", "nameof", "@string", "Load", "Description", "Parameters", "InputLength",
        "ForwardHidden", "System", "Layer", "Ñet", "Info",
    };

    private static readonly string[] s_namespaceTails = { "Models", "models", "@class", "@namespace", "var", "Ns", "X.Y.Z" };

    private static readonly string[] s_activations =
    {
        "ReLU", "LeakyReLU", "LeakyReLU(0.2)", "LeakyReLU(-1)", "LeakyReLU(1e39)", "LeakyReLU(double.NaN)", "LeakyReLU(1e-50)", "Tanh",
        "Sigmoid", "GELU", "GELU(Approximation = GeluApproximation.Tanh)", "Softmax", "LogSoftmax",
    };

    private readonly Random _random;

    /// <summary>The text kinds' own stream (Embedding, SequenceMean), so adding them left every other declaration as it was.</summary>
    private readonly Random _text;

    // Half the declarations are clean: every choice is one the generator should accept, so about half of
    // those compile and exercise the emitter; the other half pick from everything.
    private bool _clean;
    private readonly HashSet<string> _fullNames = new(StringComparer.Ordinal);
    private int _count;

    // The graph's choices ([Add]/[Concat] names, From) draw from their own stream, so adding them left the rest of the
    // grammar's draws (and what the seeds reach, such as names differing only in case) as they were.
    private readonly Random _graph;

    public DeclarationFuzzer(int seed)
    {
        _random = new Random(seed);
        _text = new Random(unchecked((seed * 31) + 7));
        _graph = new Random(seed ^ 0x6A09E667);
    }

    public FuzzedNetwork Next()
    {
        int id = _count++;
        _clean = Pick(0.5);
        var source = new StringBuilder("using Pathwise;\n\n");

        // Namespaces: pairs of networks share one up to case, so file names clash ignoring case.
        string ns = Pick(0.1) ? "" : RandomCase("Fz" + (id / 2).ToString(CultureInfo.InvariantCulture)) + "." + s_namespaceTails[_random.Next(s_namespaceTails.Length)];
        string typeName;
        do
        {
            typeName = _clean ? s_cleanTypeNames[_random.Next(s_cleanTypeNames.Length)] : s_typeNames[_random.Next(s_typeNames.Length)];
            if (ns.Length == 0 || Pick(0.3))
            {
                typeName = Bare(typeName) == "System" ? "Net" : typeName;
                typeName += "_" + id.ToString(CultureInfo.InvariantCulture);
            }

            typeName = typeName.Replace("@class_", "class_").Replace("@string_", "string_");
        }
        while (!_fullNames.Add(ns + "." + Bare(typeName)));

        // A type named Layer hides Pathwise.Layer from every declaration in its namespace: it gets a namespace of its
        // own, so only its own members (PW0010) and not its pair's valid ones meet it.
        if (ns.Length > 0 && Bare(typeName) == "Layer")
        {
            ns += ".Own" + id.ToString(CultureInfo.InvariantCulture);
        }

        // The type: mostly a sealed or plain partial class; sometimes abstract, static, file-local, not partial,
        // a record, generic or nested.
        bool partial = _clean || !Pick(0.1);
        bool isStatic = !_clean && Pick(0.05);
        bool file = !_clean && !isStatic && Pick(0.05);
        bool record = !_clean && !isStatic && Pick(0.08);
        bool generic = !_clean && Pick(0.06);
        string? outer = !_clean && !file && Pick(0.08) ? "Outer" + id.ToString(CultureInfo.InvariantCulture) : null;
        bool outerPartial = outer is not null && !Pick(0.4);
        bool isAbstract = !isStatic && Pick(0.05);
        bool isSealed = !isStatic && !isAbstract && Pick(0.4);
        string precision = _clean
            ? Choose(0.6, "", "(Precision.Float32)", "(Precision.Float64)", "(default)")
            : Choose(0.6, "", "(Precision.Float32)", "(Precision.Float64)", "((Precision)5)", "((Precision)(-1))", "(default)");
        var typeModifiers = new List<string>();
        if (file)
        {
            typeModifiers.Add("file");
        }
        else if (Pick(0.8))
        {
            typeModifiers.Add(Pick(0.7) ? "public" : "internal");
        }

        if (isStatic)
        {
            typeModifiers.Add("static");
        }

        if (isAbstract)
        {
            typeModifiers.Add("abstract");
        }

        if (isSealed)
        {
            typeModifiers.Add("sealed");
        }

        if (partial)
        {
            typeModifiers.Add("partial");
        }

        string keyword = record ? "record" : "class";
        string typeParameters = generic ? "<T>" : "";

        // Members: names unique, none equal to the type's; layer members first, user members after.
        var taken = new HashSet<string>(StringComparer.Ordinal) { Bare(typeName), "T", outer ?? "" };
        var members = new List<string>();
        bool hasIndexer = false;
        bool canBeVirtual = !isSealed && !isStatic;
        List<(string Attributes, string Kind)> layers = Layers();
        var layerNames = new List<string>();
        var written = new List<string>();
        foreach ((string _, string _) in layers)
        {
            string name = Fresh(taken, _clean ? s_cleanLayerNames : s_layerNames);
            written.Add(name);
            layerNames.Add(Bare(name));
        }

        for (int i = 0; i < layers.Count; i++)
        {
            (string attributes, string kind) = layers[i];
            string type = kind == "Input" ? "InputLayer" : "Layer";
            string resolved = attributes.Replace(References, Names(written, i));
            if (kind is "Dense" or "Conv2D" && _graph.NextDouble() < 0.2 && resolved.Contains(")"))
            {
                int end = resolved.IndexOf(')');
                string from = i > 0 && (_clean || _graph.NextDouble() < 0.8) ? written[_graph.Next(i)] : written[_graph.Next(written.Count)];
                resolved = resolved.Substring(0, end) + ", From = " + Reference(written, from) + resolved.Substring(end);
            }

            members.Add(LayerMember(resolved, type, written[i], canBeVirtual, ref hasIndexer));
        }

        foreach (string member in UserMembers(typeName, layerNames, taken))
        {
            members.Add(member);
        }

        // Sometimes a layer in a second part of the class, in the same file.
        string? secondPart = null;
        if (partial && !_clean && Pick(0.06))
        {
            string name = Fresh(taken, s_layerNames);
            secondPart = $"{string.Join(" ", typeModifiers.Where(m => m is "partial" or "file" or "static"))} {keyword} {typeName}{typeParameters}\n{{\n    [Dense(2)] public partial Layer {name} {{ get; }}\n}}\n";
        }

        if (ns.Length > 0)
        {
            source.Append("namespace ").Append(ns).Append(";\n\n");
        }

        if (outer is not null)
        {
            source.Append(outerPartial ? "public partial class " : "public class ").Append(outer).Append("\n{\n");
        }

        source.Append("[Network").Append(precision).Append("]\n");
        source.Append(string.Join(" ", typeModifiers)).Append(' ').Append(keyword).Append(' ').Append(typeName).Append(typeParameters).Append("\n{\n");
        foreach (string member in members)
        {
            source.Append("    ").Append(member).Append('\n');
        }

        source.Append("}\n");
        if (secondPart is not null)
        {
            source.Append(secondPart);
        }

        if (outer is not null)
        {
            source.Append("}\n");
        }

        // Layer members are partial: in a class that is not, or static with instance members, the text is not valid C#.
        bool valid = partial && !isStatic;
        bool takesParts = partial && !file && (outer is null || outerPartial);
        return new FuzzedNetwork(source.ToString(), ns, outer ?? typeName, valid, takesParts);
    }

    /// <summary>Layer attributes: half the time a plausible stack for its input, else anything in any order.</summary>
    private List<(string Attributes, string Kind)> Layers()
    {
        var layers = new List<(string, string)>();
        int count = _clean ? _random.Next(2, 10) : _random.Next(10);
        bool plausible = _clean || Pick(0.5);
        bool image = Pick(0.5);
        bool sequence = !image && Pick(0.3); // [channels, length]: 1-D convolutions and pooling
        bool flat = !image && !sequence;
        bool embedded = false; // after an Embedding, until its SequenceMean: [T, D] on a flat stream
        for (int i = 0; i < count; i++)
        {
            string kind;
            if (i == 0 && (plausible || Pick(0.8)))
            {
                kind = "Input";
            }
            else if (plausible)
            {
                kind = flat ? Choose(0.6, "Dense", "BatchNorm", "Activation", "Identity", "Dropout", "Add", "Concat")
                    : sequence ? Choose(0.4, "Conv1D", "Activation", "Flatten", "Identity", "Dropout", "GlobalAvgPool1D", "Add", "Concat")
                    : Choose(0.3, "Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm", "Activation", "Flatten", "Identity", "Dropout", "GlobalAvgPool2D", "Add", "Concat");
                flat |= kind == "Flatten";
            }
            else
            {
                kind = Choose(0.0, "Input", "Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "Flatten", "BatchNorm", "Activation", "Identity", "Dropout", "GlobalAvgPool2D",
                    "Add", "Concat", "Conv1D", "GlobalAvgPool1D");
            }

            string? operation = kind switch
            {
                "Input" => "Input(" + InputShape(plausible, image, sequence) + ")",
                "Dense" => "Dense(" + Size(plausible) + Named("WeightName = " + WeightName(), "Bias = false") + ")",
                "Conv2D" => "Conv2D(" + Size(plausible) + Named("Kernel = " + Small(plausible), "Padding = " + Padding(plausible), "Stride = " + Small(plausible), "WeightName = " + WeightName(), "Bias = false",
                    "Dilation = " + Small(plausible), "Groups = " + Groups(plausible), "KernelHeight = " + Small(plausible), "KernelWidth = " + Small(plausible),
                    "StrideHeight = " + Small(plausible), "StrideWidth = " + Small(plausible), "PaddingHeight = " + Padding(plausible), "PaddingWidth = " + Padding(plausible),
                    "DilationHeight = " + Small(plausible), "DilationWidth = " + Small(plausible)) + ")",
                "Conv1D" => "Conv1D(" + Size(plausible) + Named("Kernel = " + Small(plausible), "Padding = " + Padding(plausible), "Stride = " + Small(plausible),
                    "Dilation = " + Small(plausible), "Groups = " + Groups(plausible), "WeightName = " + WeightName(), "Bias = false") + ")",
                "MaxPool2D" or "AvgPool2D" => kind + "(" + Small(plausible) + Named("Stride = " + (_clean ? Choose(0.5, "0", "1", "2", "3") : Choose(0.5, "0", "1", "2", "-1", "3"))) + ")",
                "Flatten" => "Flatten",
                "Add" or "Concat" => kind + "(" + References + ")",
                "Identity" or "GlobalAvgPool2D" or "GlobalAvgPool1D" => kind,
                "Dropout" => "Dropout" + (Pick(0.3) ? "" : "(" + (_clean ? Choose(0.5, "0.5", "0", "1", "0.1") : Choose(0.5, "0.5", "1.5", "-0.1", "double.NaN", "1")) + ")"),
                "BatchNorm" => "BatchNorm" + (Pick(0.5) ? "" : "(" + Named("Epsilon = " + (_clean ? Choose(0.5, "1e-3", "0.5", "1e-30") : Choose(0.5, "1e-3", "0", "-1", "1e300", "1e-50", "double.NaN", "double.PositiveInfinity")), "WeightName = " + WeightName()).TrimStart(',', ' ') + ")"),
                _ => null,
            };
            // A text stack replaces what the main stream drew (whose draws are still made): token ids, their embedding, then
            // the mean over the sequence; unchecked declarations get either kind anywhere now and then.
            string? textKind = null;
            if (plausible && i == 1 && flat && _text.NextDouble() < 0.2)
            {
                textKind = "Embedding";
                embedded = true;
            }
            else if (plausible && embedded)
            {
                textKind = "SequenceMean";
                embedded = false;
            }
            else if (!plausible && _text.NextDouble() < 0.1)
            {
                textKind = _text.Next(2) == 0 ? "Embedding" : "SequenceMean";
            }

            string? textOperation = textKind switch
            {
                "Embedding" => "Embedding(" + TextSize(plausible) + ", " + TextSize(plausible) + (_text.NextDouble() < 0.25 ? ", WeightName = \"embedding\"" : "") + ")",
                "SequenceMean" => "SequenceMean",
                _ => null,
            };
            bool outputFlat = flat && !embedded;
            bool last = i == count - 1;
            string? activation = kind == "Activation" || Pick(plausible ? 0.4 : 0.3) ? s_activations[_random.Next(s_activations.Length)] : null;
            if (_clean && activation is not null && (kind == "Input" || activation.Contains("NaN") || activation.Contains("1e39") || (activation.Contains("Softmax") && !(last && outputFlat))))
            {
                activation = kind == "Input" ? null : "ReLU";
            }

            if (kind == "Activation" && activation is null)
            {
                activation = "Tanh";
            }

            string attributes = string.Join(", ", new[] { operation, activation }.Where(a => a is not null));
            if (!_clean && kind != "BatchNorm" && Pick(0.03))
            {
                attributes += ", BatchNorm";
            }

            if (textOperation is not null)
            {
                attributes = string.Join(", ", new[] { textOperation, activation }.Where(a => a is not null));
                kind = textKind!;
            }

            layers.Add((attributes, kind));
        }

        return layers;
    }

    /// <summary>Where the layer names an [Add] or [Concat] reads go, once every member has its name.</summary>
    private const string References = "\u0001";


    /// <summary>
    /// The arguments of an [Add] or [Concat] on layer <paramref name="index"/>: one to three earlier layers by nameof;
    /// outside the clean half sometimes none, an unknown name, null, the layer itself or a later layer.
    /// </summary>
    private string Names(List<string> names, int index)
    {
        var parts = new List<string>();
        int count = _clean ? 1 + _graph.Next(2) : _graph.Next(4);
        for (int k = 0; k < count; k++)
        {
            double roll = _clean ? 0 : _graph.NextDouble();
            if (roll < 0.8 && index > 0)
            {
                parts.Add(Reference(names, names[_graph.Next(index)]));
            }
            else if (roll < 0.87)
            {
                parts.Add(new[] { "\"Nope\"", "null", "\"\"" }[_graph.Next(3)]);
            }
            else
            {
                parts.Add(Reference(names, names[index + _graph.Next(names.Count - index)]));
            }
        }

        return string.Join(", ", parts);
    }

    // nameof(...) only where the named member surely is a property of that name (the clean half writes every layer
    // member so) and no member named 'nameof' makes it an invocation; otherwise the name as a string.
    private string Reference(List<string> names, string name) =>
        !_clean || names.Contains("nameof") || _graph.NextDouble() < 0.3 ? "\"" + Bare(name) + "\"" : $"nameof({name})";

    private string LayerMember(string attributes, string type, string name, bool canBeVirtual, ref bool hasIndexer)
    {
        string access = Choose(0.75, "public", "internal", "", "protected internal", "private protected");
        string extra = "";
        if (Pick(0.05))
        {
            extra = "new ";
        }
        else if (canBeVirtual && access.Length > 0 && Pick(0.05))
        {
            extra = "virtual ";
        }

        string modifiers = (access.Length > 0 ? access + " " : "") + extra;
        double shape = _clean ? 0 : _random.NextDouble();
        if (shape < 0.80)
        {
            return $"[{attributes}] {modifiers}partial {type} {name} {{ get; }}";
        }

        if (shape < 0.83)
        {
            return $"[{attributes}] public static partial {type} {name} {{ get; }}";
        }

        if (shape < 0.85 && !hasIndexer)
        {
            hasIndexer = true;
            return $"[{attributes}] public partial {type} this[int i] {{ get; }}";
        }

        if (shape < 0.87)
        {
            return $"[{attributes}] {modifiers}partial {type} {name} {{ get; set; }}";
        }

        if (shape < 0.89)
        {
            return $"[{attributes}] {modifiers}partial ref {type} {name} {{ get; }}";
        }

        if (shape < 0.91)
        {
            return $"[{attributes}] {modifiers}partial {type} {name} {{ get; }}\n    {modifiers}partial {type} {name} => null!;";
        }

        if (shape < 0.93)
        {
            return $"[{attributes}] {modifiers}{type} {name} => null!;";
        }

        if (shape < 0.96)
        {
            return $"[{attributes}] {modifiers}partial {(type == "Layer" ? "InputLayer" : "Layer")} {name} {{ get; }}";
        }

        return $"[{attributes}] {modifiers}partial {type}? {name} {{ get; }}";
    }

    /// <summary>User members, some named like what the generator writes.</summary>
    private IEnumerable<string> UserMembers(string typeName, List<string> layerNames, HashSet<string> taken)
    {
        int count = Pick(0.6) ? 0 : _random.Next(1, 4);
        if (_clean)
        {
            foreach (string member in new[] { "public int Other { get; set; }", "public static int Helper() => 2;" }.Take(count))
            {
                taken.Add(MemberName(member));
                yield return member;
            }

            count = 0;
        }

        string first = layerNames.Count > 0 ? layerNames[_random.Next(layerNames.Count)] : "Hidden";
        string camel = first.Length > 0 ? char.ToLowerInvariant(first[0]) + first.Substring(1) : "x";
        string[] candidates =
        {
            "public static int Description => 1;", "private int _parameters;", "public void Load(int seed) { }", "public int Info { get; set; }",
            "public void ForwardFrom() { }", $"private int s_{camel};", $"private readonly float[] _{camel}Weight = new float[1];",
            $"public void Forward{first}() {{ }}", "public int Other { get; set; }", "public static int Helper() => 2;",
        };
        for (int i = 0; i < count; i++)
        {
            string member = candidates[_random.Next(candidates.Length)];
            string name = MemberName(member);
            if (taken.Add(name))
            {
                yield return member;
            }
        }

        if (Pick(0.1))
        {
            yield return Pick(0.5) ? $"public {typeName}(int seed) {{ }}" : $"private {typeName}() {{ }}";
        }
    }

    private static string MemberName(string member)
    {
        string head = member.Substring(0, member.IndexOfAny(new[] { '(', ';', '{', '=' })).Trim();
        return head.Substring(head.LastIndexOf(' ') + 1);
    }

    private string InputShape(bool plausible, bool image, bool sequence)
    {
        if (plausible)
        {
            return image
                ? $"{_random.Next(1, 4)}, {_random.Next(3, 13)}, {_random.Next(3, 13)}"
                : sequence ? $"{_random.Next(1, 7)}, {_random.Next(3, 25)}"
                : _random.Next(1, 17).ToString(CultureInfo.InvariantCulture);
        }

        return Choose(0.0, "4", "1, 8, 8", "3, 5, 7", "0", "-2", "4, 4", "1, 2, 3, 4", "null", "default", "int.MaxValue", "2147483591",
            "65536, 65536, 65536", "int.MaxValue, int.MaxValue, int.MaxValue", "300000000", "");
    }

    private string Size(bool plausible) =>
        _clean || (plausible && Pick(0.9)) ? _random.Next(1, 17).ToString(CultureInfo.InvariantCulture)
            : Choose(0.0, "0", "-1", "1", "3", "100000", "int.MaxValue", "int.MinValue", "46341", "1 << 20");

    /// <summary>An embedding's size from the text stream: 1 to 16, or in unchecked declarations sometimes a bad one.</summary>
    private string TextSize(bool plausible) =>
        _clean || (plausible && _text.NextDouble() < 0.9) ? _text.Next(1, 17).ToString(CultureInfo.InvariantCulture)
            : new[] { "0", "-1", "100000", "int.MaxValue" }[_text.Next(4)];

    private string Small(bool plausible) =>
        _clean || (plausible && Pick(0.9)) ? _random.Next(1, 4).ToString(CultureInfo.InvariantCulture) : Choose(0.0, "0", "-1", "1", "2", "5", "9", "int.MaxValue", "100000");

    /// <summary>Groups: plausibly a small count that often divides the channels (1, 2, 3, 4), else anything.</summary>
    private string Groups(bool plausible) =>
        _clean || (plausible && Pick(0.9)) ? _random.Next(1, 5).ToString(CultureInfo.InvariantCulture) : Choose(0.0, "0", "-1", "1", "2", "7", "int.MaxValue");

    private string Padding(bool plausible) =>
        _clean || (plausible && Pick(0.9)) ? _random.Next(0, 3).ToString(CultureInfo.InvariantCulture) : Choose(0.0, "-1", "0", "1", "20000", "int.MaxValue", "1073741823");

    private string WeightName() => _clean
        ? Choose(0.0, "null", $"\"layer{_count}_{_random.Next()}\"", $"\"features.{_random.Next()}\"", $"\"odd \\\"name{_random.Next()}\\\"\"", $"\"ünï{_random.Next()}\"")
        : Choose(0.0, "\"fc\"", "\"fc\"", "\"features.0\"", "\"\"", "\" \"", "\".x\"", "\"x.\"", "\"a..b\"", "\"odd \\\"name\\\"\"", "\"ünï\"", "null");

    /// <summary>Named arguments: each candidate with probability 1/4, comma-prefixed.</summary>
    private string Named(params string[] candidates)
    {
        var chosen = candidates.Where(_ => Pick(0.25)).ToList();
        return chosen.Count == 0 ? "" : ", " + string.Join(", ", chosen);
    }

    private string Fresh(HashSet<string> taken, string[] pool)
    {
        for (int attempt = 0; ; attempt++)
        {
            string name = pool[_random.Next(pool.Length)];
            if (attempt > 20)
            {
                name = "L" + attempt.ToString(CultureInfo.InvariantCulture);
            }

            if (taken.Add(Bare(name)))
            {
                return name;
            }
        }
    }

    private static string Bare(string name) => name.TrimStart('@');

    private string RandomCase(string text) =>
        new(text.Select(c => Pick(0.5) ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray());

    private bool Pick(double probability) => _random.NextDouble() < probability;

    /// <summary>The first option with probability <paramref name="first"/>, else any option uniformly.</summary>
    private string Choose(double first, params string[] options) =>
        Pick(first) ? options[0] : options[_random.Next(options.Length)];
}
