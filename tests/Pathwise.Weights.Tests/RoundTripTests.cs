using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using Xunit;

namespace Pathwise.Weights.Tests;

public sealed class RoundTripTests
{
    private static readonly TensorData[] Sample =
    {
        new("fc1.weight", new[] { 2, 3 }, new[] { 1.0, -2.5, 0.125, 3.0, -0.0, 1024.0 }),
        new("fc1.bias", new[] { 3 }, new[] { 0.5, -0.25, 7.0 }),
        new("scale", Array.Empty<int>(), new[] { 2.0 }),
        new("empty", new[] { 0, 4 }, Array.Empty<double>()),
    };

    [Theory]
    [InlineData(TensorDType.F16)]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.F32)]
    [InlineData(TensorDType.F64)]
    public void ExactlyRepresentableValues_RoundTripExactly_InEveryWritableDType(TensorDType dtype)
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");

        SafeTensors.Write(path, Sample, dtype);
        IReadOnlyDictionary<string, TensorData> read = SafeTensors.Read(path);

        Assert.Equal(Sample.Length, read.Count);
        foreach (TensorData expected in Sample)
        {
            TensorData actual = read[expected.Name];
            Assert.Equal(expected.Name, actual.Name);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Values, actual.Values);
            Assert.Equal(dtype, actual.StoredAs);
        }

        Assert.Equal(new[] { "model.safetensors" }, dir.FileNames());
    }

    [Fact]
    public void F64_RoundTripsArbitraryDoublesBitForBit()
    {
        double[] values = { Math.PI, -Math.E, double.Epsilon, double.MaxValue, 1e-300, double.NaN, double.PositiveInfinity, -0.0 };
        var tensor = new TensorData("x", new[] { values.Length }, values);

        double[] read = SafeTensors.Read(SafeTensors.Serialize(new[] { tensor }, TensorDType.F64), "mem")["x"].Values.ToArray();

        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(values[i]), BitConverter.DoubleToInt64Bits(read[i]));
        }
    }

    [Fact]
    public void F32_RoundsEachValueOnceToNearestEven()
    {
        double[] values = { Math.PI, 0.1, -1e-40, 1e39, 1.0 + Math.Pow(2, -24), 1.0 + 3 * Math.Pow(2, -24) };
        double[] read = RoundTrip(values, TensorDType.F32);

        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal((double)(float)values[i], read[i]);
        }

        Assert.Equal(1.0, read[4]); // tie between 1 and 1 + 2^-23 goes to even (1)
        Assert.Equal(1.0 + Math.Pow(2, -22), read[5]); // tie goes to even upper neighbour
        Assert.Equal(double.PositiveInfinity, read[3]);
    }

    [Fact]
    public void F16_StaysWithinHalfAnUlp()
    {
        var random = new Random(12345);
        var values = new double[512];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextDouble() - 0.5) * 200.0;
        }

        double[] read = RoundTrip(values, TensorDType.F16);

        for (int i = 0; i < values.Length; i++)
        {
            // binary16 keeps 11 significant bits: relative error at most 2^-11.
            Assert.True(Math.Abs(read[i] - values[i]) <= Math.Abs(values[i]) * Math.Pow(2, -11) + 1e-7, $"{values[i]} -> {read[i]}");
            Assert.Equal((double)(Half)values[i], read[i]);
        }
    }

    [Fact]
    public void BF16_StaysWithinHalfAnUlp()
    {
        var random = new Random(54321);
        var values = new double[512];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-20, 20));
        }

        double[] read = RoundTrip(values, TensorDType.BF16);

        for (int i = 0; i < values.Length; i++)
        {
            // bfloat16 keeps 8 significant bits: relative error at most 2^-8.
            Assert.True(Math.Abs(read[i] - values[i]) <= Math.Abs(values[i]) * Math.Pow(2, -8), $"{values[i]} -> {read[i]}");
        }
    }

    [Theory]
    [InlineData(TensorDType.F16, 1.0, 0x3C00)]
    [InlineData(TensorDType.F16, -2.0, 0xC000)]
    [InlineData(TensorDType.F16, 0.5, 0x3800)]
    [InlineData(TensorDType.F16, 65504.0, 0x7BFF)]
    [InlineData(TensorDType.F16, 65520.0, 0x7C00)] // halfway to the next binade rounds to even: infinity
    [InlineData(TensorDType.F16, 5.9604644775390625e-08, 0x0001)] // smallest subnormal
    [InlineData(TensorDType.BF16, 1.0, 0x3F80)]
    [InlineData(TensorDType.BF16, -2.0, 0xC000)]
    [InlineData(TensorDType.BF16, 3.140625, 0x4049)]
    [InlineData(TensorDType.BF16, 1.00390625, 0x3F80)] // 1 + 2^-8: tie, rounds to even (down)
    [InlineData(TensorDType.BF16, 1.01171875, 0x3F82)] // 1 + 3·2^-8: tie, rounds to even (up)
    public void TwoByteDTypes_WriteKnownBitPatterns(TensorDType dtype, double value, int expectedBits)
    {
        byte[] file = SafeTensors.Serialize(new[] { new TensorData("x", new[] { 1 }, new[] { value }) }, dtype);

        ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(file.Length - 2));
        Assert.Equal(expectedBits, bits);
    }

    [Theory]
    [InlineData(TensorDType.F16, 0x3C01)] // 1 + 2^-11 + 2^-40 is just above the F16 tie: rounds up
    [InlineData(TensorDType.BF16, 0x3F81)] // 1 + 2^-8 + 2^-40 is just above the BF16 tie: rounds up
    public void TwoByteDTypes_RoundOnceFromDouble_NotThroughSingle(TensorDType dtype, int expectedBits)
    {
        // Through float the 2^-40 is lost first, leaving an exact tie that would round down to 1.0.
        double value = 1.0 + Math.Pow(2, dtype == TensorDType.F16 ? -11 : -8) + Math.Pow(2, -40);

        byte[] file = SafeTensors.Serialize(new[] { new TensorData("x", new[] { 1 }, new[] { value }) }, dtype);

        Assert.Equal(expectedBits, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(file.Length - 2)));
    }

    [Fact]
    public void BF16_KeepsSpecialValues()
    {
        double[] values = { double.PositiveInfinity, double.NegativeInfinity, double.NaN, -0.0, 3.39e38, 3.4e38, 1e-50 };

        double[] read = RoundTrip(values, TensorDType.BF16);

        Assert.Equal(double.PositiveInfinity, read[0]);
        Assert.Equal(double.NegativeInfinity, read[1]);
        Assert.True(double.IsNaN(read[2]));
        Assert.True(double.IsNegative(read[3]) && read[3] == 0.0);
        Assert.Equal(3.3895313892515355e38, read[4]); // largest finite bfloat16: 3.39e38 is below the overflow tie
        Assert.Equal(double.PositiveInfinity, read[5]); // 3.4e38 is a finite float but above the bfloat16 overflow tie
        Assert.Equal(0.0, read[6]);
    }

    [Fact]
    public void Write_ReplacesAnExistingFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafeTensors.Write(path, new[] { new TensorData("old", new[] { 1 }, new[] { 1.0 }) });

        SafeTensors.Write(path, new[] { new TensorData("new", new[] { 1 }, new[] { 2.0 }) });

        Assert.Equal(new[] { "new" }, SafeTensors.Read(path).Keys);
        Assert.Equal(new[] { "w.safetensors" }, dir.FileNames());
    }

    [Fact]
    public void Metadata_RoundTrips()
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "quote \" backslash \\ tab \t é" };

        byte[] file = SafeTensors.Serialize(Sample, TensorDType.F32, metadata);

        Assert.Equal(metadata, SafeTensors.ReadMetadata(file, "mem"));
    }

    [Fact]
    public void Write_RejectsIntegerDTypesDuplicateNamesAndTheReservedKey()
    {
        var x = new TensorData("x", new[] { 1 }, new[] { 1.0 });

        Assert.Contains("I64", Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new[] { x }, TensorDType.I64)).Message);
        Assert.Contains("'x' appears more than once", Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new[] { x, x })).Message);
        Assert.Contains("__metadata__", Assert.Throws<ArgumentException>(
            () => SafeTensors.Serialize(new[] { new TensorData("__metadata__", new[] { 1 }, new[] { 1.0 }) })).Message);
    }

    private static double[] RoundTrip(double[] values, TensorDType dtype)
    {
        var tensor = new TensorData("x", new[] { values.Length }, values);
        return SafeTensors.Read(SafeTensors.Serialize(new[] { tensor }, dtype), "mem")["x"].Values.ToArray();
    }
}
