using System;
using System.Numerics;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>The reference input <c>x'</c> that an attribution explains the output against.</summary>
/// <remarks>Baselines are equal when they stand for the same values (a constant, or the same tensor element by element).</remarks>
public sealed class Baseline : IEquatable<Baseline>
{
    private readonly double _constant;
    private readonly double[]? _values;

    private Baseline(double constant, double[]? values)
    {
        _constant = constant;
        _values = values;
    }

    /// <summary>The all-zero input.</summary>
    public static Baseline Zero { get; } = new(0.0, null);

    /// <summary>Every feature equal to <paramref name="value"/>.</summary>
    public static Baseline Constant(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"Expected a finite baseline constant; got {value}.", nameof(value));
        }

        return new Baseline(value, null);
    }

    /// <summary>A given input, shaped like the network's input.</summary>
    public static Baseline Of<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Finite(values, "baseline");
        var copy = new double[values.Length];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = double.CreateChecked(values[i]);
        }

        return new Baseline(0.0, copy);
    }

    /// <summary>Writes the baseline for an input of <c>destination.Length</c> features, rounded to <typeparamref name="T"/>.</summary>
    /// <exception cref="ArgumentException">
    /// A value is out of <typeparamref name="T"/>'s range (<c>Constant(1e300)</c> for a float32 network would
    /// round to infinity), or the tensor's length is not <c>destination.Length</c>.
    /// </exception>
    public void Fill<T>(Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_values is null)
        {
            destination.Fill(Convert<T>(_constant, -1));
            return;
        }

        Guard.Length<double>(_values, destination.Length, "baseline");
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = Convert<T>(_values[i], i);
        }
    }

    /// <summary>The value in <typeparamref name="T"/>; throws when it is finite as a double but not in <typeparamref name="T"/>.</summary>
    private static T Convert<T>(double value, int index) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T converted = T.CreateChecked(value);
        if (!T.IsFinite(converted))
        {
            string which = index < 0 ? $"the constant {value:R}" : $"element {index}, {value:R},";
            throw new ArgumentException(
                $"Expected a baseline finite in {typeof(T).Name}, the network's element type; {which} becomes {converted}.", "Baseline");
        }

        return converted;
    }

    /// <summary>Whether <paramref name="other"/> stands for the same values.</summary>
    public bool Equals(Baseline? other) =>
        other is not null
        && (_values is null
            ? other._values is null && _constant.Equals(other._constant)
            : other._values is not null && _values.AsSpan().SequenceEqual(other._values));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Baseline);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        if (_values is null)
        {
            return _constant.GetHashCode();
        }

        var hash = new HashCode();
        foreach (double value in _values)
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => _values is null ? $"Constant({_constant})" : $"Tensor[{_values.Length}]";
}
