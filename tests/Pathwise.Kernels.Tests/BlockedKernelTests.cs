using System;
using System.Numerics;
using System.Threading.Tasks;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>
/// The register-blocked paths of <see cref="DenseKernel"/> and the padded-plane GEMM of <see cref="Conv2DKernel"/>:
/// sizes around every Vector256/Vector512 width and micro-kernel block (rows 1..4 and their tails, output tiles,
/// overlapped last vectors), the few-row matrix-vector path, stride 1 and 2, paddings 0..K+1 (the fallbacks), and
/// steady-state allocation.
/// </summary>
public class BlockedKernelTests
{
    private static readonly int[] s_inputs = [15, 16, 17, 23, 31, 32, 33, 47, 48, 63, 64, 65, 80, 96, 97, 127, 128, 129, 200];
    private static readonly int[] s_outputs = [1, 3, 4, 5, 8, 17, 33, 70];
    private static readonly int[] s_counts = [1, 2, 3, 4, 5, 6, 7, 9];

    private static void CheckDense<T>(Random rng, int count, int inputs, int outputs, bool bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = TestData.Uniform<T>(rng, count * inputs);
        T[] w = TestData.Uniform<T>(rng, outputs * inputs);
        T[] b = bias ? TestData.Uniform<T>(rng, outputs) : [];
        T[] dy = TestData.Uniform<T>(rng, count * outputs);
        // One extra element past each destination: must stay untouched.
        T[] y = TestData.Filled(count * outputs + 1, T.NaN);
        T[] dx = TestData.Filled(count * inputs + 1, T.NaN);
        DenseKernel.Forward<T>(x, w, b, y, count, inputs, outputs);
        DenseKernel.BackwardInput<T>(dy, w, dx, count, inputs, outputs);

        double[] xd = TestData.ToDouble<T>(x), wd = TestData.ToDouble<T>(w), bd = TestData.ToDouble<T>(b), dyd = TestData.ToDouble<T>(dy);
        var ey = new double[count * outputs];
        var sy = new double[count * outputs];
        var edx = new double[count * inputs];
        var sdx = new double[count * inputs];
        for (int n = 0; n < count; n++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias ? bd[o] : 0, abs = bias ? Math.Abs(bd[o]) : 0;
                for (int i = 0; i < inputs; i++)
                {
                    double t = xd[n * inputs + i] * wd[o * inputs + i];
                    sum += t;
                    abs += Math.Abs(t);
                    double g = dyd[n * outputs + o] * wd[o * inputs + i];
                    edx[n * inputs + i] += g;
                    sdx[n * inputs + i] += Math.Abs(g);
                }

                ey[n * outputs + o] = sum;
                sy[n * outputs + o] = abs;
            }
        }

        string context = $"{typeof(T).Name} n={count} i={inputs} o={outputs} bias={bias}";
        TestData.AssertClose<T>(ey, y, TestData.Tolerance<T>(), sy, "Forward " + context);
        TestData.AssertClose<T>(edx, dx, TestData.Tolerance<T>(), sdx, "BackwardInput " + context);
        Assert.True(T.IsNaN(y[^1]), "Forward wrote past its destination " + context);
        Assert.True(T.IsNaN(dx[^1]), "BackwardInput wrote past its destination " + context);
    }

    private static void DenseSweep<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(101);
        foreach (int inputs in s_inputs)
        {
            foreach (int outputs in s_outputs)
            {
                foreach (int count in s_counts)
                {
                    CheckDense<T>(rng, count, inputs, outputs, bias: (inputs + outputs + count) % 2 == 1);
                }
            }
        }
    }

    [Fact]
    public void Dense_BlockedSizes_Float() => DenseSweep<float>();

    [Fact]
    public void Dense_BlockedSizes_Double() => DenseSweep<double>();

    // The packed forward (from 16 rows, 10 outputs) and BackwardInput's GEMM tiles (6 and 7 rows, or wide layers):
    // every count 1..70 around both switches, inputs and outputs off the vector widths, inputs past one block of the
    // packed x^T (256), tiles of 6, 4 and 3 weight rows, strips of one and two vectors.
    private static readonly int[] s_packedInputs = [1, 5, 8, 12, 16, 17, 33, 130, 300];
    private static readonly int[] s_packedOutputs = [1, 3, 9, 10, 11, 16, 17, 33];

    private static void PackedSweep<T>(int firstCount, int lastCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(103);
        for (int count = firstCount; count <= lastCount; count++)
        {
            foreach (int inputs in s_packedInputs)
            {
                foreach (int outputs in s_packedOutputs)
                {
                    CheckDense<T>(rng, count, inputs, outputs, bias: (inputs + outputs + count) % 2 == 0);
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 24)]
    [InlineData(25, 48)]
    [InlineData(49, 70)]
    public void Dense_PackedSizes_Float(int firstCount, int lastCount) => PackedSweep<float>(firstCount, lastCount);

    [Theory]
    [InlineData(1, 24)]
    [InlineData(25, 48)]
    [InlineData(49, 70)]
    public void Dense_PackedSizes_Double(int firstCount, int lastCount) => PackedSweep<double>(firstCount, lastCount);

    [Theory]
    [InlineData(16, 784, 64)]  // the Fashion CNN's hidden layer
    [InlineData(64, 256, 128)] // the MNIST MLP's layers at a batch of 64
    [InlineData(32, 256, 128)]
    [InlineData(64, 128, 10)]
    [InlineData(64, 8, 16)]    // the tiny MLP
    [InlineData(64, 16, 12)]
    [InlineData(50, 784, 70)]  // rows and outputs off every block
    [InlineData(23, 600, 130)] // inputs over two blocks of the packed x^T
    public void Dense_BenchmarkShapes(int count, int inputs, int outputs)
    {
        var rng = TestData.Rng(104);
        CheckDense<float>(rng, count, inputs, outputs, bias: true);
        CheckDense<float>(rng, count, inputs, outputs, bias: false);
        CheckDense<double>(rng, count, inputs, outputs, bias: true);
        CheckDense<double>(rng, count, inputs, outputs, bias: false);
    }

    [Fact]
    public void Dense_PackedForward_InfiniteWeightStaysInItsOutput()
    {
        // The packed forward's padding lanes and repeated weight rows compute values never stored: an infinite weight
        // gives +inf in its own output only, never NaN elsewhere.
        const int count = 17, inputs = 20, outputs = 12;
        var x = new float[count * inputs];
        x.AsSpan().Fill(1f);
        var w = new float[outputs * inputs];
        w.AsSpan().Fill(0.25f);
        w[3 * inputs + 7] = float.PositiveInfinity;
        var y = new float[count * outputs];
        DenseKernel.Forward<float>(x, w, [], y, count, inputs, outputs);
        for (int n = 0; n < count; n++)
        {
            for (int o = 0; o < outputs; o++)
            {
                Assert.Equal(o == 3 ? float.PositiveInfinity : 5f, y[n * outputs + o]);
            }
        }
    }

    [Theory]
    [InlineData(1, 784, 256)] // the path algebra's matrix-vector products
    [InlineData(2, 784, 256)] // endpoint pairs
    [InlineData(3, 784, 250)]
    [InlineData(50, 256, 128)]
    [InlineData(50, 128, 10)]
    [InlineData(50, 784, 64)]
    [InlineData(51, 300, 37)]
    [InlineData(2, 1000, 9)]  // output tile of 4 with a remainder
    public void Dense_LargeBlockedSizes(int count, int inputs, int outputs)
    {
        var rng = TestData.Rng(102);
        CheckDense<float>(rng, count, inputs, outputs, bias: true);
        CheckDense<double>(rng, count, inputs, outputs, bias: false);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    public void Dense_InfiniteWeightGivesInfinityNotNaN(int count)
    {
        // Short output blocks must not reuse a weight row with a zero coefficient (0 * inf = NaN).
        const int inputs = 40, outputs = 5;
        var w = new float[outputs * inputs];
        w.AsSpan().Fill(0.5f);
        w[3] = float.PositiveInfinity; // row 0
        var dy = new float[count * outputs];
        dy.AsSpan().Fill(1f);
        var dx = new float[count * inputs];
        DenseKernel.BackwardInput<float>(dy, w, dx, count, inputs, outputs);
        for (int n = 0; n < count; n++)
        {
            for (int i = 0; i < inputs; i++)
            {
                Assert.Equal(i == 3 ? float.PositiveInfinity : 2.5f, dx[n * inputs + i]);
            }
        }
    }

    // ---- Conv2D ----

    public static TheoryData<int, int, int, int, int, int, int, int> ConvShapes => new()
    {
        // C, H, W, O, K, P, S, count
        { 8, 14, 14, 16, 3, 1, 1, 50 }, // MNIST conv2
        { 1, 28, 28, 8, 3, 1, 1, 1 },   // MNIST conv1, count 1
        { 1, 28, 28, 8, 3, 1, 1, 2 },
        { 3, 9, 31, 5, 3, 0, 1, 2 },
        { 3, 9, 31, 5, 3, 2, 1, 2 },
        { 2, 11, 7, 9, 5, 0, 1, 3 },
        { 2, 11, 7, 9, 5, 1, 1, 3 },
        { 2, 11, 7, 9, 5, 4, 1, 2 },
        { 2, 11, 7, 9, 5, 5, 1, 2 },   // padding > K-1: backward falls back to the direct loops
        { 4, 6, 6, 3, 1, 0, 1, 4 },
        { 4, 6, 6, 3, 1, 1, 1, 2 },    // K = 1 with padding
        { 2, 8, 8, 4, 2, 0, 1, 2 },
        { 2, 8, 8, 4, 2, 1, 1, 2 },
        { 3, 12, 12, 6, 7, 3, 1, 2 },  // largest kernel of the fast path
        { 2, 12, 12, 3, 8, 3, 1, 2 },  // K = 8: direct loops
        { 2, 13, 10, 5, 3, 0, 2, 2 },  // stride 2: direct loops
        { 2, 13, 10, 5, 3, 1, 2, 2 },
        { 2, 13, 10, 5, 3, 2, 2, 2 },
        { 17, 5, 5, 33, 3, 1, 1, 2 },  // many channels, rows not a multiple of 4
        { 1, 1, 40, 2, 1, 0, 1, 3 },
    };

    private static void ConvReference(double[] x, double[] w, double[] b, double[] dy, int count, Conv2DShape s, double[] y, double[] dx)
    {
        for (int n = 0; n < count; n++)
        {
            for (int o = 0; o < s.OutChannels; o++)
            {
                for (int oh = 0; oh < s.OutHeight; oh++)
                {
                    for (int ow = 0; ow < s.OutWidth; ow++)
                    {
                        int yi = ((n * s.OutChannels + o) * s.OutHeight + oh) * s.OutWidth + ow;
                        double sum = b.Length == 0 ? 0 : b[o];
                        for (int j = 0; j < s.GroupInChannels; j++)
                        {
                            int c = o / s.GroupOutChannels * s.GroupInChannels + j;
                            for (int kh = 0; kh < s.KernelHeight; kh++)
                            {
                                for (int kw = 0; kw < s.KernelWidth; kw++)
                                {
                                    int ih = oh * s.StrideHeight + kh * s.DilationHeight - s.PaddingHeight;
                                    int iw = ow * s.StrideWidth + kw * s.DilationWidth - s.PaddingWidth;
                                    if (ih < 0 || ih >= s.Height || iw < 0 || iw >= s.Width)
                                    {
                                        continue;
                                    }

                                    double wt = w[((o * s.GroupInChannels + j) * s.KernelHeight + kh) * s.KernelWidth + kw];
                                    int xi = ((n * s.InChannels + c) * s.Height + ih) * s.Width + iw;
                                    sum += wt * x[xi];
                                    dx[xi] += wt * dy[yi];
                                }
                            }
                        }

                        y[yi] = sum;
                    }
                }
            }
        }
    }

    private static void CheckConv<T>(Conv2DShape shape, int count, bool bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(200 + count);
        T[] x = TestData.Uniform<T>(rng, count * shape.InputLength);
        T[] w = TestData.Uniform<T>(rng, shape.WeightLength);
        T[] b = bias ? TestData.Uniform<T>(rng, shape.OutChannels) : [];
        T[] dy = TestData.Uniform<T>(rng, count * shape.OutputLength);
        T[] y = TestData.Filled(count * shape.OutputLength + 1, T.NaN);
        T[] dx = TestData.Filled(count * shape.InputLength + 1, T.NaN);
        Conv2DKernel.Forward<T>(x, w, b, y, count, shape);
        Conv2DKernel.BackwardInput<T>(dy, w, dx, count, shape);

        var ey = new double[count * shape.OutputLength];
        var edx = new double[count * shape.InputLength];
        ConvReference(TestData.ToDouble<T>(x), TestData.ToDouble<T>(w), TestData.ToDouble<T>(b), TestData.ToDouble<T>(dy), count, shape, ey, edx);
        double tolerance = TestData.Tolerance<T>() * 10;
        TestData.AssertClose<T>(ey, y, tolerance, context: $"Forward {typeof(T).Name} {shape} n={count}");
        TestData.AssertClose<T>(edx, dx, tolerance, context: $"BackwardInput {typeof(T).Name} {shape} n={count}");
        Assert.True(T.IsNaN(y[^1]), "Forward wrote past its destination");
        Assert.True(T.IsNaN(dx[^1]), "BackwardInput wrote past its destination");
    }

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void Conv_MatchesReference(int c, int h, int w, int o, int k, int p, int s, int count)
    {
        var shape = new Conv2DShape(c, h, w, o, k, p, s);
        CheckConv<float>(shape, count, bias: true);
        CheckConv<float>(shape, count, bias: false);
        CheckConv<double>(shape, count, bias: true);
        CheckConv<double>(shape, Math.Min(count, 2), bias: false);
    }

    [Fact]
    public void Conv_AlternatingShapesAndThreads_ReuseScratchCorrectly()
    {
        // Scratch is shared: different sizes in turn, and calls from several threads at once, must not interfere.
        var shapes = new[] { new Conv2DShape(8, 14, 14, 16, 3, 1, 1), new Conv2DShape(1, 28, 28, 8, 3, 1, 1), new Conv2DShape(3, 5, 9, 2, 3, 2, 1) };
        Parallel.For(0, 12, i =>
        {
            Conv2DShape shape = shapes[i % shapes.Length];
            CheckConv<float>(shape, 2, bias: true);
            CheckConv<double>(shape, 1, bias: false);
        });
    }
}

/// <summary>Run alone: the convolution scratch is shared process-wide, so concurrent callers may allocate.</summary>
[CollectionDefinition(nameof(SerialAllocationTests), DisableParallelization = true)]
public class SerialAllocationTests
{
}

[Collection(nameof(SerialAllocationTests))]
public class ConvAllocationTests
{
    // Steady state: some window of repeated calls allocates nothing (the first attempts may see JIT tiering).
    private static void AssertSteadyStateAllocatesNothing(Action calls)
    {
        long delta = -1;
        for (int attempt = 0; attempt < 5 && delta != 0; attempt++)
        {
            calls();
            long before = GC.GetAllocatedBytesForCurrentThread();
            calls();
            delta = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0L, delta);
    }

    [Fact]
    public void Dense_SteadyStateAllocatesNothing()
    {
        float[] x = new float[50 * 256], w = new float[128 * 256], b = new float[128], y = new float[50 * 128], dx = new float[50 * 256];
        AssertSteadyStateAllocatesNothing(() =>
        {
            DenseKernel.Forward<float>(x, w, b, y, 50, 256, 128);
            DenseKernel.BackwardInput<float>(y, w, dx, 50, 256, 128);
            DenseKernel.Forward<float>(x.AsSpan(0, 16 * 256), w.AsSpan(0, 64 * 256), b.AsSpan(0, 64), y.AsSpan(0, 16 * 64), 16, 256, 64);
            DenseKernel.BackwardInput<float>(y.AsSpan(0, 16 * 64), w.AsSpan(0, 64 * 256), dx.AsSpan(0, 16 * 256), 16, 256, 64);
            DenseKernel.Forward<float>(x.AsSpan(0, 256), w, b, y.AsSpan(0, 128), 1, 256, 128);
            DenseKernel.BackwardInput<float>(y.AsSpan(0, 128), w, dx.AsSpan(0, 256), 1, 256, 128);
        });
    }

    [Fact]
    public void Conv_SteadyStateAllocatesNothing()
    {
        var shape = new Conv2DShape(8, 14, 14, 16, 3, 1, 1);
        var first = new Conv2DShape(1, 28, 28, 8, 3, 1, 1);
        float[] x = new float[4 * shape.InputLength], w = new float[shape.WeightLength], b = new float[16], y = new float[4 * shape.OutputLength];
        float[] dx = new float[x.Length], w1 = new float[first.WeightLength], y1 = new float[first.OutputLength];
        AssertSteadyStateAllocatesNothing(() =>
        {
            Conv2DKernel.Forward<float>(x.AsSpan(0, first.InputLength), w1, [], y1, 1, first);
            Conv2DKernel.Forward<float>(x, w, b, y, 4, shape);
            Conv2DKernel.BackwardInput<float>(y, w, dx, 4, shape);
            Conv2DKernel.BackwardInput<float>(y1, w1, dx.AsSpan(0, first.InputLength), 1, first);
        });
    }
}
