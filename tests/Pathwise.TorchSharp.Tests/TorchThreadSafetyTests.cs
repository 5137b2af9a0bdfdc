using System;
using Pathwise;
using Pathwise.Tests;
using Xunit;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// One torch method object shared by several threads at once: every result computed under contention equals the
/// single-threaded result for the same input and target. Fewer calls than the CPU tests: each is a device round trip.
/// </summary>
public sealed class TorchThreadSafetyTests
{
    private const int Cases = 6;
    private const int Threads = 4;
    private const int CallsPerThread = 10;

    private static readonly LayerAttributionOptions Options = new() { Points = 8, InternalBatchSize = 3, Baseline = Baseline.Constant(-0.25) };

    /// <summary>The network with every layer kind on the CPU device, and per case an input, a second input and output weights.</summary>
    private sealed class Fixture : IDisposable
    {
        public Fixture(int seed)
        {
            Subject = Subjects.Create64(nameof(EveryLayerCnn), seed);
            Module = new TorchNetwork<double>(Subject.Info, Subject.Parameters);
            Inputs = new double[Cases][];
            Others = new double[Cases][];
            Weights = new double[Cases][];
            for (int c = 0; c < Cases; c++)
            {
                Inputs[c] = Subject.RandomPoints(1, seed + 10 + c);
                Others[c] = Subject.RandomPoints(1, seed + 20 + c, scale: 0.5);
                Weights[c] = Subject.RandomPoints(1, seed + 30 + c)[..Subject.Info.OutputLength];
            }
        }

        public Subject<double> Subject { get; }

        public TorchNetwork<double> Module { get; }

        public NetworkInfo Info => Subject.Info;

        public EveryLayerCnn Network => (EveryLayerCnn)Subject.Network;

        public double[][] Inputs { get; }

        public double[][] Others { get; }

        public double[][] Weights { get; }

        public int Target(int c) => c % Info.OutputLength;

        public void Dispose() => Module.Dispose();
    }

    private static double[] Joined(ReadOnlySpan<double> values, ConvergenceDelta delta) =>
        Contention.Join(values, delta.Absolute, delta.OutputAtInput, delta.OutputAtBaseline);

    [Fact]
    public void IntegratedGradients_MatchesSingleThreaded()
    {
        using var fixture = new Fixture(1000);
        using var method = new TorchIntegratedGradients<double>(fixture.Module, Options);
        Contention.AssertMatchesSerial("TorchIntegratedGradients", Cases, Threads, CallsPerThread, c =>
        {
            Attribution<double> attribution = c % 2 == 0
                ? method.Attribute(fixture.Inputs[c], fixture.Target(c))
                : method.Attribute(fixture.Inputs[c], fixture.Weights[c]);
            return Joined(attribution.Values, attribution.Delta);
        });
    }

    [Theory]
    [InlineData("LayerConductance")]
    [InlineData("InternalInfluence")]
    [InlineData("NeuronConductance")]
    [InlineData("NeuronIntegratedGradients")]
    [InlineData("RegionToNeuron")]
    public void HiddenLayerMethod_MatchesSingleThreaded(string name)
    {
        using var fixture = new Fixture(1010);
        EveryLayerCnn network = fixture.Network;
        IDisposable method;
        Func<int, double[]> call;
        switch (name)
        {
            case "LayerConductance":
                var conductance = new TorchLayerConductance<double>(fixture.Module, network.Conv2, Options);
                (method, call) = (conductance, c =>
                {
                    LayerAttribution<double> result = c % 2 == 0 ? conductance.Attribute(fixture.Inputs[c], fixture.Target(c)) : conductance.Attribute(fixture.Inputs[c], fixture.Weights[c]);
                    return Joined(result.Values, result.Delta);
                });
                break;
            case "InternalInfluence":
                var influence = new TorchInternalInfluence<double>(fixture.Module, network.Hidden, Options with { AttributeToLayerInput = true });
                (method, call) = (influence, c => influence.Attribute(fixture.Inputs[c], fixture.Target(c)).ToArray());
                break;
            case "NeuronConductance":
                var neurons = new TorchNeuronConductance<double>(fixture.Module, network.Hidden, Options);
                (method, call) = (neurons, c => neurons.Attribute(fixture.Inputs[c], fixture.Target(c), [c % 7, (c + 3) % 7]).ToArray());
                break;
            case "NeuronIntegratedGradients":
                var neuron = new TorchNeuronIntegratedGradients<double>(fixture.Module, network.Conv, Options);
                (method, call) = (neuron, c =>
                {
                    Attribution<double> result = neuron.Attribute(fixture.Inputs[c], 7 * c);
                    return Joined(result.Values, result.Delta);
                });
                break;
            default:
                var region = new TorchRegionToNeuron<double>(fixture.Module, network.Hidden, Options);
                (method, call) = (region, c =>
                {
                    LayerAttribution<double> result = region.Attribute(fixture.Inputs[c], fixture.Target(c), Array.ConvertAll(fixture.Others[c], v => v > 0));
                    return Joined(result.Values, result.Delta);
                });
                break;
        }

        using (method)
        {
            Contention.AssertMatchesSerial("Torch" + name, Cases, Threads, CallsPerThread, call);
        }
    }

    [Fact]
    public void ExpectedGradients_MatchesSingleThreaded()
    {
        using var fixture = new Fixture(1020);
        int length = fixture.Info.InputLength;
        var baselines = new double[2 * length];
        for (int b = 0; b < 2; b++)
        {
            fixture.Others[b].CopyTo(baselines, b * length);
        }

        using var method = new TorchExpectedGradients<double>(fixture.Module, baselines, Options);
        // Fewer calls: each runs the whole path once per baseline.
        Contention.AssertMatchesSerial("TorchExpectedGradients", Cases, Threads, 6, c =>
        {
            Attribution<double> attribution = c % 2 == 0
                ? method.Attribute(fixture.Inputs[c], fixture.Target(c))
                : method.AttributeSampled(fixture.Inputs[c], fixture.Target(c), samples: 2, seed: c);
            return Joined(attribution.Values, attribution.Delta);
        });
    }

    [Fact]
    public void InteriorGradients_MatchesSingleThreaded()
    {
        using var fixture = new Fixture(1030);
        using var method = new TorchInteriorGradients<double>(fixture.Module, new InteriorGradientsOptions { Count = 7, Baseline = Baseline.Constant(0.5) });
        Contention.AssertMatchesSerial("TorchInteriorGradients", Cases, Threads, CallsPerThread, c =>
        {
            InteriorGradientsResult<double> result = method.Attribute(fixture.Inputs[c], fixture.Target(c));
            return Contention.Join(result.Gradients, Contention.Join(result.Outputs, result.OutputAtBaseline, result.OutputAtInput));
        });
    }
}
