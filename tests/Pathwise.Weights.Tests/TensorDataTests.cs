using System;
using Xunit;

namespace Pathwise.Weights.Tests;

public sealed class TensorDataTests
{
    [Fact]
    public void Constructor_RejectsAValueCountThatDoesNotMatchTheShape()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new TensorData("w", new[] { 2, 3 }, new double[5]));

        Assert.Contains("Tensor 'w' has shape [2, 3] (6 elements) but 5 values were given", error.Message);
    }

    [Fact]
    public void Constructor_RejectsNegativeDimensions()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new TensorData("w", new[] { 2, -1 }, Array.Empty<double>()));

        Assert.Contains("negative dimension -1 at index 1", error.Message);
    }

    [Fact]
    public void Constructor_ScalarHasOneElement_AndShapeIsCopied()
    {
        int[] shape = Array.Empty<int>();
        var scalar = new TensorData("s", shape, new[] { 4.0 });

        Assert.Equal(0, scalar.Shape.Length);
        Assert.Equal(TensorDType.F64, scalar.StoredAs);
        Assert.Throws<ArgumentException>(() => new TensorData("s", shape, Array.Empty<double>()));
    }

    [Fact]
    public void From_WidensFloatsExactly_AndCopiesDoubles()
    {
        float[] floats = { 0.1f, -3.5f };
        double[] doubles = { 0.1, -3.5 };

        TensorData fromFloat = TensorData.From("f", new[] { 2 }, floats);
        TensorData fromDouble = TensorData.From("d", new[] { 1, 2 }, doubles);
        doubles[0] = 99;

        Assert.Equal(new[] { (double)0.1f, -3.5 }, fromFloat.Values);
        Assert.Equal(TensorDType.F32, fromFloat.StoredAs);
        Assert.Equal(new[] { 0.1, -3.5 }, fromDouble.Values);
        Assert.Equal(TensorDType.F64, fromDouble.StoredAs);
        Assert.Throws<ArgumentException>(() => TensorData.From("f", new[] { 3 }, floats));
    }
}
