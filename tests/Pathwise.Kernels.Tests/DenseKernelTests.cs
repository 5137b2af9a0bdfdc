using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

public class DenseKernelTests
{
    private static readonly int[] s_outputs = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 32, 33, 40];
    private static readonly int[] s_counts = [1, 2, 3, 4, 5, 7, 8];

    // y[n, o] = bias[o] + sum_i x[n, i] w[o, i]; returns y and the per-element scale sum |terms|.
    private static (double[] Y, double[] Scale) ReferenceForward(double[] x, double[] w, double[] b, int count, int inputs, int outputs)
    {
        var y = new double[count * outputs];
        var scale = new double[count * outputs];
        for (int n = 0; n < count; n++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = b.Length == 0 ? 0 : b[o];
                double abs = b.Length == 0 ? 0 : Math.Abs(b[o]);
                for (int i = 0; i < inputs; i++)
                {
                    sum += x[n * inputs + i] * w[o * inputs + i];
                    abs += Math.Abs(x[n * inputs + i] * w[o * inputs + i]);
                }

                y[n * outputs + o] = sum;
                scale[n * outputs + o] = abs;
            }
        }

        return (y, scale);
    }

    private static (double[] Dx, double[] Scale) ReferenceBackward(double[] dy, double[] w, int count, int inputs, int outputs)
    {
        var dx = new double[count * inputs];
        var scale = new double[count * inputs];
        for (int n = 0; n < count; n++)
        {
            for (int i = 0; i < inputs; i++)
            {
                double sum = 0, abs = 0;
                for (int o = 0; o < outputs; o++)
                {
                    sum += dy[n * outputs + o] * w[o * inputs + i];
                    abs += Math.Abs(dy[n * outputs + o] * w[o * inputs + i]);
                }

                dx[n * inputs + i] = sum;
                scale[n * inputs + i] = abs;
            }
        }

        return (dx, scale);
    }

    private static void CheckForward<T>(Random rng, int count, int inputs, int outputs, bool bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = TestData.Uniform<T>(rng, count * inputs);
        T[] w = TestData.Uniform<T>(rng, outputs * inputs);
        T[] b = bias ? TestData.Uniform<T>(rng, outputs) : [];
        T[] y = TestData.Filled(count * outputs, T.NaN);
        DenseKernel.Forward<T>(x, w, b, y, count, inputs, outputs);
        var (expected, scale) = ReferenceForward(TestData.ToDouble<T>(x), TestData.ToDouble<T>(w), TestData.ToDouble<T>(b), count, inputs, outputs);
        TestData.AssertClose<T>(expected, y, TestData.Tolerance<T>(), scale, $"Forward n={count} i={inputs} o={outputs} bias={bias}");
    }

    private static void CheckBackward<T>(Random rng, int count, int inputs, int outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] dy = TestData.Uniform<T>(rng, count * outputs);
        T[] w = TestData.Uniform<T>(rng, outputs * inputs);
        T[] dx = TestData.Filled(count * inputs, T.NaN); // must be overwritten
        DenseKernel.BackwardInput<T>(dy, w, dx, count, inputs, outputs);
        var (expected, scale) = ReferenceBackward(TestData.ToDouble<T>(dy), TestData.ToDouble<T>(w), count, inputs, outputs);
        TestData.AssertClose<T>(expected, dx, TestData.Tolerance<T>(), scale, $"BackwardInput n={count} i={inputs} o={outputs}");
    }

    private static void AllSmallSizes<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(1);
        for (int inputs = 0; inputs <= 40; inputs++)
        {
            foreach (int outputs in s_outputs)
            {
                foreach (int count in s_counts)
                {
                    CheckForward<T>(rng, count, inputs, outputs, bias: (inputs + outputs + count) % 2 == 0);
                    CheckBackward<T>(rng, count, inputs, outputs);
                }
            }
        }
    }

    [Fact]
    public void SmallSizes_Double() => AllSmallSizes<double>();

    [Fact]
    public void SmallSizes_Float() => AllSmallSizes<float>();

    [Fact]
    public void NoBias_MatchesZeroBias()
    {
        var rng = TestData.Rng(2);
        double[] x = TestData.Uniform<double>(rng, 5 * 19);
        double[] w = TestData.Uniform<double>(rng, 11 * 19);
        var y1 = new double[5 * 11];
        var y2 = new double[5 * 11];
        DenseKernel.Forward<double>(x, w, [], y1, 5, 19, 11);
        DenseKernel.Forward<double>(x, w, new double[11], y2, 5, 19, 11);
        Assert.Equal(y2, y1);
    }

    [Theory]
    [InlineData(50, 784, 256)]
    [InlineData(50, 256, 128)]
    [InlineData(50, 128, 10)]
    [InlineData(3, 8, 16)]
    public void LargeSizes_BothTypes(int count, int inputs, int outputs)
    {
        var rng = TestData.Rng(3);
        CheckForward<double>(rng, count, inputs, outputs, bias: true);
        CheckForward<float>(rng, count, inputs, outputs, bias: true);
        CheckBackward<double>(rng, count, inputs, outputs);
        CheckBackward<float>(rng, count, inputs, outputs);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 5)]
    [InlineData(5, 17, 9)]
    [InlineData(4, 33, 6)]
    public void BackwardInput_MatchesFiniteDifferences(int count, int inputs, int outputs)
    {
        var rng = TestData.Rng(4);
        double[] x = TestData.Uniform<double>(rng, count * inputs);
        double[] w = TestData.Uniform<double>(rng, outputs * inputs);
        double[] b = TestData.Uniform<double>(rng, outputs);
        double[] dy = TestData.Uniform<double>(rng, count * outputs);
        var dx = new double[count * inputs];
        DenseKernel.BackwardInput<double>(dy, w, dx, count, inputs, outputs);
        double[] fd = TestData.FiniteDifferenceGradient(
            (p, y) => DenseKernel.Forward<double>(p, w, b, y, count, inputs, outputs), x, dy, count * outputs);
        Assert.True(TestData.RelativeError(dx, fd) < 1e-6);
    }

    private static void CheckPathEnds<T>(Random rng, int inputs, int outputs, bool bias, bool zeroBaseline)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] baseline = zeroBaseline ? new T[inputs] : TestData.Uniform<T>(rng, inputs);
        T[] direction = TestData.Uniform<T>(rng, inputs);
        T[] w = TestData.Uniform<T>(rng, outputs * inputs);
        T[] b = bias ? TestData.Uniform<T>(rng, outputs) : [];
        T[] start = TestData.Filled(outputs, T.NaN), step = TestData.Filled(outputs, T.NaN);
        DenseKernel.PathEnds<T>(baseline, direction, w, b, start, step, inputs, outputs);
        double[] wd = TestData.ToDouble<T>(w), bd = TestData.ToDouble<T>(b);
        var (expectedStart, startScale) = ReferenceForward(TestData.ToDouble<T>(baseline), wd, bd, 1, inputs, outputs);
        var (expectedStep, stepScale) = ReferenceForward(TestData.ToDouble<T>(direction), wd, [], 1, inputs, outputs);
        string context = $"PathEnds i={inputs} o={outputs} bias={bias} zero baseline={zeroBaseline}";
        TestData.AssertClose<T>(expectedStart, start, TestData.Tolerance<T>(), startScale, context + " start");
        TestData.AssertClose<T>(expectedStep, step, TestData.Tolerance<T>(), stepScale, context + " step");
    }

    [Theory]
    [InlineData(784, 256)]
    [InlineData(8, 16)]
    [InlineData(3, 5)]
    [InlineData(33, 7)]
    public void PathEnds_AreBothProducts(int inputs, int outputs)
    {
        var rng = TestData.Rng(inputs * 1000 + outputs);
        foreach (bool bias in new[] { true, false })
        {
            foreach (bool zero in new[] { true, false })
            {
                CheckPathEnds<float>(rng, inputs, outputs, bias, zero);
                CheckPathEnds<double>(rng, inputs, outputs, bias, zero);
            }
        }
    }

    [Fact]
    public void PathEnds_BaselineZeroButOneEntry_IsNotTakenForZero()
    {
        // One nonzero entry at the end must reach the start: the zero test reads the whole baseline.
        double[] baseline = new double[40], direction = new double[40], w = new double[2 * 40], b = [0.5, -1];
        baseline[39] = 2;
        w[39] = 3;
        w[40 + 39] = -1;
        double[] start = new double[2], step = new double[2];
        DenseKernel.PathEnds<double>(baseline, direction, w, b, start, step, 40, 2);
        Assert.Equal([6.5, -3], start);
        Assert.Equal([0.0, 0.0], step);
    }

    [Fact]
    public void PathEnds_BadLengths_Throw()
    {
        double[] x = new double[3], w = new double[6], b = new double[2], y = new double[2];
        TestData.AssertLengthError(() => DenseKernel.PathEnds<double>(new double[2], x, w, b, y, y, 3, 2), 3, 2);
        TestData.AssertLengthError(() => DenseKernel.PathEnds<double>(x, x, w, b, new double[1], y, 3, 2), 2, 1);
        TestData.AssertLengthError(() => DenseKernel.PathEnds<double>(x, x, w, new double[3], y, y, 3, 2), 2, 3);
    }

    [Fact]
    public void BadLengths_Throw()
    {
        double[] x = new double[6], w = new double[12], b = new double[4];
        TestData.AssertLengthError(() => DenseKernel.Forward<double>(x, w, b, new double[7], 2, 3, 4), 8, 7);
        TestData.AssertLengthError(() => DenseKernel.Forward<double>(new double[5], w, b, new double[8], 2, 3, 4), 6, 5);
        TestData.AssertLengthError(() => DenseKernel.Forward<double>(x, new double[11], b, new double[8], 2, 3, 4), 12, 11);
        TestData.AssertLengthError(() => DenseKernel.Forward<double>(x, w, new double[3], new double[8], 2, 3, 4), 4, 3);
        TestData.AssertLengthError(() => DenseKernel.BackwardInput<double>(new double[8], w, new double[5], 2, 3, 4), 6, 5);
        TestData.AssertLengthError(() => DenseKernel.BackwardInput<double>(new double[9], w, new double[6], 2, 3, 4), 8, 9);
        Assert.ThrowsAny<ArgumentException>(() => DenseKernel.Forward<double>(x, w, b, new double[8], -2, 3, 4));
    }

    [Fact]
    public void LongerDestination_WritesOnlyLeadingElements()
    {
        double[] x = [1, 2], w = [3, 4], y = [double.NaN, 42];
        DenseKernel.Forward<double>(x, w, [], y, 1, 2, 1);
        Assert.Equal(new[] { 11.0, 42.0 }, y);
    }
}
