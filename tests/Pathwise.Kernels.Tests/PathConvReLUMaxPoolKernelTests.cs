using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>
/// The convolution on the straight path computed from what changes between points (<see cref="PathConvReLUMaxPoolKernel"/>)
/// and the dense layer's backward along the path (<see cref="DenseKernel.BackwardInputAlongPath{T}"/>), against brute-force
/// float64 sums of the same inputs: the convolution of the first pooling's values, its ReLU and pool, and the weighted sum
/// over points of the routed gradients' transposed products routed through the first pooling's winners, each within a
/// few units in the last place of the terms' magnitudes.
/// </summary>
public sealed class PathConvReLUMaxPoolKernelTests
{
    // (C, H, W) of the convolution's input, O, K, P, and whether the first layer's planes have an odd extra row and column.
    public static TheoryData<int, int, int, int, int, int, bool> Shapes => new()
    {
        { 8, 14, 14, 16, 3, 1, false },
        { 3, 5, 7, 5, 3, 1, true },
        { 2, 6, 4, 9, 5, 2, false },
        { 1, 4, 4, 3, 1, 0, true },
        { 4, 6, 6, 3, 3, 0, false },
        { 5, 7, 9, 12, 2, 1, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SortedPath_WithItsEnds_MatchesTheReference(int c, int h, int w, int o, int k, int p, bool odd)
    {
        foreach (int points in new[] { 1, 2, 9, 66 })
        {
            foreach (ActivationKind activation in new[] { ActivationKind.ReLU, ActivationKind.None })
            {
                int seed = 1000 * c + 100 * o + points;
                Check<float>(c, h, w, o, k, p, odd, SortedWithEnds(points), activation, seed);
                Check<double>(c, h, w, o, k, p, odd, SortedWithEnds(points), activation, seed + 1);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PointsInNoOrder_MatchTheReference(int c, int h, int w, int o, int k, int p, bool odd)
    {
        // Far jumps between consecutive points: convolved alone, and the pieces convolved afresh when two follow each other.
        var rng = new Random(c + h + o);
        var alphas = new double[23];
        for (int i = 0; i < alphas.Length; i++)
        {
            alphas[i] = rng.NextDouble();
        }

        Check<float>(c, h, w, o, k, p, odd, alphas, ActivationKind.ReLU, seed: 7 * c + o);
        Check<double>(c, h, w, o, k, p, odd, alphas, ActivationKind.ReLU, seed: 7 * c + o + 1);
    }

    [Fact]
    public void UnsupportedShapes_AndMismatchedPoolings_AreRefused()
    {
        Assert.False(PathConvReLUMaxPoolKernel.Supports(new Conv2DShape(2, 8, 8, 3, 3, 1, 2)));
        Assert.False(PathConvReLUMaxPoolKernel.Supports(new Conv2DShape(2, 8, 8, 4, 3, 3, 3, 3, 1, 1, 1, 1, 2)));
        Assert.False(PathConvReLUMaxPoolKernel.Supports(new Conv2DShape(2, 2, 2, 3, 3, 0, 1)));
        Assert.True(PathConvReLUMaxPoolKernel.Supports(new Conv2DShape(8, 14, 14, 16, 3, 1, 1)));
        var strided = new Conv2DShape(2, 8, 8, 3, 3, 1, 2);
        var error = Assert.Throws<ArgumentException>(() => PathConvReLUMaxPoolKernel.ScratchLength(strided));
        Assert.Contains("stride-1", error.Message);

        var shape = new Conv2DShape(2, 4, 4, 3, 3, 1, 1);
        var wrongPool = new Pool2DShape(2, 10, 10, 2, 2);
        error = Assert.Throws<ArgumentException>(() => PathConvReLUMaxPoolKernel.Forward<float>(
            new float[shape.InputLength], new float[wrongPool.InputLength], new float[wrongPool.InputLength], new byte[PathPoolKernel.WinnersLength(shape.InputLength)],
            wrongPool, new float[1], new float[shape.WeightLength], default, new float[shape.OutputLength], new float[12],
            new float[PathConvReLUMaxPoolKernel.ScratchLength(shape)], shape));
        Assert.Contains("[2, 4, 4]", error.Message);
    }

    [Theory]
    [InlineData(784, 64)]
    [InlineData(256, 128)]
    [InlineData(30, 20)]
    [InlineData(9, 4)]
    public void DenseBackwardAlongPath_MatchesTheBatchedProduct(int inputs, int outputs)
    {
        foreach (int count in new[] { 1, 2, 17, 70 })
        {
            CheckDense<float>(inputs, outputs, count, seed: inputs + count);
            CheckDense<double>(inputs, outputs, count, seed: inputs + count + 1);
        }
    }

    [Fact]
    public void DenseBackwardAlongPath_ANaNRow_StaysInItsRow()
    {
        int inputs = 200, outputs = 40, count = 9;
        double[] weight = TestData.Uniform<double>(TestData.Rng(1), inputs * outputs);
        double[] dy = PiecewiseConstantGradients<double>(count, outputs, seed: 2);
        dy[3 * outputs + 7] = double.NaN;
        var carried = new double[count * inputs];
        var batched = new double[count * inputs];
        DenseKernel.BackwardInputAlongPath<double>(dy, weight, carried, count, inputs, outputs);
        DenseKernel.BackwardInput<double>(dy, weight, batched, count, inputs, outputs);
        for (int row = 0; row < count; row++)
        {
            if (row != 3)
            {
                TestData.AssertClose<double>(TestData.ToDouble<double>(batched.AsSpan(row * inputs, inputs)), carried.AsSpan(row * inputs, inputs), 1e-12, context: $"row {row}");
            }
        }
    }

    // ---- checks ----

    private static void Check<T>(int c, int h, int w, int o, int k, int p, bool odd, double[] alphaValues, ActivationKind activation, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = new Conv2DShape(c, h, w, o, k, p, 1);
        var pool = new Pool2DShape(c, 2 * h + (odd ? 1 : 0), 2 * w + (odd ? 1 : 0), 2, 2);
        int count = alphaValues.Length, outputs = shape.OutputLength, pooledLength = o * (shape.OutHeight / 2) * (shape.OutWidth / 2);
        string context = $"{typeof(T).Name} [{c}, {h}, {w}] -> {o}, K {k}, P {p}{(odd ? ", odd" : "")}, {count} points, {activation}";
        var path = PathFor<T>(pool, alphaValues, activation, seed);
        var rng = TestData.Rng(seed + 1);
        T[] weight = TestData.Uniform<T>(rng, shape.WeightLength);
        T[] bias = TestData.Uniform<T>(rng, o);

        // Destinations one longer than needed, their last element a sentinel the kernel must leave.
        var y = TestData.Filled(count * outputs + 1, T.NaN);
        var pooled = TestData.Filled(count * pooledLength + 1, T.NaN);
        PathConvReLUMaxPoolKernel.Forward<T>(path.X, path.Start, path.Step, path.Winners, pool, path.Alphas, weight, bias, y, pooled, TestData.Filled(PathConvReLUMaxPoolKernel.ScratchLength(shape), T.NaN), shape);
        Assert.True(T.IsNaN(y[^1]) && T.IsNaN(pooled[^1]), context + ": written past the end");

        (double[] zRef, double[] zScale) = ReferenceForward(TestData.ToDouble<T>(path.X), TestData.ToDouble<T>(weight), TestData.ToDouble<T>(bias), shape, count);
        double tolerance = TestData.Tolerance<T>();
        var yRef = new double[zRef.Length];
        for (int i = 0; i < yRef.Length; i++)
        {
            yRef[i] = Math.Max(zRef[i], 0);
        }

        T[] yPlanes = Planes(y, count, o, shape.OutHeight * shape.OutWidth);
        TestData.AssertClose<T>(yRef, yPlanes, tolerance, zScale, context + " y (channel-last)");
        (double[] pooledRef, double[] pooledScale) = Pool(yRef, zScale, o * count, shape.OutHeight, shape.OutWidth);
        TestData.AssertClose<T>(pooledRef, pooled, tolerance, pooledScale, context + " pooled");

        // The backward from the kernel's own y, so both sides route through the same maxima; the path's ends, which the
        // engine appends to the forward pass only, are left out as it leaves them out.
        int points = Math.Max(1, count - 2);
        T[] yPoints = y.AsSpan(0, points * outputs).ToArray();
        T[] yPointPlanes = yPlanes.AsSpan(0, points * outputs).ToArray();
        T[] dPooled = PiecewiseConstantGradients<T>(points, pooledLength, seed + 2);
        T[] coefficients = TestData.Uniform<T>(TestData.Rng(seed + 3), points, 0, 0.1);
        var destination = TestData.Filled(pool.InputLength, T.NaN);
        PathConvReLUMaxPoolKernel.BackwardSum<T>(
            yPoints, dPooled, coefficients, path.Winners, pool, weight, destination, TestData.Filled(PathConvReLUMaxPoolKernel.ScratchLength(shape), T.NaN), shape);
        double[] dx = ReferenceBackward(TestData.ToDouble<T>(yPointPlanes), TestData.ToDouble<T>(dPooled), TestData.ToDouble<T>(weight), shape, points, out double[] dxScale);
        (double[] expected, double[] scale) = ReferencePoolSum(dx, dxScale, TestData.ToDouble<T>(coefficients), path.Winners, pool, points);
        TestData.AssertClose<T>(expected, destination, tolerance, scale, context + " summed gradient");
    }

    /// <summary>
    /// <c>PathPoolKernel.MaxBackwardSum</c> by its definition: each window's gradient at point k, weighted, to the position
    /// point k's winners give it.
    /// </summary>
    private static (double[] Sum, double[] Scale) ReferencePoolSum(double[] dx, double[] dxScale, double[] coefficients, byte[] winners, Pool2DShape pool, int count)
    {
        int windows = pool.OutputLength, bytes = PathPoolKernel.WinnersLength(windows);
        var sum = new double[pool.InputLength];
        var scale = new double[pool.InputLength];
        for (int k = 0; k < count; k++)
        {
            for (int w = 0; w < windows; w++)
            {
                int c = w / (pool.OutHeight * pool.OutWidth), rest = w % (pool.OutHeight * pool.OutWidth), oh = rest / pool.OutWidth, ow = rest % pool.OutWidth;
                for (int q = 0; q < 4; q++)
                {
                    if (((winners[k * bytes + 4 * (w >> 3) + q] >> (w & 7)) & 1) != 0)
                    {
                        int p = (c * pool.Height + 2 * oh + q / 2) * pool.Width + 2 * ow + q % 2;
                        sum[p] += coefficients[k] * dx[k * windows + w];
                        scale[p] += Math.Abs(coefficients[k]) * dxScale[k * windows + w];
                    }
                }
            }
        }

        return (sum, scale);
    }

    private static void CheckDense<T>(int inputs, int outputs, int count, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] weight = TestData.Uniform<T>(TestData.Rng(seed), inputs * outputs);
        T[] dy = PiecewiseConstantGradients<T>(count, outputs, seed + 1);
        var dx = TestData.Filled(count * inputs + 1, T.NaN);
        DenseKernel.BackwardInputAlongPath<T>(dy, weight, dx, count, inputs, outputs);
        Assert.True(T.IsNaN(dx[^1]), "written past the end");
        var expected = new double[count * inputs];
        var scale = new double[count * inputs];
        for (int row = 0; row < count; row++)
        {
            for (int j = 0; j < outputs; j++)
            {
                double g = double.CreateTruncating(dy[row * outputs + j]);
                for (int i = 0; i < inputs; i++)
                {
                    double term = g * double.CreateTruncating(weight[j * inputs + i]);
                    expected[row * inputs + i] += term;
                    scale[row * inputs + i] += Math.Abs(term);
                }
            }
        }

        TestData.AssertClose<T>(expected, dx, TestData.Tolerance<T>(), scale, $"{typeof(T).Name} {outputs} -> {inputs}, {count} rows");
    }

    // ---- data ----

    /// <summary>Channel-last rows <c>[count, S, C]</c> as planes <c>[count, C, S]</c>.</summary>
    private static T[] Planes<T>(T[] rows, int count, int channels, int size)
    {
        var planes = new T[count * channels * size];
        for (int n = 0; n < count; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int s = 0; s < size; s++)
                {
                    planes[(n * channels + c) * size + s] = rows[(n * size + s) * channels + c];
                }
            }
        }

        return planes;
    }

    private sealed record Path<T>(T[] X, T[] Start, T[] Step, byte[] Winners, T[] Alphas, int WinnerBytes);

    /// <summary>
    /// The first layer's pooling on a path: start and step rows whose values cross 0 and each other along [0, 1], so
    /// windows change winners between points, pooled by <see cref="PathPoolKernel.MaxForward{T}"/>.
    /// </summary>
    private static Path<T> PathFor<T>(Pool2DShape pool, double[] alphaValues, ActivationKind activation, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(seed);
        T[] start = TestData.Uniform<T>(rng, pool.InputLength, -0.5, 0.5);
        T[] step = TestData.Uniform<T>(rng, pool.InputLength, -1, 1);
        int count = alphaValues.Length, windows = pool.OutputLength, bytes = PathPoolKernel.WinnersLength(windows);
        var alphas = new T[count];
        for (int i = 0; i < count; i++)
        {
            alphas[i] = T.CreateTruncating(alphaValues[i]);
        }

        var x = new T[count * windows];
        var winners = new byte[count * bytes];
        PathPoolKernel.MaxForward<T>(start, step, alphas, x, winners, new T[8 * windows], pool, activation);
        return new Path<T>(x, start, step, winners, alphas, bytes);
    }

    /// <summary><paramref name="points"/> Gauss-Legendre-like sorted points in (0, 1), then the path's ends 0 and 1, as the engine appends them.</summary>
    private static double[] SortedWithEnds(int points)
    {
        var alphas = new double[points + 2];
        for (int i = 0; i < points; i++)
        {
            alphas[i] = (1 - Math.Cos(Math.PI * (i + 0.5) / points)) / 2;
        }

        alphas[points] = 0;
        alphas[points + 1] = 1;
        return alphas;
    }

    /// <summary>Gradients that stay the same for runs of 1 to 6 points, with zeros, as a piecewise-linear network's do.</summary>
    private static T[] PiecewiseConstantGradients<T>(int count, int length, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(seed);
        var values = new T[count * length];
        T[] row = TestData.Uniform<T>(rng, length);
        for (int k = 0, left = 0; k < count; k++, left--)
        {
            if (left <= 0)
            {
                row = TestData.Uniform<T>(rng, length);
                for (int i = 0; i < length; i += 3)
                {
                    row[i] = T.Zero;
                }

                left = 1 + rng.Next(6);
            }

            row.CopyTo(values, k * length);
        }

        return values;
    }

    // ---- float64 references ----

    private static (double[] Z, double[] Scale) ReferenceForward(double[] x, double[] weight, double[] bias, Conv2DShape shape, int count)
    {
        int c = shape.InChannels, h = shape.Height, w = shape.Width, o = shape.OutChannels, k = shape.KernelHeight, p = shape.PaddingHeight;
        int oh = shape.OutHeight, ow = shape.OutWidth;
        var z = new double[count * o * oh * ow];
        var scale = new double[z.Length];
        for (int n = 0; n < count; n++)
        {
            for (int co = 0; co < o; co++)
            {
                for (int r = 0; r < oh; r++)
                {
                    for (int col = 0; col < ow; col++)
                    {
                        double sum = bias[co], magnitude = Math.Abs(bias[co]);
                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int i = 0; i < k; i++)
                            {
                                for (int j = 0; j < k; j++)
                                {
                                    int ih = r - p + i, iw = col - p + j;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                                    {
                                        double term = weight[((co * c + ci) * k + i) * k + j] * x[((n * c + ci) * h + ih) * w + iw];
                                        sum += term;
                                        magnitude += Math.Abs(term);
                                    }
                                }
                            }
                        }

                        int at = ((n * o + co) * oh + r) * ow + col;
                        z[at] = sum;
                        scale[at] = magnitude;
                    }
                }
            }
        }

        return (z, scale);
    }

    private static (double[] Pooled, double[] Scale) Pool(double[] y, double[] scale, int planes, int height, int width)
    {
        int ph = height / 2, pw = width / 2;
        var pooled = new double[planes * ph * pw];
        var pooledScale = new double[pooled.Length];
        for (int plane = 0; plane < planes; plane++)
        {
            for (int r = 0; r < ph; r++)
            {
                for (int col = 0; col < pw; col++)
                {
                    double best = double.NegativeInfinity, magnitude = 0;
                    for (int q = 0; q < 4; q++)
                    {
                        int at = (plane * height + 2 * r + q / 2) * width + 2 * col + q % 2;
                        best = Math.Max(best, y[at]);
                        magnitude = Math.Max(magnitude, scale[at]);
                    }

                    pooled[(plane * ph + r) * pw + col] = best;
                    pooledScale[(plane * ph + r) * pw + col] = magnitude;
                }
            }
        }

        return (pooled, pooledScale);
    }

    // dz: each pooled gradient at its window's first maximum of y where that maximum is positive; dx = conv^T(dz).
    private static double[] ReferenceBackward(double[] y, double[] dPooled, double[] weight, Conv2DShape shape, int count, out double[] scale)
    {
        int c = shape.InChannels, h = shape.Height, w = shape.Width, o = shape.OutChannels, k = shape.KernelHeight, p = shape.PaddingHeight;
        int oh = shape.OutHeight, ow = shape.OutWidth, ph = oh / 2, pw = ow / 2;
        var dz = new double[count * o * oh * ow];
        for (int plane = 0; plane < count * o; plane++)
        {
            for (int r = 0; r < ph; r++)
            {
                for (int col = 0; col < pw; col++)
                {
                    int first = -1;
                    double best = double.NegativeInfinity;
                    for (int q = 0; q < 4; q++)
                    {
                        int at = (plane * oh + 2 * r + q / 2) * ow + 2 * col + q % 2;
                        if (y[at] > best)
                        {
                            best = y[at];
                            first = at;
                        }
                    }

                    if (best > 0)
                    {
                        dz[first] = dPooled[(plane * ph + r) * pw + col];
                    }
                }
            }
        }

        var dx = new double[count * c * h * w];
        scale = new double[dx.Length];
        for (int n = 0; n < count; n++)
        {
            for (int co = 0; co < o; co++)
            {
                for (int r = 0; r < oh; r++)
                {
                    for (int col = 0; col < ow; col++)
                    {
                        double g = dz[((n * o + co) * oh + r) * ow + col];
                        if (g == 0 && !double.IsNaN(g))
                        {
                            continue;
                        }

                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int i = 0; i < k; i++)
                            {
                                for (int j = 0; j < k; j++)
                                {
                                    int ih = r - p + i, iw = col - p + j;
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                                    {
                                        double term = g * weight[((co * c + ci) * k + i) * k + j];
                                        dx[((n * c + ci) * h + ih) * w + iw] += term;
                                        scale[((n * c + ci) * h + ih) * w + iw] += Math.Abs(term);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        return dx;
    }
}
