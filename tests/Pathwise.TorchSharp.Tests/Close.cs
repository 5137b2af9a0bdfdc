using System;
using System.Numerics;
using Xunit.Sdk;

namespace Pathwise.TorchSharp.Tests;

/// <summary>Comparisons relative to the largest magnitude of the expected values, so near-zero entries do not blow up.</summary>
internal static class Close
{
    public static void All<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, double relative, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}.");
        }

        double scale = 0;
        foreach (T value in expected)
        {
            scale = Math.Max(scale, Math.Abs(double.CreateChecked(value)));
        }

        double bound = relative * Math.Max(scale, 1e-300);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]);
            double a = double.CreateChecked(actual[i]);
            if (!(Math.Abs(a - e) <= bound))
            {
                throw new XunitException(
                    $"{what}: element {i} is {a:R}, expected {e:R} (difference {Math.Abs(a - e):E3} > {relative:E1} x max|expected| {scale:E3}).");
            }
        }
    }

    public static void Value(double expected, double actual, double relative, double scale, string what)
    {
        if (!(Math.Abs(actual - expected) <= relative * Math.Max(Math.Abs(scale), 1e-300)))
        {
            throw new XunitException($"{what}: {actual:R}, expected {expected:R} (tolerance {relative:E1} x {scale:E3}).");
        }
    }
}
