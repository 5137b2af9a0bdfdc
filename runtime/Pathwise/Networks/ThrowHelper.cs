using System;
using System.Diagnostics.CodeAnalysis;

namespace Pathwise;

/// <summary>Throws the library's argument errors with messages that name what was expected and what came.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void WrongLength(string name, int expected, int actual) =>
        throw new ArgumentException($"Expected {name} of length {expected}; got {actual}.", name);

    [DoesNotReturn]
    public static void NotFinite(string name, int index, double value) =>
        throw new ArgumentException($"Expected finite values in {name}; element {index} is {value}.", name);

    [DoesNotReturn]
    public static void OutOfRange(string name, int expectedExclusiveMax, int actual) =>
        throw new ArgumentOutOfRangeException(name, actual, $"Expected {name} in [0, {expectedExclusiveMax}); got {actual}.");
}
