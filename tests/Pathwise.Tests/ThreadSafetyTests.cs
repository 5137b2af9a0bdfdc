using System;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>
/// One method object shared by several threads at once, as a server shares one explainer across requests: every
/// result computed under contention equals the single-threaded result for the same input and target.
/// </summary>
public sealed class ThreadSafetyTests
{
    private const int Cases = 12;
    private const int Threads = 4;
    private const int CallsPerThread = 40;

    private static readonly LayerAttributionOptions LayerOptions = new() { Points = 12, InternalBatchSize = 5, Baseline = Baseline.Constant(-0.25) };

    /// <summary>A randomized network with every layer kind, <see cref="Cases"/> inputs, and a random input per case for baselines and weights.</summary>
    private sealed class Fixture
    {
        public Fixture(int seed)
        {
            Network = Randomized(new EveryLayerCnn(), seed);
            var random = new Random(seed + 1);
            Inputs = new double[Cases][];
            Others = new double[Cases][];
            Weights = new double[Cases][];
            for (int c = 0; c < Cases; c++)
            {
                Inputs[c] = NetworkHarness.RandomVector(random, Info.InputLength, 2);
                Others[c] = NetworkHarness.RandomVector(random, Info.InputLength, 0.5);
                Weights[c] = NetworkHarness.RandomVector(random, Info.OutputLength);
            }
        }

        public EveryLayerCnn Network { get; }

        public NetworkInfo Info => Network.Info;

        public double[][] Inputs { get; }

        /// <summary>A second input per case: a baseline, or a region mask by sign.</summary>
        public double[][] Others { get; }

        public double[][] Weights { get; }

        public int Target(int c) => c % Info.OutputLength;

        public bool[] Region(int c) => Array.ConvertAll(Others[c], v => v > 0);
    }

    private static double[] Joined(ReadOnlySpan<double> values, ConvergenceDelta delta) =>
        Contention.Join(values, delta.Absolute, delta.OutputAtInput, delta.OutputAtBaseline);

    private static double[] Joined(LayerAttribution<double> attribution) => Joined(attribution.Values, attribution.Delta);

    [Fact]
    public void IntegratedGradients_EveryOverload_MatchesSingleThreaded()
    {
        var fixture = new Fixture(800);
        var ig = new IntegratedGradients<double>(fixture.Network, LayerOptions);
        int length = fixture.Info.InputLength;
        Contention.AssertMatchesSerial("IG", Cases, Threads, CallsPerThread, c =>
        {
            var values = new double[length];
            switch (c % 4)
            {
                case 0:
                    return Joined(values, ig.Attribute(fixture.Inputs[c], fixture.Target(c), values));
                case 1:
                    return Joined(values, ig.Attribute(fixture.Inputs[c], fixture.Weights[c], values));
                case 2:
                    return Joined(values, ig.Attribute(fixture.Inputs[c], fixture.Others[c], fixture.Target(c), values));
                default:
                    var targets = new[] { fixture.Target(c), fixture.Target(c + 1) };
                    var rows = new double[2 * length];
                    var deltas = new ConvergenceDelta[2];
                    ig.AttributeTargets(fixture.Inputs[c], targets, rows, deltas);
                    return Contention.Join(rows, deltas[0].Absolute, deltas[0].OutputAtInput, deltas[1].Absolute, deltas[1].OutputAtInput);
            }
        });
    }

    [Fact]
    public void IntegratedGradients_AttributeBatchAlongsideAttribute_MatchesSingleThreaded()
    {
        // Two threads run batches of 20 while two run single inputs, all on one object.
        var fixture = new Fixture(810);
        var ig = new IntegratedGradients<double>(fixture.Network, LayerOptions);
        int length = fixture.Info.InputLength;
        const int batch = 20;
        Contention.AssertMatchesSerial("IG batch", Cases, Threads, 10, c =>
        {
            if (c % 2 == 0)
            {
                var values = new double[length];
                return Joined(values, ig.Attribute(fixture.Inputs[c], fixture.Target(c), values));
            }

            var inputs = new double[batch * length];
            var targets = new int[batch];
            for (int m = 0; m < batch; m++)
            {
                fixture.Inputs[(c + m) % Cases].CopyTo(inputs, m * length);
                targets[m] = fixture.Target(c + m);
            }

            var attributions = new double[batch * length];
            var deltas = new ConvergenceDelta[batch];
            ig.AttributeBatch(inputs, targets, attributions, deltas);
            return Contention.Join(attributions, Array.ConvertAll(deltas, d => d.Absolute));
        });
    }

    [Fact]
    public void IntegratedGradients_AttributeBatchFromTwoThreads_MatchesSingleThreaded()
    {
        var fixture = new Fixture(820);
        var ig = new IntegratedGradients<double>(fixture.Network, LayerOptions);
        int length = fixture.Info.InputLength;
        const int batch = 20;
        Contention.AssertMatchesSerial("IG AttributeBatch", 4, 2, 10, c =>
        {
            var inputs = new double[batch * length];
            var targets = new int[batch];
            for (int m = 0; m < batch; m++)
            {
                fixture.Inputs[(c + m) % Cases].CopyTo(inputs, m * length);
                targets[m] = fixture.Target(c + 2 * m);
            }

            var attributions = new double[batch * length];
            var deltas = new ConvergenceDelta[batch];
            ig.AttributeBatch(inputs, targets, attributions, deltas);
            return Contention.Join(attributions, Array.ConvertAll(deltas, d => d.Absolute));
        });
    }

    [Theory]
    [InlineData("LayerConductance")]
    [InlineData("InternalInfluence")]
    [InlineData("NeuronConductance")]
    [InlineData("NeuronIntegratedGradients")]
    [InlineData("RegionToNeuron")]
    public void HiddenLayerMethod_MatchesSingleThreaded(string method)
    {
        var fixture = new Fixture(830);
        EveryLayerCnn network = fixture.Network;
        Func<int, double[]> call;
        switch (method)
        {
            case "LayerConductance":
                var conductance = new LayerConductance<double>(network, network.Conv2, LayerOptions);
                call = c => Joined(c % 2 == 0 ? conductance.Attribute(fixture.Inputs[c], fixture.Target(c)) : conductance.Attribute(fixture.Inputs[c], fixture.Weights[c]));
                break;
            case "InternalInfluence":
                var influence = new InternalInfluence<double>(network, network.Hidden, LayerOptions with { AttributeToLayerInput = true });
                call = c => influence.Attribute(fixture.Inputs[c], fixture.Target(c)).ToArray();
                break;
            case "NeuronConductance":
                var neurons = new NeuronConductance<double>(network, network.Hidden, LayerOptions);
                call = c => neurons.Attribute(fixture.Inputs[c], fixture.Target(c), [c % 7, (c + 3) % 7]).ToArray();
                break;
            case "NeuronIntegratedGradients":
                var neuron = new NeuronIntegratedGradients<double>(network, network.Conv, LayerOptions);
                call = c =>
                {
                    Attribution<double> attribution = neuron.Attribute(fixture.Inputs[c], 5 * c);
                    return Joined(attribution.Values, attribution.Delta);
                };
                break;
            default:
                var region = new RegionToNeuron<double>(network, network.Hidden, LayerOptions);
                call = c => Joined(region.Attribute(fixture.Inputs[c], fixture.Target(c), fixture.Region(c)));
                break;
        }

        Contention.AssertMatchesSerial(method, Cases, Threads, CallsPerThread, call);
    }

    [Fact]
    public void ExpectedGradients_MatchesSingleThreaded()
    {
        var fixture = new Fixture(840);
        int length = fixture.Info.InputLength;
        var baselines = new double[4 * length];
        for (int b = 0; b < 4; b++)
        {
            fixture.Others[b].CopyTo(baselines, b * length);
        }

        var method = new ExpectedGradients<double>(fixture.Network, baselines, LayerOptions);
        Contention.AssertMatchesSerial("ExpectedGradients", Cases, Threads, 20, c =>
        {
            Attribution<double> attribution = c % 2 == 0
                ? method.Attribute(fixture.Inputs[c], fixture.Target(c))
                : method.AttributeSampled(fixture.Inputs[c], fixture.Target(c), samples: 3, seed: c);
            return Joined(attribution.Values, attribution.Delta);
        });
    }

    [Fact]
    public void InteriorGradients_MatchesSingleThreaded()
    {
        var fixture = new Fixture(850);
        var method = new InteriorGradients<double>(fixture.Network, new InteriorGradientsOptions { Count = 9, Baseline = Baseline.Constant(0.5) });
        Contention.AssertMatchesSerial("InteriorGradients", Cases, Threads, CallsPerThread, c =>
        {
            InteriorGradientsResult<double> result = method.Attribute(fixture.Inputs[c], fixture.Target(c));
            return Contention.Join(result.Gradients, Contention.Join(result.Outputs, result.OutputAtBaseline, result.OutputAtInput));
        });
    }
}
