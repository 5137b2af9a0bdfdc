using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Pathwise;
using Xunit;
using static Pathwise.Tests.BatchFixtures;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>
/// <see cref="IAttributionMethod{T, TResult}.AttributeBatch"/> of every method in the family and the multi-target forms
/// (<c>AttributeTargets</c>) of Integrated Gradients, layer conductance and internal influence, on the CPU.
/// </summary>
/// <remarks>
/// Exact equality is asserted only where the code path is literally the same: a batch runs each example through the
/// very code of a single call (the method's per-input path on an engine of its own), and a multi-target pass runs each
/// target's backward pass from the same one-hot seed over the same forward activations (and the same tangent) as its
/// single call, into its own zeroed accumulator, in the same chunk order.
/// </remarks>
public sealed class BatchFormsTests
{
    public static IEnumerable<object[]> Networks() => BatchFixtures.Networks();

    [Theory]
    [MemberData(nameof(Networks))]
    public void AttributeBatch_EveryMethod_EqualsSingleCallsExactly(string name)
    {
        INetwork<double> network = Network(name);
        NetworkInfo info = network.Info;
        int length = info.InputLength;
        double[] inputs = NetworkHarness.RandomVector(new Random(11), Count * length);
        double[] baselines = NetworkHarness.RandomVector(new Random(12), Count * length, scale: 0.5);
        int[] targets = [.. Enumerable.Range(0, Count).Select(m => (3 * m + 1) % info.OutputLength)];

        foreach (MethodCase method in Methods(network))
        {
            // The options' baseline for every input, then one baseline per input.
            double[][] batch = method.Batch(inputs, targets, default);
            double[][] own = method.Batch(inputs, targets, baselines);
            Assert.Equal(Count, batch.Length);
            Assert.Equal(Count, own.Length);
            for (int m = 0; m < Count; m++)
            {
                double[] input = inputs.AsSpan(m * length, length).ToArray();
                double[] baseline = baselines.AsSpan(m * length, length).ToArray();
                Assert.Equal(method.Single(input, null, targets[m]), batch[m]);
                Assert.Equal(method.Single(input, baseline, targets[m]), own[m]);
            }
        }
    }

    [Fact]
    public void AttributeBatch_PerExampleBaselines_AreTheOnesUsed()
    {
        // Independent of the batch code: the delta's F(x') is the network's output at the example's own baseline.
        var network = Randomized(new TanhMlp(), 20);
        int length = network.Info.InputLength;
        double[] inputs = NetworkHarness.RandomVector(new Random(21), Count * length);
        double[] baselines = NetworkHarness.RandomVector(new Random(22), Count * length, scale: 0.5);
        int[] targets = [0, 1, 2, 0, 1];
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 16 });
        Attribution<double>[] results = ig.AttributeBatch(inputs, targets, baselines);
        for (int m = 0; m < Count; m++)
        {
            double atBaseline = NetworkHarness.Forward(network, baselines.AsSpan(m * length, length))[targets[m]];
            double atInput = NetworkHarness.Forward(network, inputs.AsSpan(m * length, length))[targets[m]];
            Assert.Equal(atBaseline, results[m].Delta.OutputAtBaseline, 12);
            Assert.Equal(atInput, results[m].Delta.OutputAtInput, 12);

            // Completeness against the example's own baseline: Gauss-Legendre with 16 points on a tanh MLP.
            Assert.True(results[m].Delta.Relative < 1e-6, $"input {m}: relative delta {results[m].Delta.Relative:E3}");
        }

        // The memory form takes them too.
        var attributions = new double[Count * length];
        var deltas = new ConvergenceDelta[Count];
        ig.AttributeBatch(inputs, targets, attributions, deltas, baselines);
        for (int m = 0; m < Count; m++)
        {
            Assert.Equal(results[m].Values.ToArray(), attributions.AsSpan(m * length, length).ToArray());
            Assert.Equal(results[m].Delta, deltas[m]);
        }
    }

    [Fact]
    public void AttributeBatch_BadBatches_RejectedNamingTheRow()
    {
        var network = Randomized(new TanhMlp(), 30);
        foreach (MethodCase method in Methods(network))
        {
            double[] inputs = NetworkHarness.RandomVector(new Random(31), 3 * 8);
            int[] targets = [0, 1, 2];
            Assert.Contains("multiple of the input length 8", Assert.Throws<ArgumentException>("inputs", () => method.Batch(new double[15], [0, 1], default)).Message);
            Assert.Contains("one target per input, 3; got 2", Assert.Throws<ArgumentException>("targets", () => method.Batch(inputs, [0, 1], default)).Message);
            Assert.Contains("got 16", Assert.Throws<ArgumentException>("baselines", () => method.Batch(inputs, targets, new double[16])).Message);
            Assert.Throws<ArgumentOutOfRangeException>("targets[2]", () => method.Batch(inputs, [0, 1, 3], default));
            Assert.Throws<ArgumentOutOfRangeException>("targets[1]", () => method.Batch(inputs, [0, -1, 0], default));

            double[] badInput = (double[])inputs.Clone();
            badInput[8 + 5] = double.NaN;
            Assert.Throws<ArgumentException>("inputs[1]", () => method.Batch(badInput, targets, default));
            double[] badBaselines = new double[3 * 8];
            badBaselines[2 * 8] = double.PositiveInfinity;
            Assert.Throws<ArgumentException>("baselines[2]", () => method.Batch(inputs, targets, badBaselines));

            Assert.Empty(method.Batch([], [], default));
        }
    }

    [Fact]
    public void AttributeBatch_ReportsProgress_AndHonoursCancellation()
    {
        var network = Randomized(new TanhMlp(), 40);
        const int count = 9;
        double[] inputs = NetworkHarness.RandomVector(new Random(41), count * 8);
        int[] targets = new int[count];
        foreach (MethodCase method in Methods(network))
        {
            var reports = new ConcurrentBag<int>();
            method.Batch(inputs, targets, default, new Progress(reports.Add), CancellationToken.None);
            Assert.Equal(Enumerable.Range(1, count), reports.OrderBy(v => v));

            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => method.Batch(inputs, targets, default, null, cancelled.Token));

            // Cancelled after the first input is done: the rest stop.
            using var midway = new CancellationTokenSource();
            var done = new ConcurrentBag<int>();
            Assert.ThrowsAny<OperationCanceledException>(() => method.Batch(inputs, targets, default, new Progress(v =>
            {
                done.Add(v);
                midway.Cancel();
            }), midway.Token));
            Assert.True(done.Count < count, $"{method.Name}: {done.Count} inputs reported after cancellation");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void AttributeTargets_LayerMethodsAndIntegratedGradients_EqualPerTargetCallsExactly(string name)
    {
        INetwork<double> network = Network(name);
        NetworkInfo info = network.Info;
        (double[] input, double[] baseline) = InputAndBaseline(info, 50);
        int last = info.OutputLength - 1;
        int[] targets = [last, 0, last, 1 % info.OutputLength];
        var options = new LayerAttributionOptions { Points = 7, InternalBatchSize = 3 };
        foreach (Layer layer in info.Layers.Skip(1))
        {
            var conductance = new LayerConductance<double>(network, layer, options);
            var influence = new InternalInfluence<double>(network, layer, options);
            LayerAttribution<double>[] fromOptions = conductance.AttributeTargets(input, targets);
            LayerAttribution<double>[] fromOwn = conductance.AttributeTargets(input, baseline, targets);
            LayerInfluence<double>[] influences = influence.AttributeTargets(input, targets);
            LayerInfluence<double>[] ownInfluences = influence.AttributeTargets(input, baseline, targets);
            for (int t = 0; t < targets.Length; t++)
            {
                Same(conductance.Attribute(input, targets[t]), fromOptions[t]);
                Same(conductance.Attribute(input, baseline, targets[t]), fromOwn[t]);
                Assert.Equal(influence.Attribute(input, targets[t]).Values.ToArray(), influences[t].Values.ToArray());
                Assert.Equal(influence.Attribute(input, baseline, targets[t]).Values.ToArray(), ownInfluences[t].Values.ToArray());
            }
        }

        var ig = new IntegratedGradients<double>(network, options);
        Attribution<double>[] own = ig.AttributeTargets(input, baseline, targets);
        for (int t = 0; t < targets.Length; t++)
        {
            Same(ig.Attribute(input, baseline, targets[t]), own[t]);
        }

        Assert.Empty(new LayerConductance<double>(network, info.Layers[1], options).AttributeTargets(input, []));
        Assert.Throws<ArgumentOutOfRangeException>("targets", () => new InternalInfluence<double>(network, info.Layers[1], options).AttributeTargets(input, [0, info.OutputLength]));
    }

    /// <summary>Every method of the family, through the interface, with its numbers flattened for comparison.</summary>
    private static IEnumerable<MethodCase> Methods(INetwork<double> network)
    {
        NetworkInfo info = network.Info;
        Layer layer = info.Layers[info.Layers.Count / 2];
        var ig = new IntegratedGradientsOptions { Points = 6, InternalBatchSize = 4 };
        var layered = new LayerAttributionOptions { Points = 5, InternalBatchSize = 3 };
        double[] set = NetworkHarness.RandomVector(new Random(99), 2 * info.InputLength, scale: 0.3);
        yield return MethodCase.Of("IntegratedGradients", new IntegratedGradients<double>(network, ig), r => [.. r.Values, .. Delta(r.Delta)]);
        yield return MethodCase.Of("LayerConductance", new LayerConductance<double>(network, layer, layered), r => [.. r.Values, .. Delta(r.Delta)]);
        yield return MethodCase.Of("InternalInfluence", new InternalInfluence<double>(network, layer, layered), r => r.Values.ToArray());
        yield return MethodCase.Of("NeuronConductance", new NeuronConductance<double>(network, layer, layered), r => r.Values.ToArray());
        yield return MethodCase.Of("InteriorGradients", new InteriorGradients<double>(network, new InteriorGradientsOptions { Count = 4 }), r => [.. r.Gradients, .. r.Outputs, r.OutputAtBaseline, r.OutputAtInput]);
        yield return MethodCase.Of("ExpectedGradients", new ExpectedGradients<double>(network, set, ig), r => [.. r.Values, .. Delta(r.Delta)]);
    }

    private static double[] Delta(ConvergenceDelta delta) => [delta.Absolute, delta.Relative, delta.OutputAtInput, delta.OutputAtBaseline];

    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    private delegate double[][] BatchCall(double[] inputs, int[] targets, double[]? baselines, IProgress<int>? progress, CancellationToken cancellationToken);

    private sealed record MethodCase(string Name, BatchCall BatchCall, Func<double[], double[]?, int, double[]> Single)
    {
        public static MethodCase Of<TResult>(string name, IAttributionMethod<double, TResult> method, Func<TResult, double[]> numbers) =>
            new(
                name,
                (inputs, targets, baselines, progress, token) => [.. method.AttributeBatch(inputs, targets, baselines, progress, token).Select(numbers)],
                (input, baseline, target) => numbers(baseline is null ? method.Attribute(input, target) : method.Attribute(input, baseline, target)));

        public double[][] Batch(double[] inputs, int[] targets, double[]? baselines, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
            BatchCall(inputs, targets, baselines, progress, cancellationToken);
    }
}

/// <summary>What the CPU's batch-form tests share: the batch size, the two networks, and exact equality of two results (used only where the code path is the same).</summary>
internal static class BatchFixtures
{
    public const int Count = 5;

    public static IEnumerable<object[]> Networks() => [[nameof(TanhMlp)], [nameof(EveryLayerCnn)]];

    public static INetwork<double> Network(string name) => name switch
    {
        nameof(TanhMlp) => Randomized(new TanhMlp(), 10),
        _ => Randomized(new EveryLayerCnn(), 10),
    };

    public static void Same(Attribution<double> expected, Attribution<double> actual)
    {
        Assert.Equal(expected.Values.ToArray(), actual.Values.ToArray());
        Assert.Equal(expected.Delta, actual.Delta);
    }

    public static void Same(LayerAttribution<double> expected, LayerAttribution<double> actual)
    {
        Assert.Same(expected.Layer, actual.Layer);
        Assert.Equal(expected.Values.ToArray(), actual.Values.ToArray());
        Assert.Equal(expected.Delta, actual.Delta);
    }

    public static void Same(NeuronAttribution<double> expected, NeuronAttribution<double> actual)
    {
        Assert.Same(expected.Layer, actual.Layer);
        Assert.Equal(expected.Neurons.ToArray(), actual.Neurons.ToArray());
        Assert.Equal(expected.Values.ToArray(), actual.Values.ToArray());
    }
}
