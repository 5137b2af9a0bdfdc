using System;
using System.Linq;
using System.Threading;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// One input's path points over two cores: the numbers depend only on the split, never on which thread ran a half
/// (the worker busy or free), the split result is the same integral as the one-core sum to rounding, and a warm split
/// call allocates nothing on any thread.
/// </summary>
[Collection(nameof(AllocationTests))]
public sealed class PathSplitTests
{
    [Fact]
    public void SplitPays_OnlyWhenTheWorkIsLarge()
    {
        if (!SplitWorker.Available)
        {
            return; // one processor: nothing is split
        }
        var cnn = new FashionCnn64();
        var tiny = new Linear();
        Assert.True(PathSplit.Pays(new PathPlan<double>(cnn.Info, new IntegratedGradientsOptions()), 50));
        Assert.False(PathSplit.Pays(new PathPlan<double>(tiny.Info, new IntegratedGradientsOptions()), 50));
    }

    [Fact]
    public void SplitResults_AreTheSameWhoeverRunsAHalf()
    {
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(7));
        double[][] inputs = [.. Enumerable.Range(0, 4).Select(s => NetworkHarness.RandomVector(new Random(10 + s), FashionCnn64.InputLength))];
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 40 });
        var conductance = new LayerConductance<double>(network, network.Conv2, new LayerAttributionOptions { Points = 40 });
        double[][] serialIg = [.. inputs.Select(x => ig.Attribute(x, 3).ToArray())];
        double[][] serialConductance = [.. inputs.Select(x => conductance.Attribute(x, 3).ToArray())];

        // Four threads at once: most calls find the one worker busy and run both halves themselves.
        int differ = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 6; i++)
            {
                int c = (t + i) % inputs.Length;
                if (!ig.Attribute(inputs[c], 3).Values.SequenceEqual(serialIg[c]) || !conductance.Attribute(inputs[c], 3).Values.SequenceEqual(serialConductance[c]))
                {
                    Interlocked.Increment(ref differ);
                }
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(0, differ);
    }

    [Fact]
    public void SplitIntegratedGradients_EqualTheOneCoreSum_ToRounding()
    {
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(8));
        double[] input = NetworkHarness.RandomVector(new Random(9), FashionCnn64.InputLength);

        // The points one call splits in two, summed here on one core, half by half, with the network's own passes.
        var options = new IntegratedGradientsOptions { Points = 30, Rule = QuadratureRule.RiemannMiddle };
        Attribution<double> split = new IntegratedGradients<double>(network, options).Attribute(input, 4);
        var weights = new double[FashionCnn64.OutputLength];
        weights[4] = 1;
        var reference = new double[input.Length];
        for (int k = 0; k < 30; k++)
        {
            double a = (k + 0.5) / 30;
            double[] gradient = NetworkHarness.BackwardGradient(network, [.. input.Select(v => a * v)], 1, weights);
            for (int i = 0; i < input.Length; i++)
            {
                reference[i] += gradient[i] / 30;
            }
        }

        for (int i = 0; i < input.Length; i++)
        {
            reference[i] *= input[i];
        }

        Assert.True(Contention.RelativeError(split.Values, reference) < 1e-12, $"relative error {Contention.RelativeError(split.Values, reference):E2}");
    }

    [Fact]
    public void WarmSplitCall_AllocatesNothingOnAnyThread()
    {
        if (!SplitWorker.Available)
        {
            return; // one processor: nothing is split
        }
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(1));
        double[] input = NetworkHarness.RandomVector(new Random(2), FashionCnn64.InputLength);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 40 });
        var attributions = new double[FashionCnn64.InputLength];
        for (int i = 0; i < 10; i++)
        {
            ig.Attribute(input, i % 10, attributions);
        }

        // This thread's half and the worker's, counted on each thread (other threads of the test host allocate too).
        long before = GC.GetAllocatedBytesForCurrentThread();
        long workerBefore = SplitWorker.AllocatedBytes;
        for (int i = 0; i < 5; i++)
        {
            ig.Attribute(input, i, attributions);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, SplitWorker.AllocatedBytes - workerBefore);
    }
}
