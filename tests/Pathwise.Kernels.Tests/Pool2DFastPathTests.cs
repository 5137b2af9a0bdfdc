using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>
/// The 2x2, stride-2 max-pool fast path (vectorised across output columns) against a plain scalar reference, bit for
/// bit: first maximum on ties in row-major window order, the first NaN wins, backward overwrites dx with 0 + dy at the
/// argmax and zeroes every other position (including odd trailing rows and columns).
/// </summary>
public sealed class Pool2DFastPathTests
{
    private const int Guard = 3;

    public static IEnumerable<object[]> Sizes()
    {
        var sizes = new List<int>();
        for (int n = 2; n <= 17; n++)
        {
            sizes.Add(n);
        }

        sizes.AddRange([28, 29, 33, 40]);
        foreach (int h in sizes)
        {
            if (h > 17 && h != 28)
            {
                continue;
            }

            foreach (int w in sizes)
            {
                yield return [h, w];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MatchesScalarReference_Float(int height, int width) => CheckSize<float>(height, width);

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MatchesScalarReference_Double(int height, int width) => CheckSize<double>(height, width);

    [Fact]
    public void AllNaNAndAllTiedPlanes()
    {
        var shape = new Pool2DShape(2, 6, 34, 2, 2);
        foreach (double fill in new[] { double.NaN, 0.5, double.PositiveInfinity, double.NegativeInfinity, -0.0 })
        {
            var x = new double[shape.InputLength];
            Array.Fill(x, fill);
            Check(x, shape, 1, seed: 7);
            Check(Array.ConvertAll(x, v => (float)v), shape, 1, seed: 7);
        }
    }

    private static void CheckSize<T>(int height, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(height * 1000 + width);
        for (int channels = 1; channels <= 3; channels++)
        {
            var shape = new Pool2DShape(channels, height, width, 2, 2);
            for (int count = 0; count <= 3; count++)
            {
                foreach (double nanRate in new[] { 0.0, 0.02, 0.3 })
                {
                    T[] x = Values<T>(rng, count * shape.InputLength, nanRate);
                    Check(x, shape, count, rng.Next());
                }
            }
        }
    }

    // Quantised values (exact ties), signed zeros, infinities and NaNs at the given rate.
    private static T[] Values<T>(Random rng, int length, double nanRate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            double u = rng.NextDouble();
            double v = u < nanRate ? double.NaN
                : u < nanRate + 0.01 ? double.PositiveInfinity
                : u < nanRate + 0.02 ? double.NegativeInfinity
                : u < nanRate + 0.04 ? -0.0
                : Math.Round(rng.NextDouble() * 6 - 3) * 0.5;
            values[i] = T.CreateTruncating(v);
        }

        return values;
    }

    private static void Check<T>(T[] x, Pool2DShape shape, int count, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int outputs = count * shape.OutputLength, inputs = count * shape.InputLength;
        int[] arg = ReferenceArgMax(x, shape, count);

        // Forward: y = x[argmax].
        var y = Garbage<T>(outputs + Guard);
        Pool2DKernel.MaxForward<T>(x, y, count, shape);
        var expectedY = Garbage<T>(outputs + Guard);
        for (int o = 0; o < outputs; o++)
        {
            expectedY[o] = x[arg[o]];
        }

        AssertBits(expectedY, y, shape, count, "forward");

        // Backward: dx = 0, then dx[argmax] += dy (signed zeros in dy must come out as +0).
        var dy = new T[outputs];
        for (int o = 0; o < outputs; o++)
        {
            dy[o] = rng.Next(8) == 0 ? T.NegativeZero : T.CreateTruncating(Math.Round(rng.NextDouble() * 8 - 4) * 0.25 + 0.125);
        }

        var dx = Garbage<T>(inputs + Guard);
        Pool2DKernel.MaxBackward<T>(x, dy, dx, count, shape);
        var expectedDx = Garbage<T>(inputs + Guard);
        Array.Fill(expectedDx, T.Zero, 0, inputs);
        for (int o = 0; o < outputs; o++)
        {
            expectedDx[arg[o]] += dy[o];
        }

        AssertBits(expectedDx, dx, shape, count, "backward");

        // Tangent: ty = tx[argmax].
        var tx = new T[inputs];
        for (int i = 0; i < inputs; i++)
        {
            tx[i] = T.CreateTruncating(i + 0.5);
        }

        var ty = Garbage<T>(outputs + Guard);
        Pool2DKernel.MaxTangent<T>(x, tx, ty, count, shape);
        var expectedTy = Garbage<T>(outputs + Guard);
        for (int o = 0; o < outputs; o++)
        {
            expectedTy[o] = tx[arg[o]];
        }

        AssertBits(expectedTy, ty, shape, count, "tangent");
    }

    // Index into x of the first maximum (row-major) of every window; the first NaN wins.
    private static int[] ReferenceArgMax<T>(T[] x, Pool2DShape shape, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = shape.Height / 2, ow = shape.Width / 2;
        var arg = new int[count * shape.Channels * oh * ow];
        int o = 0;
        for (int p = 0; p < count * shape.Channels; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    int best = -1;
                    for (int k = 0; k < 4; k++)
                    {
                        int index = p * shape.Height * shape.Width + (2 * i + k / 2) * shape.Width + 2 * j + k % 2;
                        if (T.IsNaN(x[index]))
                        {
                            best = index;
                            break;
                        }

                        if (best < 0 || x[index] > x[best])
                        {
                            best = index;
                        }
                    }

                    arg[o++] = best;
                }
            }
        }

        return arg;
    }

    private static T[] Garbage<T>(int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        Array.Fill(values, T.CreateTruncating(12345.0));
        return values;
    }

    private static void AssertBits<T>(T[] expected, T[] actual, Pool2DShape shape, int count, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<byte> e = MemoryMarshal.AsBytes<T>(expected), a = MemoryMarshal.AsBytes<T>(actual);
        if (!e.SequenceEqual(a))
        {
            int size = e.Length / expected.Length;
            int i = 0;
            while (e.Slice(i * size, size).SequenceEqual(a.Slice(i * size, size)))
            {
                i++;
            }

            Assert.Fail($"{typeof(T).Name} {what} {shape} count {count}: index {i} expected {expected[i]} got {actual[i]}");
        }
    }
}
