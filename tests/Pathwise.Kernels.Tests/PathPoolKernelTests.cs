using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>
/// The fused path pooling against a brute-force float64 reference: each value <c>start + a step</c> rounded as the
/// kernel documents (in <c>T</c>, as <c>PathKernel.Interpolate</c>), then the activation, the row-major first maximum,
/// ReLU's zero derivative at 0 and the weighted sum over points taken in double, window by window.
/// </summary>
public sealed class PathPoolKernelTests
{
    // (channels, height, width): windows a multiple of 8, one vector group and a tail, odd sides, the CNN's first block.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 2, 2 },
        { 1, 4, 16 },
        { 3, 6, 10 },
        { 2, 5, 7 },
        { 1, 9, 3 },
        { 8, 28, 28 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Random_MatchesReference_Float(int c, int h, int w)
    {
        foreach (int count in new[] { 0, 1, 3, 66 })
        {
            foreach (ActivationKind activation in new[] { ActivationKind.ReLU, ActivationKind.None })
            {
                Check<float>(c, h, w, count, activation, seed: 11 * c + h + 100 * count, ties: false);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Random_MatchesReference_Double(int c, int h, int w)
    {
        foreach (int count in new[] { 0, 1, 3, 66 })
        {
            foreach (ActivationKind activation in new[] { ActivationKind.ReLU, ActivationKind.None })
            {
                Check<double>(c, h, w, count, activation, seed: 13 * c + w + 100 * count, ties: false);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Ties_GoToTheFirstMaximum_AndZeroPassesNothing(int c, int h, int w)
    {
        // Small integers and dyadic alphas: every value exact, so windows tie often, at positive values and at 0.
        foreach (ActivationKind activation in new[] { ActivationKind.ReLU, ActivationKind.None })
        {
            Check<float>(c, h, w, 9, activation, seed: 7 + c * h * w, ties: true);
            Check<double>(c, h, w, 9, activation, seed: 8 + c * h * w, ties: true);
        }
    }

    [Fact]
    public void AllNegativeWindows_PoolToZero_AndPassNoGradient()
    {
        var shape = new Pool2DShape(3, 6, 10, 2, 2);
        int n = shape.InputLength, windows = shape.OutputLength, count = 5;
        float[] start = TestData.Uniform<float>(TestData.Rng(1), n, -3, -0.5);
        float[] step = TestData.Uniform<float>(TestData.Rng(2), n, -1, 0);
        float[] alphas = [0f, 0.1f, 0.5f, 0.9f, 1f];
        var y = TestData.Filled(count * windows, float.NaN);
        var winners = TestData.Filled(count * PathPoolKernel.WinnersLength(windows), (byte)0xFF);
        PathPoolKernel.MaxForward<float>(start, step, alphas, y, winners, new float[8 * windows], shape, ActivationKind.ReLU);
        Assert.All(y, v => Assert.Equal(0f, v));
        Assert.All(winners, b => Assert.Equal(0, b));

        var destination = TestData.Filled(n, float.NaN);
        PathPoolKernel.MaxBackwardSum<float>(TestData.Uniform<float>(TestData.Rng(3), count * windows), winners, TestData.Uniform<float>(TestData.Rng(4), count), destination, shape);
        Assert.All(destination, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Window_AtZero_HasNoGradient_LikeReLUBackward()
    {
        // One window [0 0; -1 0] at a = 1 (start 0, step 0 except -1): ReLU(max) = 0 and ReLU's derivative at 0 is 0.
        var shape = new Pool2DShape(1, 2, 2, 2, 2);
        var y = new double[1];
        var winners = new byte[4];
        PathPoolKernel.MaxForward<double>([0, 0, 0, 0], [0, 0, -1, 0], [1.0], y, winners, new double[8], shape, ActivationKind.ReLU);
        Assert.Equal(0.0, y[0]);
        Assert.Equal(new byte[4], winners);

        // Without an activation the first maximum, position 0, takes the gradient.
        PathPoolKernel.MaxForward<double>([0, 0, 0, 0], [0, 0, -1, 0], [1.0], y, winners, new double[8], shape, ActivationKind.None);
        Assert.Equal(new byte[] { 1, 0, 0, 0 }, winners);
        var destination = new double[4];
        PathPoolKernel.MaxBackwardSum<double>([3.0], winners, [0.5], destination, shape);
        Assert.Equal(new[] { 1.5, 0, 0, 0 }, destination);
    }

    [Fact]
    public void MatchesTheUnfusedPasses()
    {
        // Interpolate, ReLU, MaxForward; then MaxBackward, ReLUBackward, WeightedRowSum: the route the fused kernel replaces.
        var shape = new Pool2DShape(8, 28, 28, 2, 2);
        int n = shape.InputLength, windows = shape.OutputLength, count = 66;
        var rng = TestData.Rng(5);
        float[] start = TestData.Uniform<float>(rng, n), step = TestData.Uniform<float>(rng, n), alphas = TestData.Uniform<float>(rng, count, 0, 1);
        float[] dy = TestData.Uniform<float>(rng, count * windows), coefficients = TestData.Uniform<float>(rng, count, 0, 0.1);

        var z = new float[count * n];
        var a = new float[count * n];
        var pooled = new float[count * windows];
        PathKernel.Interpolate<float>(start, step, alphas, z);
        ActivationKernel.ReLU<float>(z, a);
        Pool2DKernel.MaxForward<float>(a, pooled, count, shape);
        var da = new float[count * n];
        var dz = new float[count * n];
        var expected = new float[n];
        Pool2DKernel.MaxBackward<float>(a, dy, da, count, shape);
        ActivationKernel.ReLUBackward<float>(z, da, dz);
        PathKernel.WeightedRowSum<float>(dz, coefficients, expected);

        var y = new float[count * windows];
        var winners = new byte[count * PathPoolKernel.WinnersLength(windows)];
        var destination = new float[n];
        PathPoolKernel.MaxForward<float>(start, step, alphas, y, winners, new float[2 * n], shape, ActivationKind.ReLU);
        PathPoolKernel.MaxBackwardSum<float>(dy, winners, coefficients, destination, shape);
        TestData.AssertClose<float>(TestData.ToDouble<float>(pooled), y, 1e-6, context: "pooled");
        TestData.AssertClose<float>(TestData.ToDouble<float>(expected), destination, 1e-5, context: "weighted dz");
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var shape = new Pool2DShape(2, 4, 4, 2, 2);
        int n = shape.InputLength, windows = shape.OutputLength, bytes = PathPoolKernel.WinnersLength(windows);
        var start = new float[n];
        var alphas = new float[3];
        var y = new float[3 * windows];
        var winners = new byte[3 * bytes];
        var packed = new float[8 * windows];
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxForward<float>(start, start, alphas, y, winners, packed.AsSpan(1), shape, ActivationKind.ReLU));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxForward<float>(start, start, alphas, y, winners, packed, new Pool2DShape(2, 4, 4, 3, 1), ActivationKind.ReLU));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxForward<float>(start, start, alphas, y, winners, packed, new Pool2DShape(2, 4, 4, 2, 1), ActivationKind.ReLU));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxForward<float>(start, start, alphas, y, winners, packed, shape, ActivationKind.Tanh));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxForward<float>(start.AsSpan(1), start, alphas, y, winners, packed, shape, ActivationKind.ReLU));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxForward<float>(start, start.AsSpan(1), alphas, y, winners, packed, shape, ActivationKind.ReLU));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxForward<float>(start, start, alphas, y.AsSpan(1), winners, packed, shape, ActivationKind.ReLU));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxForward<float>(start, start, alphas, y, winners.AsSpan(1), packed, shape, ActivationKind.ReLU));

        var destination = new float[n];
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxBackwardSum<float>(y, winners, alphas, destination, new Pool2DShape(2, 4, 4, 2, 1)));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxBackwardSum<float>(y.AsSpan(1), winners, alphas, destination, shape));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxBackwardSum<float>(y, winners.AsSpan(1), alphas, destination, shape));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.MaxBackwardSum<float>(y, winners, alphas, destination.AsSpan(1), shape));
        Assert.Throws<ArgumentException>(() => PathPoolKernel.WinnersLength(-1));
        Assert.Equal(0, PathPoolKernel.WinnersLength(0));
        Assert.Equal(4, PathPoolKernel.WinnersLength(1));
        Assert.Equal(4, PathPoolKernel.WinnersLength(8));
        Assert.Equal(8, PathPoolKernel.WinnersLength(9));
    }

    private static void Check<T>(int c, int h, int w, int count, ActivationKind activation, int seed, bool ties)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new Pool2DShape(c, h, w, 2, 2);
        int n = shape.InputLength, windows = shape.OutputLength, bytes = PathPoolKernel.WinnersLength(windows);
        var rng = TestData.Rng(seed);
        T[] start, step, alphas;
        if (ties)
        {
            start = Integers<T>(rng, n, -2, 2);
            step = Integers<T>(rng, n, -2, 2);
            alphas = new T[count];
            for (int k = 0; k < count; k++)
            {
                alphas[k] = T.CreateChecked(k / 4.0);
            }
        }
        else
        {
            start = TestData.Uniform<T>(rng, n);
            step = TestData.Uniform<T>(rng, n);
            alphas = TestData.Uniform<T>(rng, count, 0, 1);
        }

        T[] dy = TestData.Uniform<T>(rng, count * windows);
        T[] coefficients = TestData.Uniform<T>(rng, count, 0, 0.1);

        // Destinations longer than needed and filled with garbage: the kernel overwrites its part, leaves the rest.
        var y = TestData.Filled(count * windows + 3, T.NaN);
        var winners = TestData.Filled(count * bytes + 3, (byte)0xA5);
        PathPoolKernel.MaxForward<T>(start, step, alphas, y, winners, TestData.Filled(8 * windows, T.NaN), shape, activation);

        (double[] pooled, int[] winner, double[] sum, double[] scale) = Reference(start, step, alphas, dy, coefficients, shape, activation);
        string context = $"{typeof(T).Name} [{c}, {h}, {w}] x {count} {activation}{(ties ? " ties" : "")}";
        TestData.AssertClose<T>(pooled, y, TestData.Tolerance<T>(), context: context + " y");
        Assert.True(T.IsNaN(y[count * windows]), context + ": y written past its end");
        Assert.Equal(0xA5, winners[count * bytes]);
        for (int k = 0; k < count; k++)
        {
            for (int v = 0; v < windows; v++)
            {
                for (int q = 0; q < 4; q++)
                {
                    bool set = ((winners[k * bytes + 4 * (v / 8) + q] >> (v % 8)) & 1) != 0;
                    Assert.True(set == (winner[k * windows + v] == q), $"{context}: point {k}, window {v}, position {q}: bit {set}, reference winner {winner[k * windows + v]}");
                }
            }
        }

        var destination = TestData.Filled(n, T.NaN);
        PathPoolKernel.MaxBackwardSum<T>(dy, winners.AsSpan(0, count * bytes), coefficients, destination, shape);
        TestData.AssertClose<T>(sum, destination, TestData.Tolerance<T>(), scale, context + " weighted dz");
    }

    /// <summary>
    /// Brute force: the pooled values, each window's winning position (-1 for none), and <c>sum_k c_k dz_k</c> in double
    /// with the sum of the absolute terms as its scale.
    /// </summary>
    private static (double[] Pooled, int[] Winner, double[] Sum, double[] Scale) Reference<T>(
        T[] start, T[] step, T[] alphas, T[] dy, T[] coefficients, Pool2DShape shape, ActivationKind activation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = alphas.Length, windows = shape.OutputLength, n = shape.InputLength;
        int outHeight = shape.OutHeight, outWidth = shape.OutWidth, width = shape.Width;
        var pooled = new double[count * windows];
        var winner = new int[count * windows];
        var sum = new double[n];
        var scale = new double[n];
        for (int k = 0; k < count; k++)
        {
            for (int v = 0; v < windows; v++)
            {
                int ch = v / (outHeight * outWidth), oh = v / outWidth % outHeight, ow = v % outWidth;
                int corner = ch * shape.Height * width + 2 * oh * width + 2 * ow;
                int[] positions = [corner, corner + 1, corner + width, corner + width + 1];
                int best = -1;
                double bestValue = double.NegativeInfinity;
                for (int q = 0; q < 4; q++)
                {
                    int p = positions[q];
                    double z = double.CreateChecked((step[p] * alphas[k]) + start[p]); // rounded in T, as documented
                    double value = activation == ActivationKind.ReLU ? Math.Max(z, 0) : z;
                    if (value > bestValue)
                    {
                        bestValue = value;
                        best = q;
                    }
                }

                // Under ReLU the winner passes the gradient only where its value before the activation is positive.
                if (activation == ActivationKind.ReLU && !(bestValue > 0))
                {
                    best = -1;
                }

                pooled[k * windows + v] = bestValue;
                winner[k * windows + v] = best;
                if (best >= 0)
                {
                    double term = double.CreateChecked(coefficients[k]) * double.CreateChecked(dy[k * windows + v]);
                    sum[positions[best]] += term;
                    scale[positions[best]] += Math.Abs(term);
                }
            }
        }

        return (pooled, winner, sum, scale);
    }

    private static T[] Integers<T>(Random rng, int length, int lo, int hi)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateChecked(rng.Next(lo, hi + 1));
        }

        return values;
    }
}
