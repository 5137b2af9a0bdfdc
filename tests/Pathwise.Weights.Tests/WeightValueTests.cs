using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

namespace Pathwise.Weights.Tests;

/// <summary>
/// Values that would turn a network's outputs into NaN are refused where weights enter a network
/// (<see cref="ParameterSet{T}.Load(WeightSet)"/>), naming the tensor and the first bad index, unless the caller opts out.
/// </summary>
public sealed class WeightValueTests
{
    private static readonly WeightTensorSpec[] Schema =
    {
        new("fc.weight", new[] { 2, 3 }),
        new("bn.running_var", new[] { 3 }),
    };

    [Theory]
    [InlineData(double.NaN, "is NaN")]
    [InlineData(double.PositiveInfinity, "is +infinity")]
    [InlineData(double.NegativeInfinity, "is -infinity")]
    public void NonFiniteWeight_IsRefused_NamingTensorAndFirstIndex(double bad, string problem)
    {
        double[] weight = { 0.5, -0.25, 1, 2, bad, bad };
        ParameterSet<float> parameters = Parameters<float>();

        WeightsValueException error = Assert.Throws<WeightsValueException>(() => parameters.Load(Weights(weight, new double[] { 1, 1, 1 })));

        Assert.Equal("fc.weight", error.TensorName);
        Assert.Equal(4, error.Index);
        Assert.Equal("w.safetensors", error.SourceName);
        Assert.StartsWith($"Invalid weights in 'w.safetensors': tensor 'fc.weight' element 4 {problem}.", error.Message);
        Assert.Contains("CheckValues = false", error.Message);
    }

    [Fact]
    public void ValueBeyondFloat_IsRefusedForAFloatNetwork_AndLoadedForADoubleOne()
    {
        double[] weight = { 0, 0, 1e300, 0, 0, 0 };
        WeightSet weights = Weights(weight, new double[] { 1, 1, 1 });

        WeightsValueException error = Assert.Throws<WeightsValueException>(() => Parameters<float>().Load(weights));
        ParameterSet<double> wide = Parameters<double>();
        wide.Load(weights);

        Assert.Contains("tensor 'fc.weight' element 2 is 1E+300, beyond the range of Single", error.Message);
        Assert.Equal(1e300, wide.Items[0].Values[2]);
    }

    [Fact]
    public void NegativeRunningVariance_IsRefused_ZeroIsNot()
    {
        WeightsValueException error = Assert.Throws<WeightsValueException>(
            () => Parameters<double>().Load(Weights(new double[6], new double[] { 0, -0.0, -0.5 })));

        Assert.Equal("bn.running_var", error.TensorName);
        Assert.Equal(2, error.Index);
        Assert.Equal(-0.5, error.Value);
        Assert.Contains("tensor 'bn.running_var' element 2 is -0.5, but a batch-norm running variance cannot be negative", error.Message);
    }

    [Fact]
    public void NegativeWeight_IsAnOrdinaryValue()
    {
        ParameterSet<float> parameters = Parameters<float>();

        parameters.Load(Weights(new double[] { -1, -2, -3, -4, -5, -6 }, new double[] { 0, 1, 2 }));

        Assert.Equal(-6f, parameters.Items[0].Values[5]);
    }

    [Fact]
    public void RefusedLoad_LeavesEveryParameterUntouched()
    {
        ParameterSet<float> parameters = Parameters<float>();
        parameters.Items[0].Values.AsSpan().Fill(9f);

        Assert.Throws<WeightsValueException>(() => parameters.Load(Weights(new double[] { 1, 2, 3, 4, 5, 6 }, new double[] { 1, double.NaN, 1 })));

        Assert.All(parameters.Items[0].Values, value => Assert.Equal(9f, value));
    }

    [Fact]
    public void OptOut_LoadsTheValuesAsTheyAre()
    {
        ParameterSet<float> parameters = Parameters<float>();

        parameters.Load(Weights(new double[] { double.NaN, 1, 2, 3, 4, double.PositiveInfinity }, new double[] { -1, 0, 1 }), new WeightLoadOptions { CheckValues = false });

        Assert.True(float.IsNaN(parameters.Items[0].Values[0]));
        Assert.Equal(float.PositiveInfinity, parameters.Items[0].Values[5]);
        Assert.Equal(-1f, parameters.Items[1].Values[0]);
    }

    [Fact]
    public void NonFiniteValueInAFile_IsRefusedWithThePath()
    {
        using var directory = new TempDirectory();
        string path = directory.File("nan.safetensors");
        SafeTensors.Write(path, new[]
        {
            new TensorData("fc.weight", new[] { 2, 3 }, new double[] { 0, 0, 0, double.NaN, 0, 0 }),
            new TensorData("bn.running_var", new[] { 3 }, new double[] { 1, 1, 1 }),
        }, TensorDType.F16);

        WeightsValueException error = Assert.Throws<WeightsValueException>(() => Parameters<float>().Load(WeightSet.Load(path, Schema)));

        Assert.Equal(path, error.SourceName);
        Assert.Equal(3, error.Index);
    }

    [Fact]
    public void CheckValues_IsUsableByAnyBackend_AndKnowsTheRole()
    {
        WeightSet weights = Weights(new double[] { 1, 2, 3, 4, 5, 6 }, new double[] { 1, 1, -1 });

        // The same values pass as a weight and fail as a running variance.
        weights.CheckValues<float>("bn.running_var", ParameterRole.Weight);
        WeightsValueException error = Assert.Throws<WeightsValueException>(() => weights.CheckValues<float>("bn.running_var", ParameterRole.RunningVariance));
        Assert.Throws<KeyNotFoundException>(() => weights.CheckValues<double>("nope", ParameterRole.Weight));

        Assert.Equal(2, error.Index);
    }

    private static ParameterSet<T> Parameters<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        new ParameterSet<T>()
            .Add("fc.weight", ParameterRole.Weight, 3, new[] { 2, 3 }, new T[6])
            .Add("bn.running_var", ParameterRole.RunningVariance, 1, new[] { 3 }, ParameterSet<T>.Ones(3));

    private static WeightSet Weights(double[] weight, double[] runningVariance) =>
        WeightSet.Bind(
            new Dictionary<string, TensorData>
            {
                ["fc.weight"] = new("fc.weight", new[] { 2, 3 }, weight),
                ["bn.running_var"] = new("bn.running_var", new[] { 3 }, runningVariance),
            },
            Schema,
            "w.safetensors");
}
