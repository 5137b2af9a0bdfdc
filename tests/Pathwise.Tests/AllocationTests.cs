using System;
using System.Linq;
using System.Threading;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>
/// After a first call has sized every buffer, attribution calls allocate nothing, whatever the layer kinds, and
/// whether one thread or several share the method object; the methods that return a result allocate only that.
/// </summary>
[Collection(nameof(AllocationTests))]
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationTests
{
    [Fact]
    public void ConvolutionalIntegratedGradients_AllocatesNothingOnceWarm()
    {
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(1));
        double[] input = NetworkHarness.RandomVector(new Random(2), FashionCnn64.InputLength);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 12, InternalBatchSize = 5 });
        var attributions = new double[FashionCnn64.InputLength];
        ig.Attribute(input, 0, attributions);
        ig.Attribute(input, 1, attributions);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ig.Attribute(input, 2, attributions);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void FusedFirstBlock_Float32IntegratedGradients_AllocatesNothingOnceWarm()
    {
        // The fused convolution-pooling route (PathPoolKernel) on its float vector path: its packed rows come from the
        // kernel scratch, its winners from the workspace. Three points, one core (FashionCnn64's test above covers a split call).
        var network = new FusedCnn32();
        network.InitializeWeights(new Random(5));
        var input = new float[FusedCnn32.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)new Random(6 + i).NextDouble();
        }

        var ig = new IntegratedGradients<float>(network, new IntegratedGradientsOptions { Points = 3 });
        Assert.True(ig.Plan.InputGradientSumOnly);
        var attributions = new float[FusedCnn32.InputLength];
        for (int round = 0; round < 3; round++)
        {
            ig.Attribute(input, round, attributions);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        ig.Attribute(input, 3, attributions);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ExactIntegratedGradients_OnAChainOfDenseLayers_AllocatesNothingOnceWarm()
    {
        // The sweep keeps its buffers with the call, and IG never asks for the pieces as points.
        var network = new DeepChain();
        network.Parameters.Randomize(new Random(3));
        network.ParametersChanged();
        var random = new Random(4);
        double[][] inputs = [.. Enumerable.Range(0, 3).Select(_ => NetworkHarness.RandomVector(random, 7, 3))];
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, Baseline = Baseline.Constant(0.1) });
        var attributions = new double[7];
        var rows = new double[2 * 7];
        var deltas = new ConvergenceDelta[2];
        int[] targets = [1, 2];
        foreach (double[] input in inputs)
        {
            ig.Attribute(input, 0, attributions);
            ig.Attribute(input, input, 1, attributions);
            ig.AttributeTargets(input, targets, rows, deltas);
        }

        Assert.Equal(QuadratureRule.Exact, ig.Attribute(inputs[0], 3).Rule);
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (double[] input in inputs)
        {
            ig.Attribute(input, 0, attributions);
            ig.Attribute(input, input, 1, attributions);
            ig.AttributeTargets(input, targets, rows, deltas);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void IntegratedGradients_EverySpanOverload_AllocatesNothingOnceWarm()
    {
        var network = Randomized(new EveryLayerCnn(), 900);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 901);
        double[] outputCoefficients = NetworkHarness.RandomVector(new Random(902), network.Info.OutputLength);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 12, InternalBatchSize = 5 });
        var attributions = new double[network.Info.InputLength];
        var rows = new double[2 * network.Info.InputLength];
        var deltas = new ConvergenceDelta[2];
        int[] targets = [1, 3];
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            ig.Attribute(input, 0, attributions);
            ig.Attribute(input, outputCoefficients, attributions);
            ig.Attribute(input, baseline, 2, attributions);
            ig.AttributeTargets(input, targets, rows, deltas);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round > 0)
            {
                Assert.Equal(0, allocated);
            }
        }
    }

    [Fact]
    public void GradientMethods_EverySpanOverload_AllocatesNothingOnceWarm()
    {
        var network = Randomized(new EveryLayerCnn(), 905);
        (double[] input, _) = InputAndBaseline(network.Info, 906);
        double[] outputCoefficients = NetworkHarness.RandomVector(new Random(907), network.Info.OutputLength);
        GradientMethod<double>[] methods = [new Saliency<double>(network), new Saliency<double>(network, new SaliencyOptions { Absolute = false }), new InputXGradient<double>(network)];
        var attributions = new double[network.Info.InputLength];
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            foreach (GradientMethod<double> method in methods)
            {
                method.Attribute(input, 1, attributions);
                method.Attribute(input, outputCoefficients, attributions);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round > 0)
            {
                Assert.Equal(0, allocated);
            }
        }
    }

    [Fact]
    public void IntegratedGradients_SharedByFourThreads_AllocatesNothingOnceWarm()
    {
        // A network without convolutions: the convolution kernels keep a scratch array per thread, which a fresh
        // thread allocates on first use, and which under contention settle at one per thread only after a few
        // allocations whose timing depends on the schedule. This test is about the method's own pool.
        const int threads = 4;
        var network = Randomized(new ReluMlp(), 910);
        int length = network.Info.InputLength;
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 12, InternalBatchSize = 5 });

        // Warm the pool with four workspaces: each batch of one input holds its workspace while its progress
        // report waits for the other three, so four are rented at once.
        using var together = new Barrier(threads);
        var holder = new BarrierProgress(together);
        RunOnThreads(threads, t =>
        {
            double[] input = NetworkHarness.RandomVector(new Random(911 + t), length);
            ig.AttributeBatch(input, new[] { t % network.Info.OutputLength }, new double[length], new ConvergenceDelta[1], progress: holder);
            return 0;
        });

        long[] allocated = RunOnThreads(threads, t =>
        {
            double[] input = NetworkHarness.RandomVector(new Random(920 + t), length);
            var attributions = new double[length];
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                ig.Attribute(input, i % network.Info.OutputLength, attributions);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Equal(new long[threads], allocated);
    }

    [Fact]
    public void LayerMethods_AllocateOnlyTheirResultOnceWarm()
    {
        // The result arrays and objects, and nothing the size of a workspace (tens of kilobytes here).
        const long overhead = 512;
        var network = Randomized(new EveryLayerCnn(), 930);
        (double[] input, double[] other) = InputAndBaseline(network.Info, 931);
        int length = network.Info.InputLength;
        var options = new LayerAttributionOptions { Points = 12, InternalBatchSize = 5 };
        bool[] region = Array.ConvertAll(other, v => v > 0);
        int[] neurons = [1, 4];
        var conductance = new LayerConductance<double>(network, network.Conv2, options);
        var influence = new InternalInfluence<double>(network, network.Hidden, options);
        var neuronConductance = new NeuronConductance<double>(network, network.Hidden, options);
        var neuronGradients = new NeuronIntegratedGradients<double>(network, network.Conv, options);
        var regionToNeuron = new RegionToNeuron<double>(network, network.Hidden, options);
        var expected = new ExpectedGradients<double>(network, other, options);
        var interior = new InteriorGradients<double>(network, new InteriorGradientsOptions { Count = 9 });

        AssertAllocatesOnly(network.Conv2.Size, () => conductance.Attribute(input, 1));
        AssertAllocatesOnly(network.Hidden.Size, () => influence.Attribute(input, 1));
        AssertAllocatesOnly(neurons.Length * length + neurons.Length / 2, () => neuronConductance.Attribute(input, 1, neurons));
        AssertAllocatesOnly(length, () => neuronGradients.Attribute(input, 7));
        AssertAllocatesOnly(network.Hidden.Size, () => regionToNeuron.Attribute(input, 1, region));
        AssertAllocatesOnly(length, () => expected.Attribute(input, 1));
        AssertAllocatesOnly(9 * length + 3 * 9, () => interior.Attribute(input, 1));

        void AssertAllocatesOnly(int resultDoubles, Func<object> call)
        {
            call();
            call();
            long before = GC.GetAllocatedBytesForCurrentThread();
            call();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.InRange(allocated, 8L * resultDoubles, 8L * resultDoubles + overhead);
        }
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="threads"/> new threads started together; returns each one's result.</summary>
    private static long[] RunOnThreads(int threads, Func<int, long> work)
    {
        var results = new long[threads];
        Exception? error = null;
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    results[index] = work(index);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref error, e, null);
                }
            });
            workers[t].Start();
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        if (error is not null)
        {
            throw new AggregateException(error);
        }

        return results;
    }

    /// <summary>A progress report that waits at a barrier, so the reporting calls are all in flight at once.</summary>
    private sealed class BarrierProgress(Barrier barrier) : IProgress<int>
    {
        public void Report(int value) => barrier.SignalAndWait();
    }
}
