using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>
/// The text kernels: the mean over a sequence against a scalar reference for every feature count 1..70 (all SIMD tails)
/// and its gradient against finite differences; the embedding lookup against its definition and its refusal of bad ids.
/// </summary>
public class TextKernelTests
{
    [Fact]
    public void SequenceMean_MatchesTheMean_Float64() => SequenceMeanSweep<double>();

    [Fact]
    public void SequenceMean_MatchesTheMean_Float32() => SequenceMeanSweep<float>();

    private static void SequenceMeanSweep<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        Random rng = TestData.Rng(8);
        foreach (int length in new[] { 1, 2, 5 })
        {
            for (int features = 1; features <= 70; features++)
            {
                const int count = 2;
                T[] x = TestData.Uniform<T>(rng, count * length * features);
                var y = new T[count * features];
                SequenceMeanKernel.Forward<T>(x, y, count, length, features);
                double[] xd = TestData.ToDouble<T>(x);
                var expected = new double[count * features];
                var scale = new double[count * features];
                for (int n = 0; n < count; n++)
                {
                    for (int d = 0; d < features; d++)
                    {
                        for (int t = 0; t < length; t++)
                        {
                            expected[n * features + d] += xd[(n * length + t) * features + d] / length;
                            scale[n * features + d] += Math.Abs(xd[(n * length + t) * features + d]) / length;
                        }
                    }
                }

                TestData.AssertClose<T>(expected, y, TestData.Tolerance<T>(), scale, $"length {length}, features {features}");
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 7)]
    [InlineData(3, 6, 16)]
    [InlineData(1, 4, 33)]
    public void SequenceMeanBackward_MatchesFiniteDifferences_AndOverwrites(int count, int length, int features)
    {
        Random rng = TestData.Rng(count * 100 + features);
        double[] x = TestData.Uniform<double>(rng, count * length * features);
        double[] dy = TestData.Uniform<double>(rng, count * features);
        double[] expected = TestData.FiniteDifferenceGradient(
            (input, output) => SequenceMeanKernel.Forward<double>(input, output, count, length, features), x, dy, count * features);
        double[] dx = TestData.Filled(x.Length, 123.0); // overwritten, not accumulated into
        SequenceMeanKernel.Backward<double>(dy, dx, count, length, features);
        Assert.True(TestData.RelativeError(dx, expected) < 1e-9, $"relative error {TestData.RelativeError(dx, expected):E2}");
    }

    [Fact]
    public void SequenceMean_BadArguments_ThrowNamingTheParameter()
    {
        var x = new double[2 * 3 * 4];
        var y = new double[2 * 4];
        SequenceMeanKernel.Forward<double>([], [], 0, 3, 4);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => SequenceMeanKernel.Forward<double>(x, new double[7], 2, 3, 4)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => SequenceMeanKernel.Forward<double>(new double[23], y, 2, 3, 4)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => SequenceMeanKernel.Backward<double>(y, new double[25], 2, 3, 4)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentException>(() => SequenceMeanKernel.Forward<double>(x, y, 2, 0, 4)).ParamName);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(2, 9, 33)]
    public void Embedding_CopiesTheRowOfEachId(int count, int length, int dimension)
    {
        const int vocabulary = 6;
        Random rng = TestData.Rng(length * 10 + dimension);
        double[] weight = TestData.Uniform<double>(rng, vocabulary * dimension);
        var ids = new double[count * length];
        for (int k = 0; k < ids.Length; k++)
        {
            ids[k] = rng.Next(vocabulary);
        }

        double[] y = TestData.Filled(count * length * dimension, 123.0);
        EmbeddingKernel.Forward<double>(ids, weight, y, count, length, dimension, vocabulary);
        for (int k = 0; k < ids.Length; k++)
        {
            for (int d = 0; d < dimension; d++)
            {
                // A copy: the table's very value.
                Assert.Equal(weight[(int)ids[k] * dimension + d], y[k * dimension + d]);
            }
        }
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(6.0)]
    [InlineData(0.5)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void Embedding_RefusesAnIdThatIsNotAnIntegerBelowTheVocabulary(double bad)
    {
        var ids = new double[] { 0, 1, 2, 3, 4, bad };
        var error = Assert.Throws<ArgumentException>(() => EmbeddingKernel.Forward<double>(ids, new double[6 * 2], new double[6 * 2], 2, 3, 2, 6));
        Assert.Equal("ids", error.ParamName);
        Assert.Contains("point 1, position 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("from 0 to 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedding_BadLengths_ThrowNamingTheParameter()
    {
        var ids = new double[4];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => EmbeddingKernel.Forward<double>(ids, new double[5], new double[8], 2, 2, 2, 3)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => EmbeddingKernel.Forward<double>(ids, new double[6], new double[7], 2, 2, 2, 3)).ParamName);
        Assert.Equal("ids", Assert.Throws<ArgumentException>(() => EmbeddingKernel.Forward<double>(new double[3], new double[6], new double[8], 2, 2, 2, 3)).ParamName);
    }
}
