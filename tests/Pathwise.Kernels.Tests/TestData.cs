using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>Seeded random data, conversions, tolerances and comparison helpers shared by the kernel tests.</summary>
internal static class TestData
{
    public static Random Rng(int seed) => new(seed);

    /// <summary>Uniform values in [lo, hi), already rounded to <typeparamref name="T"/>.</summary>
    public static T[] Uniform<T>(Random rng, int length, double lo = -1, double hi = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateTruncating(lo + (hi - lo) * rng.NextDouble());
        }

        return values;
    }

    /// <summary>Uniform values with magnitude at least <paramref name="gap"/> (away from kinks at 0).</summary>
    public static T[] AwayFromZero<T>(Random rng, int length, double gap = 0.05, double hi = 2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            double magnitude = gap + (hi - gap) * rng.NextDouble();
            values[i] = T.CreateTruncating(rng.Next(2) == 0 ? magnitude : -magnitude);
        }

        return values;
    }

    public static double[] ToDouble<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.CreateTruncating(values[i]);
        }

        return result;
    }

    public static T[] Filled<T>(int length, T value)
    {
        var result = new T[length];
        Array.Fill(result, value);
        return result;
    }

    /// <summary>Relative tolerance per element type: float kernels accumulate in float, double ones must be near exact.</summary>
    public static double Tolerance<T>() => typeof(T) == typeof(float) ? 2e-5 : 1e-12;

    /// <summary>
    /// Asserts <c>|actual[i] - expected[i]| &lt;= tol * (1 + scale[i])</c>, where scale defaults to <c>|expected[i]|</c>
    /// (pass the sum of absolute terms for long sums).
    /// </summary>
    public static void AssertClose<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, double tolerance, ReadOnlySpan<double> scale = default, string context = "")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.True(actual.Length >= expected.Length, $"{context}: actual too short");
        for (int i = 0; i < expected.Length; i++)
        {
            double got = double.CreateTruncating(actual[i]);
            double s = scale.IsEmpty ? Math.Abs(expected[i]) : scale[i];
            double bound = tolerance * (1 + s);
            if (double.IsNaN(expected[i]) ? !double.IsNaN(got) : !(Math.Abs(got - expected[i]) <= bound))
            {
                Assert.Fail($"{context}: element {i}: expected {expected[i]:R}, got {got:R} (bound {bound:E2})");
            }
        }
    }

    /// <summary>Norm-wise relative error <c>||a - b|| / max(||b||, 1e-300)</c>.</summary>
    public static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }

        return Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-300);
    }

    public delegate void Forward(ReadOnlySpan<double> x, Span<double> y);

    /// <summary>
    /// Central finite-difference gradient of <c>L(x) = &lt;dy, f(x)&gt;</c>: <c>g[i] = (L(x + h e_i) - L(x - h e_i)) / 2h</c>.
    /// </summary>
    public static double[] FiniteDifferenceGradient(Forward f, double[] x, double[] dy, int outputLength, double h = 1e-5)
    {
        var gradient = new double[x.Length];
        var probe = (double[])x.Clone();
        var y = new double[outputLength];
        for (int i = 0; i < x.Length; i++)
        {
            probe[i] = x[i] + h;
            f(probe, y);
            double plus = Dot(dy, y);
            probe[i] = x[i] - h;
            f(probe, y);
            double minus = Dot(dy, y);
            probe[i] = x[i];
            gradient[i] = (plus - minus) / (2 * h);
        }

        return gradient;
    }

    /// <summary>Central finite-difference JVP: <c>(f(x + h t) - f(x - h t)) / 2h</c>.</summary>
    public static double[] FiniteDifferenceTangent(Forward f, double[] x, double[] t, int outputLength, double h = 1e-5)
    {
        var plus = new double[outputLength];
        var minus = new double[outputLength];
        var probe = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            probe[i] = x[i] + h * t[i];
        }

        f(probe, plus);
        for (int i = 0; i < x.Length; i++)
        {
            probe[i] = x[i] - h * t[i];
        }

        f(probe, minus);
        var result = new double[outputLength];
        for (int i = 0; i < outputLength; i++)
        {
            result[i] = (plus[i] - minus[i]) / (2 * h);
        }

        return result;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Asserts the action throws <see cref="ArgumentException"/> whose message names both lengths.</summary>
    public static void AssertLengthError(Action action, int expected, int actual)
    {
        var exception = Assert.ThrowsAny<ArgumentException>(action);
        Assert.Contains(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Message);
        Assert.Contains(actual.ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Message);
    }
}
