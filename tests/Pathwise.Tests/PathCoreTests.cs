using System;
using System.Collections.Generic;
using Pathwise;
using Xunit;
using static Pathwise.Tests.LayerMethodFixtures;

namespace Pathwise.Tests;

/// <summary>
/// The host-side path core both backends run on: the plan's chunk schedule and rounding, layer resolution, and the
/// call checks (their order, and that a call's own baseline never outlives its call).
/// </summary>
public sealed class PathCoreTests
{
    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 1)]
    [InlineData(7, 3)]
    [InlineData(9, 3)]
    [InlineData(50, 64)]
    [InlineData(50, 1)]
    [InlineData(101, 16)]
    public void Plan_ChunkSchedule_CoversEveryPointOnceInChunksOfAtMostTheCapacity(int points, int internalBatchSize)
    {
        var network = Randomized(new ReluMlp(), 1);
        var options = new IntegratedGradientsOptions { Points = points, InternalBatchSize = internalBatchSize, Rule = QuadratureRule.RiemannMiddle };
        var plan = new PathPlan<double>(network.Info, options);

        Assert.Equal(Math.Max(2, Math.Min(internalBatchSize, points)), plan.ChunkCapacity);
        var seen = new List<int>();
        for (int start = 0; start < plan.Points; start += plan.ChunkCapacity)
        {
            int count = plan.ChunkSize(start, plan.Points);
            Assert.InRange(count, 1, plan.ChunkCapacity);
            for (int k = start; k < start + count; k++)
            {
                seen.Add(k);
            }
        }

        Assert.Equal(points, seen.Count);
        for (int k = 0; k < points; k++)
        {
            Assert.Equal(k, seen[k]);
        }
    }

    [Fact]
    public void Plan_RoundsNodesAndWeightsToTheElementTypeOnce()
    {
        var network = new TinyMlp32();
        var options = new IntegratedGradientsOptions { Points = 9, Rule = QuadratureRule.GaussLegendre, Baseline = Baseline.Constant(0.1) };
        var plan = new PathPlan<float>(network.Info, options);
        QuadratureNodes nodes = QuadratureNodes.Create(QuadratureRule.GaussLegendre, 9);

        for (int k = 0; k < 9; k++)
        {
            Assert.Equal((float)nodes.Alphas[k], plan.Alphas[k]);
            Assert.Equal((float)nodes.Coefficients[k], plan.Coefficients[k]);
        }

        Assert.All(plan.Baseline, value => Assert.Equal(0.1f, value));
    }

    [Fact]
    public void Plan_Resolve_ReportsTheLayerOrItsInput_AndRejectsTheInputsInput()
    {
        var network = Randomized(new ReluMlp(), 2);
        var plan = new PathPlan<double>(network.Info, new LayerAttributionOptions());

        Assert.Same(network.H2, plan.Resolve(network.H2, toLayerInput: false));
        Assert.Same(network.Norm, plan.Resolve(network.H2, toLayerInput: true));
        var error = Assert.Throws<ArgumentException>(() => plan.Resolve(network.X, toLayerInput: true));
        Assert.Equal("layer", error.ParamName);
        Assert.StartsWith("Layer 'X' is the network input; it has no input to attribute to.", error.Message);
        Assert.ThrowsAny<ArgumentException>(() => plan.Resolve(new TinyMlp32().H1, toLayerInput: false));
    }

    [Fact]
    public void Call_ChecksTheTargetFirst_ThenTheInput_ThenTheBaseline()
    {
        var network = Randomized(new ReluMlp(), 3);
        var call = new PathCall<double>(new PathPlan<double>(network.Info, new IntegratedGradientsOptions()));
        double[] shortInput = new double[3];
        double[] nanBaseline = new double[10];
        nanBaseline[4] = double.NaN;

        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() => call.Begin(PathRequest<double>.ForTarget(shortInput, nanBaseline, 5))).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => call.Begin(PathRequest<double>.ForTarget(shortInput, nanBaseline, 4))).ParamName);
        Assert.Equal("baseline", Assert.Throws<ArgumentException>(() => call.Begin(PathRequest<double>.ForTarget(new double[10], nanBaseline, 4))).ParamName);
        Assert.Equal("outputCoefficients", Assert.Throws<ArgumentException>(() => call.Begin(PathRequest<double>.ForWeights(new double[10], new double[4]))).ParamName);
    }

    [Fact]
    public void Call_OwnBaseline_DoesNotOutliveItsCall()
    {
        var network = Randomized(new ReluMlp(), 4);
        var plan = new PathPlan<double>(network.Info, new IntegratedGradientsOptions { Baseline = Baseline.Constant(0.25) });
        var call = new PathCall<double>(plan);
        double[] input = new double[10];
        input.AsSpan().Fill(1.0);
        double[] own = new double[10];
        own.AsSpan().Fill(-0.5);

        call.Begin(PathRequest<double>.ForTarget(input, own, 2));
        Assert.True(call.OwnBaseline);
        Assert.All(call.Direction, d => Assert.Equal(1.5, d));
        Assert.Equal(new double[] { 0, 0, 1, 0, 0 }, call.OutputCoefficients);

        call.Begin(PathRequest<double>.ForTarget(input, 0));
        Assert.False(call.OwnBaseline);
        Assert.All(call.Baseline, b => Assert.Equal(0.25, b));
        Assert.All(call.Direction, d => Assert.Equal(0.75, d));
        Assert.Equal(new double[] { 1, 0, 0, 0, 0 }, call.OutputCoefficients);
    }
}
