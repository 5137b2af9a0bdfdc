using System;
using System.Linq;
using Xunit;

namespace Pathwise.Tests;

/// <summary>A declared <c>[channels, length]</c> input: its shape as the runtime reports it, and a flatten-dense network through it.</summary>
public sealed class SequenceShapeTests
{
    [Fact]
    public void SequenceInput_HasRankTwo_AndFlattensInChannelMajorOrder()
    {
        var network = new SequenceNet();
        network.InitializeWeights(new Random(3));
        TensorShape shape = network.Tokens.OutputShape;
        Assert.Equal(2, shape.Rank);
        Assert.Equal([3, 5], shape.Dimensions);
        Assert.Equal("[3, 5]", shape.ToString());
        Assert.Equal(new TensorShape(15), network.Flat.OutputShape);

        // Dense over the flattened sequence: out[o] = b[o] + sum_{c,l} W[o, 5c + l] x[c, l].
        double[] x = NetworkHarness.RandomVector(new Random(4), 15, 1);
        double[] y = new double[2];
        network.Forward(x, y, network.CreateWorkspace(1));
        double[] weight = network.Parameters.Items.Single(p => p.Name == "out.weight").Values;
        double[] bias = network.Parameters.Items.Single(p => p.Name == "out.bias").Values;
        for (int o = 0; o < 2; o++)
        {
            double expected = bias[o];
            for (int c = 0; c < 3; c++)
            {
                for (int l = 0; l < 5; l++)
                {
                    expected += weight[(o * 15) + (5 * c) + l] * x[(5 * c) + l];
                }
            }

            Assert.Equal(expected, y[o], 13);
        }
    }

    [Fact]
    public void SequenceShape_RejectsNonPositiveSizes() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorShape(3, 0));
}

[Network(Precision.Float64)]
public sealed partial class SequenceNet
{
    [Input(3, 5)] public partial InputLayer Tokens { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(2, WeightName = "out")] public partial Layer Out { get; }
}
