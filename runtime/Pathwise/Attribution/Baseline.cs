using System;
using System.Numerics;

namespace Pathwise;

/// <summary>The reference input <c>x'</c> that an attribution explains the output against.</summary>
public sealed class Baseline
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

    /// <summary>Writes the baseline for an input of <c>destination.Length</c> features.</summary>
    public void Fill<T>(Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_values is null)
        {
            destination.Fill(T.CreateChecked(_constant));
            return;
        }

        Guard.Length<double>(_values, destination.Length, "baseline");
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = T.CreateChecked(_values[i]);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => _values is null ? $"Constant({_constant})" : $"Tensor[{_values.Length}]";
}
