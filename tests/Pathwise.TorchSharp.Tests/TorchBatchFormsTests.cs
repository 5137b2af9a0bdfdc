using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Pathwise;
using Pathwise.Tests;
using TorchSharp;
using Xunit;
using static Pathwise.TorchSharp.Tests.DeviceAgreement;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// The device's batch and multi-target forms against the CPU's single calls, float64, 1e-9 relative to the largest
/// value (the bound of the other cross-checks). Every method stacks a group of inputs' path points in one tensor per chunk
/// when <c>InternalBatchSize</c> holds several inputs' points (interior gradients' 3 factors in chunks of 64 always do; expected
/// gradients stacks (input, baseline) pairs), and runs input by input otherwise.
/// </summary>
public class TorchBatchFormsTests
{
    private const int Count = 5;

    public static TheoryData<string, int> NetworksAndBatchSizes() => new()
    {
        // 6 points: InternalBatchSize 20 stacks 3 inputs per chunk (groups of 3 and 2); 4 runs them one by one in chunks.
        { nameof(ReluMlp), 20 },
        { nameof(ReluMlp), 4 },
        { nameof(EveryLayerCnn), 20 },
        { nameof(EveryLayerCnn), 4 },
    };

    [Theory]
    [MemberData(nameof(NetworksAndBatchSizes))]
    public void AttributeBatch_EveryMethod_MatchesCpuSingleCalls(string name, int internalBatchSize)
    {
        Subject<double> subject = Subjects.Create64(name);
        NetworkInfo info = subject.Info;
        int length = info.InputLength;
        double[] inputs = subject.RandomPoints(Count, 71);
        double[] baselines = subject.RandomPoints(Count, 72, scale: 0.5);
        int[] targets = [.. Enumerable.Range(0, Count).Select(m => (3 * m + 2) % info.OutputLength)];
        Layer layer = info.Layers[info.Layers.Count / 2];
        var ig = new IntegratedGradientsOptions { Points = 6, InternalBatchSize = internalBatchSize, Baseline = Baseline.Constant(0.1) };
        var layered = new LayerAttributionOptions { Points = 6, InternalBatchSize = internalBatchSize, Baseline = Baseline.Constant(0.1) };
        double[] set = subject.RandomPoints(2, 73, scale: 0.3);
        using var module = new TorchNetwork<double>(info, subject.Parameters);
        using var torchIg = new TorchIntegratedGradients<double>(module, ig);
        using var torchConductance = new TorchLayerConductance<double>(module, layer, layered);
        using var torchInfluence = new TorchInternalInfluence<double>(module, layer, layered);
        using var torchNeuron = new TorchNeuronConductance<double>(module, layer, layered);
        using var torchInterior = new TorchInteriorGradients<double>(module, new InteriorGradientsOptions { Count = 3 });
        using var torchExpected = new TorchExpectedGradients<double>(module, set, ig);
        INetwork<double> network = subject.Network;
        Compare(name + " IG", torchIg, new IntegratedGradients<double>(network, ig), r => r.Values.ToArray(), r => Delta(r.Delta));
        Compare(name + " conductance", torchConductance, new LayerConductance<double>(network, layer, layered), r => r.Values.ToArray(), r => Delta(r.Delta));
        Compare(name + " influence", torchInfluence, new InternalInfluence<double>(network, layer, layered), r => r.Values.ToArray(), r => []);
        Compare(name + " neuron conductance", torchNeuron, new NeuronConductance<double>(network, layer, layered), r => r.Values.ToArray(), r => []);
        Compare(name + " interior", torchInterior, new InteriorGradients<double>(network, new InteriorGradientsOptions { Count = 3 }), r => r.Gradients.ToArray(), r => [r.OutputAtBaseline, r.OutputAtInput, .. r.Outputs]);
        Compare(name + " expected", torchExpected, new ExpectedGradients<double>(network, set, ig), r => r.Values.ToArray(), r => Delta(r.Delta));

        void Compare<TResult>(string what, IAttributionMethod<double, TResult> device, IAttributionMethod<double, TResult> cpu, Func<TResult, double[]> values, Func<TResult, double[]> scalars)
        {
            TResult[] fromOptions = device.AttributeBatch(inputs, targets);
            TResult[] fromOwn = device.AttributeBatch(inputs, targets, baselines);
            Assert.Equal(Count, fromOptions.Length);
            Assert.Equal(Count, fromOwn.Length);
            for (int m = 0; m < Count; m++)
            {
                double[] input = inputs.AsSpan(m * length, length).ToArray();
                double[] baseline = baselines.AsSpan(m * length, length).ToArray();
                Same(cpu.Attribute(input, targets[m]), fromOptions[m], values, scalars, $"{what} input {m}");
                Same(cpu.Attribute(input, baseline, targets[m]), fromOwn[m], values, scalars, $"{what} input {m}, own baseline");
            }
        }
    }

    [Theory]
    [InlineData(nameof(ReluMlp))]
    [InlineData(nameof(EveryLayerCnn))]
    public void AttributeTargets_MatchCpuPerTargetCalls(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        NetworkInfo info = subject.Info;
        double[] input = subject.RandomPoints(1, 81);
        double[] baseline = subject.RandomPoints(1, 82, scale: 0.5);
        int last = info.OutputLength - 1;
        int[] targets = [last, 0, last, 1];
        var options = new LayerAttributionOptions { Points = 5, InternalBatchSize = 2 };
        using var module = new TorchNetwork<double>(info, subject.Parameters);
        using var torchIg = new TorchIntegratedGradients<double>(module, options);
        var cpuIg = new IntegratedGradients<double>(subject.Network, options);
        Attribution<double>[] igs = torchIg.AttributeTargets(input, targets);
        Attribution<double>[] ownIgs = torchIg.AttributeTargets(input, baseline, targets);
        for (int t = 0; t < targets.Length; t++)
        {
            Same(cpuIg.Attribute(input, targets[t]), igs[t], r => r.Values.ToArray(), r => Delta(r.Delta), $"{name} IG target {targets[t]}");
            Same(cpuIg.Attribute(input, baseline, targets[t]), ownIgs[t], r => r.Values.ToArray(), r => Delta(r.Delta), $"{name} IG target {targets[t]}, own baseline");
        }

        // Interior and expected gradients, through the interface: several chunks of factors, a set of two baselines.
        var interior = new InteriorGradientsOptions { Count = 70, Baseline = Baseline.Constant(0.1) };
        double[] set = subject.RandomPoints(2, 83, scale: 0.3);
        using var torchInterior = new TorchInteriorGradients<double>(module, interior);
        using var torchExpected = new TorchExpectedGradients<double>(module, set, options);
        SameTargets(torchInterior, new InteriorGradients<double>(subject.Network, interior), r => r.Gradients.ToArray(), r => [r.OutputAtBaseline, r.OutputAtInput, .. r.Outputs], name + " interior");
        SameTargets(torchExpected, new ExpectedGradients<double>(subject.Network, set, options), r => r.Values.ToArray(), r => Delta(r.Delta), name + " expected");

        foreach (Layer layer in info.Layers.Skip(1))
        {
            using var conductance = new TorchLayerConductance<double>(module, layer, options);
            using var influence = new TorchInternalInfluence<double>(module, layer, options);
            var cpuConductance = new LayerConductance<double>(subject.Network, layer, options);
            var cpuInfluence = new InternalInfluence<double>(subject.Network, layer, options);
            LayerAttribution<double>[] conductances = conductance.AttributeTargets(input, targets);
            LayerAttribution<double>[] ownConductances = conductance.AttributeTargets(input, baseline, targets);
            LayerInfluence<double>[] influences = influence.AttributeTargets(input, baseline, targets);
            for (int t = 0; t < targets.Length; t++)
            {
                string what = $"{name} layer {layer.Name} target {targets[t]}";
                Close.All<double>(cpuConductance.Attribute(input, targets[t]).Values, conductances[t].Values, Float64Tolerance, what + " conductance");
                LayerAttribution<double> own = cpuConductance.Attribute(input, baseline, targets[t]);
                Close.All<double>(own.Values, ownConductances[t].Values, Float64Tolerance, what + " conductance, own baseline");
                Close.Value(own.Delta.Absolute, ownConductances[t].Delta.Absolute, Float64Tolerance, Math.Max(1, Math.Abs(own.Sum())), what + " delta");
                Close.All<double>(cpuInfluence.Attribute(input, baseline, targets[t]).Values, influences[t].Values, Float64Tolerance, what + " influence");
            }
        }

        void SameTargets<TResult>(IAttributionMethod<double, TResult> device, IAttributionMethod<double, TResult> cpu, Func<TResult, double[]> values, Func<TResult, double[]> scalars, string what)
        {
            TResult[] fromOptions = device.AttributeTargets(input, targets);
            TResult[] fromOwn = device.AttributeTargets(input, baseline, targets);
            for (int t = 0; t < targets.Length; t++)
            {
                Same(cpu.Attribute(input, targets[t]), fromOptions[t], values, scalars, $"{what} target {targets[t]}");
                Same(cpu.Attribute(input, baseline, targets[t]), fromOwn[t], values, scalars, $"{what} target {targets[t]}, own baseline");
            }
        }
    }

    [Fact]
    public void StackedBatch_ReportsProgress_LeavesNoLiveTensors_AndObservesCancellation()
    {
        Subject<double> subject = Subjects.Create64(nameof(EveryLayerCnn));
        const int count = 7;
        double[] inputs = subject.RandomPoints(count, 91);
        int[] targets = new int[count];
        Layer layer = subject.Info.Layers[4];
        var options = new LayerAttributionOptions { Points = 4, InternalBatchSize = 12 };
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module, options);
        using var conductance = new TorchLayerConductance<double>(module, layer, options);
        using var neuron = new TorchNeuronConductance<double>(module, layer, options);
        using var neuronIg = new TorchNeuronIntegratedGradients<double>(module, layer, options);
        using var region = new TorchRegionToNeuron<double>(module, layer, options);
        using var interior = new TorchInteriorGradients<double>(module, new InteriorGradientsOptions { Count = 5 });
        using var expected = new TorchExpectedGradients<double>(module, inputs.AsSpan(0, 2 * subject.Info.InputLength), options);
        bool[] mask = new bool[subject.Info.InputLength];
        mask.AsSpan(0, mask.Length / 2).Fill(true);

        // 3 inputs per chunk: groups of 3, 3 and 1, each reported when done.
        var reports = new ConcurrentQueue<int>();
        ig.AttributeBatch(inputs, targets, progress: new Recorder(reports), cancellationToken: default);
        Assert.Equal([3, 6, 7], reports.ToArray());

        // Every method stacks (progress comes per group, not per input); interior gradients' 5 factors in chunks of 64 stack all 7.
        Action<IProgress<int>>[] stacked =
        [
            progress => conductance.AttributeBatch(inputs, targets, progress: progress),
            progress => neuron.AttributeBatch(inputs, targets, progress: progress),
            progress => neuronIg.AttributeBatch(inputs, targets, progress: progress),
            progress => region.AttributeBatch(inputs, targets, mask, progress: progress),
            progress => expected.AttributeBatch(inputs, targets, progress: progress),
        ];
        foreach (Action<IProgress<int>> call in stacked)
        {
            var groups = new ConcurrentQueue<int>();
            call(new Recorder(groups));
            Assert.Equal([3, 6, 7], groups.ToArray());
        }

        var all = new ConcurrentQueue<int>();
        interior.AttributeBatch(inputs, targets, progress: new Recorder(all));
        Assert.Equal([7], all.ToArray());

        Action<CancellationToken>[] calls =
        [
            token => ig.AttributeBatch(inputs, targets, cancellationToken: token),
            token => conductance.AttributeBatch(inputs, targets, inputs, cancellationToken: token),
            token => neuron.AttributeBatch(inputs, targets, cancellationToken: token),
            token => neuronIg.AttributeBatch(inputs, targets, inputs, cancellationToken: token),
            token => region.AttributeBatch(inputs, targets, mask, cancellationToken: token),
            token => interior.AttributeBatch(inputs, targets, cancellationToken: token),
            token => expected.AttributeBatch(inputs, targets, cancellationToken: token),
            token => conductance.AttributeTargets(inputs.AsSpan(0, subject.Info.InputLength), [0, 1, 2], token),
            token => ig.AttributeTargets(inputs.AsSpan(0, subject.Info.InputLength), [0, 1, 2], token),
        ];
        foreach (Action<CancellationToken> call in calls)
        {
            call(default);
        }

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        foreach (Action<CancellationToken> call in calls)
        {
            call(default);
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        foreach (Action<CancellationToken> call in calls)
        {
            Assert.Throws<OperationCanceledException>(() => call(cancelled.Token));
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        // Cancelled once the first group is done: the next group does not run.
        using var midway = new CancellationTokenSource();
        var done = new ConcurrentQueue<int>();
        Assert.Throws<OperationCanceledException>(() => ig.AttributeBatch(inputs, targets, progress: new Recorder(done, midway), cancellationToken: midway.Token));
        Assert.Equal([3], done.ToArray());
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Batch_BadRows_ThrowTheCpuErrors()
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        int length = subject.Info.InputLength;
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var ig = new TorchIntegratedGradients<double>(module, new IntegratedGradientsOptions { Points = 4, InternalBatchSize = 16 });
        double[] inputs = subject.RandomPoints(3, 95);
        Assert.Throws<ArgumentException>("inputs", () => ig.AttributeBatch(new double[length + 1], [0]));
        Assert.Throws<ArgumentException>("targets", () => ig.AttributeBatch(inputs, [0, 1]));
        Assert.Throws<ArgumentException>("baselines", () => ig.AttributeBatch(inputs, [0, 1, 2], new double[length]));
        Assert.Throws<ArgumentOutOfRangeException>("targets[2]", () => ig.AttributeBatch(inputs, [0, 1, subject.Info.OutputLength]));
        double[] bad = (double[])inputs.Clone();
        bad[length] = double.NaN;
        Assert.Throws<ArgumentException>("inputs[1]", () => ig.AttributeBatch(bad, [0, 1, 2]));
        Assert.Throws<ArgumentException>("baselines[1]", () => ig.AttributeBatch(inputs, [0, 1, 2], bad));
        Assert.Throws<ArgumentOutOfRangeException>("targets", () => ig.AttributeTargets(inputs.AsSpan(0, length), [0, -1]));
    }

    private sealed class Recorder(ConcurrentQueue<int> reports, CancellationTokenSource? cancel = null) : IProgress<int>
    {
        public void Report(int value)
        {
            reports.Enqueue(value);
            cancel?.Cancel();
        }
    }
}

/// <summary>
/// How the device's results are held to the CPU's: the values within 1e-9 relative to the largest (the bound of every
/// float64 cross-check), and the scalars (deltas, endpoint outputs) within 1e-9 relative to the largest of them or 1.
/// </summary>
internal static class DeviceAgreement
{
    public const double Float64Tolerance = 1e-9;

    public static void Same<TResult>(TResult expected, TResult actual, Func<TResult, double[]> values, Func<TResult, double[]> scalars, string label)
    {
        Close.All<double>(values(expected), values(actual), Float64Tolerance, label);
        double[] e = scalars(expected);
        double[] a = scalars(actual);
        Assert.Equal(e.Length, a.Length);
        double scale = e.Length == 0 ? 1 : Math.Max(1, e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++)
        {
            Close.Value(e[i], a[i], Float64Tolerance, scale, $"{label} scalar {i}");
        }
    }

    public static double[] Delta(ConvergenceDelta delta) => [delta.Absolute, delta.OutputAtInput, delta.OutputAtBaseline];
}
