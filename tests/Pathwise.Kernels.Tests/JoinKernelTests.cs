using System;
using System.Numerics;
using Pathwise.CompilerServices.Kernels;
using Xunit;

namespace Pathwise.Kernels.Tests;

/// <summary>The joins' kernels (a residual sum, a concatenation) against scalar references, every tail length, in place, and bad input.</summary>
public class JoinKernelTests
{
    private static void CheckAdd<T>(int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = TestData.Rng(500 + length);
        T[] x = TestData.Uniform<T>(rng, length);
        T[] y = TestData.Uniform<T>(rng, length);
        var expected = new T[length];
        for (int i = 0; i < length; i++)
        {
            expected[i] = x[i] + y[i];
        }

        T[] sum = TestData.Filled(length, T.NaN);
        JoinKernel.Add<T>(x, y, sum);
        Assert.Equal(expected, sum);

        T[] inPlace = (T[])x.Clone();
        JoinKernel.Add<T>(inPlace, y, inPlace);
        Assert.Equal(expected, inPlace);
    }

    [Fact]
    public void Add_IsTheElementwiseSum_ForEveryTail()
    {
        for (int length = 0; length <= 256; length++)
        {
            CheckAdd<float>(length);
            CheckAdd<double>(length);
        }
    }

    [Theory]
    [InlineData(0, 3, 7, 2)]
    [InlineData(1, 1, 1, 0)]
    [InlineData(3, 5, 12, 0)]
    [InlineData(3, 5, 12, 7)]
    [InlineData(4, 33, 70, 20)]
    public void Concat_CopiesTheBlockForward_AndOverwritesOrAddsBackward(int count, int sourceLength, int destinationLength, int offset)
    {
        var rng = TestData.Rng(600 + count + sourceLength + offset);
        double[] source = TestData.Uniform<double>(rng, count * sourceLength);
        double[] destination = TestData.Uniform<double>(rng, count * destinationLength);
        double[] before = (double[])destination.Clone();
        JoinKernel.ConcatForward<double>(source, destination, count, sourceLength, destinationLength, offset);
        for (int k = 0; k < count; k++)
        {
            for (int j = 0; j < destinationLength; j++)
            {
                bool inBlock = j >= offset && j < offset + sourceLength;
                Assert.Equal(inBlock ? source[(k * sourceLength) + j - offset] : before[(k * destinationLength) + j], destination[(k * destinationLength) + j]);
            }
        }

        double[] dz = TestData.Uniform<double>(rng, count * destinationLength);
        double[] dx = TestData.Uniform<double>(rng, count * sourceLength);
        double[] prior = (double[])dx.Clone();
        JoinKernel.ConcatBackward<double>(dz, dx, count, sourceLength, destinationLength, offset, accumulate: false);
        double[] overwritten = (double[])dx.Clone();
        prior.CopyTo(dx, 0);
        JoinKernel.ConcatBackward<double>(dz, dx, count, sourceLength, destinationLength, offset, accumulate: true);
        for (int k = 0; k < count; k++)
        {
            for (int i = 0; i < sourceLength; i++)
            {
                double block = dz[(k * destinationLength) + offset + i];
                Assert.Equal(block, overwritten[(k * sourceLength) + i]);
                Assert.Equal(prior[(k * sourceLength) + i] + block, dx[(k * sourceLength) + i]);
            }
        }
    }

    [Fact]
    public void BadLengths_AreRefused_NamingTheArgument()
    {
        Assert.Throws<ArgumentException>(() => JoinKernel.Add<float>(new float[4], new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => JoinKernel.Add<float>(new float[4], new float[4], new float[3]));
        ArgumentException offset = Assert.Throws<ArgumentException>(() => JoinKernel.ConcatForward<float>(new float[6], new float[10], 2, 3, 5, 3));
        Assert.Equal("offset", offset.ParamName);
        Assert.Throws<ArgumentException>(() => JoinKernel.ConcatForward<float>(new float[5], new float[10], 2, 3, 5, 0));
        Assert.Throws<ArgumentException>(() => JoinKernel.ConcatBackward<float>(new float[10], new float[5], 2, 3, 5, 0, accumulate: false));
    }
}
