using System;
using System.Diagnostics.CodeAnalysis;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>The single place where kernels raise argument errors, keeping throw sites out of hot loops.</summary>
internal static class ThrowHelper
{
    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/> (inputs must match exactly).</summary>
    public static void RequireLength(int actual, int expected, string parameterName)
    {
        if (actual != expected)
        {
            ThrowLengthMismatch(actual, expected, parameterName);
        }
    }

    /// <summary>Throws unless <paramref name="actual"/> is at least <paramref name="expected"/> (destinations may be longer).</summary>
    public static void RequireDestination(int actual, int expected, string parameterName)
    {
        if (actual < expected)
        {
            ThrowDestinationTooShort(actual, expected, parameterName);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is non-negative.</summary>
    public static void RequireNonNegative(int value, string parameterName)
    {
        if (value < 0)
        {
            ThrowNegative(value, parameterName);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is strictly positive.</summary>
    public static void RequirePositive(int value, string parameterName)
    {
        if (value <= 0)
        {
            ThrowNotPositive(value, parameterName);
        }
    }

    /// <summary>Returns <c>a * b</c>, throwing if the product overflows <see cref="int"/>.</summary>
    public static int Product(int a, int b, string what)
    {
        long product = (long)a * b;
        if (product > int.MaxValue)
        {
            ThrowTooLarge(product, what);
        }

        return (int)product;
    }

    [DoesNotReturn]
    public static void ThrowArgument(string message, string parameterName) =>
        throw new ArgumentException(message, parameterName);

    [DoesNotReturn]
    private static void ThrowLengthMismatch(int actual, int expected, string parameterName) =>
        throw new ArgumentException(
            $"Span '{parameterName}' has length {actual}, but the kernel expects length {expected}.", parameterName);

    [DoesNotReturn]
    private static void ThrowDestinationTooShort(int actual, int expected, string parameterName) =>
        throw new ArgumentException(
            $"Destination '{parameterName}' is too short: expected length {expected} (or more), but its length is {actual}.", parameterName);

    [DoesNotReturn]
    private static void ThrowNegative(int value, string parameterName) =>
        throw new ArgumentException($"'{parameterName}' must be non-negative, but was {value}.", parameterName);

    [DoesNotReturn]
    private static void ThrowNotPositive(int value, string parameterName) =>
        throw new ArgumentException($"'{parameterName}' must be positive, but was {value}.", parameterName);

    [DoesNotReturn]
    private static void ThrowTooLarge(long value, string what) =>
        throw new ArgumentException($"The {what} ({value}) exceeds the largest supported span length.", what);
}
