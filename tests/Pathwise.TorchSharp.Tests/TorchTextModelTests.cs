using System;
using Pathwise;
using Pathwise.Tests;
using Xunit;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

/// <summary>
/// The text kinds (Embedding, SequenceMean) on the torch device against the generated CPU code: every layer's
/// activations, the refusal of bad ids and of input-space methods, and text Integrated Gradients (layer IG at the
/// embedding) from padding ids and from the zero embedding. Float64 bound 1e-9 relative to the largest expected value,
/// as in <see cref="TorchLayerMethodsTests"/>: both sides use the same path points and exact derivatives.
/// </summary>
public sealed class TorchTextModelTests
{
    private const double Float64Tolerance = 1e-9;

    private static (INetwork<double> Network, ParameterSet<double> Parameters) Create(string name)
    {
        var random = new Random(17);
        switch (name)
        {
            case nameof(TextTanhClassifier): { var n = new TextTanhClassifier(); n.InitializeWeights(random); return (n, n.Parameters); }
            case nameof(TextReluClassifier): { var n = new TextReluClassifier(); n.InitializeWeights(random); return (n, n.Parameters); }
            default: throw new ArgumentException($"Unknown network {name}.", nameof(name));
        }
    }

    private static double[] Tokens(int count, int length, int vocabulary, int seed)
    {
        var random = new Random(seed);
        var ids = new double[count * length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(vocabulary);
        }

        return ids;
    }

    private static int Vocabulary(NetworkInfo info) => info.Weights[0].Shape[0];

    [Theory]
    [InlineData(nameof(TextTanhClassifier))]
    [InlineData(nameof(TextReluClassifier))]
    public void EveryLayersActivations_MatchCpu(string name)
    {
        (INetwork<double> network, ParameterSet<double> parameters) = Create(name);
        NetworkInfo info = network.Info;
        const int count = 3;
        double[] ids = Tokens(count, info.InputLength, Vocabulary(info), seed: 1);
        var workspace = new Workspace<double>(info, count);
        ids.CopyTo(workspace.Input(count));
        network.ForwardFrom(info.Input, workspace, count);

        using var module = new TorchNetwork<double>(info, parameters);
        using var scope = NewDisposeScope();
        Tensor[] activations = module.ForwardAll(module.InputTensor(ids, count));
        foreach (Layer layer in info.Layers)
        {
            Close.All<double>(workspace.Activations(layer, count).ToArray(), activations[layer.Index].contiguous().data<double>().ToArray(), 1e-12, $"{name} {layer.Name}");
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(-2.0)]
    [InlineData(11.0)]
    public void BadTokenId_IsRefusedAsOnTheCpu(double bad)
    {
        (INetwork<double> network, ParameterSet<double> parameters) = Create(nameof(TextTanhClassifier));
        using var module = new TorchNetwork<double>(network.Info, parameters);
        double[] ids = Tokens(2, 6, 11, seed: 2);
        ids[6 + 3] = bad;
        using var scope = NewDisposeScope();
        ArgumentException error = Assert.Throws<ArgumentException>(() => module.call(module.InputTensor(ids, 2)));
        Assert.Contains("point 1, position 3", error.Message);
        Assert.Contains("11 rows", error.Message);
    }

    [Theory]
    [InlineData(nameof(TextTanhClassifier), QuadratureRule.GaussLegendre, false)]
    [InlineData(nameof(TextTanhClassifier), QuadratureRule.GaussLegendre, true)]
    [InlineData(nameof(TextReluClassifier), QuadratureRule.Exact, false)]
    [InlineData(nameof(TextReluClassifier), QuadratureRule.Exact, true)]
    [InlineData(nameof(TextReluClassifier), QuadratureRule.RiemannMiddle, true)]
    public void TextIntegratedGradients_MatchesCpu(string name, QuadratureRule rule, bool zeroEmbedding)
    {
        (INetwork<double> network, ParameterSet<double> parameters) = Create(name);
        NetworkInfo info = network.Info;
        Layer embedding = info.Layers[1];
        double[] ids = Tokens(1, info.InputLength, Vocabulary(info), seed: 3);
        var options = zeroEmbedding
            ? new LayerAttributionOptions { Rule = rule, Points = 20, InternalBatchSize = 7, LayerBaseline = Baseline.Zero }
            : new LayerAttributionOptions { Rule = rule, Points = 20, InternalBatchSize = 7, Baseline = Baseline.Constant(1) };
        LayerAttribution<double> expected = new LayerIntegratedGradients<double>(network, embedding, options).Attribute(ids, 2);

        using var module = new TorchNetwork<double>(info, parameters);
        using var method = new TorchLayerIntegratedGradients<double>(module, embedding, options);
        LayerAttribution<double> actual = method.Attribute(ids, 2);
        Close.All<double>(expected.Values, actual.Values, Float64Tolerance, $"{name} {rule}");
        Close.Value(expected.Delta.OutputAtBaseline, actual.Delta.OutputAtBaseline, Float64Tolerance, 1, name + " F(baseline)");
        Close.Value(expected.Delta.OutputAtInput, actual.Delta.OutputAtInput, Float64Tolerance, 1, name + " F(input)");
    }

    [Fact]
    public void InputSpaceMethods_RefuseTokenIds()
    {
        (INetwork<double> network, ParameterSet<double> parameters) = Create(nameof(TextReluClassifier));
        using var module = new TorchNetwork<double>(network.Info, parameters);
        NotSupportedException error = Assert.Throws<NotSupportedException>(() => new TorchIntegratedGradients<double>(module));
        Assert.Contains("LayerIntegratedGradients", error.Message);
        Assert.Throws<NotSupportedException>(() => new TorchLayerConductance<double>(module, network.Info.Layers[3]));
    }
}
