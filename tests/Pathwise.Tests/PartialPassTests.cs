using System;
using System.Linq;
using System.Collections.Generic;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// Passes that stop at a layer: <c>BackwardFrom(from, to)</c> runs only the layers above <c>to</c>, and
/// <c>TangentPath(direction, through)</c> / <c>TangentFrom(from, through)</c> only the layers up to <c>through</c>.
/// They run the same per-layer code as the full passes, in the same order, so what they compute equals the full
/// pass's values exactly; what they skip is left as it was (a NaN sentinel here).
/// </summary>
public sealed class PartialPassTests
{
    private const int Count = 3;
    private static readonly double[] Alphas = [0.1, 0.6, 1.0];

    public static IEnumerable<object[]> Networks() => BackwardTests.Networks();

    [Theory]
    [MemberData(nameof(Networks))]
    public void BackwardFromTo_RunsExactlyTheLayersAbove(INetwork<double> network)
    {
        (NetworkInfo info, double[] baseline, double[] direction, double[] seed) = Prepare(network, 31);
        var full = new Workspace<double>(info, Count);
        network.ForwardPath(baseline, direction, Alphas, full);
        seed.CopyTo(full.OutputGradient(Count));
        network.BackwardFrom(info.Output, full, Count);

        foreach (Layer from in info.Layers)
        {
            if (!info.Separates(from))
            {
                // From inside a block the pass runs through what feeds the layer only, not the same sums (GraphTests).
                continue;
            }

            var fromFull = new Workspace<double>(info, Count);
            network.ForwardPath(baseline, direction, Alphas, fromFull);
            Seed(fromFull, from, seed, network, info);
            network.BackwardFrom(from, fromFull, Count);
            for (int t = 0; t <= from.Index; t++)
            {
                Layer to = info.Layers[t];
                var partial = new Workspace<double>(info, Count);
                network.ForwardPath(baseline, direction, Alphas, partial);
                foreach (Layer layer in info.Layers)
                {
                    partial.Gradients(layer, Count).Fill(double.NaN);
                }

                fromFull.Gradients(from, Count).CopyTo(partial.Gradients(from, Count));
                network.BackwardFrom(from, to, partial, Count);
                foreach (Layer layer in info.Layers)
                {
                    ReadOnlySpan<double> actual = partial.Gradients(layer, Count);
                    if (layer.Index >= to.Index && layer.Index <= from.Index)
                    {
                        Assert.True(actual.SequenceEqual(fromFull.Gradients(layer, Count)), $"{from.Name}->{to.Name}: {layer.Name} differs from the full pass");
                    }
                    else if (layer.Index < to.Index && !SharesBuffer(info, layer, to) && !ReadAbove(info, layer, to))
                    {
                        Assert.True(double.IsNaN(actual[0]), $"{from.Name}->{to.Name}: {layer.Name} was written");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void TangentPathThrough_RunsExactlyTheLayersUpTo(INetwork<double> network)
    {
        (NetworkInfo info, double[] baseline, double[] direction, double[] _) = Prepare(network, 32);
        double[] tangentDirection = NetworkHarness.RandomVector(new Random(33), info.InputLength);
        var full = new Workspace<double>(info, Count);
        network.ForwardPath(baseline, direction, Alphas, full);
        network.TangentPath(tangentDirection, full, Count);

        foreach (Layer through in info.Layers)
        {
            var partial = new Workspace<double>(info, Count);
            network.ForwardPath(baseline, direction, Alphas, partial);
            foreach (Layer layer in info.Layers)
            {
                partial.Tangents(layer, Count).Fill(double.NaN);
            }

            network.TangentPath(tangentDirection, through, partial, Count);
            foreach (Layer layer in info.Layers)
            {
                ReadOnlySpan<double> actual = partial.Tangents(layer, Count);
                if (layer.Index <= through.Index)
                {
                    Assert.True(actual.SequenceEqual(full.Tangents(layer, Count)), $"through {through.Name}: {layer.Name} differs from the full pass");
                }
                else if (!SharesBuffer(info, layer, through))
                {
                    Assert.True(double.IsNaN(actual[0]), $"through {through.Name}: {layer.Name} was written");
                }
            }
        }
    }

    [Fact]
    public void PassesBetweenLayersInTheWrongOrder_Throw()
    {
        var network = new EveryLayerCnn();
        NetworkInfo info = network.Info;
        var workspace = new Workspace<double>(info, 2);
        ArgumentException backward = Assert.Throws<ArgumentException>("to", () => network.BackwardFrom(network.Conv, network.Hidden, workspace, 2));
        Assert.Contains("'Hidden'", backward.Message);
        Assert.Contains("'Conv'", backward.Message);
        Assert.Throws<ArgumentException>("through", () => network.TangentFrom(network.Hidden, network.Conv, workspace, 2));
        Layer foreign = new TinyMlpForPasses().Info.Output;
        Assert.Throws<ArgumentException>(() => network.BackwardFrom(info.Output, foreign, workspace, 2));
        Assert.Throws<ArgumentException>(() => network.TangentPath(new double[info.InputLength], foreign, workspace, 2));
    }

    private static (NetworkInfo Info, double[] Baseline, double[] Direction, double[] Seed) Prepare(INetwork<double> network, int seed)
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        NetworkInfo info = network.Info;
        var random = new Random(seed + 100);
        return (info, NetworkHarness.RandomVector(random, info.InputLength, 0.5), NetworkHarness.RandomVector(random, info.InputLength, 2),
            NetworkHarness.RandomVector(random, Count * info.OutputLength));
    }

    private static void Seed(Workspace<double> workspace, Layer from, double[] outputSeed, INetwork<double> network, NetworkInfo info)
    {
        if (from.Index == info.Output.Index)
        {
            outputSeed.CopyTo(workspace.OutputGradient(Count));
            return;
        }

        double[] layerSeed = NetworkHarness.RandomVector(new Random(from.Index), Count * from.Size);
        layerSeed.CopyTo(workspace.Gradients(from, Count));
    }

    // A flatten layer without an activation is a view of the layer before it: the two share one buffer.
    /// <summary>Whether a layer above <paramref name="to"/> reads <paramref name="layer"/> (a skip source): its part of the gradient is written.</summary>
    private static bool ReadAbove(NetworkInfo info, Layer layer, Layer to)
    {
        for (int i = to.Index + 1; i < info.Layers.Count; i++)
        {
            if (info.Layers[i].Sources.Contains(layer.Index))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SharesBuffer(NetworkInfo info, Layer a, Layer b)
    {
        Layer upper = a.Index > b.Index ? a : b;
        Layer lower = a.Index > b.Index ? b : a;
        for (int i = upper.Index; i > lower.Index; i--)
        {
            Layer layer = info.Layers[i];
            // Views (Flatten, Identity, Dropout without an activation) share their input's buffers.
            if (layer.Kind is not (LayerKind.Flatten or LayerKind.Identity or LayerKind.Dropout) || layer.HasActivation)
            {
                return false;
            }
        }

        return true;
    }
}

[Network(Precision.Float64)]
public sealed partial class TinyMlpForPasses
{
    [Input(3)] public partial InputLayer X { get; }
    [Dense(2)] public partial Layer Y { get; }
}
