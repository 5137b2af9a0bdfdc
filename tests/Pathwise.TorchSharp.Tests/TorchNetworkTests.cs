using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Pathwise;
using Pathwise.Tests;
using Pathwise.Weights;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

public class TorchNetworkTests
{
    public static TheoryData<string> Float64Networks => new(Subjects.Float64);

    [Theory]
    [MemberData(nameof(Float64Networks))]
    public void StateDict_HasTheDeclaredNamesAndShapes(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);

        Dictionary<string, Tensor> state = module.state_dict();
        var expected = subject.Info.Weights.ToDictionary(w => w.Name, w => w.Shape.ToArray());
        Assert.Equal(
            expected.Keys.OrderBy(k => k, StringComparer.Ordinal),
            state.Keys.Where(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal));
        foreach ((string tensorName, int[] shape) in expected)
        {
            Assert.Equal(shape.Select(d => (long)d), state[tensorName].shape);
            Assert.Equal(ScalarType.Float64, state[tensorName].dtype);
        }
    }

    [Fact]
    public void StateDict_UsesPyTorchNames()
    {
        Subject<double> subject = Subjects.Create64(nameof(FashionCnn64));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        Assert.Equal(
            new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" },
            module.state_dict().Keys);

        Subject<double> norm = Subjects.Create64(nameof(ReluMlp));
        using var normModule = new TorchNetwork<double>(norm.Info, norm.Parameters);
        Assert.Contains("norm.running_mean", normModule.state_dict().Keys);
        Assert.Contains("norm.running_var", normModule.state_dict().Keys);
        Assert.DoesNotContain("h2.bias", normModule.state_dict().Keys);
    }

    // Float64: both sides compute every layer with one or two roundings per operation on values of order 1,
    // summing at most a few hundred products, so they agree to ~1e-15 relative (measured: under 6e-16); 1e-12 leaves margin.
    [Theory]
    [MemberData(nameof(Float64Networks))]
    public void Forward_MatchesGeneratedForward_Float64(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        const int count = 5;
        double[] points = subject.RandomPoints(count, seed: 11);
        double[] expected = subject.Forward(points, count);

        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var scope = NewDisposeScope();
        Tensor output = module.call(module.InputTensor(points, count));
        Assert.Equal(TorchTensorsShape(subject.Info.Output.OutputShape, count), output.shape);
        Close.All<double>(expected, output.data<double>().ToArray(), 1e-12, name + " forward");
    }

    // Float32: each side rounds after every operation (unit roundoff u = 6e-8) and sums the convolution taps and
    // the dense products (at most 36 terms) in its own order, so outputs differ by a few ulps of their scale
    // (measured: 1.2e-7 relative to max|output|). 2e-6 is about 30 ulps: enough for any summation order, while a
    // wrong layer setting misses by orders of magnitude.
    [Fact]
    public void Forward_MatchesGeneratedForward_Float32()
    {
        Subject<float> subject = Subjects.CreateSmallCnn32();
        const int count = 6;
        float[] points = subject.RandomPoints(count, seed: 5);
        float[] expected = subject.Forward(points, count);

        using var module = new TorchNetwork<float>(subject.Info, subject.Parameters);
        using var scope = NewDisposeScope();
        Tensor output = module.call(module.InputTensor(points, count));
        Assert.Equal(ScalarType.Float32, output.dtype);
        float[] actual = output.data<float>().ToArray();
        Close.All<float>(expected, actual, 2e-6, "float32 forward");
    }

    // Float64: the gradient goes through the same layers backwards (measured: under 5e-16 relative to the
    // largest component); 1e-9 is the brief's bound.
    [Theory]
    [MemberData(nameof(Float64Networks))]
    public void Autograd_MatchesGeneratedBackward_Float64(string name)
    {
        Subject<double> subject = Subjects.Create64(name);
        const int count = 4;
        double[] points = subject.RandomPoints(count, seed: 3);
        var random = new Random(17);
        double[] outputCoefficients = Enumerable.Range(0, count * subject.Info.OutputLength).Select(_ => 2 * random.NextDouble() - 1).ToArray();
        double[] expected = subject.InputGradient(points, outputCoefficients, count);

        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var scope = NewDisposeScope();
        Tensor x = module.InputTensor(points, count).requires_grad_();
        Tensor weights = tensor(outputCoefficients, new long[] { count, subject.Info.OutputLength }, ScalarType.Float64);
        Tensor explained = (module.call(x).reshape(count, subject.Info.OutputLength) * weights).sum();
        explained.backward();
        Close.All<double>(expected, x.grad!.data<double>().ToArray(), 1e-9, name + " input gradient");
    }

    // Float32 gradients go through the same sums backwards plus the activation derivatives (measured: 3.1e-7
    // relative to the largest component, 5 ulps); 3e-6 is about 50 ulps.
    [Fact]
    public void Autograd_MatchesGeneratedBackward_Float32()
    {
        Subject<float> subject = Subjects.CreateSmallCnn32();
        const int count = 3;
        float[] points = subject.RandomPoints(count, seed: 8);
        var outputCoefficients = new float[count * subject.Info.OutputLength];
        outputCoefficients.AsSpan().Fill(1f);
        outputCoefficients[1] = -2f;
        float[] expected = subject.InputGradient(points, outputCoefficients, count);

        using var module = new TorchNetwork<float>(subject.Info, subject.Parameters);
        using var scope = NewDisposeScope();
        Tensor x = module.InputTensor(points, count).requires_grad_();
        Tensor weights = tensor(outputCoefficients, new long[] { count, subject.Info.OutputLength });
        (module.call(x).reshape(count, subject.Info.OutputLength) * weights).sum().backward();
        Close.All<float>(expected, x.grad!.data<float>().ToArray(), 3e-6, "float32 input gradient");
    }

    [Theory]
    [InlineData(nameof(EveryLayerCnn))]
    [InlineData(nameof(FashionCnn64))]
    public void SafeTensors_LoadedIntoBoth_GiveTheSameOutputs(string name)
    {
        Subject<double> source = Subjects.Create64(name, seed: 21);
        string path = Path.Combine(Path.GetTempPath(), $"pathwise-torch-{Guid.NewGuid():N}.safetensors");
        try
        {
            source.Parameters.Save(path, TensorDType.F64);

            Subject<double> generated = Subjects.Create64(name, seed: 99); // other weights, overwritten by the file
            generated.LoadWeights(WeightSet.Load(path, generated.Info.Weights));
            using var module = new TorchNetwork<double>(generated.Info); // neutral weights, overwritten by the file
            module.LoadWeights(path);

            const int count = 3;
            double[] points = generated.RandomPoints(count, seed: 4);
            double[] expected = generated.Forward(points, count);
            Close.All<double>(source.Forward(points, count), expected, 0, "generated network after loading");
            using var scope = NewDisposeScope();
            Close.All<double>(expected, module.call(module.InputTensor(points, count)).data<double>().ToArray(), 1e-12, name + " after loading");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SafeTensors_Mismatch_NamesTheTensor()
    {
        Subject<double> subject = Subjects.Create64(nameof(FashionCnn64));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        var tensors = subject.Parameters.Items.ToDictionary(
            p => p.Name,
            p => new TensorData(p.Name, p.Shape, (double[])p.Values.Clone()));

        // fc1.weight transposed.
        tensors["fc1.weight"] = new TensorData("fc1.weight", [784, 64], new double[784 * 64]);
        string path = Path.Combine(Path.GetTempPath(), $"pathwise-torch-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Write(path, tensors.Values, TensorDType.F32);
            var ex = Assert.Throws<WeightsMismatchException>(() => module.LoadWeights(path));
            Assert.Contains("tensor 'fc1.weight': expected shape [64, 784], found [784, 64]", ex.Message);
            Assert.Equal(new[] { "fc1.weight" }, ex.Mismatched);
        }
        finally
        {
            File.Delete(path);
        }

        // A missing and an unexpected tensor.
        tensors = subject.Parameters.Items.ToDictionary(p => p.Name, p => new TensorData(p.Name, p.Shape, (double[])p.Values.Clone()));
        tensors.Remove("conv2.bias");
        tensors["conv3.weight"] = new TensorData("conv3.weight", [1], [0.0]);
        var missing = Assert.Throws<WeightsMismatchException>(() => module.Load(tensors, "in-memory"));
        Assert.Contains("missing tensor 'conv2.bias'", missing.Message);
        Assert.Contains("unexpected tensor 'conv3.weight'", missing.Message);
    }

    [Fact]
    public void DottedPrefixes_NestModules()
    {
        var network = new TorchDottedNames();
        network.InitializeWeights(new Random(5));
        using var module = new TorchNetwork<double>(network.Info, network.Parameters);
        Assert.Equal(
            new[] { "features.0.bias", "features.0.weight", "features.1.bias", "features.1.num_batches_tracked", "features.1.running_mean", "features.1.running_var", "features.1.weight", "head.bias", "head.weight" },
            module.state_dict().Keys.Order(StringComparer.Ordinal)); // TorchSharp lists parameters before buffers

        var subject = new Subject<double>(network, network.Parameters, network.LoadWeights);
        double[] points = subject.RandomPoints(3, seed: 1);
        using var scope = NewDisposeScope();
        Close.All<double>(subject.Forward(points, 3), module.call(module.InputTensor(points, 3)).data<double>().ToArray(), 1e-12, "dotted forward");
    }

    [Fact]
    public void LoadParameters_FromAnotherNetwork_NamesTheTensor()
    {
        Subject<double> subject = Subjects.Create64(nameof(FashionCnn64));
        Subject<double> other = Subjects.Create64(nameof(EveryLayerCnn));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        var ex = Assert.Throws<ArgumentException>(() => module.LoadParameters(other.Parameters));
        Assert.Contains("'conv.weight'", ex.Message);
    }

    [Fact]
    public void LoadParameters_FollowsTheGeneratedNetworksCurrentValues()
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        var network = (ReluMlp)subject.Network;
        network.InitializeWeights(new Random(1234));
        module.LoadParameters(network.Parameters);

        double[] points = subject.RandomPoints(2, seed: 9);
        using var scope = NewDisposeScope();
        Close.All<double>(subject.Forward(points, 2), module.call(module.InputTensor(points, 2)).data<double>().ToArray(), 1e-12, "after reloading");
    }

    [Fact]
    public void BatchNorm_StaysInInferenceForm_InTrainingMode()
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        module.train();
        double[] points = subject.RandomPoints(4, seed: 2);
        using var scope = NewDisposeScope();
        Close.All<double>(subject.Forward(points, 4), module.call(module.InputTensor(points, 4)).data<double>().ToArray(), 1e-12, "train() forward");
        Close.All<double>(subject.Parameters.Items.Single(p => p.Name == "norm.running_mean").Values, module.Tensors["norm.running_mean"].data<double>().ToArray(), 0, "running mean");
    }

    [Fact]
    public void Forward_RejectsAWronglyShapedBatch()
    {
        Subject<double> subject = Subjects.Create64(nameof(EveryLayerCnn));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => module.call(zeros(2, 2, 9, 9, ScalarType.Float64)));
        Assert.Contains("[n, 2, 9, 8]", ex.Message);

        // The flat layout [n, input length] is accepted.
        Assert.Equal(new long[] { 2, 4 }, module.call(zeros(2, 144, ScalarType.Float64)).shape);
    }

    [Fact]
    public void WrongPrecision_IsRejected()
    {
        Subject<double> subject = Subjects.Create64(nameof(Linear));
        var ex = Assert.Throws<ArgumentException>(() => new TorchNetwork<float>(subject.Info));
        Assert.Contains("Float64", ex.Message);
    }

    [Fact]
    public void Cuda_WithoutAGpu_FailsWithTheClearError()
    {
        Subject<double> subject = Subjects.Create64(nameof(Linear));
        var ex = Assert.Throws<InvalidOperationException>(() => new TorchNetwork<double>(subject.Info, subject.Parameters, "cuda"));
        Assert.Contains("CUDA was requested ('cuda')", ex.Message);
        Assert.Contains("use device 'cpu'", ex.Message);
    }

    private static long[] TorchTensorsShape(TensorShape shape, long count) =>
        shape.Rank switch
        {
            1 => [count, shape.Channels],
            2 => [count, shape.Channels, shape.Width],
            _ => [count, shape.Channels, shape.Height, shape.Width],
        };
    [Theory]
    [InlineData("h1.weight", double.NaN, "is NaN")]
    [InlineData("norm.running_var", -0.5, "running variance cannot be negative")]
    public void Load_RefusesValuesTheNetworkCannotUse_UnlessToldNotToCheck(string tensorName, double bad, string problem)
    {
        Subject<double> subject = Subjects.Create64(nameof(ReluMlp));
        var tensors = subject.Parameters.Items.ToDictionary(
            p => p.Name,
            p => new TensorData(p.Name, p.Shape, p.Name == tensorName ? p.Values.Select((v, i) => i == 1 ? bad : v).ToArray() : p.Values.ToArray()));
        using var module = new TorchNetwork<double>(subject.Info, subject.Parameters);
        double before = module.Tensors[tensorName].data<double>()[1];

        WeightsValueException error = Assert.Throws<WeightsValueException>(() => module.Load(tensors, "bad.safetensors"));
        Assert.Equal(tensorName, error.TensorName);
        Assert.Equal(1, error.Index);
        Assert.Contains(problem, error.Message);
        Assert.Equal(before, module.Tensors[tensorName].data<double>()[1]); // nothing copied

        module.Load(tensors, "bad.safetensors", new WeightLoadOptions { CheckValues = false });
        double loaded = module.Tensors[tensorName].data<double>()[1];
        Assert.True(double.IsNaN(bad) ? double.IsNaN(loaded) : loaded == bad, $"loaded {loaded}");
    }
}
