using System;
using System.Linq;
using Pathwise.Weights;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp.Tests;

/// <summary>Weights straight from a user's trained TorchSharp module, into the generated network and into a TorchNetwork.</summary>
public sealed class TorchModuleWeightsTests
{
    [Fact]
    public void TrainedModule_LoadsIntoTheGeneratedNetwork_AndPredictsAsTheModuleDoes()
    {
        using UserNet user = Trained(outputs: 2, seed: 41);
        var network = new TorchDottedNames();
        network.LoadWeights(user);

        double[][] inputs = Inputs(6, seed: 42);
        foreach (double[] input in inputs)
        {
            double[] expected;
            using (Tensor x = tensor(input, [1, 5], ScalarType.Float64))
            using (Tensor y = user.call(x))
            {
                expected = y.data<double>().ToArray();
            }

            Close.All<double>(expected, network.Predict(input), 1e-12, "logits");
        }
    }

    [Fact]
    public void TrainedModule_LoadsIntoATorchNetwork_AndIntegratedGradientsMatchTheCpu()
    {
        using UserNet user = Trained(outputs: 2, seed: 43);
        var network = new TorchDottedNames();
        network.LoadWeights(user);
        using var module = new TorchNetwork<double>(network.Info);
        module.LoadWeights(user);

        var options = new IntegratedGradientsOptions { Points = 20 };
        using var onDevice = new TorchIntegratedGradients<double>(module, options);
        var onCpu = new IntegratedGradients<double>(network, options);
        foreach (double[] input in Inputs(3, seed: 44))
        {
            Attribution<double> expected = onCpu.Attribute(input, 1);
            Attribution<double> actual = onDevice.Attribute(input, 1);
            Close.All<double>(expected.Values, actual.Values, 1e-9, "IG");
            Assert.True(Math.Abs(expected.Delta.OutputAtInput - actual.Delta.OutputAtInput) <= 1e-12 * Math.Max(1, Math.Abs(expected.Delta.OutputAtInput)));
        }
    }

    [Fact]
    public void ModuleOfAnotherShape_IsRefusedNamingEveryTensor_AndChangesNothing()
    {
        using UserNet wrong = Trained(outputs: 3, seed: 45);
        using UserNet right = Trained(outputs: 2, seed: 46);
        var network = new TorchDottedNames();
        network.LoadWeights(right);
        double[] input = Inputs(1, seed: 47)[0];
        double[] before = network.Predict(input);

        WeightsMismatchException error = Assert.Throws<WeightsMismatchException>(() => network.LoadWeights(wrong));
        Assert.Equal(["head.bias", "head.weight"], error.Mismatched.Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("UserNet", error.Message);
        Assert.Equal(before, network.Predict(input));

        using var module = new TorchNetwork<double>(network.Info);
        Assert.Throws<WeightsMismatchException>(() => module.LoadWeights(wrong));
    }

    [Fact]
    public void ModuleWithANaNWeight_IsRefusedWithTheTensorsName()
    {
        using UserNet user = Trained(outputs: 2, seed: 48);
        using (no_grad())
        {
            user.HeadWeight[0, 1] = double.NaN;
        }

        var network = new TorchDottedNames();
        WeightsValueException error = Assert.Throws<WeightsValueException>(() => network.LoadWeights(user));
        Assert.Equal("head.weight", error.TensorName);
        Assert.Equal(1, error.Index);
        Assert.False(network.Parameters.IsSet);
    }

    [Fact]
    public void Float32Module_LoadsIntoAFloat64Network_WidenedExactly()
    {
        using UserNet user = Trained(outputs: 2, seed: 49);
        user.to(ScalarType.Float32);
        var network = new TorchDottedNames();
        network.LoadWeights(user);
        float[] stored = user.HeadWeight.data<float>().ToArray();
        Parameter<double> head = network.Parameters.Items.Single(p => p.Name == "head.weight");
        Assert.Equal(stored.Select(v => (double)v), head.Values);
    }

    private static UserNet Trained(int outputs, int seed)
    {
        random.manual_seed(seed);
        var user = new UserNet(outputs);
        user.to(ScalarType.Float64);
        user.train();
        using (no_grad())
        {
            for (int batch = 0; batch < 3; batch++)
            {
                using Tensor x = randn(8, 5, ScalarType.Float64) * 2 + 0.5;
                user.call(x).Dispose();
            }
        }

        user.eval();
        return user;
    }

    private static double[][] Inputs(int count, int seed)
    {
        var generator = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 5).Select(_ => 4 * generator.NextDouble() - 2).ToArray()).ToArray();
    }

    /// <summary>
    /// A user's module laid out as <see cref="TorchDottedNames"/> declares it: <c>features.0</c> (linear, then a ReLU
    /// holding no tensors), <c>features.1</c> (batch norm), <c>head</c>, as a PyTorch <c>nn.Sequential</c> names them.
    /// </summary>
    private sealed class UserNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _features;
        private readonly nn.Module<Tensor, Tensor> _head;

        public UserNet(int outputs)
            : base(nameof(UserNet))
        {
            _features = nn.Sequential(("0", nn.Linear(5, 6)), ("relu", nn.ReLU()), ("1", nn.BatchNorm1d(6)));
            _head = nn.Linear(6, outputs);
            register_module("features", _features);
            register_module("head", _head);
        }

        public Tensor HeadWeight => _head.get_parameter("weight")!;

        public override Tensor forward(Tensor x) => _head.call(_features.call(x));
    }
}
