using System;
using System.Collections.Concurrent;
using System.Linq;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

public sealed class BatchProgressTests
{
    private sealed class Recorder : IProgress<int>
    {
        public ConcurrentBag<int> Reports { get; } = new();

        public void Report(int value) => Reports.Add(value);
    }

    [Fact]
    public void AttributeBatch_ReportsEveryCompletedInput()
    {
        var network = new TanhMlp();
        network.InitializeWeights(new Random(1));
        const int count = 7;
        double[] inputs = NetworkHarness.RandomVector(new Random(2), count * 8);
        var recorder = new Recorder();
        new IntegratedGradients<double>(network).AttributeBatch(inputs, new int[count], new double[count * 8], new ConvergenceDelta[count], progress: recorder);
        Assert.Equal(Enumerable.Range(1, count), recorder.Reports.OrderBy(v => v));
    }
}
