using System;
using System.Linq;
using System.Reflection;
using Pathwise.Weights;
using Xunit;

namespace Pathwise.Tests;

/// <summary>Results and settings are values: no array a caller could change behind them, equality by content.</summary>
public sealed class ResultImmutabilityTests
{
    [Fact]
    public void NoPublicType_ExposesAnArrayProperty_ExceptTheDocumentedOnes()
    {
        // Parameter<T>.Values is the network's live parameters (writing them, then ParametersChanged, is the
        // documented way to set weights by hand); TensorShape.Dimensions returns a new array on every call;
        // attribute arguments must be arrays.
        string[] allowed = ["Parameter`1.Values", "TensorShape.Dimensions", "InputAttribute.Shape", "AddAttribute.Layers", "ConcatAttribute.Layers"];
        string[] exposed = typeof(INetwork<>).Assembly.GetExportedTypes()
            .Where(t => t.Namespace?.StartsWith("Pathwise.CompilerServices", StringComparison.Ordinal) != true)
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(p => p.PropertyType.IsArray)
                .Select(p => $"{t.Name}.{p.Name}"))
            .Except(allowed)
            .ToArray();
        Assert.Empty(exposed);
    }

    [Fact]
    public void TensorShape_Dimensions_IsACopy()
    {
        var shape = new TensorShape(2, 3, 4);
        shape.Dimensions[0] = 99;
        Assert.Equal(2, shape.Dimensions[0]);
    }

    [Fact]
    public void WeightTensorSpec_EqualsByContent_AndCopiesItsShape()
    {
        int[] dimensions = [4, 3];
        var spec = new WeightTensorSpec("fc.weight", dimensions);
        dimensions[0] = 7;
        Assert.Equal([4, 3], spec.Shape.ToArray());
        Assert.Equal(new WeightTensorSpec("fc.weight", [4, 3]), spec);
        Assert.Equal(new WeightTensorSpec("fc.weight", [4, 3]).GetHashCode(), spec.GetHashCode());
        Assert.NotEqual(new WeightTensorSpec("fc.weight", [3, 4]), spec);
        Assert.NotEqual(new WeightTensorSpec("fc.weight", [4, 3], ParameterRole.Bias), spec);
        Assert.NotEqual(new WeightTensorSpec("fc.bias", [4, 3]), spec);
    }

    [Fact]
    public void InteriorGradientsOptions_EqualByFactors_AndCopyThem()
    {
        double[] factors = [0.25, 0.5, 1.0];
        var options = new InteriorGradientsOptions { Alphas = factors };
        factors[0] = 0.75;
        Assert.Equal(0.25, options.Alphas![0]);
        Assert.Equal(0.25, options.ResolveAlphas()[0]);
        Assert.Equal(new InteriorGradientsOptions { Alphas = [0.25, 0.5, 1.0] }, options);
        Assert.Equal(new InteriorGradientsOptions { Alphas = [0.25, 0.5, 1.0] }.GetHashCode(), options.GetHashCode());
        Assert.NotEqual(new InteriorGradientsOptions { Alphas = [0.25, 0.5] }, options);
        Assert.NotEqual(new InteriorGradientsOptions(), options);
        Assert.Equal(new InteriorGradientsOptions(), new InteriorGradientsOptions());
        Assert.False(options.Alphas is double[], "the factors must not be handed out as the array the options hold");
    }

    [Fact]
    public void Baseline_EqualsByContent()
    {
        Assert.Equal(Baseline.Constant(0.5), Baseline.Constant(0.5));
        Assert.NotEqual(Baseline.Constant(0.5), Baseline.Constant(0.25));
        Assert.Equal(Baseline.Of<double>([1.0, 2.0]), Baseline.Of<float>([1f, 2f]));
        Assert.Equal(Baseline.Of<double>([1.0, 2.0]).GetHashCode(), Baseline.Of<double>([1.0, 2.0]).GetHashCode());
        Assert.NotEqual(Baseline.Of<double>([1.0, 2.0]), Baseline.Of<double>([1.0, 3.0]));
        Assert.NotEqual(Baseline.Of<double>([0.0]), Baseline.Zero);
        Assert.Equal(new IntegratedGradientsOptions { Baseline = Baseline.Constant(1) }, new IntegratedGradientsOptions { Baseline = Baseline.Constant(1) });
    }

    [Fact]
    public void Results_CheckTheirLengths()
    {
        var shape = new TensorShape(3);
        Assert.Throws<ArgumentException>("values", () => new Attribution<double>(new double[2], shape, default, 1));
        var layer = new Layer("dense", 1, LayerKind.Dense, ActivationKind.None, new TensorShape(3), new TensorShape(4));
        Assert.Throws<ArgumentException>("values", () => new LayerAttribution<double>(layer, new double[3], default, 1));
        Assert.Throws<ArgumentException>("values", () => new LayerInfluence<double>(layer, new double[5], 1));
        Assert.Throws<ArgumentException>("values", () => new NeuronAttribution<double>(layer, [0, 1], shape, new double[5], 1));
        Assert.Throws<ArgumentException>("gradients", () => new InteriorGradientsResult<double>([0.5, 1.0], new double[5], new double[2], 0, 1, shape));
    }

    [Fact]
    public void ToArray_IsACopy()
    {
        var attribution = new Attribution<double>([1.0, 2.0, 3.0], new TensorShape(3), default, 1);
        double[] copy = attribution.ToArray();
        copy[0] = 10;
        Assert.Equal(1.0, attribution[0]);
        Assert.Equal(6.0, attribution.Sum());
    }
}
