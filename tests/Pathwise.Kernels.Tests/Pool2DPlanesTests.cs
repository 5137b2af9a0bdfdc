using System;
using System.Collections.Generic;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>
/// The whole-plane ReLU + 2x2/stride-2 max pool walkers behind <see cref="Conv2DReLUMaxPoolKernel"/>'s fast path
/// (<c>Pool2DKernel.ReLUMaxForwardPlanes</c>, <c>Pool2DKernel.MaxReLUBackwardPlanes</c>) against a scalar reference,
/// bit for bit (every value is a copy, a max or 0 + g, so exact): every width from 2 to 40 (under one vector, one or two
/// overlapping vectors, several, odd), odd heights, strided sources and padded planes whose other cells must stay
/// untouched; exact ties, all-negative windows, signed zeros, infinities and NaN at every lane position.
/// </summary>
public sealed class Pool2DPlanesTests
{
    private const int Guard = 5;

    public static IEnumerable<object[]> Sizes()
    {
        foreach (int h in new[] { 2, 3, 4, 5, 7 })
        {
            for (int w = 2; w <= 40; w++)
            {
                yield return [h, w];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MatchScalarReference_Float(int height, int width) => CheckSize<float>(height, width);

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MatchScalarReference_Double(int height, int width) => CheckSize<double>(height, width);

    [Theory]
    [InlineData(14)] // the Fashion CNN's second convolution: two overlapping float vectors, four double ones
    [InlineData(16)]
    [InlineData(21)]
    public void NaN_AtEveryPosition_WinsItsWindowOnly(int width)
    {
        CheckNaNEverywhere<float>(width);
        CheckNaNEverywhere<double>(width);
    }

    [Fact]
    public void NegativeMaxima_PoolToPositiveZero_AndNegativeZeroGradients_ComeOutPositive()
    {
        Check<float>(4, 14, 2, NegativeAndZeros<float>(2 * 4 * 14), Gradients<float>(TestData.Rng(3), 2 * 2 * 7, negativeZero: 1.0));
        Check<double>(4, 14, 2, NegativeAndZeros<double>(2 * 4 * 14), Gradients<double>(TestData.Rng(3), 2 * 2 * 7, negativeZero: 1.0));
    }

    private static void CheckSize<T>(int height, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(height * 100 + width);
        int pooled = height / 2 * (width / 2);
        foreach (int planes in new[] { 1, 3 })
        {
            foreach (double nanRate in new[] { 0.0, 0.02, 0.3 })
            {
                foreach (bool integers in new[] { false, true })
                {
                    T[] z = Values<T>(rng, planes * height * width, nanRate, integers);
                    Check(height, width, planes, z, Gradients<T>(rng, planes * pooled, negativeZero: 0.15));
                }
            }
        }
    }

    private static void CheckNaNEverywhere<T>(int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int height = 4;
        var rng = TestData.Rng(width);
        T[] clean = Values<T>(rng, height * width, 0, integers: true);
        T[] g = Gradients<T>(rng, height / 2 * (width / 2), negativeZero: 0.15);
        for (int at = 0; at < clean.Length; at++)
        {
            T[] z = (T[])clean.Clone();
            z[at] = T.NaN;
            Check(height, width, 1, z, g);
        }
    }

    // Runs both walkers on [planes, height, width] values z (forward) and y = z (backward: any values choose the argmax).
    private static void Check<T>(int height, int width, int planes, T[] z, T[] g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outHeight = height / 2, outWidth = width / 2, plane = height * width, pooledPlane = outHeight * outWidth;
        string context = $"{typeof(T).Name} {planes}x{height}x{width}";
        T marker = T.CreateTruncating(12345.0), outside = T.CreateTruncating(-777.0);

        // The source as the convolution leaves it: rows of sourceWidth > width, the extra columns garbage (NaN).
        int sourceWidth = width + 3, sourcePlane = (height + 1) * sourceWidth;
        T[] source = TestData.Filled(planes * sourcePlane, T.NaN);
        for (int p = 0; p < planes; p++)
        {
            for (int r = 0; r < height; r++)
            {
                Array.Copy(z, (p * height + r) * width, source, p * sourcePlane + r * sourceWidth, width);
            }
        }

        T[] zOut = TestData.Filled(planes * plane + Guard, marker), yOut = TestData.Filled(planes * plane + Guard, marker);
        T[] pooled = TestData.Filled(planes * pooledPlane + Guard, marker);
        Pool2DKernel.ReLUMaxForwardPlanes(ref source[0], sourcePlane, sourceWidth, ref zOut[0], ref yOut[0], ref pooled[0], planes, height, width);

        T[] wantZ = TestData.Filled(planes * plane + Guard, marker), wantY = TestData.Filled(planes * plane + Guard, marker);
        T[] wantPooled = TestData.Filled(planes * pooledPlane + Guard, marker);
        for (int i = 0; i < planes * plane; i++)
        {
            wantZ[i] = z[i];
            wantY[i] = ReLU(z[i]);
        }

        var arg = new int[planes * pooledPlane];
        for (int p = 0; p < planes; p++)
        {
            for (int i = 0; i < outHeight; i++)
            {
                for (int j = 0; j < outWidth; j++)
                {
                    int o = (p * outHeight + i) * outWidth + j;
                    arg[o] = ArgMax(z, p * plane, width, i, j);
                    wantPooled[o] = ReLU(z[arg[o]]);
                }
            }
        }

        AssertSame(wantZ, zOut, context + " z");
        AssertSame(wantY, yOut, context + " y");
        AssertSame(wantPooled, pooled, context + " pooled");

        // Backward over y = z: dy = 0 + g at each argmax and 0 elsewhere, dz = dy where y there is positive; the
        // padded plane gets dz's rows in columns [0, width) and keeps every other cell.
        int paddedWidth = width + 4, paddedPlane = (height + 3) * paddedWidth, offset = 2 * paddedWidth + 2;
        T[] dy = TestData.Filled(planes * plane + Guard, marker), dz = TestData.Filled(planes * plane + Guard, marker);
        T[] padded = TestData.Filled(planes * paddedPlane, outside);
        Pool2DKernel.MaxReLUBackwardPlanes(ref z[0], ref g[0], ref dy[0], ref dz[0], ref padded[offset], paddedPlane, paddedWidth, planes, height, width);

        T[] wantDy = TestData.Filled(planes * plane + Guard, marker), wantDz = TestData.Filled(planes * plane + Guard, marker);
        T[] wantPadded = TestData.Filled(planes * paddedPlane, outside);
        Array.Fill(wantDy, T.Zero, 0, planes * plane);
        Array.Fill(wantDz, T.Zero, 0, planes * plane);
        for (int o = 0; o < arg.Length; o++)
        {
            wantDy[arg[o]] = T.Zero + g[o];
            wantDz[arg[o]] = z[arg[o]] > T.Zero ? T.Zero + g[o] : T.Zero;
        }

        for (int p = 0; p < planes; p++)
        {
            for (int r = 0; r < height; r++)
            {
                Array.Copy(wantDz, (p * height + r) * width, wantPadded, offset + p * paddedPlane + r * paddedWidth, width);
            }
        }

        AssertSame(wantDy, dy, context + " dy");
        AssertSame(wantDz, dz, context + " dz");
        AssertSame(wantPadded, padded, context + " padded plane");
    }

    // max(v, 0) as ActivationKernel.ReLU: NaN stays NaN, -0 and negatives give +0.
    private static T ReLU<T>(T v)
        where T : unmanaged, IFloatingPointIeee754<T> => T.IsNaN(v) ? v : v > T.Zero ? v : T.Zero;

    // Index of window (i, j)'s first maximum in row-major order; the first NaN wins.
    private static int ArgMax<T>(T[] values, int plane, int width, int i, int j)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = -1;
        for (int k = 0; k < 4; k++)
        {
            int index = plane + (2 * i + k / 2) * width + 2 * j + k % 2;
            if (T.IsNaN(values[index]))
            {
                return index;
            }

            if (best < 0 || values[index] > values[best])
            {
                best = index;
            }
        }

        return best;
    }

    // Uniform or small-integer values (exact ties, all-negative windows), with signed zeros, infinities and NaN.
    private static T[] Values<T>(Random rng, int length, double nanRate, bool integers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            double u = rng.NextDouble();
            double v = u < nanRate ? double.NaN
                : u < nanRate + 0.01 ? double.PositiveInfinity
                : u < nanRate + 0.02 ? double.NegativeInfinity
                : u < nanRate + 0.05 ? -0.0
                : integers ? rng.Next(-2, 3) : rng.NextDouble() * 2 - 1;
            values[i] = T.CreateTruncating(v);
        }

        return values;
    }

    // Every window's maximum is -0 or negative: pooled +0, no gradient through the ReLU.
    private static T[] NegativeAndZeros<T>(int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (i % 3) switch { 0 => T.NegativeZero, 1 => T.CreateTruncating(-1.5), _ => T.CreateTruncating(-(i + 1)) };
        }

        return values;
    }

    private static T[] Gradients<T>(Random rng, int length, double negativeZero)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = rng.NextDouble() < negativeZero ? T.NegativeZero : T.CreateTruncating(rng.NextDouble() * 4 - 2);
        }

        return values;
    }

    // Equal bits, or both NaN.
    private static void AssertSame<T>(T[] expected, T[] actual, string context)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = T.IsNaN(expected[i]) ? T.IsNaN(actual[i])
                : expected[i] == actual[i] && T.IsNegative(expected[i]) == T.IsNegative(actual[i]);
            if (!same)
            {
                Assert.Fail($"{context}: index {i} of {expected.Length} expected {expected[i]} got {actual[i]}");
            }
        }
    }
}
