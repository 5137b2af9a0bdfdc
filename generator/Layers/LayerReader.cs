using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using Microsoft.CodeAnalysis;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>
/// A layer's attribute as its unit reads it: the arguments, and the checks that report a PW diagnostic at the
/// attribute. Every check returns whether the value is fine; none throws.
/// </summary>
internal sealed class LayerReader
{
    private readonly AttributeData? _attribute;
    private readonly List<DiagnosticInfo> _diagnostics;

    public LayerReader(string member, string kind, AttributeData? attribute, Location at, ElementType element, List<DiagnosticInfo> diagnostics)
    {
        Member = member;
        Kind = kind;
        _attribute = attribute;
        At = at;
        Element = element;
        _diagnostics = diagnostics;
    }

    /// <summary>The layer property's name.</summary>
    public string Member { get; }

    /// <summary>The attribute's short name, e.g. <c>Conv2D</c>.</summary>
    public string Kind { get; }

    /// <summary>Where diagnostics go: the attribute.</summary>
    public Location At { get; }

    /// <summary>The network's scalar type, for the range of scalar settings.</summary>
    public ElementType Element { get; }

    /// <summary>Whether a size was reported bad, which stops shape inference for this layer.</summary>
    public bool SizesInvalid { get; private set; }

    /// <summary>
    /// The first constructor argument as an int, or 0 when the attribute does not bind (the compiler reports
    /// that error itself; 0 then reads as a non-positive size rather than crashing the generator).
    /// </summary>
    public int FirstInt() =>
        _attribute is not null && _attribute.ConstructorArguments.Length > 0 && ValueOf(_attribute.ConstructorArguments[0]) is int value ? value : 0;

    /// <summary>The constructor argument at <paramref name="index"/> as an int, or 0 when it is absent or does not bind (see <see cref="FirstInt"/>).</summary>
    public int IntAt(int index) =>
        _attribute is not null && _attribute.ConstructorArguments.Length > index && ValueOf(_attribute.ConstructorArguments[index]) is int value ? value : 0;

    /// <summary>Whether the layer directly follows the network's input (a kind reading token ids must).</summary>
    public bool FollowsInput { get; set; }

    /// <summary>The first constructor argument as a double, or <paramref name="fallback"/> when it is absent or does not bind.</summary>
    public double FirstDouble(double fallback) =>
        _attribute is not null && _attribute.ConstructorArguments.Length > 0 && ValueOf(_attribute.ConstructorArguments[0]) is double value ? value : fallback;

    /// <summary>The named argument's value, or null when it is not written (or in error).</summary>
    public object? Named(string name) => NamedArgument(_attribute, name);

    /// <summary>An int named argument, or <paramref name="fallback"/> (the attribute's default) when it is not written.</summary>
    public int NamedInt(string name, int fallback) => Named(name) as int? ?? fallback;

    /// <summary>A size of at least 1; a bad one stops shape inference.</summary>
    public bool Positive(string what, int value)
    {
        if (value >= 1)
        {
            return true;
        }

        Report(Diagnostics.NonPositiveSize, Member, what, "at least 1", Format(value));
        SizesInvalid = true;
        return false;
    }

    /// <summary>A size of zero or more; a bad one stops shape inference.</summary>
    public bool NonNegative(string what, int value)
    {
        if (value >= 0)
        {
            return true;
        }

        Report(Diagnostics.NonPositiveSize, Member, what, "zero or more", Format(value));
        SizesInvalid = true;
        return false;
    }

    /// <summary>Reports a scalar setting outside its range (PW diagnostic <c>BadScalar</c>); shape inference goes on.</summary>
    public void BadScalar(string what, string expected, string actual) => Report(Diagnostics.BadScalar, Member, what, expected, actual);

    /// <summary>
    /// The <c>Epsilon</c> named argument, or <paramref name="fallback"/> when it is not written; reports it unless it
    /// is positive and finite (and stays positive and finite as the element type).
    /// </summary>
    public double Epsilon(double fallback)
    {
        double epsilon = Named("Epsilon") as double? ?? fallback;
        if (!(epsilon > 0) || !Representable(epsilon) || (Element == ElementType.Float32 && !((float)epsilon > 0)))
        {
            string expected = Element == ElementType.Float32 ? "positive, finite and representable as a float" : "positive and finite";
            BadScalar("Epsilon", expected, Format(epsilon));
        }

        return epsilon;
    }

    /// <summary>Finite, and finite once converted to the element type (a float literal must not become infinity).</summary>
    public bool Representable(double value) =>
        !double.IsNaN(value) && !double.IsInfinity(value) && (Element == ElementType.Float64 || !float.IsInfinity((float)value));

    /// <summary>An input of rank 3, <c>[channels, height, width]</c>.</summary>
    public bool RequireImage(ShapeSpec input)
    {
        if (input.Rank == 3)
        {
            return true;
        }

        ShapeMismatch(input, Kind + " takes a [channels, height, width] input; it cannot follow a Flatten or Dense layer");
        return false;
    }

    /// <summary>An input of rank 2, <c>[channels, length]</c>.</summary>
    public bool RequireSequence(ShapeSpec input)
    {
        if (input.Rank == 2)
        {
            return true;
        }

        ShapeMismatch(input, Kind + " takes a [channels, length] input; declare [Input(channels, length)] or put it after layers that keep that shape");
        return false;
    }

    /// <summary>Reports that the layer cannot take <paramref name="input"/>, saying what it needs.</summary>
    public void ShapeMismatch(ShapeSpec input, string why) => Report(Diagnostics.ShapeMismatch, Member, Kind, input.ToString(), why);

    /// <summary>Reports, at the argument naming <paramref name="other"/>, that its output cannot join the input <paramref name="input"/>.</summary>
    public void JoinMismatch(JoinSource other, string inputMember, ShapeSpec input, string why) =>
        _diagnostics.Add(DiagnosticInfo.Create(Diagnostics.JoinShapeMismatch, other.At, Member, Kind, other.Member, other.Shape.ToString(), inputMember, input.ToString(), why));

    /// <summary>A window that fits in the (padded) input.</summary>
    public bool Fits(int kernel, long height, long width)
    {
        if (kernel <= height && kernel <= width)
        {
            return true;
        }

        WindowTooLarge($"{Format(kernel)}x{Format(kernel)}", $"{Format(height)}x{Format(width)}");
        return false;
    }

    /// <summary>Reports a window (e.g. <c>3x5 (dilated to 5x9)</c>) larger than its padded input (e.g. <c>4x8</c>).</summary>
    public void WindowTooLarge(string window, string input) => Report(Diagnostics.KernelTooLarge, Member, window, input);

    /// <summary>A buffer within .NET's array limit.</summary>
    public bool WithinLimit(BigInteger elements, string what)
    {
        if (elements <= NetworkParser.MaxElements)
        {
            return true;
        }

        Report(Diagnostics.TooLarge, Member, elements.ToString(CultureInfo.InvariantCulture), what, Format(NetworkParser.MaxElements));
        return false;
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A constant's value, or null for an array (whose <c>Value</c> throws) or a constant in error.</summary>
    public static object? ValueOf(TypedConstant constant) =>
        constant.Kind is TypedConstantKind.Array or TypedConstantKind.Error ? null : constant.Value;

    public static object? NamedArgument(AttributeData? attribute, string name)
    {
        if (attribute is null)
        {
            return null;
        }

        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                return ValueOf(argument.Value);
            }
        }

        return null;
    }

    private void Report(DiagnosticDescriptor descriptor, params string[] arguments) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, At, arguments));
}
