using System;
using Pathwise.Generator.Layers;
using Pathwise.Generator.Model;
using Xunit;

namespace Pathwise.Generator.Tests;

/// <summary>
/// What ties a kind's unit to the runtime: its operation is a <see cref="LayerKind"/>, its attribute exists, and
/// the defaults the generator assumes for arguments not written are the attribute's own.
/// </summary>
public sealed class LayerUnitTests
{
    public static TheoryData<string> Ops() => new(Enum.GetNames<LayerOp>());

    [Theory]
    [MemberData(nameof(Ops))]
    public void EveryOperation_HasAUnitNamingARuntimeKind(string name)
    {
        LayerOp op = Enum.Parse<LayerOp>(name);
        LayerUnit unit = LayerUnits.Of(op);
        Assert.Equal(op, unit.Op);
        Assert.True(Enum.TryParse(op.ToString(), out LayerKind kind), $"Pathwise.LayerKind has no member {op}.");
        Assert.Equal(op.ToString(), kind.ToString());
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void EveryUnitsAttribute_IsAPathwiseAttribute(string opName)
    {
        LayerOp op = Enum.Parse<LayerOp>(opName);
        string? name = LayerUnits.Of(op).AttributeName;
        if (name is null)
        {
            Assert.Equal(LayerOp.Activation, op);
            return;
        }

        Type? attribute = typeof(NetworkAttribute).Assembly.GetType("Pathwise." + name);
        Assert.NotNull(attribute);
        Assert.True(typeof(Attribute).IsAssignableFrom(attribute));
        Assert.Same(LayerUnits.Of(op), LayerUnits.ByAttribute(name));
    }

    /// <summary>
    /// Every layer attribute takes <c>From</c> (the parser reads it from any attribute, so one without it could not be
    /// written), except the input's and an embedding's, which reads the input only.
    /// </summary>
    [Theory]
    [MemberData(nameof(Ops))]
    public void EveryLayerAttribute_TakesFrom(string opName)
    {
        LayerOp op = Enum.Parse<LayerOp>(opName);
        string? name = LayerUnits.Of(op).AttributeName;
        if (name is null || op is LayerOp.Input or LayerOp.Embedding)
        {
            return;
        }

        Type attribute = typeof(NetworkAttribute).Assembly.GetType("Pathwise." + name)!;
        Assert.True(attribute.GetProperty("From")?.PropertyType == typeof(string), $"{name} has no string From property.");
    }

    [Fact]
    public void RuntimeKinds_AllHaveAUnit() =>
        Assert.DoesNotContain(Enum.GetNames<LayerKind>(), name => !Enum.TryParse(name, out LayerOp _));

    [Fact]
    public void GeneratorDefaults_AreTheAttributesDefaults()
    {
        var conv = new Conv2DAttribute(1);
        Assert.Equal(Conv2DLayer.DefaultKernel, conv.Kernel);
        Assert.Equal(Conv2DLayer.DefaultPadding, conv.Padding);
        Assert.Equal(Conv2DLayer.DefaultStride, conv.Stride);
        Assert.Equal(ConvolutionLayer.DefaultDilation, conv.Dilation);
        Assert.Equal(ConvolutionLayer.DefaultGroups, conv.Groups);
        // The per-axis overrides default to 0, "take the square value", which the generator assumes when they are not written.
        Assert.Equal(
            new[] { 0, 0, 0, 0, 0, 0, 0, 0 },
            new[] { conv.KernelHeight, conv.KernelWidth, conv.StrideHeight, conv.StrideWidth, conv.PaddingHeight, conv.PaddingWidth, conv.DilationHeight, conv.DilationWidth });
        var conv1 = new Conv1DAttribute(1);
        Assert.Equal(Conv1DLayer.DefaultKernel, conv1.Kernel);
        Assert.Equal(Conv1DLayer.DefaultPadding, conv1.Padding);
        Assert.Equal(Conv1DLayer.DefaultStride, conv1.Stride);
        Assert.Equal(Conv1DLayer.DefaultDilation, conv1.Dilation);
        Assert.Equal(Conv1DLayer.DefaultGroups, conv1.Groups);
        Assert.Equal(Pool2DLayer.DefaultStride, new MaxPool2DAttribute(2).Stride);
        Assert.Equal(Pool2DLayer.DefaultStride, new AvgPool2DAttribute(2).Stride);
        Assert.Equal(BatchNormLayer.DefaultEpsilon, new BatchNormAttribute().Epsilon);
        Assert.Equal(DropoutLayer.DefaultRate, new DropoutAttribute().P);
        Assert.Equal(LayerNormLayer.DefaultEpsilon, new LayerNormAttribute().Epsilon);
    }
}
