using System;
using System.Collections.Generic;
using System.IO;
using Pathwise;
using Pathwise.Weights;
using Xunit;

namespace Pathwise.Tests;

/// <summary>Generated networks save and load their weights as safetensors with PyTorch's names and shapes.</summary>
public sealed class NetworkWeightsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pathwise-weights-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void SaveThenLoad_GivesTheSameOutputs_AndPyTorchNames()
    {
        var original = new FashionCnn64();
        original.InitializeWeights(new Random(1));
        string path = Path.Combine(_directory, "cnn.safetensors");
        original.SaveWeights(path, TensorDType.F64);

        IReadOnlyDictionary<string, TensorData> tensors = SafeTensors.Read(path);
        Assert.Equal(new[] { 8, 1, 3, 3 }, tensors["conv1.weight"].Shape);
        Assert.Equal(new[] { 64, 784 }, tensors["fc1.weight"].Shape);
        Assert.Equal(new[] { 10 }, tensors["fc2.bias"].Shape);

        FashionCnn64 loaded = FashionCnn64.Load(path);
        double[] input = NetworkHarness.RandomVector(new Random(2), FashionCnn64.InputLength);
        Assert.Equal(NetworkHarness.Forward(original, input), NetworkHarness.Forward(loaded, input));
    }

    [Fact]
    public void BatchNormStatistics_RoundTripAndRefold()
    {
        var original = new ReluMlp();
        original.InitializeWeights(new Random(3));
        string path = Path.Combine(_directory, "mlp.safetensors");
        original.SaveWeights(path, TensorDType.F64);
        Assert.Contains("norm.running_var", SafeTensors.Read(path).Keys);

        ReluMlp loaded = ReluMlp.Load(path);
        double[] input = NetworkHarness.RandomVector(new Random(4), 10);
        Assert.Equal(NetworkHarness.Forward(original, input), NetworkHarness.Forward(loaded, input));
    }

    [Fact]
    public void WrongShape_NamesTheTensorAndBothShapes()
    {
        string path = Path.Combine(_directory, "bad.safetensors");
        var tensors = new List<TensorData>
        {
            new("weight", [3, 6], new double[18]),
        };
        SafeTensors.Write(path, tensors);
        // Linear declares y.weight [3, 6] and y.bias [3]: this file has neither name.
        var mismatch = Assert.Throws<WeightsMismatchException>(() => Linear.Load(path));
        Assert.Contains("y.weight", mismatch.Message);
        Assert.Contains("y.bias", mismatch.Message);
        Assert.Contains("weight", mismatch.Message);

        SafeTensors.Write(path, [new("y.weight", [6, 3], new double[18]), new("y.bias", [3], new double[3])]);
        var shape = Assert.Throws<WeightsMismatchException>(() => Linear.Load(path));
        Assert.Contains("expected shape [3, 6], found [6, 3]", shape.Message);
    }

    [Fact]
    public void TruncatedFile_IsAFormatError()
    {
        var network = new TanhMlp();
        network.InitializeWeights(new Random(5));
        string path = Path.Combine(_directory, "truncated.safetensors");
        network.SaveWeights(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 10).ToArray());
        var error = Assert.Throws<WeightsFormatException>(() => TanhMlp.Load(path));
        Assert.Contains("truncated", error.Message);
    }
    [Fact]
    public void NonFiniteWeights_AreRefusedByLoad_UnlessTheOptionsSayNotToCheck()
    {
        var source = new ReluMlp();
        source.InitializeWeights(new Random(31));
        source.Parameters.Items[0].Values[5] = double.PositiveInfinity;
        Parameter<double> variance = Single(source.Parameters, "norm.running_var");
        variance.Values[2] = -1;
        string path = Path.Combine(_directory, "bad.safetensors");
        source.SaveWeights(path, TensorDType.F64);

        WeightsValueException error = Assert.Throws<WeightsValueException>(() => ReluMlp.Load(path));
        Assert.Equal("h1.weight", error.TensorName);
        Assert.Equal(5, error.Index);
        var target = new ReluMlp();
        Assert.Throws<WeightsValueException>(() => target.LoadWeights(path));
        Assert.All(target.Parameters.Items[0].Values, value => Assert.Equal(0.0, value)); // nothing copied

        var noCheck = new WeightLoadOptions { CheckValues = false };
        ReluMlp loaded = ReluMlp.Load(path, noCheck);
        Assert.Equal(double.PositiveInfinity, loaded.Parameters.Items[0].Values[5]);
        target.LoadWeights(path, noCheck);
        Assert.Equal(-1.0, Single(target.Parameters, "norm.running_var").Values[2]);
    }

    [Fact]
    public void WeightsNeverSet_AreAnError_UntilLoadedDrawnOrWritten()
    {
        var network = new TanhMlp();
        Assert.False(network.Parameters.IsSet);
        var error = Assert.Throws<InvalidOperationException>(() => new IntegratedGradients<double>(network));
        Assert.Contains("TanhMlp's weights were never set", error.Message);
        Assert.Contains("InitializeWeights", error.Message);
        Assert.Throws<InvalidOperationException>(() => network.Predict(new double[8]));
        Assert.Throws<InvalidOperationException>(() => new LayerConductance<double>(network, network.H1));
        Assert.Throws<InvalidOperationException>(() => new InteriorGradients<double>(network));

        network.Parameters.Items[0].Values[0] = 0.5; // written by hand, then announced
        network.ParametersChanged();
        Assert.True(network.Parameters.IsSet);
        Assert.NotNull(new IntegratedGradients<double>(network));

        var loaded = new TanhMlp();
        string path = Path.Combine(_directory, "tanh.safetensors");
        network.SaveWeights(path, TensorDType.F64);
        loaded.LoadWeights(path);
        Assert.True(loaded.Parameters.IsSet);
        Assert.Equal(0.5, loaded.Parameters.Items[0].Values[0]);
    }

    [Fact]
    public void RefusedLoad_ChangesNothing_AndLeavesTheWeightsUnset()
    {
        var source = new ReluMlp();
        source.InitializeWeights(new Random(33));
        Single(source.Parameters, "norm.running_var").Values[0] = double.NaN; // refused after h1's tensors are checked
        string path = Path.Combine(_directory, "late-nan.safetensors");
        source.SaveWeights(path, TensorDType.F64);

        var target = new ReluMlp();
        Assert.Throws<WeightsValueException>(() => target.LoadWeights(path));
        Assert.False(target.Parameters.IsSet);
        Assert.All(target.Parameters.Items[0].Values, value => Assert.Equal(0.0, value));
        Assert.Throws<InvalidOperationException>(() => new IntegratedGradients<double>(target));
    }

    private static Parameter<double> Single(ParameterSet<double> parameters, string name)
    {
        foreach (Parameter<double> parameter in parameters.Items)
        {
            if (parameter.Name == name)
            {
                return parameter;
            }
        }

        throw new KeyNotFoundException(name);
    }
}
