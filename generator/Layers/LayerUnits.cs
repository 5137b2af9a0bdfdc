using System.Collections.Generic;
using Pathwise.Generator.Model;

namespace Pathwise.Generator.Layers;

/// <summary>Every layer kind's unit, by operation and by attribute name: the one list a new kind joins.</summary>
internal static class LayerUnits
{
    private static readonly LayerUnit[] s_all =
    {
        new InputLayer(),
        new DenseLayer(),
        new Conv2DLayer(),
        new MaxPool2DLayer(),
        new AvgPool2DLayer(),
        new FlattenLayer(),
        new BatchNormLayer(),
        new ActivationLayer(),
        new IdentityLayer(),
        new DropoutLayer(),
        new GlobalAvgPool2DLayer(),
        new LayerNormLayer(),
        new EmbeddingLayer(),
        new SequenceMeanLayer(),
        new AddLayer(),
        new ConcatLayer(),
        new Conv1DLayer(),
        new GlobalAvgPool1DLayer(),
    };

    private static readonly Dictionary<LayerOp, LayerUnit> s_byOp = new();
    private static readonly Dictionary<string, LayerUnit> s_byAttribute = new(System.StringComparer.Ordinal);

    static LayerUnits()
    {
        foreach (LayerUnit unit in s_all)
        {
            s_byOp[unit.Op] = unit;
            if (unit.AttributeName is not null)
            {
                s_byAttribute[unit.AttributeName] = unit;
            }
        }
    }

    /// <summary>The unit of <paramref name="op"/>; every <see cref="LayerOp"/> has one.</summary>
    public static LayerUnit Of(LayerOp op) => s_byOp[op];

    /// <summary>The unit declared by the attribute class named <paramref name="attributeName"/> in namespace <c>Pathwise</c>, or null.</summary>
    public static LayerUnit? ByAttribute(string attributeName) => s_byAttribute.TryGetValue(attributeName, out LayerUnit? unit) ? unit : null;
}
