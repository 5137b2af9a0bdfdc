using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pathwise;
using Xunit;
using Xunit.Abstractions;

namespace Pathwise.Onnx.Tests;

/// <summary>The ResNet-style fixture imported from ONNX against the same network declared by hand, and against ONNX Runtime.</summary>
public sealed class ResNetImportTests(ITestOutputHelper output)
{
    /// <summary>
    /// The exported ResNet-style CNN as it would be declared by hand: PyTorch's exporter folds each BatchNorm into the
    /// convolution before it, so a block is Conv-ReLU-Conv, the identity added, ReLU. (This project does not run the
    /// generator on itself; the declaration compiles as a user's build compiles it.)
    /// </summary>
    private const string HandResNet = """
        using Pathwise;

        [Network(Precision.Float64)]
        public sealed partial class HandResNet
        {
            [Input(2, 6, 6)] public partial InputLayer Pixels { get; }
            [Conv2D(4, Kernel = 3, Padding = 1), ReLU] public partial Layer Stem { get; }
            [Conv2D(4, Kernel = 3, Padding = 1), ReLU] public partial Layer Block1Conv1 { get; }
            [Conv2D(4, Kernel = 3, Padding = 1)] public partial Layer Block1Conv2 { get; }
            [Add(nameof(Stem)), ReLU] public partial Layer Block1 { get; }
            [Conv2D(4, Kernel = 3, Padding = 1), ReLU] public partial Layer Block2Conv1 { get; }
            [Conv2D(4, Kernel = 3, Padding = 1)] public partial Layer Block2Conv2 { get; }
            [Add(nameof(Block1)), ReLU] public partial Layer Block2 { get; }
            [GlobalAvgPool2D] public partial Layer Pool { get; }
            [Flatten] public partial Layer Flat { get; }
            [Dense(3)] public partial Layer Logits { get; }
        }
        """;

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Theory]
    [InlineData("resnet_opset13.onnx")]
    [InlineData("resnet_opset17.onnx")]
    public void ImportedResNet_IsTheHandDeclaredNetwork_WithTheSameOutputs(string file)
    {
        string path = Fixture(file);
        ImportedNetwork imported = OnnxImporter.Import(path, new OnnxImportOptions { ClassName = "ImportedResNet", Precision = Precision.Float64 });
        output.WriteLine(imported.Declaration);
        using var directory = new TempDirectory();
        (_, string weightsPath) = imported.WriteTo(directory.Path);
        INetwork<double> network = CompiledNetwork.Load<double>(CompiledNetwork.Compile(imported.Declaration, "ImportedResNet"), weightsPath);

        // Same layers: kinds, activations, shapes, settings and the layers each reads.
        var hand = (INetwork<double>)Activator.CreateInstance(CompiledNetwork.Compile(HandResNet, "HandResNet"))!;
        IReadOnlyList<Layer> expected = hand.Info.Layers;
        IReadOnlyList<Layer> actual = network.Info.Layers;
        Assert.Equal(expected.Select(Describe), actual.Select(Describe));

        // Same tensors in the same order and shapes; the hand network takes the imported values.
        IReadOnlyList<Parameter<double>> from = network.Parameters.Items;
        IReadOnlyList<Parameter<double>> to = hand.Parameters.Items;
        Assert.Equal(to.Count, from.Count);
        for (int i = 0; i < to.Count; i++)
        {
            Assert.Equal(to[i].Shape.ToArray(), from[i].Shape.ToArray());
            from[i].Values.CopyTo(to[i].Values);
        }

        hand.ParametersChanged();

        using var session = new InferenceSession(path);
        var random = new Random(2026);
        double worst = 0;
        for (int sample = 0; sample < 8; sample++)
        {
            float[] input = Enumerable.Range(0, 72).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            double[] wide = input.Select(v => (double)v).ToArray();
            double[] fromImport = network.Predict(wide);
            double[] fromHand = hand.Predict(wide);
            var tensor = new DenseTensor<float>(input, [1, 2, 6, 6]);
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
            float[] onnx = results.First().AsTensor<float>().ToArray();
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(fromImport[j], fromHand[j], 13);
                double error = Math.Abs(fromImport[j] - onnx[j]) / Math.Max(1, Math.Abs(onnx[j]));
                worst = Math.Max(worst, error);
                Assert.True(error <= 1e-5, $"sample {sample}, output {j}: Pathwise {fromImport[j]:R}, ONNX Runtime {onnx[j]:R}");
            }
        }

        output.WriteLine($"{file}: largest relative difference from ONNX Runtime {worst:E2}");

        // And the attributions agree, complete by the exact rule.
        double[] x = Enumerable.Range(0, 72).Select(i => Math.Sin(i)).ToArray();
        var options = new IntegratedGradientsOptions { Rule = QuadratureRule.Exact };
        Attribution<double> a = new IntegratedGradients<double>(network, options).Attribute(x, 1);
        Attribution<double> b = new IntegratedGradients<double>(hand, options).Attribute(x, 1);
        Assert.True(Math.Abs(a.Delta.Relative) < 1e-11, $"relative delta {a.Delta.Relative:E2}");
        Assert.Equal(a.Points, b.Points);
        for (int i = 0; i < 72; i++)
        {
            Assert.Equal(a[i], b[i], 13);
        }
    }

    [Theory]
    [InlineData("cnn_concat_opset13.onnx")]
    [InlineData("cnn_concat_opset17.onnx")]
    public void ConcatAlongChannels_IsAConcatNamingTheInput(string file)
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture(file));
        Assert.Contains("Concat(nameof(Input))", imported.Layers.Select(l => l.Attributes));
    }

    /// <summary>
    /// <c>torch.cat([x, h])</c> with <c>h</c> computed last (DenseNet's order): the layer reads the input through
    /// <c>From</c> and names <c>h</c>, so the channels keep their order (the outputs against ONNX Runtime are in
    /// <see cref="OnnxImportTests"/>).
    /// </summary>
    [Theory]
    [InlineData("cat_first_opset13.onnx")]
    [InlineData("cat_first_opset17.onnx")]
    public void ConcatWithTheEarlierValueFirst_ReadsItThroughFrom(string file)
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture(file));
        output.WriteLine(imported.Declaration);
        string joined = imported.Layers.Single(l => l.Attributes.StartsWith("Concat(", StringComparison.Ordinal)).Attributes;
        Assert.EndsWith(", From = nameof(Input))", joined);
        Assert.DoesNotContain("nameof(Input), ", joined);
    }

    [Theory]
    [InlineData("resnet_down_opset13.onnx")]
    [InlineData("resnet_down_opset17.onnx")]
    public void ProjectionShortcut_IsAConvolutionReadingTheBlockInput_AndTheExactRuleIsComplete(string file)
    {
        ImportedNetwork imported = OnnxImporter.Import(Fixture(file), new OnnxImportOptions { ClassName = "ImportedDown", Precision = Precision.Float64 });
        output.WriteLine(imported.Declaration);
        string[] attributes = [.. imported.Layers.Select(l => l.Attributes)];
        Assert.Contains("Conv2D(8, Kernel = 1, Stride = 2, WeightName = \"layer2.downsample.downsample.0\", From = nameof(Layer1Add))", attributes);
        Assert.Equal("Add(nameof(Layer2Conv2)), ReLU", attributes[imported.Layers.Count - 4]);

        using var directory = new TempDirectory();
        (_, string weightsPath) = imported.WriteTo(directory.Path);
        INetwork<double> network = CompiledNetwork.Load<double>(CompiledNetwork.Compile(imported.Declaration, "ImportedDown"), weightsPath);
        double[] x = Enumerable.Range(0, 72).Select(i => Math.Cos(i)).ToArray();
        Attribution<double> attribution = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact }).Attribute(x, 0);
        Assert.True(Math.Abs(attribution.Delta.Relative) < 1e-11, $"relative delta {attribution.Delta.Relative:E2}");
    }

    private static string Describe(Layer layer) =>
        $"{layer.Index} {layer.Kind} {layer.Activation} {layer.InputShape} {layer.OutputShape} k{layer.Kernel} p{layer.Padding} s{layer.Stride} b{layer.HasBias} [{string.Join(",", layer.Sources)}]";
}
