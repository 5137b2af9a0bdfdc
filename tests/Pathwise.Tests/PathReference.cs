using System;
using System.Linq;
using Pathwise;

namespace Pathwise.Tests;

/// <summary>
/// Brute-force path quantities, independent of the fused path passes: each point
/// <c>x_k = x' + a_k (x - x')</c> is built on its own and run by a plain forward pass; <c>dF/dy</c> comes
/// from one backward pass from the output, and <c>dy_j/dx</c> from one backward pass per neuron seeded with
/// <c>e_j</c> at the layer. The quadrature sums are written out with the nodes of <see cref="QuadratureNodes"/>.
/// </summary>
public sealed class PathReference
{
    private readonly INetwork<double> _network;
    private readonly NetworkInfo _info;
    private readonly Workspace<double> _workspace;

    public PathReference(INetwork<double> network, double[] input, double[] baseline)
    {
        _network = network;
        _info = network.Info;
        _workspace = new Workspace<double>(_info, 1);
        Input = input;
        Baseline = baseline;
        Direction = new double[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            Direction[i] = input[i] - baseline[i];
        }
    }

    public double[] Input { get; }

    public double[] Baseline { get; }

    /// <summary><c>x - x'</c>.</summary>
    public double[] Direction { get; }

    /// <summary>A one-hot output weighting.</summary>
    public static double[] OneHot(int length, int index)
    {
        var weights = new double[length];
        weights[index] = 1;
        return weights;
    }

    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary><c>x' + alpha (x - x')</c>.</summary>
    public double[] PointAt(double alpha)
    {
        var point = new double[Input.Length];
        for (int i = 0; i < point.Length; i++)
        {
            point[i] = Baseline[i] + alpha * Direction[i];
        }

        return point;
    }

    /// <summary>Runs the plain forward pass at <paramref name="point"/>; the other members then read that point.</summary>
    public void MoveTo(double[] point)
    {
        point.CopyTo(_workspace.Input(1));
        _network.ForwardFrom(_info.Input, _workspace, 1);
    }

    /// <summary>The layer's output at the current point.</summary>
    public double[] Activations(Layer layer) => _workspace.Activations(layer, 1).ToArray();

    /// <summary><c>dF/dy</c> at the layer for <c>F = sum_o outputCoefficients[o] F_o</c>, at the current point.</summary>
    public double[] LayerGradient(Layer layer, double[] outputCoefficients)
    {
        outputCoefficients.CopyTo(_workspace.OutputGradient(1));
        _network.BackwardFrom(_info.Output, _workspace, 1);
        return _workspace.Gradients(layer, 1).ToArray();
    }

    /// <summary><c>dy_j/dx</c> at the current point: <c>e_j</c> seeded at the layer, one backward pass.</summary>
    public double[] NeuronGradient(Layer layer, int neuron)
    {
        Span<double> seed = _workspace.Gradients(layer, 1);
        seed.Clear();
        seed[neuron] = 1;
        _network.BackwardFrom(layer, _workspace, 1);
        return _workspace.Gradients(_info.Input, 1).ToArray();
    }

    /// <summary><c>Cond_j = sum_k w_k dF/dy_j(x_k) (dy_j/dx(x_k) . (x - x'))</c>.</summary>
    public double[] Conductance(Layer layer, double[] outputCoefficients, QuadratureNodes nodes)
    {
        var region = new bool[Input.Length];
        region.AsSpan().Fill(true);
        return RegionToNeuron(layer, outputCoefficients, nodes, region);
    }

    /// <summary><c>A_j(S) = sum_k w_k dF/dy_j(x_k) (dy_j/dx(x_k) . ((x - x') 1_S))</c>.</summary>
    public double[] RegionToNeuron(Layer layer, double[] outputCoefficients, QuadratureNodes nodes, bool[] region)
    {
        var masked = new double[Input.Length];
        for (int i = 0; i < masked.Length; i++)
        {
            masked[i] = region[i] ? Direction[i] : 0;
        }

        var result = new double[layer.Size];
        for (int k = 0; k < nodes.Count; k++)
        {
            MoveTo(PointAt(nodes.Alphas[k]));
            double[] gradient = LayerGradient(layer, outputCoefficients);
            for (int j = 0; j < layer.Size; j++)
            {
                result[j] += nodes.Coefficients[k] * gradient[j] * Dot(NeuronGradient(layer, j), masked);
            }
        }

        return result;
    }

    /// <summary><c>NC_ji = (x_i - x'_i) sum_k w_k dF/dy_j(x_k) dy_j/dx_i(x_k)</c>, <c>[neurons, input length]</c>.</summary>
    public double[] NeuronConductance(Layer layer, double[] outputCoefficients, QuadratureNodes nodes, int[] neurons)
    {
        int length = Input.Length;
        var result = new double[neurons.Length * length];
        for (int k = 0; k < nodes.Count; k++)
        {
            MoveTo(PointAt(nodes.Alphas[k]));
            double[] gradient = LayerGradient(layer, outputCoefficients);
            for (int n = 0; n < neurons.Length; n++)
            {
                double[] row = NeuronGradient(layer, neurons[n]);
                for (int i = 0; i < length; i++)
                {
                    result[n * length + i] += nodes.Coefficients[k] * gradient[neurons[n]] * row[i] * Direction[i];
                }
            }
        }

        return result;
    }

    /// <summary><c>I_j = sum_k w_k dF/dy_j(x_k)</c>.</summary>
    public double[] InternalInfluence(Layer layer, double[] outputCoefficients, QuadratureNodes nodes)
    {
        var result = new double[layer.Size];
        for (int k = 0; k < nodes.Count; k++)
        {
            MoveTo(PointAt(nodes.Alphas[k]));
            double[] gradient = LayerGradient(layer, outputCoefficients);
            for (int j = 0; j < result.Length; j++)
            {
                result[j] += nodes.Coefficients[k] * gradient[j];
            }
        }

        return result;
    }

    /// <summary><c>attr_i = (x_i - x'_i) sum_k w_k dy_j/dx_i(x_k)</c>.</summary>
    public double[] NeuronIntegratedGradients(Layer layer, int neuron, QuadratureNodes nodes)
    {
        var result = new double[Input.Length];
        for (int k = 0; k < nodes.Count; k++)
        {
            MoveTo(PointAt(nodes.Alphas[k]));
            double[] row = NeuronGradient(layer, neuron);
            for (int i = 0; i < result.Length; i++)
            {
                result[i] += nodes.Coefficients[k] * row[i] * Direction[i];
            }
        }

        return result;
    }

    /// <summary><c>IG_i = (x_i - x'_i) sum_k w_k dF/dx_i(x_k)</c>.</summary>
    public double[] IntegratedGradients(double[] outputCoefficients, QuadratureNodes nodes)
    {
        var result = new double[Input.Length];
        for (int k = 0; k < nodes.Count; k++)
        {
            MoveTo(PointAt(nodes.Alphas[k]));
            double[] gradient = LayerGradient(_info.Input, outputCoefficients);
            for (int i = 0; i < result.Length; i++)
            {
                result[i] += nodes.Coefficients[k] * gradient[i] * Direction[i];
            }
        }

        return result;
    }

    /// <summary>The layer's output at <paramref name="point"/>.</summary>
    public double[] ActivationsAt(double[] point, Layer layer)
    {
        MoveTo(point);
        return Activations(layer);
    }

    /// <summary>
    /// The weight row of one output of a convolution layer as a function of the network input (the layer must
    /// read the input directly): <c>y_j = b_o + sum_i row[i] x_i</c>, written from the convolution's definition.
    /// </summary>
    public static double[] ConvolutionRow(double[] weight, Layer layer, int neuron)
    {
        TensorShape input = layer.InputShape;
        TensorShape output = layer.OutputShape;
        int o = neuron / (output.Height * output.Width);
        int r = neuron / output.Width % output.Height;
        int c = neuron % output.Width;
        int kernel = layer.Kernel;
        var row = new double[input.Length];
        for (int channel = 0; channel < input.Channels; channel++)
        {
            for (int kr = 0; kr < kernel; kr++)
            {
                for (int kc = 0; kc < kernel; kc++)
                {
                    int inputRow = r * layer.Stride - layer.Padding + kr;
                    int inputColumn = c * layer.Stride - layer.Padding + kc;
                    if (inputRow < 0 || inputRow >= input.Height || inputColumn < 0 || inputColumn >= input.Width)
                    {
                        continue;
                    }

                    row[(channel * input.Height + inputRow) * input.Width + inputColumn] +=
                        weight[((o * input.Channels + channel) * kernel + kr) * kernel + kc];
                }
            }
        }

        return row;
    }
}

/// <summary>Randomized networks covering every layer kind, and the comparisons the layer-method tests share.</summary>
public static class LayerMethodFixtures
{
    /// <summary>The fixed rules (the exact rule, for piecewise-linear networks only, and the adaptive rule have their own tests).</summary>
    public static readonly QuadratureRule[] Rules = [.. Enum.GetValues<QuadratureRule>().Where(r => r is not (QuadratureRule.Exact or QuadratureRule.Adaptive))];

    public static T Randomized<T>(T network, int seed) where T : INetwork<double>
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        return network;
    }

    /// <summary>MLPs and CNNs with every layer kind and activation (FashionCnn64 aside: it is tested sparingly).</summary>
    public static INetwork<double>[] EveryLayerKind(int seed) =>
    [
        Randomized(new ActivationZoo(), seed),
        Randomized(new ReluMlp(), seed + 1),
        Randomized(new EveryLayerCnn(), seed + 2),
        Randomized(new PoolFirst(), seed + 3),
        Randomized(new AffineFirstMlp(), seed + 4),
    ];

    /// <summary>An input scaled by 2 and a baseline scaled by 0.5, drawn from <paramref name="seed"/>.</summary>
    public static (double[] Input, double[] Baseline) InputAndBaseline(NetworkInfo info, int seed)
    {
        var random = new Random(seed);
        return (NetworkHarness.RandomVector(random, info.InputLength, 2), NetworkHarness.RandomVector(random, info.InputLength, 0.5));
    }

    public static void AssertClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        double error = NetworkHarness.RelativeError(actual, expected);
        Xunit.Assert.True(error <= tolerance, $"{what}: relative error {error:E2} > {tolerance:E0}");
    }
}
