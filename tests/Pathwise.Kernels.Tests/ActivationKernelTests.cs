using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

public class ActivationKernelTests
{
    private const double Slope = 0.07;

    public delegate void ForwardKernel<T>(ReadOnlySpan<T> z, Span<T> a);

    public delegate void BackwardKernel<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> da, Span<T> dz);

    public delegate void TangentKernel<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta);

    /// <summary>One elementwise activation: the kernels and a scalar double reference for f and f'.</summary>
    private sealed record Activation<T>(
        string Name,
        ForwardKernel<T> Forward,
        BackwardKernel<T> Backward,
        TangentKernel<T> Tangent,
        bool BackwardTakesOutput,
        Func<double, double> F,
        Func<double, double> Derivative,
        double Range);

    private static double Erf(double x) => SpecialFunctions.Erf(x);

    private static double GeluTanhRef(double z) => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));

    private static Activation<T>[] All<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T slope = T.CreateTruncating(Slope);
        double slopeD = double.CreateTruncating(slope);
        return
        [
            new("ReLU", ActivationKernel.ReLU, ActivationKernel.ReLUBackward, ActivationKernel.ReLUTangent, false,
                z => Math.Max(z, 0), z => z > 0 ? 1 : 0, 3),
            new("LeakyReLU", (z, a) => ActivationKernel.LeakyReLU(z, a, slope), (z, g, d) => ActivationKernel.LeakyReLUBackward(z, g, d, slope),
                (z, a, t, d) => ActivationKernel.LeakyReLUTangent(z, a, t, d, slope), false,
                z => z > 0 ? z : slopeD * z, z => z > 0 ? 1 : slopeD, 3),
            new("Tanh", ActivationKernel.Tanh, ActivationKernel.TanhBackward, ActivationKernel.TanhTangent, true,
                Math.Tanh, z => 1 - Math.Tanh(z) * Math.Tanh(z), 4),
            new("Sigmoid", ActivationKernel.Sigmoid, ActivationKernel.SigmoidBackward, ActivationKernel.SigmoidTangent, true,
                z => 1 / (1 + Math.Exp(-z)), z => Math.Exp(-z) / ((1 + Math.Exp(-z)) * (1 + Math.Exp(-z))), 6),
            new("Gelu", ActivationKernel.Gelu, ActivationKernel.GeluBackward, ActivationKernel.GeluTangent, false,
                z => 0.5 * z * (1 + Erf(z / Math.Sqrt(2))),
                z => 0.5 * (1 + Erf(z / Math.Sqrt(2))) + z * Math.Exp(-z * z / 2) / Math.Sqrt(2 * Math.PI), 6),
            new("GeluTanh", ActivationKernel.GeluTanh, ActivationKernel.GeluTanhBackward, ActivationKernel.GeluTanhTangent, false,
                GeluTanhRef,
                z =>
                {
                    double k = Math.Sqrt(2 / Math.PI), t = Math.Tanh(k * (z + 0.044715 * z * z * z));
                    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * k * (1 + 3 * 0.044715 * z * z);
                }, 5),
        ];
    }

    private static void CheckElementwise<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double tol = typeof(T) == typeof(float) ? 1e-5 : 1e-13;
        foreach (Activation<T> act in All<T>())
        {
            var rng = TestData.Rng(60);
            for (int length = 0; length <= 256; length++)
            {
                string context = $"{act.Name}<{typeof(T).Name}> length {length}";
                T[] z = TestData.Uniform<T>(rng, length, -act.Range, act.Range);
                T[] g = TestData.Uniform<T>(rng, length);
                if (length > 3)
                {
                    z[1] = T.Zero; // derivative at the kink
                }

                double[] zd = TestData.ToDouble<T>(z), gd = TestData.ToDouble<T>(g);
                var expectedA = new double[length];
                var expectedD = new double[length];
                for (int i = 0; i < length; i++)
                {
                    expectedA[i] = act.F(zd[i]);
                    expectedD[i] = gd[i] * act.Derivative(zd[i]);
                }

                T[] a = TestData.Filled(length, T.NaN);
                act.Forward(z, a);
                TestData.AssertClose<T>(expectedA, a, tol, context: context + " forward");

                // In place forward (a is z).
                T[] inPlace = (T[])z.Clone();
                act.Forward(inPlace, inPlace);
                Assert.Equal(a, inPlace);

                // Backward reads z or a (by kind); float uses the kernel's own a, so compare against its derivative.
                ReadOnlySpan<T> input = act.BackwardTakesOutput ? a : z;
                T[] dz = TestData.Filled(length, T.NaN);
                act.Backward(input, g, dz);
                TestData.AssertClose<T>(expectedD, dz, tol * 10, context: context + " backward");

                // In place backward (dz is da).
                T[] gInPlace = (T[])g.Clone();
                act.Backward(input, gInPlace, gInPlace);
                Assert.Equal(dz, gInPlace);

                // Tangent has the same diagonal Jacobian; also in place (ta is tz) and with the unused input empty.
                T[] ta = TestData.Filled(length, T.NaN);
                act.Tangent(z, a, g, ta);
                Assert.Equal(dz, ta);
                T[] tInPlace = (T[])g.Clone();
                if (act.BackwardTakesOutput)
                {
                    act.Tangent([], a, tInPlace, tInPlace);
                }
                else
                {
                    act.Tangent(z, [], tInPlace, tInPlace);
                }

                Assert.Equal(dz, tInPlace);
            }
        }
    }

    [Fact]
    public void Elementwise_MatchReference_Double() => CheckElementwise<double>();

    [Fact]
    public void Elementwise_MatchReference_Float() => CheckElementwise<float>();

    [Fact]
    public void Elementwise_BackwardAndTangent_MatchFiniteDifferences()
    {
        foreach (Activation<double> act in All<double>())
        {
            var rng = TestData.Rng(61);
            double[] z = TestData.AwayFromZero<double>(rng, 67, 0.05, act.Range);
            double[] g = TestData.Uniform<double>(rng, z.Length);
            var a = new double[z.Length];
            act.Forward(z, a);

            var dz = new double[z.Length];
            act.Backward(act.BackwardTakesOutput ? a : z, g, dz);
            double[] fd = TestData.FiniteDifferenceGradient((x, y) => act.Forward(x, y), z, g, z.Length);
            Assert.True(TestData.RelativeError(dz, fd) < 1e-6, act.Name + " backward");

            var ta = new double[z.Length];
            act.Tangent(z, a, g, ta);
            double[] fdt = TestData.FiniteDifferenceTangent((x, y) => act.Forward(x, y), z, g, z.Length);
            Assert.True(TestData.RelativeError(ta, fdt) < 1e-6, act.Name + " tangent");
        }
    }

    [Fact]
    public void ReLU_DerivativeAtZeroIsZero_LeakyIsSlope()
    {
        double[] z = [0.0, -0.0, 1, -1];
        double[] g = [1, 1, 1, 1];
        var dz = new double[4];
        ActivationKernel.ReLUBackward<double>(z, g, dz);
        Assert.Equal(new double[] { 0, 0, 1, 0 }, dz);
        ActivationKernel.LeakyReLUBackward<double>(z, g, dz, 0.25);
        Assert.Equal(new double[] { 0.25, 0.25, 1, 0.25 }, dz);
    }

    [Fact]
    public void Elementwise_BadLengths_Throw()
    {
        TestData.AssertLengthError(() => ActivationKernel.ReLU<double>(new double[9], new double[8]), 9, 8);
        TestData.AssertLengthError(() => ActivationKernel.Tanh<float>(new float[33], new float[32]), 33, 32);
        TestData.AssertLengthError(() => ActivationKernel.Gelu<double>(new double[5], new double[4]), 5, 4);
        TestData.AssertLengthError(() => ActivationKernel.ReLUBackward<double>(new double[9], new double[9], new double[8]), 9, 8);
        TestData.AssertLengthError(() => ActivationKernel.SigmoidBackward<double>(new double[9], new double[10], new double[9]), 9, 10);
        TestData.AssertLengthError(() => ActivationKernel.TanhTangent<double>([], new double[9], new double[9], new double[7]), 9, 7);
        TestData.AssertLengthError(() => ActivationKernel.ReLUTangent<double>(new double[9], new double[3], new double[9], new double[9]), 9, 3);
        TestData.AssertLengthError(() => ActivationKernel.GeluTangent<double>(new double[9], [], new double[8], new double[9]), 9, 8);
    }

    // ---------------- softmax family ----------------

    private static double[] SoftmaxRef(double[] z, int count, int classes, bool log)
    {
        var result = new double[z.Length];
        for (int n = 0; n < count; n++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < classes; j++)
            {
                max = Math.Max(max, z[n * classes + j]);
            }

            for (int j = 0; j < classes; j++)
            {
                sum += Math.Exp(z[n * classes + j] - max);
            }

            for (int j = 0; j < classes; j++)
            {
                double shifted = z[n * classes + j] - max;
                result[n * classes + j] = log ? shifted - Math.Log(sum) : Math.Exp(shifted) / sum;
            }
        }

        return result;
    }

    private static void CheckSoftmax<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double tol = typeof(T) == typeof(float) ? 2e-6 : 1e-14;
        var rng = TestData.Rng(70);
        foreach (int count in new[] { 0, 1, 2, 5 })
        {
            for (int classes = 1; classes <= 40; classes++)
            {
                int length = count * classes;
                T[] z = TestData.Uniform<T>(rng, length, -8, 8);
                T[] g = TestData.Uniform<T>(rng, length);
                double[] zd = TestData.ToDouble<T>(z), gd = TestData.ToDouble<T>(g);
                foreach (bool log in new[] { false, true })
                {
                    string context = $"{(log ? "LogSoftmax" : "Softmax")}<{typeof(T).Name}> {count}x{classes}";
                    double[] expected = SoftmaxRef(zd, count, classes, log);
                    T[] a = TestData.Filled(length, T.NaN);
                    if (log)
                    {
                        ActivationKernel.LogSoftmax<T>(z, a, count, classes);
                    }
                    else
                    {
                        ActivationKernel.Softmax<T>(z, a, count, classes);
                    }

                    TestData.AssertClose<T>(expected, a, tol * 10, context: context);
                    T[] inPlace = (T[])z.Clone();
                    if (log)
                    {
                        ActivationKernel.LogSoftmax<T>(inPlace, inPlace, count, classes);
                    }
                    else
                    {
                        ActivationKernel.Softmax<T>(inPlace, inPlace, count, classes);
                    }

                    Assert.Equal(a, inPlace);

                    // Reference backward and tangent from the kernel's own output a (as double).
                    double[] ad = TestData.ToDouble<T>(a);
                    var backward = new double[length];
                    var tangent = new double[length];
                    for (int n = 0; n < count; n++)
                    {
                        double sumG = 0, dotAG = 0, dotPG = 0;
                        for (int j = n * classes; j < (n + 1) * classes; j++)
                        {
                            sumG += gd[j];
                            dotAG += ad[j] * gd[j];
                            dotPG += Math.Exp(ad[j]) * gd[j];
                        }

                        for (int j = n * classes; j < (n + 1) * classes; j++)
                        {
                            backward[j] = log ? gd[j] - Math.Exp(ad[j]) * sumG : ad[j] * (gd[j] - dotAG);
                            tangent[j] = log ? gd[j] - dotPG : ad[j] * (gd[j] - dotAG);
                        }
                    }

                    T[] dz = TestData.Filled(length, T.NaN);
                    T[] ta = TestData.Filled(length, T.NaN);
                    T[] gInPlace = (T[])g.Clone();
                    T[] tInPlace = (T[])g.Clone();
                    if (log)
                    {
                        ActivationKernel.LogSoftmaxBackward<T>(a, g, dz, count, classes);
                        ActivationKernel.LogSoftmaxBackward<T>(a, gInPlace, gInPlace, count, classes);
                        ActivationKernel.LogSoftmaxTangent<T>(a, g, ta, count, classes);
                        ActivationKernel.LogSoftmaxTangent<T>(a, tInPlace, tInPlace, count, classes);
                    }
                    else
                    {
                        ActivationKernel.SoftmaxBackward<T>(a, g, dz, count, classes);
                        ActivationKernel.SoftmaxBackward<T>(a, gInPlace, gInPlace, count, classes);
                        ActivationKernel.SoftmaxTangent<T>(a, g, ta, count, classes);
                        ActivationKernel.SoftmaxTangent<T>(a, tInPlace, tInPlace, count, classes);
                    }

                    TestData.AssertClose<T>(backward, dz, tol * 20, context: context + " backward");
                    TestData.AssertClose<T>(tangent, ta, tol * 20, context: context + " tangent");
                    Assert.Equal(dz, gInPlace);
                    Assert.Equal(ta, tInPlace);
                }
            }
        }
    }

    [Fact]
    public void Softmax_MatchReference_Double() => CheckSoftmax<double>();

    [Fact]
    public void Softmax_MatchReference_Float() => CheckSoftmax<float>();

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(2, 10)]
    [InlineData(4, 17)]
    public void Softmax_BackwardAndTangent_MatchFiniteDifferences(int count, int classes)
    {
        var rng = TestData.Rng(71);
        double[] z = TestData.Uniform<double>(rng, count * classes, -3, 3);
        double[] g = TestData.Uniform<double>(rng, z.Length);
        foreach (bool log in new[] { false, true })
        {
            TestData.Forward forward = log
                ? (x, y) => ActivationKernel.LogSoftmax<double>(x, y, count, classes)
                : (x, y) => ActivationKernel.Softmax<double>(x, y, count, classes);
            var a = new double[z.Length];
            forward(z, a);
            var dz = new double[z.Length];
            var ta = new double[z.Length];
            if (log)
            {
                ActivationKernel.LogSoftmaxBackward<double>(a, g, dz, count, classes);
                ActivationKernel.LogSoftmaxTangent<double>(a, g, ta, count, classes);
            }
            else
            {
                ActivationKernel.SoftmaxBackward<double>(a, g, dz, count, classes);
                ActivationKernel.SoftmaxTangent<double>(a, g, ta, count, classes);
            }

            double[] fd = TestData.FiniteDifferenceGradient(forward, z, g, z.Length);
            double[] fdt = TestData.FiniteDifferenceTangent(forward, z, g, z.Length);
            if (classes == 1)
            {
                // Constant output: exact zeros.
                Assert.All(dz, v => Assert.Equal(0, v, 1e-15));
                Assert.All(ta, v => Assert.Equal(0, v, 1e-15));
                continue;
            }

            Assert.True(TestData.RelativeError(dz, fd) < 1e-6, $"log={log} backward");
            Assert.True(TestData.RelativeError(ta, fdt) < 1e-6, $"log={log} tangent");
        }
    }

    [Fact]
    public void Softmax_LargeLogits_AreStable()
    {
        double[] z = [1000, 1001, 999];
        var a = new double[3];
        ActivationKernel.Softmax<double>(z, a, 1, 3);
        Assert.All(a, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(1.0, a[0] + a[1] + a[2], 1e-15);
        ActivationKernel.LogSoftmax<double>(z, a, 1, 3);
        Assert.Equal(-0.40760596444437555, a[1], 1e-14);
    }

    [Fact]
    public void Softmax_BadLengths_Throw()
    {
        TestData.AssertLengthError(() => ActivationKernel.Softmax<double>(new double[12], new double[11], 3, 4), 12, 11);
        TestData.AssertLengthError(() => ActivationKernel.LogSoftmax<double>(new double[13], new double[12], 3, 4), 12, 13);
        TestData.AssertLengthError(() => ActivationKernel.SoftmaxBackward<double>(new double[12], new double[11], new double[12], 3, 4), 12, 11);
        TestData.AssertLengthError(() => ActivationKernel.LogSoftmaxBackward<double>(new double[12], new double[12], new double[10], 3, 4), 12, 10);
        TestData.AssertLengthError(() => ActivationKernel.SoftmaxTangent<double>(new double[12], new double[12], new double[10], 3, 4), 12, 10);
        TestData.AssertLengthError(() => ActivationKernel.LogSoftmaxTangent<double>(new double[12], new double[14], new double[12], 3, 4), 12, 14);
    }
}
