using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

namespace Pathwise.Weights.Tests;

public sealed class WeightSetTests
{
    private static readonly WeightTensorSpec[] Schema =
    {
        new("fc1.weight", new[] { 16, 8 }),
        new("fc1.bias", new[] { 16 }),
        new("fc2.weight", new[] { 4, 16 }),
        new("fc2.bias", new[] { 4 }),
    };

    [Fact]
    public void Bind_MatchingTensors_Succeeds()
    {
        WeightSet set = WeightSet.Bind(Matching(), Schema, "model.safetensors");

        Assert.Equal(4, set.Tensors.Count);
        Assert.Equal("model.safetensors", set.SourceName);
        Assert.Equal(new[] { 4, 16 }, set.Tensors["fc2.weight"].Shape);
    }

    [Fact]
    public void Bind_ReportsMissingUnexpectedAndMismatchedTogether()
    {
        Dictionary<string, TensorData> tensors = Matching();
        tensors.Remove("fc2.bias");
        tensors.Remove("fc1.bias");
        tensors["fc1.weight"] = Tensor("fc1.weight", 8, 16);
        tensors["fc3.weight"] = Tensor("fc3.weight", 2, 4);
        tensors["extra"] = Tensor("extra", 3);

        WeightsMismatchException error = Assert.Throws<WeightsMismatchException>(() => WeightSet.Bind(tensors, Schema, "model.safetensors"));

        Assert.Equal(new[] { "fc1.bias", "fc2.bias" }, error.Missing);
        Assert.Equal(new[] { "extra", "fc3.weight" }, error.Unexpected);
        Assert.Equal(new[] { "fc1.weight" }, error.Mismatched);
        Assert.Equal(
            new[]
            {
                "missing tensor 'fc1.bias' (expected shape [16])",
                "missing tensor 'fc2.bias' (expected shape [4])",
                "unexpected tensor 'extra' (shape [3])",
                "unexpected tensor 'fc3.weight' (shape [2, 4])",
                "tensor 'fc1.weight': expected shape [16, 8], found [8, 16]",
            },
            error.Problems);
        Assert.StartsWith("Weights in 'model.safetensors' do not match the network (5 problems):", error.Message);
        foreach (string problem in error.Problems)
        {
            Assert.Contains(problem, error.Message);
        }
    }

    [Fact]
    public void Bind_ShapeCheckIsExact_RankMatters()
    {
        Dictionary<string, TensorData> tensors = Matching();
        tensors["fc2.bias"] = Tensor("fc2.bias", 1, 4);

        WeightsMismatchException error = Assert.Throws<WeightsMismatchException>(() => WeightSet.Bind(tensors, Schema, "m"));

        Assert.Equal(new[] { "tensor 'fc2.bias': expected shape [4], found [1, 4]" }, error.Problems);
        Assert.Contains("(1 problem):", error.Message);
    }

    [Fact]
    public void Bind_IgnoresNumBatchesTracked_InTheFileAndInTheSchema()
    {
        var schema = new List<WeightTensorSpec>(Schema)
        {
            new("bn.weight", new[] { 16 }),
            new("bn.num_batches_tracked", Array.Empty<int>()),
        };
        Dictionary<string, TensorData> tensors = Matching();
        tensors["bn.weight"] = Tensor("bn.weight", 16);
        tensors["other.num_batches_tracked"] = new TensorData("other.num_batches_tracked", Array.Empty<int>(), new[] { 3.0 }, TensorDType.I64);

        // Declared counter absent, undeclared counter present: neither is a problem.
        WeightSet set = WeightSet.Bind(tensors, schema, "m");

        Assert.False(set.Tensors.ContainsKey("bn.num_batches_tracked"));
        Assert.False(set.Tensors.ContainsKey("other.num_batches_tracked"));

        // Declared and present: bound like any other tensor.
        tensors["bn.num_batches_tracked"] = new TensorData("bn.num_batches_tracked", Array.Empty<int>(), new[] { 7.0 }, TensorDType.I64);
        WeightSet withCounter = WeightSet.Bind(tensors, schema, "m");
        Assert.Equal(new[] { 7.0 }, withCounter.Tensors["bn.num_batches_tracked"].Values);
    }

    [Fact]
    public void Bind_RejectsASchemaThatDeclaresANameTwice()
    {
        var schema = new[] { new WeightTensorSpec("w", new[] { 1 }), new WeightTensorSpec("w", new[] { 1 }) };

        ArgumentException error = Assert.Throws<ArgumentException>(() => WeightSet.Bind(new Dictionary<string, TensorData>(), schema, "m"));

        Assert.Contains("'w' more than once", error.Message);
    }

    [Fact]
    public void Load_ReadsAndBindsAFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("net.safetensors");
        SafeTensors.Write(path, Matching().Values);

        WeightSet set = WeightSet.Load(path, Schema);

        Assert.Equal(path, set.SourceName);
        Assert.Equal(Matching()["fc1.weight"].Values, set.Tensors["fc1.weight"].Values);
    }

    [Fact]
    public void Load_MismatchNamesTheFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("net.safetensors");
        SafeTensors.Write(path, new[] { Tensor("fc1.weight", 16, 8) });

        WeightsMismatchException error = Assert.Throws<WeightsMismatchException>(() => WeightSet.Load(path, Schema));

        Assert.Equal(path, error.SourceName);
        Assert.Contains(path, error.Message);
        Assert.Equal(3, error.Missing.Count);
    }

    [Fact]
    public void CopyTo_FillsFloatAndDoubleDestinations()
    {
        WeightSet set = WeightSet.Bind(Matching(), Schema, "m");
        var asDouble = new double[16 * 8];
        var asFloat = new float[16 * 8];

        set.CopyTo("fc1.weight", asDouble);
        set.CopyTo("fc1.weight", asFloat.AsSpan());

        Assert.Equal(set.Tensors["fc1.weight"].Values, asDouble);
        for (int i = 0; i < asFloat.Length; i++)
        {
            Assert.Equal((float)asDouble[i], asFloat[i]);
        }
    }

    [Fact]
    public void CopyTo_WrongLength_NamesBothLengths()
    {
        WeightSet set = WeightSet.Bind(Matching(), Schema, "m");

        ArgumentException shortFloat = Assert.Throws<ArgumentException>(() => set.CopyTo("fc2.bias", new float[3]));
        ArgumentException longDouble = Assert.Throws<ArgumentException>(() => set.CopyTo("fc2.bias", new double[5]));

        Assert.Contains("Destination has length 3 but tensor 'fc2.bias' [4] has 4 elements", shortFloat.Message);
        Assert.Contains("Destination has length 5 but tensor 'fc2.bias' [4] has 4 elements", longDouble.Message);
    }

    [Fact]
    public void CopyTo_UnknownName_Throws_KeyNotFound_NamingIt()
    {
        WeightSet set = WeightSet.Bind(Matching(), Schema, "m");

        KeyNotFoundException error = Assert.Throws<KeyNotFoundException>(() => set.CopyTo("fc9.weight", new double[1]));

        Assert.Contains("'fc9.weight'", error.Message);
    }

    private static Dictionary<string, TensorData> Matching()
    {
        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (WeightTensorSpec spec in Schema)
        {
            tensors[spec.Name] = Tensor(spec.Name, spec.Shape.ToArray());
        }

        return tensors;
    }

    private static TensorData Tensor(string name, params int[] shape)
    {
        int count = 1;
        foreach (int dim in shape)
        {
            count *= dim;
        }

        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (i % 7) * 0.25 - 0.5;
        }

        return new TensorData(name, shape, values);
    }
}
