using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Pathwise.Weights;

/// <summary>Shape arithmetic and formatting shared by the reader, the writer and the binder.</summary>
internal static class Shapes
{
    /// <summary>
    /// The element count <c>shape[0] × shape[1] × ...</c> (1 for a scalar, shape <c>[]</c>), multiplied left to
    /// right, or <see langword="null"/> at the first product that overflows 64 bits, as the reference implementation
    /// computes it (so <c>[2^32, 2^32, 0]</c> overflows although its product is 0).
    /// </summary>
    public static ulong? TryElementCount(ReadOnlySpan<ulong> shape)
    {
        ulong count = 1;
        foreach (ulong dim in shape)
        {
            try
            {
                count = checked(count * dim);
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        return count;
    }

    /// <summary>Formats a shape as <c>[16, 8]</c>; a scalar is <c>[]</c>.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var builder = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return builder.Append(']').ToString();
    }

    /// <summary>Formats a shape as <c>[16, 8]</c>; a scalar is <c>[]</c>.</summary>
    public static string Format(IReadOnlyList<ulong> shape)
    {
        var builder = new StringBuilder("[");
        for (int i = 0; i < shape.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return builder.Append(']').ToString();
    }

    /// <summary><see langword="true"/> when both shapes have the same rank and the same dimensions.</summary>
    public static bool AreEqual(ReadOnlySpan<int> left, ReadOnlySpan<int> right) => left.SequenceEqual(right);
}
