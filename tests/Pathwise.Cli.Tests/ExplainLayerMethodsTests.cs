using System;
using System.Globalization;
using System.Linq;
using FashionMnist;
using Xunit;

namespace Pathwise.Cli.Tests;

/// <summary>
/// <c>pathwise explain --method layerig|neuronig|neuronconductance</c> end to end in process: each row's numbers against
/// the library called directly on the same image, layer and neuron, and against the network's own outputs.
/// </summary>
public sealed class ExplainLayerMethodsTests
{
    // Columns of a row when the target is the predicted class (no target column).
    private const int ChangeColumn = 4;
    private const int SumColumn = 5;
    private const int DeltaColumn = 6;
    private const int PointsColumn = 8;

    private static readonly LayerAttributionOptions Options = new() { Points = 8, Rule = QuadratureRule.GaussLegendre };

    [Fact]
    public void LayerIg_OfConv2_MatchesTheLibrary_AndItsOutputChangeIsTheNetworks()
    {
        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "3,7", "--method", "layerig", "--layer", "Conv2", "--points", "8", "--rule", "gausslegendre");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("layer integrated gradients of Conv2, GaussLegendre on 8 points, zero baseline", result.Output);
        FashionCnn cnn = FashionCnn.Load(CliRun.Weights("cnn"));
        FashionMnistData data = FashionMnistData.LoadTest(CliRun.Slice);
        var method = new LayerIntegratedGradients<float>(cnn, LayerNamed(cnn, "Conv2"), Options);
        float[] atZero = cnn.Predict(new float[FashionMnistData.ImageSize]);
        foreach (int index in new[] { 3, 7 })
        {
            float[] image = data.Image(index);
            float[] logits = cnn.Predict(image);
            int predicted = Array.IndexOf(logits, logits.Max());
            LayerAttribution<float> expected = method.Attribute(image, predicted);
            string[] cells = Cells(result.Output, index);

            // F(x) - F(0) from the network's own outputs, independent of the attribution.
            Assert.Equal(Signed((double)logits[predicted] - atZero[predicted]), cells[ChangeColumn]);
            Assert.Equal(Signed(Sum(expected.Values)), cells[SumColumn]);
            Assert.Equal(Scientific(expected.Delta.Absolute), cells[DeltaColumn]);
            Assert.Equal("8", cells[PointsColumn]);
        }
    }

    [Fact]
    public void NeuronIg_OfAHiddenNeuron_MatchesTheLibrary_AndIsCompleteAgainstTheNeuronsChange()
    {
        CliResult result = CliRun.Run("explain", "--data", CliRun.Slice, "--images", "3", "--method", "neuronig", "--layer", "Hidden", "--neuron", "5", "--points", "8", "--rule", "gausslegendre");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("neuron integrated gradients of neuron 5 of Hidden, GaussLegendre on 8 points, zero baseline", result.Output);
        Assert.Contains("y_j(x)-y_j(x')", result.Output);    // the change column is the neuron's, not the output's
        FashionCnn cnn = FashionCnn.Load(CliRun.Weights("cnn"));
        float[] image = FashionMnistData.LoadTest(CliRun.Slice).Image(3);
        Attribution<float> expected = new NeuronIntegratedGradients<float>(cnn, LayerNamed(cnn, "Hidden"), Options).Attribute(image, 5);
        string[] cells = Cells(result.Output, 3);

        Assert.Equal(FashionMnistData.ImageSize, expected.Values.Length);
        Assert.Equal(Signed(expected.Delta.OutputAtInput - expected.Delta.OutputAtBaseline), cells[ChangeColumn]);
        Assert.Equal(Signed(Sum(expected.Values)), cells[SumColumn]);
        Assert.Equal(Scientific(expected.Delta.Absolute), cells[DeltaColumn]);
    }

    [Fact]
    public void NeuronConductance_OfAHiddenNeuron_MatchesTheLibrary_AndSumsToThatNeuronsLayerConductance()
    {
        CliResult result = CliRun.Run(
            "explain", "--data", CliRun.Slice, "--images", "3,7", "--method", "neuronconductance", "--layer", "Hidden", "--neuron", "5", "--points", "8", "--rule", "gausslegendre");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("neuron conductance of neuron 5 of Hidden, GaussLegendre on 8 points, zero baseline", result.Output);
        FashionCnn cnn = FashionCnn.Load(CliRun.Weights("cnn"));
        FashionMnistData data = FashionMnistData.LoadTest(CliRun.Slice);
        Layer hidden = LayerNamed(cnn, "Hidden");
        var method = new NeuronConductance<float>(cnn, hidden, Options);
        var conductance = new LayerConductance<float>(cnn, hidden, Options);
        foreach (int index in new[] { 3, 7 })
        {
            float[] image = data.Image(index);
            float[] logits = cnn.Predict(image);
            int predicted = Array.IndexOf(logits, logits.Max());
            NeuronAttribution<float> expected = method.Attribute(image, predicted, [5]);
            string[] cells = Cells(result.Output, index);

            Assert.Equal(FashionMnistData.ImageSize, expected.Row(0).Length);
            Assert.Equal(Signed(Sum(expected.Row(0))), cells[SumColumn]);
            Assert.Equal("-", cells[DeltaColumn]);
            // Summed over the input, a neuron's conductance row is its layer conductance (another code path): to the
            // printed 4 decimals plus float32 rounding.
            double printed = double.Parse(cells[SumColumn], CultureInfo.InvariantCulture);
            double layer = conductance.Attribute(image, predicted).Values[5];
            Assert.True(Math.Abs(printed - layer) <= 5e-5 + 1e-5 * Math.Abs(layer), $"printed {printed}, layer conductance {layer}");
        }
    }

    [Fact]
    public void RegionToNeuron_OfARectangle_MatchesTheLibrary_AndSumsToTheRegionsIntegratedGradients()
    {
        CliResult result = CliRun.Run(
            "explain", "--data", CliRun.Slice, "--images", "3", "--method", "regiontoneuron", "--layer", "Hidden", "--region", "7,7,21,14", "--points", "8", "--rule", "gausslegendre");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("region to neuron of Hidden for 98 input values, GaussLegendre on 8 points, zero baseline", result.Output);
        Assert.Contains("IG of region", result.Output);    // the change column names what the shares complete to
        Assert.DoesNotContain("F(x)-F(x')", result.Output);
        FashionCnn cnn = FashionCnn.Load(CliRun.Weights("cnn"));
        float[] image = FashionMnistData.LoadTest(CliRun.Slice).Image(3);
        float[] logits = cnn.Predict(image);
        int predicted = Array.IndexOf(logits, logits.Max());

        // The rectangle by hand: rows 7..13, columns 7..20 of the 28x28 image.
        var region = new bool[FashionMnistData.ImageSize];
        for (int y = 7; y < 14; y++)
        {
            for (int x = 7; x < 21; x++)
            {
                region[y * 28 + x] = true;
            }
        }

        LayerAttribution<float> expected = new RegionToNeuron<float>(cnn, LayerNamed(cnn, "Hidden"), Options).Attribute(image, predicted, region);
        string[] cells = Cells(result.Output, 3);
        Assert.Equal(Signed(Sum(expected.Values)), cells[SumColumn]);
        Assert.Equal(Scientific(expected.Delta.Absolute), cells[DeltaColumn]);

        // Independently: the neurons' shares add up to the region's Integrated Gradients (the same rule and points).
        Attribution<float> ig = new IntegratedGradients<float>(cnn, new IntegratedGradientsOptions { Points = 8, Rule = QuadratureRule.GaussLegendre }).Attribute(image, predicted);
        double regionIg = 0;
        for (int i = 0; i < region.Length; i++)
        {
            regionIg += region[i] ? ig.Values[i] : 0;
        }

        Assert.True(Math.Abs(Sum(expected.Values) - regionIg) <= 1e-3 * Math.Max(1, Math.Abs(regionIg)), $"neurons {Sum(expected.Values)}, region IG {regionIg}");
    }

    [Theory]
    [InlineData("--method regiontoneuron --layer Hidden", "--method regiontoneuron attributes a pixel region: name it with --region X0,Y0,X1,Y1 (0 <= X0 < X1 <= 28, 0 <= Y0 < Y1 <= 28).")]
    [InlineData("--method regiontoneuron --layer Hidden --region 7,7,7,9", "--region 7,7,7,9: expected X0,Y0,X1,Y1 with 0 <= X0 < X1 <= 28 and 0 <= Y0 < Y1 <= 28")]
    [InlineData("--method regiontoneuron --layer Hidden --region 0,0,29,5", "--region 0,0,29,5: expected X0,Y0,X1,Y1")]
    [InlineData("--method regiontoneuron --layer Hidden --region a,b", "--region a,b: expected X0,Y0,X1,Y1")]
    [InlineData("--method ig --region 0,0,5,5", "--region applies to regiontoneuron, not to --method ig.")]
    [InlineData("--method layerig", "--method layerig attributes to a hidden layer: name it with --layer NAME.")]
    [InlineData("--method neuronig --neuron 3", "--method neuronig attributes to a hidden layer: name it with --layer NAME.")]
    [InlineData("--method neuronig --layer Hidden", "--method neuronig attributes one neuron of Hidden: name it with --neuron N (0 to 63).")]
    [InlineData("--method neuronconductance --layer Hidden", "--method neuronconductance attributes one neuron of Hidden: name it with --neuron N (0 to 63).")]
    [InlineData("--method neuronconductance --layer Hidden --neuron 64", "--neuron 64: Hidden has 64 neurons (0 to 63).")]
    [InlineData("--method neuronig --layer Hidden --neuron -1", "--neuron -1: Hidden has 64 neurons (0 to 63).")]
    [InlineData("--method ig --neuron 3", "--neuron applies to neuronig and neuronconductance, not to --method ig.")]
    [InlineData("--method layerig --layer Hidden --neuron 3", "--neuron applies to neuronig and neuronconductance, not to --method layerig.")]
    public void MissingOrBadLayerOrNeuron_ExitsWith1_NamingIt(string options, string message)
    {
        CliResult result = CliRun.Run(["explain", "--data", CliRun.Slice, "--images", "0", .. options.Split(' ')]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public void Help_ListsTheNewMethodsAndNeuron()
    {
        CliResult result = CliRun.Run("explain", "--help");

        Assert.Equal(0, result.ExitCode);
        string help = string.Join(' ', result.Output.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("layerig", help);
        Assert.Contains("neuronig or neuronconductance", help);
        Assert.Contains("--neuron", help);
    }

    private static Layer LayerNamed(FashionCnn cnn, string name) => cnn.Info.Layers.First(layer => layer.Name == name);

    private static string[] Cells(string output, int index) =>
        ExplainTests.Row(output, index).Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // As the CLI sums: each value as float, in double.
    private static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float value in values)
        {
            sum += value;
        }

        return sum;
    }

    private static string Signed(double value) => value.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture);

    private static string Scientific(double value) => value.ToString("0.00E+00", CultureInfo.InvariantCulture);
}
