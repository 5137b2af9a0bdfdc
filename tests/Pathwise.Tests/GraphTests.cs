using System;
using System.Linq;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// Networks declared as graphs ([Add], [Concat]): what the joins compute against their definitions, which layers a pass
/// may start from, partial passes against finite differences, and Integrated Gradients' completeness.
/// (BackwardTests, TangentTests and ExactRuleTests run the graph networks through their finite-difference and exactness checks.)
/// </summary>
public sealed class GraphTests
{
    private static T Randomized<T>(T network, int seed) where T : INetwork<double>
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        return network;
    }

    private static Workspace<double> Forward(INetwork<double> network, double[] inputs, int count)
    {
        var workspace = new Workspace<double>(network.Info, count);
        inputs.CopyTo(workspace.Input(count));
        network.ForwardFrom(network.Info.Input, workspace, count);
        return workspace;
    }

    [Fact]
    public void Joins_ComputeTheirDefinitions()
    {
        var network = Randomized(new FlatGraph(), 1);
        const int count = 3;
        Workspace<double> w = Forward(network, NetworkHarness.RandomVector(new Random(2), count * 6, 2), count);
        double[] x = w.Activations(network.X, count).ToArray();
        double[] a = w.Activations(network.A, count).ToArray();
        double[] b = w.Activations(network.B, count).ToArray();
        double[] sum = w.Activations(network.Sum, count).ToArray();
        double[] squash = w.Activations(network.Squash, count).ToArray();
        double[] joined = w.Activations(network.Joined, count).ToArray();
        double[] d = w.Activations(network.D, count).ToArray();
        double[] copy = w.Activations(network.Copy, count).ToArray();
        double[] wide = w.Activations(network.Wide, count).ToArray();
        double[] widePre = w.PreActivations(network.Wide, count).ToArray();
        for (int k = 0; k < count; k++)
        {
            for (int i = 0; i < 6; i++)
            {
                int at = (k * 6) + i;
                Assert.Equal(Math.Tanh(b[at] + x[at] + a[at]), sum[at], 14);
                Assert.Equal(sum[at], copy[at]);
                Assert.Equal(1 / (1 + Math.Exp(-copy[at])), squash[at], 14);
                Assert.Equal(squash[at], joined[(k * 18) + i]);
                Assert.Equal(sum[at], joined[(k * 18) + 6 + i]);
                Assert.Equal(x[at], joined[(k * 18) + 12 + i]);
                Assert.Equal(copy[at], widePre[(k * 10) + 4 + i]);
            }

            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(d[(k * 4) + i], widePre[(k * 10) + i]);
            }
        }

        Assert.Equal(count * 10, wide.Length);
    }

    [Fact]
    public void ResidualBlock_IsReluOfTheSumWithItsShortcut()
    {
        var network = Randomized(new ResidualCnn(), 3);
        Workspace<double> w = Forward(network, NetworkHarness.RandomVector(new Random(4), 2 * 72, 2), 2);
        double[] branch = w.Activations(network.Block1Norm2, 2).ToArray();
        double[] shortcut = w.Activations(network.StemNorm, 2).ToArray();
        double[] block = w.Activations(network.Block1, 2).ToArray();
        for (int i = 0; i < block.Length; i++)
        {
            Assert.Equal(Math.Max(0, branch[i] + shortcut[i]), block[i], 14);
        }
    }

    [Fact]
    public void Separates_IsFalseExactlyInsideTheResidualBlocks()
    {
        NetworkInfo info = new ResidualCnn().Info;
        string[] passedOver = [.. info.Layers.Where(l => !info.Separates(l)).Select(l => l.Name)];
        Assert.Equal(["Block1Conv1", "Block1Norm1", "Block1Conv2", "Block1Norm2", "Block2Conv1", "Block2Norm1", "Block2Conv2", "Block2Norm2"], passedOver);
        Assert.True(info.IsGraph);
        Assert.False(new TanhMlp().Info.IsGraph);
        Assert.Equal(2, info.ReadersOf(network(info, "StemNorm")));
        Assert.Equal([6, 2], info.Layers.Single(l => l.Name == "Block1").Sources);

        static Layer network(NetworkInfo info, string name) => info.Layers.Single(l => l.Name == name);
    }

    [Fact]
    public void ForwardAndBackwardFromALayerASkipPassesOver_Run()
    {
        var network = Randomized(new ResidualCnn(), 5);
        double[] point = NetworkHarness.RandomVector(new Random(6), 72);
        Workspace<double> w = Forward(network, point, 1);
        Layer inside = network.Block1Conv2;

        // A forward pass from inside reads the skipped branch as it stands: after a forward pass at x, it gives F(x) again.
        double[] output = w.Output(1).ToArray();
        w.Output(1).Clear();
        network.ForwardFrom(inside, w, 1);
        LayerMethodFixtures.AssertClose(output, w.Output(1).ToArray(), 1e-15, "forward from inside");

        // A backward pass from inside runs through the layers that feed it only, not through the skip it does not see:
        // the input's gradient is d(Block1Conv2)_n/dx, whatever the output's gradient was.
        const int neuron = 37;
        NetworkHarness.RandomVector(new Random(11), w.OutputGradient(1).Length).CopyTo(w.OutputGradient(1));
        network.BackwardFrom(network.Info.Output, w, 1);
        w.Gradients(inside, 1).Clear();
        w.Gradients(inside, 1)[neuron] = 1;
        network.BackwardFrom(inside, w, 1);
        var expected = new double[72];
        var probe = (double[])point.Clone();
        for (int i = 0; i < 72; i++)
        {
            probe[i] = point[i] + 1e-5;
            double up = Forward(network, probe, 1).Activations(inside, 1)[neuron];
            probe[i] = point[i] - 1e-5;
            double down = Forward(network, probe, 1).Activations(inside, 1)[neuron];
            probe[i] = point[i];
            expected[i] = (up - down) / 2e-5;
        }

        LayerMethodFixtures.AssertClose(w.Gradients(network.Pixels, 1).ToArray(), expected, 1e-8, "backward from inside");

        var options = new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 8 };
        double[] input = NetworkHarness.RandomVector(new Random(7), 72);

        // The methods that pass from the output down to the layer run there; only at a layer every path passes
        // through do the neurons carry all of F(x) - F(x'), which the reported delta shows.
        var exact = new LayerAttributionOptions { Rule = QuadratureRule.Exact };
        LayerAttribution<double> inner = new LayerConductance<double>(network, inside, exact).Attribute(input, 0);
        LayerAttribution<double> atBlock = new LayerConductance<double>(network, network.Block1, exact).Attribute(input, 0);
        Assert.True(Math.Abs(inner.Delta.Relative) > 1e3 * Math.Abs(atBlock.Delta.Relative), $"inside {inner.Delta.Relative:E2}, block {atBlock.Delta.Relative:E2}");
        Assert.True(Math.Abs(atBlock.Delta.Relative) < 1e-11);
        _ = new InternalInfluence<double>(network, inside, options).Attribute(input, 0);
    }

    [Fact]
    public void BackwardFromABlockOutput_MatchesFiniteDifferences()
    {
        var network = Randomized(new ResidualCnn(), 8);
        var random = new Random(9);
        double[] input = NetworkHarness.RandomVector(random, 72, 2);
        Workspace<double> w = Forward(network, input, 1);
        double[] seed = NetworkHarness.RandomVector(random, network.Block1.Size);
        seed.CopyTo(w.Gradients(network.Block1, 1));
        network.BackwardFrom(network.Block1, w, 1);
        double[] gradient = w.Gradients(network.Pixels, 1).ToArray();

        var expected = new double[72];
        for (int i = 0; i < 72; i++)
        {
            expected[i] = (Dot(i, 1e-6) - Dot(i, -1e-6)) / 2e-6;
        }

        Assert.True(NetworkHarness.RelativeError(gradient, expected) < 1e-6);

        // A partial pass down to the block input gives the full pass's gradient there.
        var full = Forward(network, input, 1);
        NetworkHarness.RandomVector(random, 3).CopyTo(full.OutputGradient(1));
        var partial = Forward(network, input, 1);
        full.OutputGradient(1).CopyTo(partial.OutputGradient(1));
        network.BackwardFrom(network.Logits, full, 1);
        network.BackwardFrom(network.Logits, network.Block1, partial, 1);
        Assert.Equal(full.Gradients(network.Block1, 1).ToArray(), partial.Gradients(network.Block1, 1).ToArray());

        double Dot(int index, double delta)
        {
            double[] probe = (double[])input.Clone();
            probe[index] += delta;
            Workspace<double> p = Forward(network, probe, 1);
            ReadOnlySpan<double> block = p.Activations(network.Block1, 1);
            double sum = 0;
            for (int j = 0; j < block.Length; j++)
            {
                sum += seed[j] * block[j];
            }

            return sum;
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void IntegratedGradients_GaussLegendre_AreComplete(int which)
    {
        INetwork<double> network = which == 0 ? Randomized(new FlatGraph(), 10) : Randomized(new ConcatCnn(), 11);
        var random = new Random(12);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 2);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.GaussLegendre, Points = 48 });
        for (int target = 0; target < 3; target++)
        {
            Attribution<double> attribution = ig.Attribute(input, target);
            Assert.True(Math.Abs(attribution.Delta.Relative) < 1e-8, $"{network.Info.Name} target {target}: relative delta {attribution.Delta.Relative:E2}");
        }
    }

    [Fact]
    public void LayerIntegratedGradients_AtABlockOutput_AreExactlyComplete()
    {
        var network = Randomized(new ResidualCnn(), 13);
        double[] input = NetworkHarness.RandomVector(new Random(14), 72, 2);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.Exact };
        LayerAttribution<double> attribution = new LayerIntegratedGradients<double>(network, network.Block1, options).Attribute(input, 1);
        Assert.Equal(QuadratureRule.Exact, attribution.Rule);
        Assert.True(Math.Abs(attribution.Delta.Relative) < 1e-11, $"relative delta {attribution.Delta.Relative:E2}");
    }

    [Fact]
    public void From_ReadsTheNamedLayer()
    {
        var network = Randomized(new ProjectionCnn(), 17);
        Workspace<double> w = Forward(network, NetworkHarness.RandomVector(new Random(18), 72, 2), 1);
        Assert.Equal([0], network.Projection.Sources);
        Assert.Equal([3, 2], network.Block.Sources);
        Assert.Equal([4], network.Whole.Sources);
        Assert.Equal(w.Activations(network.Block, 1).ToArray(), w.Activations(network.Whole, 1).ToArray());

        // The projection is a 1x1 convolution of the input: y[o, p] = b[o] + sum_c W[o, c] x[c, p].
        double[] x = w.Activations(network.X, 1).ToArray();
        double[] y = w.Activations(network.Projection, 1).ToArray();
        ReadOnlySpan<double> weight = network.Parameters.Items.Single(p => p.Name == "projection.weight").Values;
        ReadOnlySpan<double> bias = network.Parameters.Items.Single(p => p.Name == "projection.bias").Values;
        for (int o = 0; o < 4; o++)
        {
            for (int p = 0; p < 36; p++)
            {
                double sum = bias[o] + (weight[o * 2] * x[p]) + (weight[(o * 2) + 1] * x[36 + p]);
                Assert.Equal(sum, y[(o * 36) + p], 13);
            }
        }

        Assert.False(network.Info.Separates(network.C2));
        Assert.True(network.Info.Separates(network.Block));
        Assert.False(network.Info.Separates(network.Pool)); // Whole reads Block over Pool and Flat
        Assert.True(network.Info.Separates(network.Features));
    }

    [Fact]
    public void AttributingToTheInputOfAJoin_IsRefused()
    {
        var network = Randomized(new ResidualCnn(), 15);
        double[] input = NetworkHarness.RandomVector(new Random(16), 72);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 8, AttributeToLayerInput = true };
        ArgumentException error = Assert.ThrowsAny<ArgumentException>(() => new LayerConductance<double>(network, network.Block1, options).Attribute(input, 0));
        Assert.Contains("Block1", error.Message);
    }
}
