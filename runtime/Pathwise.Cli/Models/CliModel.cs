using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics;
using System.Threading;
using Pathwise.Cli.Explaining;

namespace Pathwise.Cli.Models;

/// <summary>
/// A loaded network as the commands see it, whatever its element type: inputs and outputs in <c>float</c>, converted
/// at this edge to the network's <c>float</c> or <c>double</c>.
/// </summary>
internal abstract class CliModel
{
    protected CliModel(string name, string weights, IReadOnlyList<string> classNames)
    {
        Name = name;
        Weights = weights;
        ClassNames = classNames;
    }

    /// <summary>What the tables call the model: <c>cnn</c>, <c>mlp</c> or the declared type's name.</summary>
    public string Name { get; }

    /// <summary>The weights file loaded.</summary>
    public string Weights { get; }

    /// <summary>The name of each output (Fashion-MNIST's classes for the bundled models, else the output's index).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The declared layers and tensors.</summary>
    public abstract NetworkInfo Info { get; }

    /// <summary>Writes the outputs of <c>inputs[m, InputLength]</c> into <c>outputs[m, OutputLength]</c>.</summary>
    public abstract void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs);

    /// <summary>Explains output <paramref name="target"/> at <paramref name="image"/> with <paramref name="settings"/>.</summary>
    public abstract Explanation Explain(ExplainSettings settings, int index, int label, float[] image, int target, CancellationToken cancellationToken);

    /// <summary>
    /// Prepares Integrated Gradients of output <paramref name="target"/> at <paramref name="image"/> for timing: each call
    /// of the returned function is one attribution, returning the points (or pieces) it used.
    /// </summary>
    public abstract Func<CancellationToken, int> PrepareIntegratedGradients(IntegratedGradientsOptions options, float[] image, int target);

    /// <summary>The layer named <paramref name="name"/> (case-insensitive), or an error listing the layers.</summary>
    /// <exception cref="CliException">No layer has that name, or it is the input (exit code 1).</exception>
    public Layer FindLayer(string name)
    {
        var names = new List<string>();
        foreach (Layer layer in Info.Layers)
        {
            if (layer.Index > 0)
            {
                if (string.Equals(layer.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return layer;
                }

                names.Add(layer.Name);
            }
        }

        throw CliException.BadInput($"--layer '{name}': {Info.Name} has no such hidden layer; its layers are {string.Join(", ", names)}.");
    }

    /// <summary>The index of the largest value.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    /// <summary>The softmax at <paramref name="target"/>, <c>exp(v_t - max) / Σ_j exp(v_j - max)</c>, in double.</summary>
    public static double Softmax(ReadOnlySpan<float> values, int target)
    {
        double max = values[ArgMax(values)];
        double total = 0;
        foreach (float value in values)
        {
            total += Math.Exp(value - max);
        }

        return Math.Exp(values[target] - max) / total;
    }
}

/// <summary>A <see cref="CliModel"/> over a generated network of element type <typeparamref name="T"/>.</summary>
internal sealed class CliModel<T> : CliModel where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly INetwork<T> _network;
    private ExplainSettings? _cachedFor;
    private object? _cached;

    public CliModel(string name, string weights, IReadOnlyList<string> classNames, INetwork<T> network)
        : base(name, weights, classNames)
    {
        _network = network;
    }

    public override NetworkInfo Info => _network.Info;

    public override void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        if (typeof(T) == typeof(float))
        {
            ((INetwork<float>)(object)_network).PredictBatch(inputs, outputs);
            return;
        }

        T[] results = new T[outputs.Length];
        _network.PredictBatch(Convert(inputs), results);
        for (int i = 0; i < results.Length; i++)
        {
            outputs[i] = float.CreateTruncating(results[i]);
        }
    }

    public override Func<CancellationToken, int> PrepareIntegratedGradients(IntegratedGradientsOptions options, float[] image, int target)
    {
        var method = new IntegratedGradients<T>(_network, options);
        T[] input = Convert(image);
        var attributions = new T[input.Length];
        int points = options.Points;
        return cancellationToken =>
        {
            // The span-out form allocates nothing once warm; the exact rule's piece count needs the result object.
            if (options.Rule == QuadratureRule.Exact)
            {
                return method.Attribute(input, target, cancellationToken).Points;
            }

            method.Attribute(input, target, attributions, cancellationToken);
            return points;
        };
    }

    public override Explanation Explain(ExplainSettings settings, int index, int label, float[] image, int target, CancellationToken cancellationToken)
    {
        T[] input = Convert(image);
        var outputs = new float[Info.OutputLength];
        PredictBatch(image, outputs);
        int predicted = ArgMax(outputs);
        double confidence = Softmax(outputs, target);
        TensorShape shape = Info.Input.OutputShape;
        long start = Stopwatch.GetTimestamp();
        Explanation Input(ReadOnlySpan<T> values, ConvergenceDelta? delta, int points, QuadratureRule? rule) => new(
            index, label, target, predicted, confidence, ToFloat(values), null, delta, points, rule, null, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        Explanation OfLayer(ReadOnlySpan<T> values, ConvergenceDelta? delta, int points, QuadratureRule rule) => new(
            index, label, target, predicted, confidence, null, ToFloat(values), delta, points, rule, null, Stopwatch.GetElapsedTime(start).TotalMilliseconds);

        var ig = new IntegratedGradientsOptions { Points = settings.Points, Rule = settings.Rule };
        var layerOptions = new LayerAttributionOptions { Points = settings.Points, Rule = settings.Rule };
        switch (settings.Method)
        {
            case MethodKind.IntegratedGradients:
            {
                var m = Cached(settings, () => new IntegratedGradients<T>(_network, ig));
                start = Stopwatch.GetTimestamp();
                Attribution<T> a = m.Attribute(input, target, cancellationToken);
                return Input(a.Values, a.Delta, a.Points, a.Rule);
            }

            case MethodKind.ExpectedGradients:
            {
                var m = Cached(settings, () => new ExpectedGradients<T>(_network, Convert(settings.Baselines), ig));
                start = Stopwatch.GetTimestamp();
                Attribution<T> a = m.Attribute(input, target, cancellationToken);
                return Input(a.Values, a.Delta, a.Points, a.Rule);
            }

            case MethodKind.Saliency:
            {
                var m = Cached(settings, () => new Saliency<T>(_network));
                start = Stopwatch.GetTimestamp();
                FeatureAttribution<T> a = m.Attribute(input, target, cancellationToken);
                return Input(a.Values, null, a.Points, null);
            }

            case MethodKind.InputXGradient:
            {
                var m = Cached(settings, () => new InputXGradient<T>(_network));
                start = Stopwatch.GetTimestamp();
                FeatureAttribution<T> a = m.Attribute(input, target, cancellationToken);
                return Input(a.Values, null, a.Points, null);
            }

            case MethodKind.NoiseTunnel:
            {
                var options = new NoiseTunnelOptions { Samples = settings.Samples, NoiseLevel = settings.NoiseLevel };
                var m = Cached(settings, () => new NoiseTunnel<T>(Attributor(settings with { Method = settings.TunnelOf }), shape, options));
                start = Stopwatch.GetTimestamp();
                FeatureAttribution<T> a = m.Attribute(input, target, cancellationToken);
                return Input(a.Values, null, a.Points, null);
            }

            case MethodKind.InteriorGradients:
            {
                var m = Cached(settings, () => new InteriorGradients<T>(_network, new InteriorGradientsOptions { Count = settings.Points }));
                start = Stopwatch.GetTimestamp();
                InteriorGradientsResult<T> r = m.Attribute(input, target, cancellationToken);
                double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                var saturation = new InteriorGradientsResult<float>(
                    r.Alphas.ToArray(), ToFloat(r.Gradients), r.Outputs.ToArray(), r.OutputAtBaseline, r.OutputAtInput, r.InputShape);
                return new Explanation(index, label, target, predicted, confidence, null, null, null, r.Alphas.Length, null, saturation, milliseconds);
            }

            case MethodKind.Conductance:
            {
                var m = Cached(settings, () => new LayerConductance<T>(_network, FindLayer(settings.Layer!), layerOptions));
                start = Stopwatch.GetTimestamp();
                LayerAttribution<T> a = m.Attribute(input, target, cancellationToken);
                return OfLayer(a.Values, a.Delta, a.Points, a.Rule);
            }

            case MethodKind.InternalInfluence:
            {
                var m = Cached(settings, () => new InternalInfluence<T>(_network, FindLayer(settings.Layer!), layerOptions));
                start = Stopwatch.GetTimestamp();
                LayerInfluence<T> a = m.Attribute(input, target, cancellationToken);
                return OfLayer(a.Values, null, a.Points, a.Rule);
            }

            case MethodKind.LayerIntegratedGradients:
            {
                var m = Cached(settings, () => new LayerIntegratedGradients<T>(_network, FindLayer(settings.Layer!), layerOptions));
                start = Stopwatch.GetTimestamp();
                LayerAttribution<T> a = m.Attribute(input, target, cancellationToken);
                return OfLayer(a.Values, a.Delta, a.Points, a.Rule);
            }

            case MethodKind.NeuronIntegratedGradients:
            {
                // The neuron's value y_j is explained, not output target: the delta is against y_j(x) - y_j(x').
                var m = Cached(settings, () => new NeuronIntegratedGradients<T>(_network, FindLayer(settings.Layer!), layerOptions));
                start = Stopwatch.GetTimestamp();
                Attribution<T> a = m.Attribute(input, settings.Neuron, cancellationToken);
                return Input(a.Values, a.Delta, a.Points, a.Rule);
            }

            case MethodKind.NeuronConductance:
            {
                var m = Cached(settings, () => new NeuronConductance<T>(_network, FindLayer(settings.Layer!), layerOptions));
                start = Stopwatch.GetTimestamp();
                NeuronAttribution<T> a = m.Attribute(input, target, [settings.Neuron], cancellationToken);
                return Input(a.Row(0), null, a.Points, a.Rule);
            }

            case MethodKind.RegionToNeuron:
            {
                var m = Cached(settings, () => new RegionToNeuron<T>(_network, FindLayer(settings.Layer!), layerOptions));
                start = Stopwatch.GetTimestamp();
                LayerAttribution<T> a = m.Attribute(input, target, settings.Region, cancellationToken);
                return OfLayer(a.Values, a.Delta, a.Points, a.Rule);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Method, "Unknown method.");
        }
    }

    /// <summary>The input method a noise tunnel wraps, as a delegate.</summary>
    private InputAttributor<T> Attributor(ExplainSettings settings)
    {
        var ig = new IntegratedGradientsOptions { Points = settings.Points, Rule = settings.Rule };
        switch (settings.Method)
        {
            case MethodKind.IntegratedGradients:
            {
                var method = new IntegratedGradients<T>(_network, ig);
                return (input, target, attributions) => method.Attribute(input, target, attributions);
            }

            case MethodKind.Saliency:
            {
                var method = new Saliency<T>(_network);
                return (input, target, attributions) => method.Attribute(input, target, attributions);
            }

            case MethodKind.InputXGradient:
            {
                var method = new InputXGradient<T>(_network);
                return (input, target, attributions) => method.Attribute(input, target, attributions);
            }

            default:
                throw CliException.BadInput($"--tunnel-of {MethodNames.Name(settings.Method)}: a noise tunnel wraps ig, saliency or inputxgradient.");
        }
    }

    /// <summary>The method object for <paramref name="settings"/>, made once per run (its workspaces are reused, and made before the clock starts).</summary>
    private TMethod Cached<TMethod>(ExplainSettings settings, Func<TMethod> create)
        where TMethod : class
    {
        if (!ReferenceEquals(_cachedFor, settings) || _cached is not TMethod method)
        {
            method = create();
            _cachedFor = settings;
            _cached = method;
        }

        return method;
    }

    private static T[] Convert(ReadOnlySpan<float> values)
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateTruncating(values[i]);
        }

        return result;
    }

    private static float[] ToFloat(ReadOnlySpan<T> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = float.CreateTruncating(values[i]);
        }

        return result;
    }
}
