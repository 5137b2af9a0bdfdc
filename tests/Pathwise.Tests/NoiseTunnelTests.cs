using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>The noise tunnel on closed forms (a linear model's constant gradient) and against a brute-force re-implementation of its seeded draw.</summary>
public sealed class NoiseTunnelTests
{
    private static readonly double[] Input = [0.5, -1.25, 2.0, 0.0, 1.5, -0.75];

    private static (Linear Network, double[] Row) LinearWithRow(int target)
    {
        Linear network = GradientMethodsTests.Randomized(new Linear(), 41);
        double[] weights = network.Parameters.Items[0].Values;   // [3, 6], the dense layer's weight
        Assert.Equal(18, weights.Length);
        return (network, weights.AsSpan(target * 6, 6).ToArray());
    }

    [Fact]
    public void SmoothGrad_OfALinearModelsSaliency_IsItsWeights_Exactly()
    {
        // The gradient of w.x + b is w wherever the noise moves x, so every sample's attribution is w (|w|).
        (Linear network, double[] row) = LinearWithRow(1);
        var signed = new Saliency<double>(network, new SaliencyOptions { Absolute = false });
        var absolute = new Saliency<double>(network);
        var options = new NoiseTunnelOptions { Samples = 7, NoiseLevel = 0.3, Seed = 5 };

        FeatureAttribution<double> smoothSigned = new NoiseTunnel<double>((x, t, a) => signed.Attribute(x, t, a), network.Info.Input.OutputShape, options).Attribute(Input, 1);
        FeatureAttribution<double> smoothAbsolute = new NoiseTunnel<double>((x, t, a) => absolute.Attribute(x, t, a), network.Info.Input.OutputShape, options).Attribute(Input, 1);
        FeatureAttribution<double> squared = new NoiseTunnel<double>((x, t, a) => signed.Attribute(x, t, a), network.Info.Input.OutputShape, options with { Kind = NoiseTunnelKind.SmoothGradSquared }).Attribute(Input, 1);

        Assert.Equal(row, smoothSigned.ToArray());
        Assert.Equal(Array.ConvertAll(row, Math.Abs), smoothAbsolute.ToArray());
        Assert.Equal(Array.ConvertAll(row, w => w * w), squared.ToArray());
        Assert.Equal(7, smoothSigned.Points);
    }

    [Fact]
    public void VarGrad_OfALinearModel_IsZero_Exactly()
    {
        (Linear network, _) = LinearWithRow(0);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Points = 8 });
        var tunnel = new NoiseTunnel<double>((x, t, a) => new Saliency<double>(network).Attribute(x, t, a), network.Info.Input.OutputShape, new NoiseTunnelOptions { Kind = NoiseTunnelKind.VarGrad, Samples = 9 });
        Assert.All(tunnel.Attribute(Input, 0).ToArray(), v => Assert.Equal(0.0, v));

        // IG of a linear model from a zero baseline is w * x: it moves with the noise, so its VarGrad is w^2 var(x_i + eps) > 0.
        var igTunnel = new NoiseTunnel<double>((x, t, a) => ig.Attribute(x, t, a), network.Info.Input.OutputShape, new NoiseTunnelOptions { Kind = NoiseTunnelKind.VarGrad, Samples = 9 });
        Assert.All(igTunnel.Attribute(Input, 0).ToArray(), v => Assert.True(v > 0));
    }

    [Theory]
    [InlineData(NoiseTunnelKind.SmoothGrad)]
    [InlineData(NoiseTunnelKind.SmoothGradSquared)]
    [InlineData(NoiseTunnelKind.VarGrad)]
    public void Result_MatchesABruteForceReimplementationOfTheSeededDraw(NoiseTunnelKind kind)
    {
        TanhMlp network = GradientMethodsTests.Randomized(new TanhMlp(), 43);
        var saliency = new Saliency<double>(network, new SaliencyOptions { Absolute = false });
        double[] input = NetworkHarness.RandomVector(new Random(3), 8, 1.5);
        const int samples = 6;
        const double level = 0.2;
        const int seed = 1234;

        // The draw as documented: new Random(seed); per sample, per feature, Box-Muller from two NextDouble().
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in input)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        double sigma = level * (max - min);
        var random = new Random(seed);
        var sum = new double[8];
        var sumOfSquares = new double[8];
        for (int s = 0; s < samples; s++)
        {
            var noisy = new double[8];
            for (int i = 0; i < 8; i++)
            {
                double u1 = random.NextDouble();
                double u2 = random.NextDouble();
                noisy[i] = input[i] + sigma * Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
            }

            double[] a = saliency.Attribute(noisy, 2).ToArray();
            for (int i = 0; i < 8; i++)
            {
                sum[i] += a[i];
                sumOfSquares[i] += a[i] * a[i];
            }
        }

        var expected = new double[8];
        double scale = 0;
        for (int i = 0; i < 8; i++)
        {
            double mean = sum[i] / samples;
            double meanOfSquares = sumOfSquares[i] / samples;
            expected[i] = kind switch
            {
                NoiseTunnelKind.SmoothGrad => mean,
                NoiseTunnelKind.SmoothGradSquared => meanOfSquares,
                _ => meanOfSquares - mean * mean,
            };
            scale = Math.Max(scale, meanOfSquares);
        }

        var tunnel = new NoiseTunnel<double>((x, t, a) => saliency.Attribute(x, t, a), network.Info.Input.OutputShape, new NoiseTunnelOptions { Kind = kind, Samples = samples, NoiseLevel = level, Seed = seed });
        double[] actual = tunnel.Attribute(input, 2).ToArray();

        // Welford's running sums against plain sums: rounding apart, relative to the largest mean square (VarGrad cancels).
        for (int i = 0; i < 8; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-12 * scale, $"{kind} feature {i}: {actual[i]:R} vs {expected[i]:R}");
        }
    }

    [Fact]
    public void SameSeed_SameResult_OtherSeed_OtherResult()
    {
        TanhMlp network = GradientMethodsTests.Randomized(new TanhMlp(), 44);
        var saliency = new Saliency<double>(network);
        double[] input = NetworkHarness.RandomVector(new Random(4), 8, 1.5);
        InputAttributor<double> attributor = (x, t, a) => saliency.Attribute(x, t, a);
        TensorShape shape = network.Info.Input.OutputShape;

        double[] first = new NoiseTunnel<double>(attributor, shape, new NoiseTunnelOptions { Seed = 9 }).Attribute(input, 0).ToArray();
        var tunnel = new NoiseTunnel<double>(attributor, shape, new NoiseTunnelOptions { Seed = 9 });
        double[] again = tunnel.Attribute(input, 0).ToArray();
        double[] thrice = tunnel.Attribute(input, 0).ToArray();
        double[] other = new NoiseTunnel<double>(attributor, shape, new NoiseTunnelOptions { Seed = 10 }).Attribute(input, 0).ToArray();

        // One code path, one seed: the very same arithmetic, so the very same bits.
        Assert.Equal(first, again);
        Assert.Equal(first, thrice);
        Assert.True(NetworkHarness.RelativeError(other, first) > 1e-6, "another seed must draw other noise");
    }

    [Fact]
    public void ZeroNoise_GivesTheWrappedAttribution()
    {
        TanhMlp network = GradientMethodsTests.Randomized(new TanhMlp(), 45);
        var product = new InputXGradient<double>(network);
        double[] input = NetworkHarness.RandomVector(new Random(5), 8, 1.5);
        var tunnel = new NoiseTunnel<double>((x, t, a) => product.Attribute(x, t, a), network.Info.Input.OutputShape, new NoiseTunnelOptions { NoiseLevel = 0, Samples = 3 });
        Assert.Equal(product.Attribute(input, 1).ToArray(), tunnel.Attribute(input, 1).ToArray());
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var shape = new TensorShape(3);
        InputAttributor<double> nothing = (x, t, a) => a.Clear();
        Assert.Throws<ArgumentNullException>(() => new NoiseTunnel<double>(null!, shape));
        Assert.Throws<ArgumentOutOfRangeException>("Samples", () => new NoiseTunnel<double>(nothing, shape, new NoiseTunnelOptions { Samples = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>("NoiseLevel", () => new NoiseTunnel<double>(nothing, shape, new NoiseTunnelOptions { NoiseLevel = -0.1 }));
        Assert.Throws<ArgumentOutOfRangeException>("NoiseLevel", () => new NoiseTunnel<double>(nothing, shape, new NoiseTunnelOptions { NoiseLevel = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>("Kind", () => new NoiseTunnel<double>(nothing, shape, new NoiseTunnelOptions { Kind = (NoiseTunnelKind)7 }));
        var tunnel = new NoiseTunnel<double>(nothing, shape);
        Assert.Throws<ArgumentException>("input", () => tunnel.Attribute(new double[2], 0));
        Assert.Throws<ArgumentException>("input", () => tunnel.Attribute([0, double.NaN, 0], 0));
        Assert.Throws<ArgumentException>("attributions", () => tunnel.Attribute(new double[3], 0, new double[4]));
    }
}
