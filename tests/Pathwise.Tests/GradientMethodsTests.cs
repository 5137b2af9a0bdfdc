using System;
using System.Collections.Generic;
using System.Threading;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>Saliency and input times gradient against central finite differences in float64, their batch form, checks and sharing.</summary>
public sealed class GradientMethodsTests
{
    public static IEnumerable<object[]> Networks()
    {
        yield return [new Linear()];
        yield return [new ActivationZoo()];
        yield return [new TanhMlp()];
        yield return [new ReluMlp()];
        yield return [new EveryLayerCnn()];
        yield return [new PoolFirst()];
    }

    internal static T Randomized<T>(T network, int seed) where T : INetwork<double>
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        return network;
    }

    private static double[] OneHot(int length, int index)
    {
        var values = new double[length];
        values[index] = 1;
        return values;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Saliency_IsTheFiniteDifferenceGradient(INetwork<double> network)
    {
        Randomized(network, 11);
        NetworkInfo info = network.Info;
        double[] input = NetworkHarness.RandomVector(new Random(5), info.InputLength, 1.5);
        int target = info.OutputLength - 1;
        double[] expected = NetworkHarness.FiniteDifferenceGradient(network, input, OneHot(info.OutputLength, target));

        FeatureAttribution<double> signed = new Saliency<double>(network, new SaliencyOptions { Absolute = false }).Attribute(input, target);
        FeatureAttribution<double> absolute = new Saliency<double>(network).Attribute(input, target);

        Assert.True(NetworkHarness.RelativeError(signed.Values, expected) < 1e-6, $"{info.Name}: signed saliency off by {NetworkHarness.RelativeError(signed.Values, expected):E2}");
        double[] magnitudes = Array.ConvertAll(expected, Math.Abs);
        Assert.True(NetworkHarness.RelativeError(absolute.Values, magnitudes) < 1e-6, $"{info.Name}: |saliency| off by {NetworkHarness.RelativeError(absolute.Values, magnitudes):E2}");
        Assert.Equal(1, absolute.Points);
        Assert.Equal(info.Input.OutputShape, absolute.Shape);
        foreach (double value in absolute.Values)
        {
            Assert.True(value >= 0);
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Saliency_OfWeightedOutputs_IsTheFiniteDifferenceGradient(INetwork<double> network)
    {
        Randomized(network, 12);
        NetworkInfo info = network.Info;
        var random = new Random(6);
        double[] input = NetworkHarness.RandomVector(random, info.InputLength, 1.5);
        double[] weights = NetworkHarness.RandomVector(random, info.OutputLength);
        double[] expected = NetworkHarness.FiniteDifferenceGradient(network, input, weights);

        var saliency = new Saliency<double>(network, new SaliencyOptions { Absolute = false });
        double[] actual = new double[info.InputLength];
        saliency.Attribute(input, weights, actual);

        Assert.True(NetworkHarness.RelativeError(actual, expected) < 1e-6, $"{info.Name}: off by {NetworkHarness.RelativeError(actual, expected):E2}");
        Assert.True(NetworkHarness.RelativeError(saliency.Attribute(input, weights).Values, expected) < 1e-6);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void InputXGradient_IsInputTimesTheFiniteDifferenceGradient(INetwork<double> network)
    {
        Randomized(network, 13);
        NetworkInfo info = network.Info;
        double[] input = NetworkHarness.RandomVector(new Random(8), info.InputLength, 1.5);
        double[] gradient = NetworkHarness.FiniteDifferenceGradient(network, input, OneHot(info.OutputLength, 0));
        var expected = new double[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            expected[i] = input[i] * gradient[i];
        }

        FeatureAttribution<double> actual = new InputXGradient<double>(network).Attribute(input, 0);

        Assert.True(NetworkHarness.RelativeError(actual.Values, expected) < 1e-6, $"{info.Name}: off by {NetworkHarness.RelativeError(actual.Values, expected):E2}");
        Assert.Equal(1, actual.Points);
    }

    [Fact]
    public void InputXGradient_OfALinearModelWithoutBias_SumsToTheOutput()
    {
        // F(x) = w.x + b, so sum_i x_i w_i = F(x) - F(0) exactly in exact arithmetic: a closed form beside the FD check.
        Linear network = Randomized(new Linear(), 3);
        double[] input = NetworkHarness.RandomVector(new Random(9), 6, 2.0);
        double atInput = NetworkHarness.Forward(network, input)[2];
        double atZero = NetworkHarness.Forward(network, new double[6])[2];
        Assert.Equal(atInput - atZero, new InputXGradient<double>(network).Attribute(input, 2).Sum(), 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(64)]
    public void AttributeBatch_MatchesOneInputAtATime(int internalBatchSize)
    {
        // A batch row goes through the same kernels as a single input but in a wider pass, so rounding may differ.
        EveryLayerCnn network = Randomized(new EveryLayerCnn(), 21);
        NetworkInfo info = network.Info;
        const int count = 7;
        double[] inputs = NetworkHarness.RandomVector(new Random(4), count * info.InputLength, 1.5);
        int[] targets = [0, 3, 1, 2, 2, 0, 3];
        var saliency = new Saliency<double>(network, new SaliencyOptions { InternalBatchSize = internalBatchSize, Absolute = false });
        var inputXGradient = new InputXGradient<double>(network, new GradientMethodOptions { InternalBatchSize = internalBatchSize });

        FeatureAttribution<double>[] saliencies = saliency.AttributeBatch(inputs, targets);
        FeatureAttribution<double>[] products = inputXGradient.AttributeBatch(inputs, targets);

        Assert.Equal(count, saliencies.Length);
        for (int m = 0; m < count; m++)
        {
            ReadOnlySpan<double> input = inputs.AsSpan(m * info.InputLength, info.InputLength);
            Assert.True(NetworkHarness.RelativeError(saliencies[m].Values, saliency.Attribute(input, targets[m]).Values) <= 1e-12, $"saliency row {m}");
            Assert.True(NetworkHarness.RelativeError(products[m].Values, inputXGradient.Attribute(input, targets[m]).Values) <= 1e-12, $"input x gradient row {m}");
            Assert.Equal(1, saliencies[m].Points);
        }

        Assert.Empty(saliency.AttributeBatch([], []));
    }

    [Fact]
    public void BadArguments_ThrowNamingWhatWasExpected()
    {
        TanhMlp network = Randomized(new TanhMlp(), 1);
        var saliency = new Saliency<double>(network);
        var inputXGradient = new InputXGradient<double>(network);
        double[] input = new double[8];

        ArgumentException wrongLength = Assert.Throws<ArgumentException>("input", () => saliency.Attribute(new double[7], 0));
        Assert.Contains("Expected input of length 8; got 7", wrongLength.Message);
        double[] nan = new double[8];
        nan[3] = double.NaN;
        ArgumentException notFinite = Assert.Throws<ArgumentException>("input", () => inputXGradient.Attribute(nan, 0));
        Assert.Contains("element 3 is NaN", notFinite.Message);
        Assert.Throws<ArgumentOutOfRangeException>("target", () => saliency.Attribute(input, 3));
        Assert.Throws<ArgumentOutOfRangeException>("target", () => inputXGradient.Attribute(input, -1));
        Assert.Throws<ArgumentException>("attributions", () => saliency.Attribute(input, 0, new double[9]));
        Assert.Throws<ArgumentException>("outputCoefficients", () => saliency.Attribute(input, new double[2]));
        Assert.Throws<ArgumentException>("outputCoefficients", () => saliency.Attribute(input, [1.0, double.PositiveInfinity, 0]));

        Assert.Throws<ArgumentException>("inputs", () => saliency.AttributeBatch(new double[15], [0, 1]));
        ArgumentOutOfRangeException badTarget = Assert.Throws<ArgumentOutOfRangeException>("targets[1]", () => saliency.AttributeBatch(new double[16], [0, 5]));
        Assert.Contains("Expected targets[1] in [0, 3); got 5", badTarget.Message);
        double[] batch = new double[16];
        batch[9] = double.NegativeInfinity;
        Assert.Throws<ArgumentException>("inputs[1]", () => inputXGradient.AttributeBatch(batch, [0, 1]));

        Assert.Throws<ArgumentOutOfRangeException>("InternalBatchSize", () => new Saliency<double>(network, new SaliencyOptions { InternalBatchSize = -1 }));
        Assert.Throws<InvalidOperationException>(() => new Saliency<double>(new TanhMlp()));
        Assert.Throws<InvalidOperationException>(() => new InputXGradient<double>(new TanhMlp()));
        Assert.Throws<ArgumentNullException>(() => new Saliency<double>(null!));
    }

    [Fact]
    public void Cancellation_IsHonoured()
    {
        TanhMlp network = Randomized(new TanhMlp(), 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => new Saliency<double>(network).Attribute(new double[8], 0, cancelled.Token));
    }

    [Fact]
    public void SpanForm_AllocatesNothingOnceWarm()
    {
        TinyMlp32 network = new();
        network.InitializeWeights(new Random(1));
        var saliency = new Saliency<float>(network);
        var inputXGradient = new InputXGradient<float>(network);
        float[] input = [0.5f, -1, 2, 0.25f, 0, 1, -0.5f, 3];
        float[] coefficients = [0.5f, 1, -1];
        float[] attributions = new float[8];
        saliency.Attribute(input, 1, attributions);
        inputXGradient.Attribute(input, coefficients, attributions);

        long before = GC.GetAllocatedBytesForCurrentThread();
        saliency.Attribute(input, 1, attributions);
        inputXGradient.Attribute(input, coefficients, attributions);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void OneSaliency_SharedByThreads_MatchesSerialResults()
    {
        EveryLayerCnn network = Randomized(new EveryLayerCnn(), 31);
        var saliency = new Saliency<double>(network, new SaliencyOptions { Absolute = false });
        const int cases = 6;
        double[] inputs = NetworkHarness.RandomVector(new Random(2), cases * network.Info.InputLength, 1.5);
        int length = network.Info.InputLength;
        Contention.AssertMatchesSerial(
            "Saliency",
            cases,
            threads: 4,
            callsPerThread: 40,
            c => saliency.Attribute(inputs.AsSpan(c * length, length), c % network.Info.OutputLength).ToArray());
    }

    [Fact]
    public void FeatureAttribution_ChecksItsLength_AndHandsOutCopies()
    {
        var shape = new TensorShape(3);
        Assert.Throws<ArgumentException>("values", () => new FeatureAttribution<double>(new double[2], shape, 1));
        Assert.Throws<ArgumentOutOfRangeException>("points", () => new FeatureAttribution<double>(new double[3], shape, -1));
        var attribution = new FeatureAttribution<double>([1.0, 2.0, 3.5], shape, 1);
        double[] copy = attribution.ToArray();
        copy[0] = 10;
        Assert.Equal(1.0, attribution[0]);
        Assert.Equal(6.5, attribution.Sum());
        var image = new FeatureAttribution<double>([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], new TensorShape(2, 2, 3), 1);
        Assert.Equal(10.0, image[1, 1, 1]);
    }
}
