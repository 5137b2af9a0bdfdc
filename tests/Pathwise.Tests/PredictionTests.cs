using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary><c>model.Predict</c>: one call, the same outputs as the workspace passes, no allocation once warm.</summary>
public sealed class PredictionTests
{
    [Fact]
    public void Predict_EqualsTheForwardPass()
    {
        var network = new FashionCnn64();
        network.InitializeWeights(new Random(41));
        double[] input = NetworkHarness.RandomVector(new Random(42), FashionCnn64.InputLength);

        double[] predicted = network.Predict(input);

        Assert.Equal(FashionCnn64.OutputLength, predicted.Length);
        LayerMethodFixtures.AssertClose(predicted, NetworkHarness.Forward(network, input), 1e-12, "predict");
    }

    [Fact]
    public void PredictBatch_EqualsOneByOne_AcrossChunks()
    {
        var network = new ReluMlp();
        network.InitializeWeights(new Random(43));
        const int count = 2 * NetworkPrediction.BatchChunk + 5;
        double[] inputs = NetworkHarness.RandomVector(new Random(44), count * ReluMlp.InputLength);
        var outputs = new double[count * ReluMlp.OutputLength];

        network.PredictBatch(inputs, outputs);

        for (int m = 0; m < count; m++)
        {
            double[] single = network.Predict(inputs.AsSpan(m * ReluMlp.InputLength, ReluMlp.InputLength));
            LayerMethodFixtures.AssertClose(outputs.AsSpan(m * ReluMlp.OutputLength, ReluMlp.OutputLength), single, 1e-12, $"input {m}");
        }
    }

    [Fact]
    public void PredictIntoSpans_AllocatesNothingOnceWarm()
    {
        var network = new TanhMlp();
        network.InitializeWeights(new Random(45));
        double[] input = NetworkHarness.RandomVector(new Random(46), TanhMlp.InputLength);
        double[] inputs = NetworkHarness.RandomVector(new Random(47), 40 * TanhMlp.InputLength);
        var output = new double[TanhMlp.OutputLength];
        var outputs = new double[40 * TanhMlp.OutputLength];
        network.Predict(input, output);
        network.PredictBatch(inputs, outputs);

        long before = GC.GetAllocatedBytesForCurrentThread();
        network.Predict(input, output);
        network.PredictBatch(inputs, outputs);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Predict_FromManyThreads_MatchesSingleThreaded()
    {
        var network = new ReluMlp();
        network.InitializeWeights(new Random(48));
        const int cases = 12;
        double[][] inputs = new double[cases][];
        var random = new Random(49);
        for (int c = 0; c < cases; c++)
        {
            inputs[c] = NetworkHarness.RandomVector(random, ReluMlp.InputLength);
        }

        Contention.AssertMatchesSerial("Predict", cases, threads: 4, callsPerThread: 200, c => network.Predict(inputs[c]));
    }

    [Fact]
    public void BadInput_NamesWhatWasExpected()
    {
        var network = new TanhMlp();
        network.InitializeWeights(new Random(50));
        Assert.Contains("length 8", Assert.Throws<ArgumentException>(() => network.Predict(new double[7])).Message);
        Assert.Contains("length 3", Assert.Throws<ArgumentException>(() => network.Predict(new double[8], new double[2])).Message);
        Assert.Contains("whole rows of 8", Assert.Throws<ArgumentException>(() => network.PredictBatch(new double[12], new double[3])).Message);
        Assert.Throws<ArgumentException>(() => network.PredictBatch(new double[16], new double[3]));
        Assert.Throws<ArgumentException>(() => network.Predict(new double[] { 0, 0, double.NaN, 0, 0, 0, 0, 0 }));
        network.PredictBatch(ReadOnlySpan<double>.Empty, Span<double>.Empty);
    }
}
