using System;
using System.Collections.Generic;
using System.Linq;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>
/// Layer Integrated Gradients in a layer's activation space: every fixed rule against finite differences of the layers
/// above (the generated forward pass only), the converged integral complete and equal to a Simpson reference, the closed
/// form below a linear output, the exact rule against breakpoints found by bisection, and the forms and checks of its
/// siblings. Also that it is not conductance (the two agree only where the layers below are affine).
/// </summary>
public sealed class LayerIntegratedGradientsTests
{
    [Fact]
    public void EveryRule_EveryLayer_EqualsFiniteDifferencesOfTheLayersAbove()
    {
        const int points = 4;
        foreach (INetwork<double> network in EveryLayerKind(300))
        {
            NetworkInfo info = network.Info;
            (double[] input, double[] baseline) = InputAndBaseline(info, 301);
            double[] weights = NetworkHarness.RandomVector(new Random(302), info.OutputLength);
            foreach (QuadratureRule rule in Rules)
            {
                QuadratureNodes nodes = QuadratureNodes.Create(rule, points);
                for (int index = 1; index < info.Layers.Count; index++)
                {
                    Layer layer = info.Layers[index];
                    var path = new LayerPath(network, layer, baseline, input, weights);
                    var options = new LayerAttributionOptions { Rule = rule, Points = points, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 3 };
                    LayerAttribution<double> actual = new LayerIntegratedGradients<double>(network, layer, options).Attribute(input, weights);
                    string what = $"{info.Name}.{layer.Name} {rule}";
                    Assert.Same(layer, actual.Layer);
                    Assert.Equal(points, actual.Points);
                    Assert.Equal(rule, actual.Rule);
                    AssertClose(actual.Values, path.ByFiniteDifferences(nodes.Alphas, nodes.Coefficients), 1e-6, what);

                    // The delta is against F(x) - F(x') of the whole network.
                    double change = NetworkHarness.Scalar(network, input, weights) - NetworkHarness.Scalar(network, baseline, weights);
                    Assert.Equal(change, actual.Delta.OutputAtInput - actual.Delta.OutputAtBaseline, 12);
                    Assert.Equal(actual.Sum() - change, actual.Delta.Absolute, 12);
                }
            }
        }
    }

    [Fact]
    public void SmoothNetwork_ConvergedIntegral_IsComplete_AndEqualsSimpson()
    {
        var network = Randomized(new TanhMlp(), 310);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 311);
        double[] weights = PathReference.OneHot(network.Info.OutputLength, 1);
        var options = new LayerAttributionOptions { Points = 64, Baseline = Baseline.Of<double>(baseline) };
        foreach (Layer layer in network.Info.Layers.Skip(1).Take(2))
        {
            LayerAttribution<double> actual = new LayerIntegratedGradients<double>(network, layer, options).Attribute(input, 1);
            Assert.True(Math.Abs(actual.Delta.Relative) < 1e-12, $"{layer.Name}: relative delta {actual.Delta.Relative:E2}");

            // Composite Simpson on 2 x 400 intervals, each point's gradient by central differences of the layers above.
            const int half = 400;
            var alphas = new double[(2 * half) + 1];
            var coefficients = new double[alphas.Length];
            for (int k = 0; k < alphas.Length; k++)
            {
                alphas[k] = (double)k / (2 * half);
                coefficients[k] = (k == 0 || k == 2 * half ? 1.0 : k % 2 == 1 ? 4.0 : 2.0) / (6.0 * half);
            }

            AssertClose(actual.Values, new LayerPath(network, layer, baseline, input, weights).ByFiniteDifferences(alphas, coefficients), 1e-8, layer.Name);
        }
    }

    [Fact]
    public void LayerBelowALinearOutput_IsTheClosedForm_ForEveryRule()
    {
        // Out = W h + b: dF_t/dh_j = W[t, j] everywhere, so LIG_j = (h_j(x) - h_j(x')) W[t, j] whatever the points.
        var network = Randomized(new TanhMlp(), 320);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 321);
        Layer hidden = network.Info.Layers[^2];
        Layer output = network.Info.Output;
        double[] weight = [.. network.Parameters.Items.Last(p => p.Name.EndsWith(".weight", StringComparison.Ordinal)).Values];
        Assert.Equal(output.Size * hidden.Size, weight.Length);
        double[] atInput = Activations(network, hidden, input);
        double[] atBaseline = Activations(network, hidden, baseline);
        const int target = 2;
        double[] expected = [.. Enumerable.Range(0, hidden.Size).Select(j => (atInput[j] - atBaseline[j]) * weight[(target * hidden.Size) + j])];
        foreach (QuadratureRule rule in Rules)
        {
            var options = new LayerAttributionOptions { Rule = rule, Points = 3, Baseline = Baseline.Of<double>(baseline) };
            AssertClose(new LayerIntegratedGradients<double>(network, hidden, options).Attribute(input, target).Values, expected, 1e-13, $"{rule}");
            LayerAttribution<double> toInput = new LayerIntegratedGradients<double>(network, output, options with { AttributeToLayerInput = true }).Attribute(input, target);
            Assert.Same(hidden, toInput.Layer);
            AssertClose(toInput.Values, expected, 1e-13, $"{rule} to the output's input");
        }

        // On the output itself: the target's change, nothing elsewhere.
        LayerAttribution<double> atOutput = new LayerIntegratedGradients<double>(network, output, new LayerAttributionOptions { Baseline = Baseline.Of<double>(baseline) }).Attribute(input, target);
        double[] outputs = NetworkHarness.Forward(network, input);
        double[] outputsAtBaseline = NetworkHarness.Forward(network, baseline);
        for (int j = 0; j < output.Size; j++)
        {
            Assert.Equal(j == target ? outputs[j] - outputsAtBaseline[j] : 0, atOutput[j], 13);
        }
    }

    [Fact]
    public void OnTheInput_IsIntegratedGradients_AndBelowAffineLayersIsConductance_ButNotOtherwise()
    {
        var network = Randomized(new EveryLayerCnn(), 330);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 331);
        var options = new LayerAttributionOptions { Points = 9, Baseline = Baseline.Of<double>(baseline) };
        Attribution<double> ig = new IntegratedGradients<double>(network, options).Attribute(input, 1);
        AssertClose(new LayerIntegratedGradients<double>(network, network.Info.Input, options).Attribute(input, 1).Values, ig.Values, 1e-12, "input");

        // The first layer (a convolution without activation) is affine in x: its image of the input path is the chord.
        Layer conv = network.Info.Layers[1];
        AssertClose(
            new LayerIntegratedGradients<double>(network, conv, options).Attribute(input, 1).Values,
            new LayerConductance<double>(network, conv, options).Attribute(input, 1).Values,
            1e-12,
            "affine layer");

        // After a nonlinearity the chord is another path: the two quantities part, though each splits F(x) - F(x').
        Layer hidden = network.Info.Layers.First(l => l.Name == "Hidden");
        var converged = options with { Points = 200 };
        LayerAttribution<double> layerIg = new LayerIntegratedGradients<double>(network, hidden, converged).Attribute(input, 1);
        LayerAttribution<double> conductance = new LayerConductance<double>(network, hidden, converged).Attribute(input, 1);
        Assert.True(Math.Abs(layerIg.Delta.Relative) < 1e-12, $"layer IG relative delta {layerIg.Delta.Relative:E2}"); // only affine layers above
        Assert.True(NetworkHarness.RelativeError(layerIg.Values, conductance.Values) > 1e-3, "layer IG and conductance should differ after a tanh");
    }

    public static IEnumerable<object[]> PiecewiseLinear()
    {
        foreach (int seed in new[] { 340, 341, 342 })
        {
            yield return [nameof(PwlMlp), seed];
            yield return [nameof(PwlCnn), seed];
        }
    }

    [Theory]
    [MemberData(nameof(PiecewiseLinear))]
    public void ExactRule_IsComplete_AndEqualsTheIntegralOverBisectedBreakpoints(string name, int seed)
    {
        INetwork<double> network = Randomized(name == nameof(PwlMlp) ? new PwlMlp() : (INetwork<double>)new PwlCnn(), seed);
        var random = new Random(seed + 1);
        double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.5);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 2);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.Exact, Baseline = Baseline.Of<double>(baseline), InternalBatchSize = 4 };
        foreach (Layer layer in network.Info.Layers.Skip(1))
        {
            int target = layer.Index % network.Info.OutputLength;
            LayerAttribution<double> exact = new LayerIntegratedGradients<double>(network, layer, options).Attribute(input, target);
            Assert.Equal(QuadratureRule.Exact, exact.Rule);
            Assert.True(Math.Abs(exact.Delta.Relative) < 1e-10, $"{name}.{layer.Name}: relative delta {exact.Delta.Relative:E2}");

            var path = new LayerPath(network, layer, baseline, input, PathReference.OneHot(network.Info.OutputLength, target));
            (double[] reference, int pieces) = path.ByBisection(cells: 1000);
            AssertClose(exact.Values, reference, 1e-10, $"{name}.{layer.Name}");
            // A breakpoint where no gradient of the target changes (a neuron whose paths to it are all off) is not seen by bisection.
            Assert.True(exact.Points >= pieces, $"{name}.{layer.Name}: {exact.Points} pieces, bisection found {pieces}");
        }
    }

    [Fact]
    public void ExactRule_NeedsOnlyTheLayersAboveToBePiecewiseLinear()
    {
        var network = Randomized(new EveryLayerCnn(), 350);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 351);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.Exact, Baseline = Baseline.Of<double>(baseline) };

        // Above the last batch norm only an affine layer: one piece, exact, though tanh, GELU and sigmoid lie below.
        Layer norm = network.Info.Layers.First(l => l.Name == "Norm1D");
        LayerAttribution<double> exact = new LayerIntegratedGradients<double>(network, norm, options).Attribute(input, 3);
        Assert.Equal(QuadratureRule.Exact, exact.Rule);
        Assert.Equal(1, exact.Points);
        Assert.True(Math.Abs(exact.Delta.Relative) < 1e-12, $"relative delta {exact.Delta.Relative:E2}");

        NotSupportedException error = Assert.Throws<NotSupportedException>(() => new LayerIntegratedGradients<double>(network, network.Info.Layers[1], options));
        Assert.Contains("'Conv2'", error.Message);
    }

    [Fact]
    public void ExactRule_TooManyPieces_FallsBackToGaussLegendre_AndSaysSo()
    {
        var network = Randomized(new PwlCnn(), 360);
        (double[] input, double[] baseline) = InputAndBaseline(network.Info, 361);
        Layer layer = network.Info.Layers[1];
        var options = new LayerAttributionOptions { Rule = QuadratureRule.Exact, MaxPieces = 1, Points = 7, Baseline = Baseline.Of<double>(baseline) };
        LayerAttribution<double> limited = new LayerIntegratedGradients<double>(network, layer, options).Attribute(input, 0);
        Assert.Equal(QuadratureRule.GaussLegendre, limited.Rule);
        Assert.Equal(7, limited.Points);
        LayerAttribution<double> gaussLegendre = new LayerIntegratedGradients<double>(network, layer, options with { Rule = QuadratureRule.GaussLegendre }).Attribute(input, 0);
        AssertClose(limited.Values, gaussLegendre.Values, 1e-14, "fallback");
    }

    [Fact]
    public void Float32_ExactRule_IsCompleteToFloat32Rounding()
    {
        var network = new TinyMlp32();
        network.InitializeWeights(new Random(370));
        float[] input = [.. NetworkHarness.RandomVector(new Random(371), 8, 2).Select(v => (float)v)];
        foreach (Layer layer in network.Info.Layers.Skip(1))
        {
            LayerAttribution<float> exact = new LayerIntegratedGradients<float>(network, layer, new LayerAttributionOptions { Rule = QuadratureRule.Exact }).Attribute(input, 2);
            Assert.Equal(QuadratureRule.Exact, exact.Rule);
            Assert.True(Math.Abs(exact.Delta.Relative) < 1e-5, $"{layer.Name}: relative delta {exact.Delta.Relative:E2}");
        }
    }

    [Fact]
    public void Forms_AgreeWithSingleCalls()
    {
        var network = Randomized(new ReluMlp(), 380);
        NetworkInfo info = network.Info;
        var random = new Random(381);
        double[] inputs = NetworkHarness.RandomVector(random, 3 * info.InputLength, 2);
        double[] baselines = NetworkHarness.RandomVector(random, 3 * info.InputLength, 0.5);
        Layer layer = info.Layers[2];
        foreach (QuadratureRule rule in new[] { QuadratureRule.GaussLegendre, QuadratureRule.Trapezoid })
        {
            var method = new LayerIntegratedGradients<double>(network, layer, new LayerAttributionOptions { Rule = rule, Points = 11, InternalBatchSize = 4 });
            int length = info.InputLength;
            int[] targets = [0, 4, 2];
            LayerAttribution<double>[] batch = method.AttributeBatch(inputs, targets);
            LayerAttribution<double>[] ownBaselines = method.AttributeBatch(inputs, targets, baselines);
            for (int m = 0; m < 3; m++)
            {
                ReadOnlySpan<double> input = inputs.AsSpan(m * length, length);
                ReadOnlySpan<double> baseline = baselines.AsSpan(m * length, length);
                AssertClose(batch[m].Values, method.Attribute(input, targets[m]).Values, 1e-13, $"batch {m}");
                LayerAttribution<double> single = method.Attribute(input, baseline, targets[m]);
                AssertClose(ownBaselines[m].Values, single.Values, 1e-13, $"batch with baselines {m}");
                Assert.Equal(single.Delta.Absolute, ownBaselines[m].Delta.Absolute, 13);

                // A call's own baseline equals the options' baseline set to it.
                var withOptions = new LayerIntegratedGradients<double>(network, layer, method.Options with { Baseline = Baseline.Of<double>(baseline.ToArray()) });
                AssertClose(single.Values, withOptions.Attribute(input, targets[m]).Values, 1e-13, $"own baseline {m}");
            }

            ReadOnlySpan<double> first = inputs.AsSpan(0, length);
            LayerAttribution<double>[] several = method.AttributeTargets(first, [3, 0, 3]);
            LayerAttribution<double>[] severalOwn = method.AttributeTargets(first, baselines.AsSpan(0, length), [1, 2]);
            Assert.Equal(3, several.Length);
            for (int t = 0; t < several.Length; t++)
            {
                int target = new[] { 3, 0, 3 }[t];
                LayerAttribution<double> single = method.Attribute(first, target);
                AssertClose(several[t].Values, single.Values, 1e-12, $"target {target}");
                Assert.Equal(single.Delta.OutputAtInput, several[t].Delta.OutputAtInput, 13);
                Assert.Equal(single.Delta.Absolute, several[t].Delta.Absolute, 12);
            }

            AssertClose(severalOwn[1].Values, method.Attribute(first, baselines.AsSpan(0, length), 2).Values, 1e-12, "own baseline, target 2");

            // The weighted form with a one-hot is the target form.
            AssertClose(method.Attribute(first, PathReference.OneHot(info.OutputLength, 4)).Values, method.Attribute(first, 4).Values, 1e-13, "one-hot");
        }
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        var network = Randomized(new ReluMlp(), 390);
        var other = Randomized(new TanhMlp(), 391);
        Assert.Throws<ArgumentException>(() => new LayerIntegratedGradients<double>(network, other.Info.Layers[1]));
        Assert.Throws<ArgumentException>(() => new LayerIntegratedGradients<double>(network, network.Info.Input, new LayerAttributionOptions { AttributeToLayerInput = true }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LayerIntegratedGradients<double>(network, network.Info.Layers[1], new LayerAttributionOptions { Points = 0 }));
        var method = new LayerIntegratedGradients<double>(network, network.Info.Layers[1]);
        double[] input = new double[network.Info.InputLength];
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() => method.Attribute(input, 5)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => method.Attribute(input.AsSpan(1), 0)).ParamName);
        input[3] = double.NaN;
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => method.Attribute(input, 0)).ParamName);
        input[3] = 0;
        Assert.Equal("baseline", Assert.Throws<ArgumentException>(() => method.Attribute(input, new double[2], 0)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => method.AttributeTargets(input, [0, 9])).ParamName);
    }

    private static double[] Activations(INetwork<double> network, Layer layer, double[] input)
    {
        var workspace = new Workspace<double>(network.Info, 1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Info.Input, workspace, 1);
        return workspace.Activations(layer, 1).ToArray();
    }

    /// <summary>
    /// The straight line <c>y(a) = y(x') + a (y(x) - y(x'))</c> in a layer's space and the explained output of the layers
    /// above it, evaluated with the generated passes from that layer only (independent of the path core).
    /// </summary>
    private sealed class LayerPath
    {
        private readonly INetwork<double> _network;
        private readonly Layer _layer;
        private readonly double[] _start;
        private readonly double[] _direction;
        private readonly double[] _weights;

        public LayerPath(INetwork<double> network, Layer layer, double[] baseline, double[] input, double[] weights)
        {
            _network = network;
            _layer = layer;
            _start = Activations(network, layer, baseline);
            double[] end = Activations(network, layer, input);
            _direction = [.. end.Select((v, j) => v - _start[j])];
            _weights = weights;
        }

        /// <summary><c>sum_t weights[t] F_t</c> of the layers above at layer values <paramref name="y"/>, by the forward pass only.</summary>
        public double Upper(double[] y)
        {
            var workspace = new Workspace<double>(_network.Info, 1);
            y.CopyTo(workspace.Activations(_layer, 1));
            _network.ForwardFrom(_layer, workspace, 1);
            ReadOnlySpan<double> output = workspace.Output(1);
            double sum = 0;
            for (int t = 0; t < output.Length; t++)
            {
                sum += _weights[t] * output[t];
            }

            return sum;
        }

        /// <summary><c>LIG_j = dir_j sum_k c_k dF/dy_j(y(a_k))</c> with central differences (step 1e-5) for the gradient.</summary>
        public double[] ByFiniteDifferences(ReadOnlySpan<double> alphas, ReadOnlySpan<double> coefficients)
        {
            const double step = 1e-5;
            int size = _layer.Size;
            var sums = new double[size];
            for (int k = 0; k < alphas.Length; k++)
            {
                double[] y = Point(alphas[k]);
                for (int j = 0; j < size; j++)
                {
                    double keep = y[j];
                    y[j] = keep + step;
                    double up = Upper(y);
                    y[j] = keep - step;
                    double down = Upper(y);
                    y[j] = keep;
                    sums[j] += coefficients[k] * (up - down) / (2 * step);
                }
            }

            return [.. sums.Select((s, j) => s * _direction[j])];
        }

        /// <summary>
        /// The exact integral of a piecewise-linear upper network by brute force: the gradient <c>dF/dy</c> (the generated
        /// backward pass from the output down to the layer) on a grid of <paramref name="cells"/> cells, every cell whose ends
        /// differ bisected to 1e-15 for the point where the gradient changes, then the constant gradients summed by piece.
        /// Returns the values and the number of pieces. The grid's ends stay 1e-12 inside the path: at <c>a = 0</c> a
        /// post-ReLU layer holds exact zeros, where a max pool's tie-break can give a gradient no piece has.
        /// </summary>
        public (double[] Values, int Pieces) ByBisection(int cells)
        {
            var breaks = new List<double> { 0.0 };
            const double inside = 1e-12;
            double low = inside;
            double[] previous = Gradient(low);
            for (int c = 1; c <= cells; c++)
            {
                double high = c == cells ? 1 - inside : (double)c / cells;
                double[] next = Gradient(high);
                Bisect(low, previous, high, next, breaks);
                previous = next;
                low = high;
            }

            breaks.Add(1.0);
            var sums = new double[_layer.Size];
            for (int p = 0; p + 1 < breaks.Count; p++)
            {
                double[] gradient = Gradient(0.5 * (breaks[p] + breaks[p + 1]));
                for (int j = 0; j < sums.Length; j++)
                {
                    sums[j] += (breaks[p + 1] - breaks[p]) * gradient[j];
                }
            }

            return ([.. sums.Select((s, j) => s * _direction[j])], breaks.Count - 1);
        }

        private void Bisect(double low, double[] atLow, double high, double[] atHigh, List<double> breaks)
        {
            if (Same(atLow, atHigh))
            {
                return;
            }

            double middle = 0.5 * (low + high);
            if (high - low < 1e-15)
            {
                breaks.Add(middle);
                return;
            }

            double[] atMiddle = Gradient(middle);
            Bisect(low, atLow, middle, atMiddle, breaks);
            Bisect(middle, atMiddle, high, atHigh, breaks);
        }

        private static bool Same(double[] a, double[] b)
        {
            double scale = 1e-300;
            double difference = 0;
            for (int j = 0; j < a.Length; j++)
            {
                scale = Math.Max(scale, Math.Abs(a[j]));
                difference = Math.Max(difference, Math.Abs(a[j] - b[j]));
            }

            return difference <= 1e-12 * scale;
        }

        private double[] Point(double alpha) => [.. _start.Select((s, j) => s + (alpha * _direction[j]))];

        private double[] Gradient(double alpha)
        {
            var workspace = new Workspace<double>(_network.Info, 1);
            Point(alpha).CopyTo(workspace.Activations(_layer, 1));
            _network.ForwardFrom(_layer, workspace, 1);
            _weights.CopyTo(workspace.OutputGradient(1));
            _network.BackwardFrom(_network.Info.Output, _layer, workspace, 1);
            return workspace.Gradients(_layer, 1).ToArray();
        }
    }
}
