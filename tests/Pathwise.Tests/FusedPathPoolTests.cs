using System;
using System.Numerics;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>A float64 CNN whose first block fuses on the straight path (a ReLU convolution read by a 2x2 max pool alone), with odd sides.</summary>
[Network(Precision.Float64)]
public sealed partial class SmallFusedCnn
{
    [Input(2, 7, 9)] public partial InputLayer Image { get; }
    [Conv2D(3, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv1 { get; }
    [MaxPool2D(2)] public partial Layer Pool1 { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(6), Tanh] public partial Layer Hidden { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>A convolution without an activation read by a 2x2 max pool: the fused pooling of the affine values themselves.</summary>
[Network(Precision.Float64)]
public sealed partial class LinearConvPool
{
    [Input(1, 6, 8)] public partial InputLayer Image { get; }
    [Conv2D(4, Kernel = 3, Padding = 1)] public partial Layer Conv1 { get; }
    [MaxPool2D(2)] public partial Layer Pool1 { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(5), Tanh] public partial Layer Hidden { get; }
    [Dense(3)] public partial Layer Out { get; }
}

/// <summary>The speed targets' CNN in float32: the fused kernel's vector path on the shapes it was made for.</summary>
[Network]
public sealed partial class FusedCnn32
{
    [Input(1, 28, 28)] public partial InputLayer Pixels { get; }
    [Conv2D(8, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv1 { get; }
    [MaxPool2D(2)] public partial Layer Pool1 { get; }
    [Conv2D(16, Kernel = 3, Padding = 1), ReLU] public partial Layer Conv2 { get; }
    [MaxPool2D(2)] public partial Layer Pool2 { get; }
    [Flatten] public partial Layer Flat { get; }
    [Dense(64), ReLU] public partial Layer Hidden { get; }
    [Dense(10)] public partial Layer Logits { get; }
}

/// <summary>
/// The straight path's first convolution fused with the max pooling that reads it (<c>PathPoolKernel</c>): in a workspace
/// that serves the input gradient sum only, the passes never write the convolution's buffers and give what the unfused
/// passes give; Integrated Gradients takes that route and stays complete and equal to the brute-force definition; the
/// methods that read the convolution keep the unfused passes and their values.
/// </summary>
public sealed class FusedPathPoolTests
{
    private static T Randomized<T>(T network, int seed) where T : INetwork<double> => LayerMethodFixtures.Randomized(network, seed);

    [Fact]
    public void PathPasses_Fused_EqualUnfused_AndLeaveTheConvolutionUnwritten_Float64()
    {
        var fashion = Randomized(new FashionCnn64(), 1);
        CheckPasses(fashion, fashion.Conv1, count: 11, tolerance: 1e-12, seed: 2);
        var small = Randomized(new SmallFusedCnn(), 3);
        CheckPasses(small, small.Conv1, count: 7, tolerance: 1e-12, seed: 4);
        var linear = Randomized(new LinearConvPool(), 5);
        CheckPasses(linear, linear.Conv1, count: 7, tolerance: 1e-12, seed: 6);
    }

    [Fact]
    public void PathPasses_Fused_EqualUnfused_AndLeaveTheConvolutionUnwritten_Float32()
    {
        var network = new FusedCnn32();
        network.InitializeWeights(new Random(7));
        CheckPasses(network, network.Conv1, count: 66, tolerance: 1e-5, seed: 8);
    }

    [Theory]
    [InlineData(QuadratureRule.GaussLegendre, 16)]
    [InlineData(QuadratureRule.Trapezoid, 9)]
    public void IntegratedGradients_OnTheFusedRoute_EqualsTheBruteForceDefinition(QuadratureRule rule, int points)
    {
        var network = Randomized(new SmallFusedCnn(), 10);
        (double[] input, double[] baseline) = LayerMethodFixtures.InputAndBaseline(network.Info, 11);
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = rule, Points = points, InternalBatchSize = 5, Baseline = Baseline.Of<double>(baseline) });
        Assert.True(ig.Plan.InputGradientSumOnly);
        var reference = new PathReference(network, input, baseline);
        QuadratureNodes nodes = QuadratureNodes.Create(rule, points);
        for (int target = 0; target < 3; target++)
        {
            Attribution<double> attribution = ig.Attribute(input, target);
            double[] expected = reference.IntegratedGradients(PathReference.OneHot(3, target), nodes);
            LayerMethodFixtures.AssertClose(attribution.Values, expected, 1e-10, $"{rule} target {target}");
        }
    }

    [Fact]
    public void IntegratedGradients_ExactRule_OnTheFusedRoute_IsComplete()
    {
        // PwlCnn's first block is a ReLU convolution read by a 2x2 max pool: the exact rule integrates it through the fused passes.
        foreach (int seed in new[] { 20, 21, 22 })
        {
            var network = Randomized(new PwlCnn(), seed);
            (double[] input, _) = LayerMethodFixtures.InputAndBaseline(network.Info, seed + 100);
            var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.Exact, InternalBatchSize = 7 });
            Assert.True(ig.Plan.InputGradientSumOnly);
            for (int target = 0; target < 3; target++)
            {
                Attribution<double> attribution = ig.Attribute(input, target);
                Assert.Equal(QuadratureRule.Exact, attribution.Rule);
                Assert.True(Math.Abs(attribution.Delta.Absolute) < 1e-10, $"seed {seed} target {target}: delta {attribution.Delta.Absolute:E2}");
            }
        }
    }

    [Fact]
    public void IntegratedGradients_TakesTheFusedRoute_TheConvolutionsBuffersStayUntouched()
    {
        var network = Randomized(new SmallFusedCnn(), 30);
        (double[] input, double[] baseline) = LayerMethodFixtures.InputAndBaseline(network.Info, 31);
        var options = new IntegratedGradientsOptions { Points = 12, InternalBatchSize = 5, Baseline = Baseline.Of<double>(baseline) };
        PathHost<double> host = CpuPathEngine<double>.Host(network, options, inputGradientSumOnly: true);
        Workspace<double> workspace;
        using (var lease = host.Borrow())
        {
            workspace = ((CpuPathEngine<double>)lease.Item).Workspace;
        }

        Assert.True(workspace.InputGradientSumOnly);
        Layer conv = network.Conv1;
        int capacity = workspace.Capacity;
        workspace.PreActivations(conv, capacity).Fill(double.NaN);
        workspace.Activations(conv, capacity).Fill(double.NaN);
        workspace.Gradients(conv, capacity).Fill(double.NaN);
        workspace.PreActivationGradients(conv, capacity).Fill(double.NaN);

        Attribution<double> fused = IntegratedGradientsMath<double>.Attribute(host, PathRequest<double>.ForTarget(input, 1), default);
        Assert.All(workspace.PreActivations(conv, capacity).ToArray(), v => Assert.True(double.IsNaN(v)));
        Assert.All(workspace.Activations(conv, capacity).ToArray(), v => Assert.True(double.IsNaN(v)));
        Assert.All(workspace.Gradients(conv, capacity).ToArray(), v => Assert.True(double.IsNaN(v)));
        Assert.All(workspace.PreActivationGradients(conv, capacity).ToArray(), v => Assert.True(double.IsNaN(v)));

        // The unfused route's plan writes them, and both routes give the same attribution.
        PathHost<double> unfusedHost = CpuPathEngine<double>.Host(network, options);
        Attribution<double> unfused = IntegratedGradientsMath<double>.Attribute(unfusedHost, PathRequest<double>.ForTarget(input, 1), default);
        using (var lease = unfusedHost.Borrow())
        {
            Workspace<double> plain = ((CpuPathEngine<double>)lease.Item).Workspace;
            Assert.False(plain.InputGradientSumOnly);
            Assert.DoesNotContain(plain.Activations(conv, 5).ToArray(), double.IsNaN);
        }

        LayerMethodFixtures.AssertClose(fused.Values, unfused.Values, 1e-12, "fused vs unfused");
        Assert.Equal(unfused.Delta.OutputAtInput, fused.Delta.OutputAtInput, 1e-12);
        Assert.Equal(unfused.Delta.OutputAtBaseline, fused.Delta.OutputAtBaseline, 1e-12);
    }

    [Fact]
    public void AnEngineThatReadsTheInputGradientSumOnly_RefusesLayerReadings()
    {
        var network = Randomized(new SmallFusedCnn(), 40);
        PathHost<double> host = CpuPathEngine<double>.Host(network, new IntegratedGradientsOptions { Points = 4 }, inputGradientSumOnly: true);
        using var lease = host.Borrow();
        IPathEngine<double> engine = lease.Item;
        var error = Assert.Throws<InvalidOperationException>(() => engine.BackwardFromOutput(network.Conv1, throughInput: false));
        Assert.Contains("input gradient sum", error.Message);
        Assert.Throws<InvalidOperationException>(() => engine.AddLayerGradientSum(network.Conv1, 0));
        Assert.Throws<InvalidOperationException>(() => engine.Endpoints(network.Conv1));
    }

    [Fact]
    public void PathPasses_TheSecondConvolution_FromChanges_EqualsTheUnfusedPasses()
    {
        // Conv2 reads the fused pooling: the sum-only passes compute it from what changes between points
        // (PathConvReLUMaxPoolKernel) and never write its values before the ReLU or any of its gradients; the outputs and
        // the input gradient sum are the unfused passes', on sorted points with the path's ends appended as the engine
        // appends them and on points in no order.
        var fashion = Randomized(new FashionCnn64(), 50);
        CheckSecondConvolution(fashion, fashion.Conv2, 1e-12, seed: 51);
        var float32 = new FusedCnn32();
        float32.InitializeWeights(new Random(52));
        CheckSecondConvolution(float32, float32.Conv2, 1e-5, seed: 53);
    }

    private static void CheckSecondConvolution<T>(INetwork<T> network, Layer conv, double tolerance, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkInfo info = network.Info;
        var random = new Random(seed);
        T[] baseline = Vector<T>(random, info.InputLength), direction = Vector<T>(random, info.InputLength);
        int points = 40;
        var sorted = new T[points + 2];
        var shuffled = new T[points];
        for (int k = 0; k < points; k++)
        {
            sorted[k] = T.CreateChecked((1 - Math.Cos(Math.PI * (k + 0.5) / points)) / 2);
            shuffled[k] = T.CreateChecked(random.NextDouble());
        }

        sorted[points] = T.Zero;
        sorted[points + 1] = T.One;
        foreach (T[] alphas in new[] { sorted, shuffled })
        {
            int count = alphas.Length;
            var coefficients = new T[points];
            for (int k = 0; k < points; k++)
            {
                coefficients[k] = T.CreateChecked(random.NextDouble() / points);
            }

            T[] seedGradient = Vector<T>(random, count * info.OutputLength);
            var fused = new Workspace<T>(info, count, inputGradientSumOnly: true);
            var plain = new Workspace<T>(info, count);
            fused.PreActivations(conv, count).Fill(T.NaN);
            fused.Gradients(conv, count).Fill(T.NaN);
            fused.PreActivationGradients(conv, count).Fill(T.NaN);
            (T[][] outputs, T[][] sums) = RunPasses(network, baseline, direction, alphas, coefficients, seedGradient, [fused, plain]);

            string name = $"{info.Name}, {count} points{(count == points ? " in no order" : " and the ends")}";
            AssertClose(outputs[0], outputs[1], tolerance, name + " outputs");
            AssertClose(sums[0], sums[1], tolerance, name + " input gradient sums");
            Assert.All(fused.PreActivations(conv, count).ToArray(), v => Assert.True(T.IsNaN(v), name + ": the convolution's values were written"));
            Assert.All(fused.Gradients(conv, count).ToArray(), v => Assert.True(T.IsNaN(v), name + ": the convolution's gradients were written"));
            Assert.All(fused.PreActivationGradients(conv, count).ToArray(), v => Assert.True(T.IsNaN(v), name + ": the convolution's gradients were written"));
        }
    }

    [Fact]
    public void LayerMethods_AtTheConvolution_KeepTheUnfusedPasses()
    {
        // Internal influence and conductance at Conv1 read its gradients and tangents at every point: against brute force.
        var network = Randomized(new SmallFusedCnn(), 50);
        (double[] input, double[] baseline) = LayerMethodFixtures.InputAndBaseline(network.Info, 51);
        var options = new LayerAttributionOptions { Rule = QuadratureRule.GaussLegendre, Points = 6, InternalBatchSize = 4, Baseline = Baseline.Of<double>(baseline) };
        var reference = new PathReference(network, input, baseline);
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, 6);
        double[] weights = PathReference.OneHot(3, 2);

        LayerInfluence<double> influence = new InternalInfluence<double>(network, network.Conv1, options).Attribute(input, 2);
        LayerMethodFixtures.AssertClose(influence.Values, reference.InternalInfluence(network.Conv1, weights, nodes), 1e-10, "influence at Conv1");

        LayerAttribution<double> conductance = new LayerConductance<double>(network, network.Conv1, options).Attribute(input, 2);
        LayerMethodFixtures.AssertClose(conductance.Values, reference.Conductance(network.Conv1, weights, nodes), 1e-10, "conductance at Conv1");

        // And Integrated Gradients on the same network, between them, still matches its definition.
        var ig = new IntegratedGradients<double>(network, new IntegratedGradientsOptions { Rule = QuadratureRule.GaussLegendre, Points = 6, InternalBatchSize = 4, Baseline = Baseline.Of<double>(baseline) });
        LayerMethodFixtures.AssertClose(ig.Attribute(input, 2).Values, reference.IntegratedGradients(weights, nodes), 1e-10, "IG");
    }

    /// <summary>
    /// One ForwardPath and BackwardPathSum in a workspace that serves the input gradient sum only, and in a plain one:
    /// same outputs and sums within <paramref name="tolerance"/>; the first layer's buffers unwritten in the first, written in the second.
    /// </summary>
    private static void CheckPasses<T>(INetwork<T> network, Layer conv, int count, double tolerance, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkInfo info = network.Info;
        var random = new Random(seed);
        T[] baseline = Vector<T>(random, info.InputLength), direction = Vector<T>(random, info.InputLength);
        var alphas = new T[count];
        var coefficients = new T[count];
        for (int k = 0; k < count; k++)
        {
            alphas[k] = T.CreateChecked((k + 0.5) / count);
            coefficients[k] = T.CreateChecked(random.NextDouble() / count);
        }

        T[] seedGradient = Vector<T>(random, count * info.OutputLength);
        var fused = new Workspace<T>(info, count, inputGradientSumOnly: true);
        var plain = new Workspace<T>(info, count);
        fused.Activations(conv, count).Fill(T.NaN);
        fused.PreActivations(conv, count).Fill(T.NaN);
        fused.Gradients(conv, count).Fill(T.NaN);
        fused.PreActivationGradients(conv, count).Fill(T.NaN);

        (T[][] outputs, T[][] sums) = RunPasses(network, baseline, direction, alphas, coefficients, seedGradient, [fused, plain]);

        string name = info.Name;
        AssertClose(outputs[0], outputs[1], tolerance, name + " outputs");
        AssertClose(sums[0], sums[1], tolerance, name + " input gradient sums");
        Assert.All(fused.Activations(conv, count).ToArray(), v => Assert.True(T.IsNaN(v), name + ": the fused route wrote the convolution's activations"));
        Assert.All(fused.PreActivations(conv, count).ToArray(), v => Assert.True(T.IsNaN(v), name + ": the fused route wrote the convolution's values"));
        Assert.All(fused.Gradients(conv, count).ToArray(), v => Assert.True(T.IsNaN(v), name + ": the fused route wrote the convolution's gradients"));
        Assert.All(fused.PreActivationGradients(conv, count).ToArray(), v => Assert.True(T.IsNaN(v), name + ": the fused route wrote the convolution's gradients"));
        Assert.DoesNotContain(plain.Activations(conv, count).ToArray(), T.IsNaN);
    }

    /// <summary>The straight path's passes in each workspace: its outputs at <paramref name="alphas"/> and the input gradient sum over the first <c>coefficients.Length</c> points.</summary>
    private static (T[][] Outputs, T[][] Sums) RunPasses<T>(
        INetwork<T> network, T[] baseline, T[] direction, T[] alphas, T[] coefficients, T[] seedGradient, Workspace<T>[] workspaces)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = alphas.Length;
        var outputs = new T[workspaces.Length][];
        var sums = new T[workspaces.Length][];
        for (int r = 0; r < workspaces.Length; r++)
        {
            network.ForwardPath(baseline, direction, alphas, workspaces[r]);
            outputs[r] = workspaces[r].Output(count).ToArray();
            seedGradient.CopyTo(workspaces[r].OutputGradient(count));
            sums[r] = new T[network.Info.InputLength];
            network.BackwardPathSum(coefficients, workspaces[r], sums[r]);
        }

        return (outputs, sums);
    }

    private static T[] Vector<T>(Random random, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = T.CreateChecked(2 * random.NextDouble() - 1);
        }

        return values;
    }

    /// <summary>Norm-wise: <c>||actual - expected|| &lt;= tolerance (||expected|| + 1e-300)</c>, and every value finite.</summary>
    private static void AssertClose<T>(T[] actual, T[] expected, double tolerance, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateChecked(actual[i]), e = double.CreateChecked(expected[i]);
            Assert.True(double.IsFinite(a), $"{what}: element {i} is {a}");
            diff += (a - e) * (a - e);
            norm += e * e;
        }

        Assert.True(Math.Sqrt(diff) <= tolerance * (Math.Sqrt(norm) + 1e-300), $"{what}: relative error {Math.Sqrt(diff) / Math.Sqrt(norm):E2} above {tolerance:E0}");
        Assert.True(norm > 0, $"{what}: all zero, nothing compared");
    }
}
