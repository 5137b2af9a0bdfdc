using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// The methods that start a pass at a layer, at a layer a skip connection passes over (inside a residual block), with
/// Captum's meaning, against brute-force references in float64: Neuron Integrated Gradients and Neuron Conductance
/// (the neuron's gradient by central differences of its value as a function of the input), and Layer Integrated
/// Gradients (the patched network, where only the layer moves along the path and the skip keeps its value at x, by
/// central differences in the layer's space). Each reference is integrated at the method's Gauss–Legendre nodes.
/// </summary>
public sealed class GraphInsideBlockTests
{
    private const int Points = 12;
    private const double Step = 1e-5;

    private static readonly LayerAttributionOptions s_options = new()
    {
        Rule = QuadratureRule.GaussLegendre,
        Points = Points,
        InternalBatchSize = 5, // three chunks, the endpoints riding with the last
    };

    public static TheoryData<string, string> InsideLayers => new()
    {
        { nameof(ResidualCnn), nameof(ResidualCnn.Block1Conv2) },
        { nameof(ResidualCnn), nameof(ResidualCnn.Block2Norm1) },
        { nameof(ProjectionCnn), nameof(ProjectionCnn.C1) },
        { nameof(ProjectionCnn), nameof(ProjectionCnn.Projection) },
        { nameof(ProjectionCnn), nameof(ProjectionCnn.Pool) },
        { nameof(FlatGraph), nameof(FlatGraph.A) },
        { nameof(FlatGraph), nameof(FlatGraph.Sum) },
        { nameof(FlatGraph), nameof(FlatGraph.Copy) },
        { nameof(FlatGraph), nameof(FlatGraph.D) },
    };

    private static (INetwork<double> Network, Layer Layer) Make(string network, string layer, int seed)
    {
        INetwork<double> made = network switch
        {
            nameof(ResidualCnn) => new ResidualCnn(),
            nameof(ProjectionCnn) => new ProjectionCnn(),
            _ => new FlatGraph(),
        };
        made.Parameters.Randomize(new Random(seed));
        made.ParametersChanged();
        Layer? found = null;
        foreach (Layer l in made.Info.Layers)
        {
            found = l.Name == layer ? l : found;
        }

        Assert.NotNull(found);
        Assert.False(made.Info.Separates(found), $"{layer} is meant to be inside a block");
        return (made, found);
    }

    /// <summary>Every layer's activations for one point.</summary>
    private static Workspace<double> Run(INetwork<double> network, ReadOnlySpan<double> input)
    {
        var workspace = new Workspace<double>(network.Info, 1);
        input.CopyTo(workspace.Input(1));
        network.ForwardFrom(network.Info.Input, workspace, 1);
        return workspace;
    }

    private static double Neuron(INetwork<double> network, Layer layer, int neuron, ReadOnlySpan<double> input) =>
        Run(network, input).Activations(layer, 1)[neuron];

    /// <summary>d y_n / dx at <paramref name="point"/> by central differences.</summary>
    private static double[] NeuronGradient(INetwork<double> network, Layer layer, int neuron, double[] point)
    {
        var gradient = new double[point.Length];
        var probe = (double[])point.Clone();
        for (int i = 0; i < point.Length; i++)
        {
            probe[i] = point[i] + Step;
            double up = Neuron(network, layer, neuron, probe);
            probe[i] = point[i] - Step;
            double down = Neuron(network, layer, neuron, probe);
            probe[i] = point[i];
            gradient[i] = (up - down) / (2 * Step);
        }

        return gradient;
    }

    /// <summary>
    /// The patched network F~(y): every layer computed from <paramref name="input"/>, except that <paramref name="layer"/>'s
    /// output is <paramref name="values"/> and the layers above it take it from there.
    /// </summary>
    private static double Patched(INetwork<double> network, Layer layer, double[] input, ReadOnlySpan<double> values, int target)
    {
        Workspace<double> workspace = Run(network, input);
        values.CopyTo(workspace.Activations(layer, 1));
        network.ForwardFrom(layer, workspace, 1);
        return workspace.Output(1)[target];
    }

    private static (double[] Alphas, double[] Weights) Nodes()
    {
        var alphas = new double[Points];
        var weights = new double[Points];
        GaussLegendre.Compute(alphas, weights);
        return (alphas, weights);
    }

    private static double[] Along(double[] from, double[] to, double alpha)
    {
        var point = new double[from.Length];
        for (int i = 0; i < point.Length; i++)
        {
            point[i] = from[i] + (alpha * (to[i] - from[i]));
        }

        return point;
    }

    private static double Sum(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }

        return sum;
    }

    [Theory]
    [MemberData(nameof(InsideLayers))]
    public void NeuronIntegratedGradients_InsideABlock_MatchFiniteDifferencesAndComplete(string networkName, string layerName)
    {
        (INetwork<double> network, Layer layer) = Make(networkName, layerName, 11);
        var random = new Random(12);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 1.5);
        double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.3);
        int neuron = layer.Size / 3;

        Attribution<double> actual = new NeuronIntegratedGradients<double>(network, layer, s_options).Attribute(input, baseline, neuron);

        (double[] alphas, double[] weights) = Nodes();
        var expected = new double[input.Length];
        for (int k = 0; k < Points; k++)
        {
            double[] gradient = NeuronGradient(network, layer, neuron, Along(baseline, input, alphas[k]));
            for (int i = 0; i < input.Length; i++)
            {
                expected[i] += weights[k] * gradient[i] * (input[i] - baseline[i]);
            }
        }

        Assert.True(NetworkHarness.RelativeError(actual.Values, expected) < 1e-6, $"{layerName}: relative error {NetworkHarness.RelativeError(actual.Values, expected):E2}");

        // The sum's distance from y_n(x) - y_n(x') is the quadrature error only, as the reported delta says.
        double change = Neuron(network, layer, neuron, input) - Neuron(network, layer, neuron, baseline);
        Assert.Equal(Sum(actual.Values) - change, actual.Delta.Absolute, 1e-12);
        if (network is not FlatGraph)
        {
            return; // ReLU kinks: Gauss–Legendre converges too slowly for completeness to be a tight check
        }

        var many = new NeuronIntegratedGradients<double>(network, layer, s_options with { Points = 400, InternalBatchSize = 64 });
        double manySum = Sum(many.Attribute(input, baseline, neuron).Values);
        Assert.True(Math.Abs(manySum - change) < 1e-8 * Math.Max(1e-3, Math.Abs(change)), $"{layerName}: sum {manySum}, y_n(x) - y_n(x') {change}");
    }

    [Theory]
    [MemberData(nameof(InsideLayers))]
    public void NeuronConductance_InsideABlock_MatchesFiniteDifferences(string networkName, string layerName)
    {
        (INetwork<double> network, Layer layer) = Make(networkName, layerName, 21);
        var random = new Random(22);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 1.5);
        double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.3);
        int[] neurons = [0, layer.Size - 1];
        const int target = 1;

        NeuronAttribution<double> actual = new NeuronConductance<double>(network, layer, s_options).Attribute(input, baseline, target, neurons);

        (double[] alphas, double[] weights) = Nodes();
        for (int r = 0; r < neurons.Length; r++)
        {
            int neuron = neurons[r];
            var expected = new double[input.Length];
            for (int k = 0; k < Points; k++)
            {
                double[] point = Along(baseline, input, alphas[k]);

                // dF/dy_n with every other value of the layer, and the skip around it, held: the patched network at this point.
                double[] values = Run(network, point).Activations(layer, 1).ToArray();
                double held = values[neuron];
                values[neuron] = held + Step;
                double up = Patched(network, layer, point, values, target);
                values[neuron] = held - Step;
                double down = Patched(network, layer, point, values, target);
                double outer = (up - down) / (2 * Step);

                double[] gradient = NeuronGradient(network, layer, neuron, point);
                for (int i = 0; i < input.Length; i++)
                {
                    expected[i] += weights[k] * outer * gradient[i] * (input[i] - baseline[i]);
                }
            }

            double error = NetworkHarness.RelativeError(actual.Row(r), expected, 1e-9);
            Assert.True(error < 1e-6, $"{layerName} neuron {neuron}: relative error {error:E2}");
        }
    }

    [Theory]
    [MemberData(nameof(InsideLayers))]
    public void LayerIntegratedGradients_InsideABlock_IntegrateThePatchedNetwork(string networkName, string layerName)
    {
        (INetwork<double> network, Layer layer) = Make(networkName, layerName, 31);
        var random = new Random(32);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 1.5);
        double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.3);
        const int target = 2;

        LayerAttribution<double> actual = new LayerIntegratedGradients<double>(network, layer, s_options).Attribute(input, baseline, target);

        // Only the layer moves, from y_L(x') to y_L(x); everything else is computed from x.
        double[] start = Run(network, baseline).Activations(layer, 1).ToArray();
        double[] end = Run(network, input).Activations(layer, 1).ToArray();
        (double[] alphas, double[] weights) = Nodes();
        var expected = new double[layer.Size];
        for (int k = 0; k < Points; k++)
        {
            double[] values = Along(start, end, alphas[k]);
            for (int j = 0; j < layer.Size; j++)
            {
                double held = values[j];
                values[j] = held + Step;
                double up = Patched(network, layer, input, values, target);
                values[j] = held - Step;
                double down = Patched(network, layer, input, values, target);
                values[j] = held;
                expected[j] += weights[k] * (end[j] - start[j]) * (up - down) / (2 * Step);
            }
        }

        double error = NetworkHarness.RelativeError(actual.Values, expected, 1e-9);
        Assert.True(error < 1e-6, $"{layerName}: relative error {error:E2}");

        // Completeness against the patched ends: F~(y_L(x)) = F(x), and F~(y_L(x')) is not F(x') (the skip stays at x).
        double atInput = NetworkHarness.Forward(network, input)[target];
        Assert.Equal(atInput, Patched(network, layer, input, end, target), 12);
        double atStart = Patched(network, layer, input, start, target);
        Assert.Equal(actual.Sum() - (atInput - atStart), actual.Delta.Absolute, 1e-12);
        if (network is not FlatGraph)
        {
            return; // ReLU kinks: Gauss–Legendre converges too slowly for completeness to be a tight check
        }

        var many = new LayerIntegratedGradients<double>(network, layer, s_options with { Points = 400, InternalBatchSize = 64 });
        double manySum = many.Attribute(input, baseline, target).Sum();
        Assert.True(Math.Abs(manySum - (atInput - atStart)) < 1e-8 * Math.Max(1e-3, Math.Abs(atInput - atStart)), $"{layerName}: sum {manySum}, F(x) - F~(y_L(x')) {atInput - atStart}");
    }

    [Theory]
    [MemberData(nameof(InsideLayers))]
    public void TangentFrom_InsideABlock_IsTheDirectionalDerivativeOfThePatchedNetwork(string networkName, string layerName)
    {
        (INetwork<double> network, Layer layer) = Make(networkName, layerName, 51);
        var random = new Random(52);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 1.5);
        double[] direction = NetworkHarness.RandomVector(random, layer.Size);
        Workspace<double> workspace = Run(network, input);

        // Leave every tangent non-zero first (a pass from the input along some direction), so a skipped layer that is not
        // held still would carry a stale tangent into the pass from the layer.
        network.TangentPath(NetworkHarness.RandomVector(random, network.Info.InputLength), workspace, 1);
        direction.CopyTo(workspace.Tangents(layer, 1));
        network.TangentFrom(layer, workspace, 1);
        double[] actual = workspace.Tangents(network.Info.Output, 1).ToArray();

        // d/dh F~(y_L(x) + h v) at h = 0, where the skip around the layer keeps its value at x.
        double[] values = Run(network, input).Activations(layer, 1).ToArray();
        var expected = new double[network.Info.OutputLength];
        for (int target = 0; target < expected.Length; target++)
        {
            double up = Patched(network, layer, input, Along(values, Add(values, direction), Step), target);
            double down = Patched(network, layer, input, Along(values, Add(values, direction), -Step), target);
            expected[target] = (up - down) / (2 * Step);
        }

        double error = NetworkHarness.RelativeError(actual, expected, 1e-9);
        Assert.True(error < 1e-6, $"{layerName}: relative error {error:E2}");

        static double[] Add(double[] a, double[] b)
        {
            var sum = new double[a.Length];
            for (int i = 0; i < a.Length; i++)
            {
                sum[i] = a[i] + b[i];
            }

            return sum;
        }
    }

    public static TheoryData<string, string> PiecewiseLinearInsideLayers => new()
    {
        { nameof(PwlGraph), nameof(PwlGraph.A) },
        { nameof(PwlGraph), nameof(PwlGraph.B) },
        { nameof(PwlGraph), nameof(PwlGraph.Sum) },
        { nameof(PwlGraph), nameof(PwlGraph.E) },
        { nameof(ResidualCnn), nameof(ResidualCnn.Block1Conv2) },
        { nameof(ResidualCnn), nameof(ResidualCnn.Block2Norm1) },
        { nameof(ProjectionCnn), nameof(ProjectionCnn.C1) },
        { nameof(ProjectionCnn), nameof(ProjectionCnn.Projection) },
    };

    [Theory]
    [MemberData(nameof(PiecewiseLinearInsideLayers))]
    public void ExactLayerIntegratedGradients_InsideABlock_CompleteAgainstThePatchedNetwork_AndMatchGaussLegendre(string networkName, string layerName)
    {
        (INetwork<double> network, Layer layer) = networkName == nameof(PwlGraph) ? Pwl(layerName) : Make(networkName, layerName, 61);
        var random = new Random(62);
        double[] input = NetworkHarness.RandomVector(random, network.Info.InputLength, 1.5);
        double[] baseline = NetworkHarness.RandomVector(random, network.Info.InputLength, 0.3);
        const int target = 1;

        var exactOptions = new LayerAttributionOptions { Rule = QuadratureRule.Exact, InternalBatchSize = 16 };
        LayerAttribution<double> exact = new LayerIntegratedGradients<double>(network, layer, exactOptions).Attribute(input, baseline, target);
        Assert.Equal(QuadratureRule.Exact, exact.Rule);

        // Completeness against the patched ends: only the layer moves, the skip around it stays at x.
        double[] start = Run(network, baseline).Activations(layer, 1).ToArray();
        double change = NetworkHarness.Forward(network, input)[target] - Patched(network, layer, input, start, target);
        Assert.True(Math.Abs(exact.Sum() - change) < 1e-10 * Math.Max(1, Math.Abs(change)), $"{layerName}: sum {exact.Sum()}, F(x) - F~(y_L(x')) {change}");

        // Gauss–Legendre converges to the same integral: the integrand dF~/dy_j jumps where a ReLU switches, so its error
        // falls as 1/n, not faster: within 4/n at n = 2000, and closer than at n = 250 (unless both are at round-off, no switch
        // on the path).
        double error = NetworkHarness.RelativeError(exact.Values, GaussLegendre(2000), 1e-9);
        double coarse = NetworkHarness.RelativeError(exact.Values, GaussLegendre(250), 1e-9);
        Assert.True(error < 4.0 / 2000 && error < Math.Max(coarse, 1e-12), $"{layerName}: exact against Gauss–Legendre, relative error {error:E2} at 2000 points, {coarse:E2} at 250");

        // The adaptive rule on a piecewise-linear network is the exact rule.
        LayerAttribution<double> adaptive = new LayerIntegratedGradients<double>(network, layer, new LayerAttributionOptions { Rule = QuadratureRule.Adaptive }).Attribute(input, baseline, target);
        Assert.True(Math.Abs(adaptive.Sum() - change) < 1e-10 * Math.Max(1, Math.Abs(change)), $"{layerName}: adaptive sum {adaptive.Sum()}, F(x) - F~(y_L(x')) {change}");

        double[] GaussLegendre(int points) =>
            new LayerIntegratedGradients<double>(network, layer, s_options with { Points = points, InternalBatchSize = 256 }).Attribute(input, baseline, target).Values.ToArray();

        static (INetwork<double>, Layer) Pwl(string name)
        {
            var made = new PwlGraph();
            made.Parameters.Randomize(new Random(63));
            made.ParametersChanged();
            Layer found = name switch
            {
                nameof(PwlGraph.A) => made.A,
                nameof(PwlGraph.B) => made.B,
                nameof(PwlGraph.Sum) => made.Sum,
                _ => made.E,
            };
            Assert.False(made.Info.Separates(found), $"{name} is meant to be inside a block");
            return (made, found);
        }
    }
}
