using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>
/// A batch whose every call already runs on two cores (<see cref="PathSplit.SplitsEveryCall{T}"/>) takes its inputs in
/// order, each a single call; the others run one input per core. Either way a batch equals its single calls exactly.
/// </summary>
public sealed class BatchInOrderTests
{
    [Fact]
    public void WhichPlansSplitEveryCall()
    {
        var cnn = new FusedCnn32();
        cnn.InitializeWeights(new Random(1));
        var sampled = new IntegratedGradients<float>(cnn, new IntegratedGradientsOptions { Points = 50 });
        Assert.Equal(Environment.ProcessorCount > 1, PathSplit.SplitsEveryCall(sampled.Plan));

        var few = new IntegratedGradients<float>(cnn, new IntegratedGradientsOptions { Points = 2 });
        Assert.False(PathSplit.SplitsEveryCall(few.Plan), "two points are below the split's threshold");

        var mlp = new TinyMlp64();
        mlp.InitializeWeights(new Random(2));
        var tiny = new IntegratedGradients<double>(mlp, new IntegratedGradientsOptions { Points = 50 });
        Assert.False(PathSplit.SplitsEveryCall(tiny.Plan), "a small network's calls stay on one core");

        var pwl = LayerMethodFixtures.Randomized(new PwlCnn(), 2);
        var exact = new IntegratedGradients<double>(pwl, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact });
        Assert.False(PathSplit.SplitsEveryCall(exact.Plan), "the exact rule's calls do not split");
    }

    [Fact]
    public void ABatchInOrder_EqualsItsSingleCallsExactly()
    {
        var cnn = new FusedCnn32();
        cnn.InitializeWeights(new Random(3));
        var ig = new IntegratedGradients<float>(cnn, new IntegratedGradientsOptions { Points = 50 });
        var random = new Random(4);
        int count = 5, length = FusedCnn32.InputLength;
        var inputs = new float[count * length];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = random.NextSingle();
        }

        int[] targets = [0, 3, 9, 3, 1];
        Attribution<float>[] batch = ig.AttributeBatch(inputs, targets);
        var attributions = new float[count * length];
        var deltas = new ConvergenceDelta[count];
        ig.AttributeBatch(inputs, targets, attributions, deltas);
        for (int m = 0; m < count; m++)
        {
            Attribution<float> single = ig.Attribute(inputs.AsSpan(m * length, length), targets[m]);
            Assert.Equal(single.ToArray(), batch[m].ToArray());
            Assert.Equal(single.ToArray(), attributions.AsSpan(m * length, length).ToArray());
            Assert.Equal(single.Delta.Absolute, deltas[m].Absolute);
        }
    }
}
