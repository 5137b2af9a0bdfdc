using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pathwise.CompilerServices;

/// <summary>Argument checks shared by generated networks and attribution methods.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Guard
{
    /// <summary>Throws unless <paramref name="span"/> has exactly <paramref name="expected"/> elements.</summary>
    public static void Length<T>(ReadOnlySpan<T> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            WrongLength(name, expected, span.Length);
        }
    }

    /// <summary>Throws unless every element of <paramref name="span"/> is finite (no NaN, no infinity).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Finite<T>(ReadOnlySpan<T> span, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bad = FirstNonFinite(span);
        if (bad >= 0)
        {
            NotFinite(name, bad, double.CreateChecked(span[bad]));
        }
    }

    /// <summary>
    /// Throws unless layer <paramref name="lower"/> is <paramref name="upper"/> or one before it: a backward pass runs
    /// down from the upper layer to the lower one, a tangent pass up from the lower layer to the upper one.
    /// </summary>
    public static void LayerOrder(Layer lower, Layer upper, string name)
    {
        if (lower.Index > upper.Index)
        {
            throw new ArgumentException(
                $"Expected layer '{lower.Name}' (index {lower.Index}) at or below layer '{upper.Name}' (index {upper.Index}); a pass runs between them in layer order.",
                name);
        }
    }

    /// <summary>Throws unless <c>0 &lt;= value &lt; count</c>.</summary>
    public static void Index(int value, int count, string name)
    {
        if ((uint)value >= (uint)count)
        {
            OutOfRange(name, count, value);
        }
    }

    /// <summary>Throws unless <c>0 &lt;= value &lt; count</c>; the error names <c>name[element]</c>, built only when thrown.</summary>
    public static void Index(int value, int count, string name, int element)
    {
        if ((uint)value >= (uint)count)
        {
            OutOfRange($"{name}[{element}]", count, value);
        }
    }

    /// <summary>Throws unless every element of <paramref name="span"/>, row <paramref name="row"/> of <paramref name="name"/>, is finite.</summary>
    public static void Finite<T>(ReadOnlySpan<T> span, string name, int row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bad = FirstNonFinite(span);
        if (bad >= 0)
        {
            NotFinite($"{name}[{row}]", bad, double.CreateChecked(span[bad]));
        }
    }

    /// <summary>
    /// <c>rows * rowLength</c>, the element count of a row-major matrix, or an <see cref="ArgumentOutOfRangeException"/>
    /// naming <paramref name="name"/> when it exceeds a .NET array (computed without overflow).
    /// </summary>
    public static int Elements(int rows, int rowLength, string name)
    {
        long elements = (long)rows * rowLength;
        if (elements > Array.MaxLength)
        {
            TooManyElements(name, rows, rowLength);
        }

        return (int)elements;
    }

    /// <summary>
    /// Throws unless the network's weights were ever set (see <see cref="ParameterSet{T}.IsSet"/>): a network left
    /// all zeros would explain nothing, silently.
    /// </summary>
    public static void WeightsSet<T>(INetwork<T> network) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        WeightsSet(network.Parameters, network.Info.Name);
    }

    /// <summary>Throws unless <paramref name="parameters"/>, the weights of <paramref name="network"/>, were ever set.</summary>
    public static void WeightsSet<T>(ParameterSet<T> parameters, string network) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!parameters.IsSet)
        {
            WeightsNeverSet(network);
        }
    }

    private static int FirstNonFinite<T>(ReadOnlySpan<T> span) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < span.Length; i++)
        {
            if (!T.IsFinite(span[i]))
            {
                return i;
            }
        }

        return -1;
    }

    // The throws live apart from the checks so the checks stay small enough to inline.
    [DoesNotReturn]
    private static void WrongLength(string name, int expected, int actual) =>
        throw new ArgumentException($"Expected {name} of length {expected}; got {actual}.", name);

    [DoesNotReturn]
    private static void NotFinite(string name, int index, double value) =>
        throw new ArgumentException($"Expected finite values in {name}; element {index} is {value}.", name);

    [DoesNotReturn]
    private static void TooManyElements(string name, int rows, int rowLength) =>
        throw new ArgumentOutOfRangeException(name, rows, $"{rows} rows of {rowLength} in {name} exceed a .NET array ({Array.MaxLength} elements); split the work into smaller calls.");

    [DoesNotReturn]
    private static void WeightsNeverSet(string network) =>
        throw new InvalidOperationException(
            $"{network}'s weights were never set, so every weight is zero. Load them ({network}.Load(path) or LoadWeights), " +
            "draw them (InitializeWeights), or write Parameters and call ParametersChanged().");

    [DoesNotReturn]
    private static void OutOfRange(string name, int expectedExclusiveMax, int actual) =>
        throw new ArgumentOutOfRangeException(name, actual, $"Expected {name} in [0, {expectedExclusiveMax}); got {actual}.");
}
