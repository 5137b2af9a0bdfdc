using System;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

public sealed class InteriorSaturationTests
{
    [Fact]
    public void NoOutputChange_GivesNaNSaturation()
    {
        var network = new TanhMlp();
        network.InitializeWeights(new Random(1));
        double[] input = new double[8];
        Array.Fill(input, 0.5);
        InteriorGradientsResult<double> result = network.InteriorGradients(input, 0, new InteriorGradientsOptions { Baseline = Baseline.Constant(0.5), Count = 4 });
        Assert.All(result.Saturation.ToArray(), s => Assert.True(double.IsNaN(s)));
        Assert.Equal(result.OutputAtBaseline, result.OutputAtInput);
    }
}
