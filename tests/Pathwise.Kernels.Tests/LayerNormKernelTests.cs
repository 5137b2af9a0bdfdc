using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>Layer normalisation against a scalar reference for 1..40 features, its backward and tangent against central differences, and its bad cases.</summary>
public class LayerNormKernelTests
{
    private static double[] Reference(double[] x, double[] gamma, double[] beta, int count, int features, double epsilon)
    {
        var y = new double[x.Length];
        for (int n = 0; n < count; n++)
        {
            double mean = 0, variance = 0;
            for (int i = 0; i < features; i++)
            {
                mean += x[n * features + i] / features;
            }

            for (int i = 0; i < features; i++)
            {
                variance += (x[n * features + i] - mean) * (x[n * features + i] - mean) / features;
            }

            for (int i = 0; i < features; i++)
            {
                y[n * features + i] = gamma[i] * (x[n * features + i] - mean) / Math.Sqrt(variance + epsilon) + beta[i];
            }
        }

        return y;
    }

    [Fact]
    public void Forward_MatchesTheDefinition_Float64() => ForwardSweep<double>();

    [Fact]
    public void Forward_MatchesTheDefinition_Float32() => ForwardSweep<float>();

    private static void ForwardSweep<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        Random rng = TestData.Rng(9);
        for (int features = 1; features <= 40; features++)
        {
            const int count = 3;
            T[] x = TestData.Uniform<T>(rng, count * features, -2, 2);
            T[] gamma = TestData.Uniform<T>(rng, features);
            T[] beta = TestData.Uniform<T>(rng, features);
            var y = new T[x.Length];
            LayerNormKernel.Forward<T>(x, gamma, beta, y, count, features, T.CreateChecked(1e-5));
            double[] expected = Reference(TestData.ToDouble<T>(x), TestData.ToDouble<T>(gamma), TestData.ToDouble<T>(beta), count, features, 1e-5);

            // xhat is O(sqrt F), and float32 rounds the statistics: scale the bound by it.
            TestData.AssertClose<T>(expected, y, TestData.Tolerance<T>() * Math.Sqrt(features), context: $"features {features}");
        }
    }

    // Two features are degenerate: xhat is then +-sqrt(var / (var + eps)) whatever x is, so the Jacobian is O(eps)
    // and a relative comparison measures only finite-difference noise. Three or more give a Jacobian of order r.
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 5)]
    [InlineData(3, 17)]
    public void Backward_AndTangent_MatchCentralDifferences(int count, int features)
    {
        Random rng = TestData.Rng(features);
        double[] x = TestData.Uniform<double>(rng, count * features, -2, 2);
        double[] gamma = TestData.Uniform<double>(rng, features);
        double[] beta = TestData.Uniform<double>(rng, features);
        double[] dy = TestData.Uniform<double>(rng, x.Length);
        double[] t = TestData.Uniform<double>(rng, x.Length);
        const double epsilon = 1e-3;
        TestData.Forward f = (input, output) => LayerNormKernel.Forward<double>(input, gamma, beta, output, count, features, epsilon);

        double[] dx = TestData.Filled(x.Length, 7.0); // overwritten, not accumulated into
        LayerNormKernel.Backward<double>(x, gamma, dy, dx, count, features, epsilon);
        double[] expectedDx = TestData.FiniteDifferenceGradient(f, x, dy, x.Length);
        Assert.True(TestData.RelativeError(dx, expectedDx) < 1e-8, $"backward relative error {TestData.RelativeError(dx, expectedDx):E2}");

        double[] ty = TestData.Filled(x.Length, 7.0);
        LayerNormKernel.Tangent<double>(x, gamma, t, ty, count, features, epsilon);
        double[] expectedTy = TestData.FiniteDifferenceTangent(f, x, t, x.Length);
        Assert.True(TestData.RelativeError(ty, expectedTy) < 1e-8, $"tangent relative error {TestData.RelativeError(ty, expectedTy):E2}");
    }

    [Fact]
    public void OneFeature_GivesTheShift_AndZeroGradient()
    {
        var y = new double[2];
        LayerNormKernel.Forward<double>([3.0, -4.0], [2.0], [0.25], y, 2, 1, 1e-5);
        Assert.Equal([0.25, 0.25], y);
        var dx = new double[] { 9, 9 };
        LayerNormKernel.Backward<double>([3.0, -4.0], [2.0], [1.0, 1.0], dx, 2, 1, 1e-5);
        Assert.Equal([0.0, 0.0], dx);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheParameter()
    {
        var x = new double[6];
        var g = new double[3];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LayerNormKernel.Forward<double>(x, g, g, new double[5], 2, 3, 1e-5)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentException>(() => LayerNormKernel.Forward<double>(x, g, new double[2], new double[6], 2, 3, 1e-5)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => LayerNormKernel.Backward<double>(x, new double[4], x, new double[6], 2, 3, 1e-5)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => LayerNormKernel.Backward<double>(x, g, new double[5], new double[6], 2, 3, 1e-5)).ParamName);
        Assert.Equal("tx", Assert.Throws<ArgumentException>(() => LayerNormKernel.Tangent<double>(x, g, new double[7], new double[6], 2, 3, 1e-5)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentException>(() => LayerNormKernel.Forward<double>(x, g, g, new double[6], 2, 3, 0)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => LayerNormKernel.Forward<double>([], [], [], [], 2, 0, 1e-5)).ParamName);
    }
}
