using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace Pathwise.Weights.Tests;

/// <summary>
/// The README's "From PyTorch" route, end to end: state_dicts written by PyTorch 1.13 with the README's
/// dependency-free writer (Fixtures/PyTorch/export_fixture.py), loaded with nothing but <c>Load</c>, and checked
/// against PyTorch's own float64 logits and Integrated Gradients (autograd, the same 50 Gauss–Legendre nodes).
/// </summary>
/// <remarks>
/// Tolerances are rounding bounds, not guesses. For the CNN the exporter writes, per value, a first-order bound on
/// the rounding error of any implementation of the same sums divided by the unit roundoff u (each sum of n terms
/// off by at most n u times the sum of its terms' absolute values; ReLU and max are 1-Lipschitz); a comparison
/// allows that bound for Pathwise's precision plus that for PyTorch's float64. The float32 Integrated Gradients of
/// a ReLU/max-pool network has no such bound: its gradient jumps where a unit changes sign, and in every one of 40
/// inputs tried, some of the ~470,000 ReLU and max-pool decisions at the 50 nodes lay within float32's worst-case
/// rounding of a tie. The exporter proves that none does in float64 for the inputs it kept, so IG is checked on the
/// float64 twin of the README's declaration.
/// </remarks>
public sealed class PyTorchFixtureTests
{
    private const double U32 = 1.0 / (1 << 24);
    private const double U64 = 1.0 / (1L << 53);

    // The bounds are first order in u; the neglected terms are below (terms u) <= 1e-4 of them.
    private const double SecondOrder = 1.001;

    private static readonly Lazy<JsonElement> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllText(Fixture("reference.json"))).RootElement);

    private static readonly string[] CnnTensors =
    [
        "conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight",
    ];

    private static readonly string[] MlpTensors =
    [
        "classifier.0.bias", "classifier.0.weight",
        "classifier.1.bias", "classifier.1.num_batches_tracked", "classifier.1.running_mean", "classifier.1.running_var", "classifier.1.weight",
        "classifier.3.bias", "classifier.3.weight", "classifier.5.bias", "classifier.5.weight",
    ];

    [Fact]
    public void FashionCnn_LoadsTheStateDict_AsSaved()
    {
        string path = Fixture("fashion_cnn.safetensors");
        IReadOnlyDictionary<string, TensorData> file = SafeTensors.Read(path);
        Assert.Equal(CnnTensors, file.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(CnnTensors, new FashionCnn().Info.Weights.Select(w => w.Name).OrderBy(k => k, StringComparer.Ordinal));

        FashionCnn model = FashionCnn.Load(path);

        foreach (Parameter<float> parameter in model.Parameters.Items)
        {
            TensorData stored = file[parameter.Name];
            Assert.Equal(TensorDType.F32, stored.StoredAs);
            Assert.Equal(stored.Shape, parameter.Shape);
            // F32 in the file, float in the network: the copy is exact.
            Assert.Equal(stored.Values.ToArray().Select(v => (float)v), parameter.Values);
        }
    }

    [Fact]
    public void TabularMlp_LoadsTheSequentialStateDict_BatchCounterAndAll()
    {
        string path = Fixture("tabular_mlp.safetensors");
        IReadOnlyDictionary<string, TensorData> file = SafeTensors.Read(path);
        Assert.Equal(MlpTensors, file.Keys.OrderBy(k => k, StringComparer.Ordinal));
        TensorData counter = file["classifier.1.num_batches_tracked"];
        Assert.Equal(TensorDType.I64, counter.StoredAs);
        Assert.Equal(0, counter.Shape.Length);
        Assert.Equal(Reference.Value.GetProperty("tabular_mlp").GetProperty("num_batches_tracked").GetDouble(), counter.Values[0]);
        // The declaration names every tensor but the counter, which Load passes over.
        Assert.Equal(
            MlpTensors.Where(n => !n.EndsWith(".num_batches_tracked", StringComparison.Ordinal)),
            new TabularMlp().Info.Weights.Select(w => w.Name).OrderBy(k => k, StringComparer.Ordinal));

        TabularMlp model = TabularMlp.Load(path);

        foreach (Parameter<double> parameter in model.Parameters.Items)
        {
            Assert.Equal(file[parameter.Name].Shape, parameter.Shape);
            Assert.Equal(file[parameter.Name].Values, parameter.Values);
        }
    }

    [Fact]
    public void FashionCnn_Float32Logits_MatchPyTorch_WithinFloat32Rounding()
    {
        FashionCnn model = FashionCnn.Load(Fixture("fashion_cnn.safetensors"));
        foreach (JsonElement c in Cases("fashion_cnn"))
        {
            float[] input = Array.ConvertAll(Doubles(c, "input"), v => (float)v);
            Assert.Equal(input.Select(v => (double)v), Doubles(c, "input"));   // the inputs are float32 values
            float[] logits = model.Predict(input);

            AssertWithin(Array.ConvertAll(logits, v => (double)v), Doubles(c, "logits"), Scaled(Doubles(c, "logit_rounding"), U32 + U64), "logit");
        }
    }

    [Fact]
    public void FashionCnnFloat64_Logits_MatchPyTorch_WithinFloat64Rounding()
    {
        FashionCnnFloat64 model = FashionCnnFloat64.Load(Fixture("fashion_cnn.safetensors"));
        foreach (JsonElement c in Cases("fashion_cnn"))
        {
            double[] logits = model.Predict(Doubles(c, "input"));

            AssertWithin(logits, Doubles(c, "logits"), Scaled(Doubles(c, "logit_rounding"), 2 * U64), "logit");
        }
    }

    [Fact]
    public void FashionCnnFloat64_IntegratedGradients_MatchPyTorchAutograd_WithinFloat64Rounding()
    {
        FashionCnnFloat64 model = FashionCnnFloat64.Load(Fixture("fashion_cnn.safetensors"));
        var ig = new IntegratedGradients<double>(model, ReadmeOptions(Reference.Value.GetProperty("fashion_cnn")));
        foreach (JsonElement c in Cases("fashion_cnn"))
        {
            Attribution<double> attribution = ig.Attribute(Doubles(c, "input"), c.GetProperty("target").GetInt32());

            Assert.Equal(50, attribution.Points);
            AssertWithin(attribution.ToArray(), Doubles(c, "ig"), Scaled(Doubles(c, "ig_rounding"), 2 * U64), "attribution");
        }
    }

    [Fact]
    public void TabularMlp_LogitsAndIntegratedGradients_MatchPyTorch()
    {
        // Float64 through sums of at most 33 terms, tanh and a folded batch norm: rounding is a few hundred u
        // (~1e-14) of these values' scale, as the CNN's computed bounds for longer sums also come out (~1e-13);
        // 1e-12 holds with room, and any wrong tensor, index mapping, variance or epsilon moves them by 1e-6 or more.
        const double Rounding = 1e-12;
        JsonElement mlp = Reference.Value.GetProperty("tabular_mlp");
        TabularMlp model = TabularMlp.Load(Fixture("tabular_mlp.safetensors"));
        var ig = new IntegratedGradients<double>(model, ReadmeOptions(mlp));
        foreach (JsonElement c in Cases("tabular_mlp"))
        {
            double[] input = Doubles(c, "input");
            double[] expectedLogits = Doubles(c, "logits");
            AssertWithin(model.Predict(input), expectedLogits, Uniform(expectedLogits.Length, Rounding * MaxAbs(expectedLogits)), "logit");

            double[] attribution = ig.Attribute(input, c.GetProperty("target").GetInt32()).ToArray();

            // The same 50 nodes in PyTorch: rounding only.
            double[] sameNodes = Doubles(c, "ig");
            double floor = Rounding * MaxAbs(sameNodes);
            AssertWithin(attribution, sameNodes, Uniform(attribution.Length, floor), "attribution");

            // The integral itself, by PyTorch's midpoint rule on 65,536 points: its error is at most
            // |M_32768 - M_65536| (three times its leading term), which the exporter wrote per feature.
            double[] bound = Doubles(c, "ig_fine_error");
            for (int i = 0; i < bound.Length; i++)
            {
                bound[i] += floor;
            }

            AssertWithin(attribution, Doubles(c, "ig_fine"), bound, "attribution (integral)");
        }
    }

    [Fact]
    public void ReadmeWriter_AndPathwiseWriter_WriteTheSameBytes()
    {
        // The README's Python writer and SafeTensors.Write both follow the reference layout (compact header, tensors
        // by name, header padded with spaces to 8 bytes); for an all-F32 state_dict the files are identical.
        string path = Fixture("fashion_cnn.safetensors");

        byte[] rewritten = SafeTensors.Serialize(SafeTensors.Read(path).Values, TensorDType.F32);

        Assert.Equal(File.ReadAllBytes(path), rewritten);
    }

    [Fact]
    public void Readme_ShowsTheWriterAndDeclarationsTestedHere()
    {
        string root = RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string script = File.ReadAllText(Path.Combine(root, "tests", "Pathwise.Weights.Tests", "Fixtures", "PyTorch", "export_fixture.py"));
        string networks = File.ReadAllText(Path.Combine(root, "tests", "Pathwise.Weights.Tests", "PyTorchNetworks.cs"));

        // The writer, from its dtype table to the end of the function.
        string writer = Between(script, "# safetensors dtype names", "\n\n\nclass FashionCnn");
        Assert.Contains("def save_safetensors(state_dict, path):", writer);
        Assert.Contains(writer, readme);

        // The Quick start's FashionCnn, and the classifier's layers.
        string quickStart = Between(readme, "[Network]                                   // float32", "\n}\n");
        Assert.Contains(quickStart, networks);
        string classifier = Between(readme, "```csharp\n[Input(12)]", "\n```").Substring("```csharp\n".Length);
        foreach (string line in classifier.Split('\n'))
        {
            Assert.Contains("\n    " + line + "\n", networks);
        }
    }

    private static string Between(string text, string start, string end)
    {
        int from = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"'{start}' not found");
        int to = text.IndexOf(end, from, StringComparison.Ordinal);
        Assert.True(to > from, $"'{end}' not found after '{start}'");
        return text[from..to];
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Generator.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Generator.sln above {AppContext.BaseDirectory}.");
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "PyTorch", name);

    private static IEnumerable<JsonElement> Cases(string network)
    {
        JsonElement.ArrayEnumerator cases = Reference.Value.GetProperty(network).GetProperty("cases").EnumerateArray();
        Assert.True(cases.Any(), $"reference.json has no {network} cases");
        return cases;
    }

    private static IntegratedGradientsOptions ReadmeOptions(JsonElement network)
    {
        Assert.Equal("GaussLegendre", network.GetProperty("rule").GetString());
        Assert.Equal("zero", network.GetProperty("baseline").GetString());
        return new IntegratedGradientsOptions
        {
            Points = network.GetProperty("steps").GetInt32(),
            Rule = QuadratureRule.GaussLegendre,
            Baseline = Baseline.Zero,
        };
    }

    private static double[] Doubles(JsonElement element, string property)
    {
        JsonElement array = element.GetProperty(property);
        var values = new double[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement value in array.EnumerateArray())
        {
            values[i++] = value.GetDouble();
        }

        return values;
    }

    /// <summary><c>bound[i] * unitRoundoff</c>, widened for the bound's neglected second-order terms.</summary>
    private static double[] Scaled(double[] bound, double unitRoundoff) =>
        Array.ConvertAll(bound, b => b * unitRoundoff * SecondOrder);

    private static double[] Uniform(int length, double value) => Enumerable.Repeat(value, length).ToArray();

    private static double MaxAbs(double[] values) => values.Max(Math.Abs);

    private static void AssertWithin(double[] actual, double[] expected, double[] tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(
                error <= tolerance[i],
                $"{what} {i}: {actual[i]:R} against PyTorch's {expected[i]:R}, off by {error:E3} > {tolerance[i]:E3}");
        }
    }
}
