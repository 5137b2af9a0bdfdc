using System;
using System.Numerics;

namespace Pathwise;

/// <summary>Argument checks shared by generated networks and attribution methods.</summary>
public static class Guard
{
    /// <summary>Throws unless <paramref name="span"/> has exactly <paramref name="expected"/> elements.</summary>
    public static void Length<T>(ReadOnlySpan<T> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            ThrowHelper.WrongLength(name, expected, span.Length);
        }
    }

    /// <summary>Throws unless every element of <paramref name="span"/> is finite (no NaN, no infinity).</summary>
    public static void Finite<T>(ReadOnlySpan<T> span, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < span.Length; i++)
        {
            if (!T.IsFinite(span[i]))
            {
                ThrowHelper.NotFinite(name, i, double.CreateChecked(span[i]));
            }
        }
    }

    /// <summary>Throws unless <c>0 &lt;= value &lt; count</c>.</summary>
    public static void Index(int value, int count, string name)
    {
        if ((uint)value >= (uint)count)
        {
            ThrowHelper.OutOfRange(name, count, value);
        }
    }
}
