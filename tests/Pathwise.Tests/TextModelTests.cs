using System;
using System.Collections.Generic;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// Text models: the embedding lookup against its definition, the passes above it (SequenceMean's backward and tangent
/// among them) against central finite differences in float64, the refusal of token ids where a gradient or a path
/// would need them, and text Integrated Gradients (layer IG at the embedding) against completeness.
/// </summary>
public sealed class TextModelTests
{
    public static IEnumerable<object[]> Networks()
    {
        yield return [new TextTanhClassifier()];
        yield return [new TextReluClassifier()];
    }

    private static T Randomized<T>(T network, int seed) where T : INetwork<double>
    {
        network.Parameters.Randomize(new Random(seed));
        network.ParametersChanged();
        return network;
    }

    /// <summary><paramref name="count"/> sequences of random ids from 0 to the vocabulary size minus 1, as doubles.</summary>
    private static double[] Tokens(Random random, int count, int length, int vocabulary)
    {
        var ids = new double[count * length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(vocabulary);
        }

        return ids;
    }

    private static (Layer Embedding, int Vocabulary) EmbeddingOf(INetwork<double> network)
    {
        Layer embedding = network.Info.Layers[1];
        Assert.Equal(LayerKind.Embedding, embedding.Kind);
        foreach (Parameter<double> parameter in network.Parameters.Items)
        {
            if (parameter.Name == embedding.WeightName + ".weight")
            {
                return (embedding, parameter.Shape[0]);
            }
        }

        throw new InvalidOperationException("no embedding table");
    }

    private static double[] Table(INetwork<double> network, Layer embedding)
    {
        foreach (Parameter<double> parameter in network.Parameters.Items)
        {
            if (parameter.Name == embedding.WeightName + ".weight")
            {
                return parameter.Values;
            }
        }

        throw new InvalidOperationException("no embedding table");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Embedding_CopiesTheRowOfEachId_AndSequenceMeanAveragesThem(INetwork<double> network)
    {
        Randomized(network, 1);
        (Layer embedding, int vocabulary) = EmbeddingOf(network);
        Layer mean = network.Info.Layers[2];
        int length = network.Info.InputLength;
        int dimension = embedding.OutputShape.Width;
        Assert.Equal(new TensorShape(length, dimension), embedding.OutputShape);
        Assert.Equal(new TensorShape(dimension), mean.OutputShape);
        double[] table = Table(network, embedding);
        const int count = 3;
        double[] ids = Tokens(new Random(2), count, length, vocabulary);
        ids[0] = 0;
        ids[1] = vocabulary - 1;

        var workspace = new Workspace<double>(network.Info, count);
        ids.CopyTo(workspace.Input(count));
        network.ForwardFrom(network.Info.Input, workspace, count);
        ReadOnlySpan<double> rows = workspace.Activations(embedding, count);
        ReadOnlySpan<double> means = workspace.Activations(mean, count);
        for (int n = 0; n < count; n++)
        {
            for (int d = 0; d < dimension; d++)
            {
                double sum = 0;
                for (int t = 0; t < length; t++)
                {
                    int id = (int)ids[n * length + t];
                    // A lookup copies: the very value of the table, no arithmetic.
                    Assert.Equal(table[id * dimension + d], rows[(n * length + t) * dimension + d]);
                    sum += table[id * dimension + d];
                }

                Assert.Equal(sum / length, means[n * dimension + d], 1e-14);
            }
        }
    }

    [Theory]
    [InlineData(2.5)]
    [InlineData(-1.0)]
    [InlineData(11.0)]
    [InlineData(double.NaN)]
    public void BadTokenId_ThrowsNamingPointPositionValueAndVocabulary(double bad)
    {
        var network = Randomized(new TextTanhClassifier(), 3);
        var workspace = new Workspace<double>(network.Info, 2);
        Span<double> ids = workspace.Input(2);
        ids.Fill(1);
        ids[6 + 4] = bad;
        ArgumentException error = Assert.Throws<ArgumentException>(() => network.ForwardFrom(network.Tokens, workspace, 2));
        Assert.Contains("point 1, position 4", error.Message);
        Assert.Contains(bad.ToString("R", System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Contains("from 0 to 10", error.Message);
        Assert.Contains("11 rows", error.Message);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void GradientsAtAndAboveTheEmbedding_MatchFiniteDifferences_AndNoneReachesTheIds(INetwork<double> network)
    {
        Randomized(network, 5);
        (Layer embedding, int vocabulary) = EmbeddingOf(network);
        NetworkInfo info = network.Info;
        var random = new Random(6);
        double[] weights = NetworkHarness.RandomVector(random, info.OutputLength);
        double[] ids = Tokens(random, 1, info.InputLength, vocabulary);

        var workspace = new Workspace<double>(info, 1);
        ids.CopyTo(workspace.Input(1));
        network.ForwardFrom(info.Input, workspace, 1);
        weights.CopyTo(workspace.OutputGradient(1));
        workspace.Gradients(info.Input, 1).Fill(double.NaN);
        network.BackwardFrom(info.Output, workspace, 1);
        Assert.All(workspace.Gradients(info.Input, 1).ToArray(), g => Assert.Equal(0.0, g));

        var probe = new Workspace<double>(info, 1);
        for (int l = embedding.Index; l < info.Layers.Count - 1; l++)
        {
            Layer layer = info.Layers[l];
            double[] activation = workspace.Activations(layer, 1).ToArray();
            double[] gradient = workspace.Gradients(layer, 1).ToArray();
            var expected = new double[activation.Length];
            const double step = 1e-5;
            for (int i = 0; i < activation.Length; i++)
            {
                expected[i] = (Perturbed(i, step) - Perturbed(i, -step)) / (2 * step);
            }

            double error = NetworkHarness.RelativeError(gradient, expected);
            Assert.True(error < 1e-6, $"{info.Name}.{layer.Name}: relative error {error:E2}");

            double Perturbed(int index, double delta)
            {
                activation.CopyTo(probe.Activations(layer, 1));
                probe.Activations(layer, 1)[index] += delta;
                network.ForwardFrom(layer, probe, 1);
                ReadOnlySpan<double> output = probe.Output(1);
                double sum = 0;
                for (int j = 0; j < output.Length; j++)
                {
                    sum += weights[j] * output[j];
                }

                return sum;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void TangentsAboveTheEmbedding_MatchDirectionalFiniteDifferences_AndTheIdsCarryNone(INetwork<double> network)
    {
        Randomized(network, 7);
        (Layer embedding, int vocabulary) = EmbeddingOf(network);
        NetworkInfo info = network.Info;
        var random = new Random(8);
        const int count = 2;
        double[] ids = Tokens(random, count, info.InputLength, vocabulary);
        double[] direction = NetworkHarness.RandomVector(random, count * embedding.Size);

        var workspace = new Workspace<double>(info, count);
        ids.CopyTo(workspace.Input(count));
        network.ForwardFrom(info.Input, workspace, count);
        network.TangentPath(NetworkHarness.RandomVector(random, info.InputLength), workspace, count);
        Assert.All(workspace.Tangents(embedding, count).ToArray(), t => Assert.Equal(0.0, t));

        double[] centre = workspace.Activations(embedding, count).ToArray();
        direction.CopyTo(workspace.Tangents(embedding, count));
        network.TangentFrom(embedding, workspace, count);

        const double step = 1e-5;
        var up = new Workspace<double>(info, count);
        var down = new Workspace<double>(info, count);
        for (int i = 0; i < centre.Length; i++)
        {
            up.Activations(embedding, count)[i] = centre[i] + step * direction[i];
            down.Activations(embedding, count)[i] = centre[i] - step * direction[i];
        }

        network.ForwardFrom(embedding, up, count);
        network.ForwardFrom(embedding, down, count);
        for (int l = embedding.Index + 1; l < info.Layers.Count; l++)
        {
            Layer layer = info.Layers[l];
            ReadOnlySpan<double> plus = up.Activations(layer, count);
            ReadOnlySpan<double> minus = down.Activations(layer, count);
            var expected = new double[plus.Length];
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = (plus[i] - minus[i]) / (2 * step);
            }

            double error = NetworkHarness.RelativeError(workspace.Tangents(layer, count), expected);
            Assert.True(error < 1e-6, $"{info.Name}.{layer.Name}: relative error {error:E2}");
        }
    }

    /// <summary><c>F_target</c> with the embedding's output set to <paramref name="rows"/> (<c>[T, D]</c>), by the forward pass above it.</summary>
    private static double OutputFromEmbedding(INetwork<double> network, Layer embedding, ReadOnlySpan<double> rows, int target)
    {
        var workspace = new Workspace<double>(network.Info, 1);
        rows.CopyTo(workspace.Activations(embedding, 1));
        network.ForwardFrom(embedding, workspace, 1);
        return workspace.Output(1)[target];
    }

    [Theory]
    [InlineData(typeof(TextTanhClassifier), QuadratureRule.GaussLegendre)]
    [InlineData(typeof(TextReluClassifier), QuadratureRule.Exact)]
    public void TextIntegratedGradients_FromPaddingIds_IsComplete(Type type, QuadratureRule rule)
    {
        var network = Randomized((INetwork<double>)Activator.CreateInstance(type)!, 9);
        (Layer embedding, int vocabulary) = EmbeddingOf(network);
        int length = network.Info.InputLength;
        double[] ids = Tokens(new Random(10), 1, length, vocabulary);
        var padding = new double[length]; // id 0 everywhere: its embedding is the path's start
        const int target = 1;
        var options = new LayerAttributionOptions { Rule = rule, Points = 100, Baseline = Baseline.Of<double>(padding) };

        LayerAttribution<double> attribution = new LayerIntegratedGradients<double>(network, embedding, options).Attribute(ids, target);

        double change = NetworkHarness.Forward(network, ids)[target] - NetworkHarness.Forward(network, padding)[target];
        Assert.True(Math.Abs(change) > 1e-3, "the test needs a change to split");
        Assert.Equal(change, attribution.Sum(), 1e-10);
        Assert.True(Math.Abs(attribution.Delta.Absolute) < 1e-10, $"delta {attribution.Delta.Absolute:E2}");
        Assert.Equal(embedding.Size, attribution.Values.Length);

        // One value per token: the sum over its features.
        double[] perToken = attribution.SumPerChannel();
        Assert.Equal(length, perToken.Length);
        int dimension = embedding.OutputShape.Width;
        double total = 0;
        for (int t = 0; t < length; t++)
        {
            double sum = 0;
            for (int d = 0; d < dimension; d++)
            {
                sum += attribution.Values[t * dimension + d];
            }

            Assert.Equal(sum, perToken[t], 1e-15);
            total += perToken[t];
        }

        Assert.Equal(change, total, 1e-10);
    }

    [Theory]
    [InlineData(typeof(TextTanhClassifier), QuadratureRule.GaussLegendre)]
    [InlineData(typeof(TextReluClassifier), QuadratureRule.Exact)]
    public void TextIntegratedGradients_FromTheZeroEmbedding_IsComplete(Type type, QuadratureRule rule)
    {
        var network = Randomized((INetwork<double>)Activator.CreateInstance(type)!, 11);
        (Layer embedding, int vocabulary) = EmbeddingOf(network);
        double[] ids = Tokens(new Random(12), 1, network.Info.InputLength, vocabulary);
        const int target = 2;
        var options = new LayerAttributionOptions { Rule = rule, Points = 100, LayerBaseline = Baseline.Zero };

        LayerAttribution<double> attribution = new LayerIntegratedGradients<double>(network, embedding, options).Attribute(ids, target);

        double change = NetworkHarness.Forward(network, ids)[target] - OutputFromEmbedding(network, embedding, new double[embedding.Size], target);
        Assert.True(Math.Abs(change) > 1e-3, "the test needs a change to split");
        Assert.Equal(change, attribution.Sum(), 1e-10);
        Assert.True(Math.Abs(attribution.Delta.Absolute) < 1e-10, $"delta {attribution.Delta.Absolute:E2}");
    }

    [Fact]
    public void InputSpaceMethods_RefuseTokenIds_PointingToTheEmbedding()
    {
        var network = Randomized(new TextReluClassifier(), 13);
        NotSupportedException ig = Assert.Throws<NotSupportedException>(() => new IntegratedGradients<double>(network));
        Assert.Contains("token ids", ig.Message);
        Assert.Contains("LayerIntegratedGradients<Double>(network, network.Embed)", ig.Message);
        Assert.Throws<NotSupportedException>(() => new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact }));
        Assert.Throws<NotSupportedException>(() => new LayerConductance<double>(network, network.Hidden));
        Assert.Throws<NotSupportedException>(() => new LayerIntegratedGradients<double>(network, network.Tokens));
        Assert.Throws<NotSupportedException>(() => new LayerIntegratedGradients<double>(network, network.Embed, new LayerAttributionOptions { AttributeToLayerInput = true }));
        Assert.Throws<NotSupportedException>(() => new Saliency<double>(network).Attribute([1, 2, 3, 4, 5, 6, 7], 0));

        // Above the embedding the path runs in a hidden layer's space: allowed, and complete.
        double[] ids = [1, 2, 3, 4, 5, 6, 7];
        LayerAttribution<double> hidden = new LayerIntegratedGradients<double>(network, network.Mean, new LayerAttributionOptions { Rule = QuadratureRule.Exact }).Attribute(ids, 0);
        Assert.True(Math.Abs(hidden.Delta.Absolute) < 1e-10);
    }

    [Fact]
    public void LayerBaseline_IsRefusedWhereNoPathRunsInAHiddenLayer()
    {
        var network = Randomized(new TanhMlp(), 14);
        var options = new LayerAttributionOptions { LayerBaseline = Baseline.Zero };
        Assert.Contains("LayerBaseline", Assert.Throws<ArgumentException>(() => new LayerConductance<double>(network, network.H1, options)).Message);
        Assert.Contains("LayerBaseline", Assert.Throws<ArgumentException>(() => new LayerIntegratedGradients<double>(network, network.X, options)).Message);
        Assert.Contains("LayerBaseline", Assert.Throws<ArgumentException>(() => new InternalInfluence<double>(network, network.H1, options)).Message);
    }
}
