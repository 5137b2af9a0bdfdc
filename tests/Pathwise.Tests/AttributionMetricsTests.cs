using System;
using System.Linq;
using Pathwise;
using Xunit;

namespace Pathwise.Tests;

/// <summary>The quality metrics on closed forms of a linear model, a hand-computed trapezoid and a brute-force sensitivity.</summary>
public sealed class AttributionMetricsTests
{
    // No zero entry, so the multiply-by-inputs projection divides by every x_i.
    private static readonly double[] Input = [0.5, -1.25, 2.0, 0.3, 1.5, -0.75];

    private static (Linear Network, double[] Row) LinearWithRow(int target)
    {
        Linear network = GradientMethodsTests.Randomized(new Linear(), 51);
        return (network, network.Parameters.Items[0].Values.AsSpan(target * 6, 6).ToArray());
    }

    [Fact]
    public void Infidelity_OfALinearModelsGradient_IsZero()
    {
        // F(x) - F(x - I) = w.I exactly in exact arithmetic, and attr = w makes I.attr = w.I.
        (Linear network, _) = LinearWithRow(2);
        double[] gradient = new Saliency<double>(network, new SaliencyOptions { Absolute = false }).Attribute(Input, 2).ToArray();
        double infidelity = AttributionMetrics.Infidelity<double>(network, Input, 2, gradient, new InfidelityOptions { Perturbations = 25, StandardDeviation = 0.3, Seed = 3 });
        Assert.InRange(infidelity, 0, 1e-28);
    }

    [Fact]
    public void Infidelity_OfALinearModelsIntegratedGradients_IsZero_WhenMultipliedByInputs()
    {
        // IG from a zero baseline is w * x; with Captum's multiply_by_inputs the projection is sum_i (I_i / x_i) w_i x_i = w.I.
        (Linear network, _) = LinearWithRow(0);
        double[] ig = new IntegratedGradients<double>(network).Attribute(Input, 0).ToArray();
        var options = new InfidelityOptions { MultiplyByInputs = true, Perturbations = 20, Seed = 8 };
        Assert.InRange(AttributionMetrics.Infidelity<double>(network, Input, 0, ig, options), 0, 1e-28);

        // Without it, the projection is sum_i I_i w_i x_i, which is not w.I: a clearly positive infidelity.
        Assert.True(AttributionMetrics.Infidelity<double>(network, Input, 0, ig, options with { MultiplyByInputs = false }) > 1e-4);
    }

    [Fact]
    public void Infidelity_WithACallersPerturbations_HasItsClosedForm_AndNormalizeRemovesTheScale()
    {
        // I_k = 0.5 e_k (k = 0..5), attr = 2w: error_k = 2 w_k 0.5 - w_k 0.5 = 0.5 w_k, so infidelity = mean_k 0.25 w_k^2.
        // Normalised, beta = 1/2 scales the attribution back to w: infidelity 0.
        (Linear network, double[] row) = LinearWithRow(1);
        double[] attribution = Array.ConvertAll(row, w => 2 * w);
        int next = 0;
        PerturbationSampler unitSteps = (x, random, perturbation) =>
        {
            perturbation.Clear();
            perturbation[next++ % 6] = 0.5;
        };
        var options = new InfidelityOptions { Perturbations = 6, Perturb = unitSteps };

        double expected = row.Select(w => 0.25 * w * w).Average();
        double actual = AttributionMetrics.Infidelity<double>(network, Input, 1, attribution, options);
        Assert.True(Math.Abs(actual - expected) <= 1e-12 * expected, $"{actual:R} vs {expected:R}");
        Assert.InRange(AttributionMetrics.Infidelity<double>(network, Input, 1, attribution, options with { Normalize = true }), 0, 1e-28);
    }

    [Fact]
    public void Deletion_OfALinearModel_DropsByTheRemovedAttributions()
    {
        // With a zero baseline, removing feature i changes w.x + b by -w_i x_i, its input-times-gradient attribution.
        (Linear network, double[] row) = LinearWithRow(1);
        double[] attribution = new InputXGradient<double>(network).Attribute(Input, 1).ToArray();
        int[] order = Enumerable.Range(0, 6).OrderByDescending(i => attribution[i]).ToArray();
        double atInput = NetworkHarness.Forward(network, Input)[1];
        double atZero = NetworkHarness.Forward(network, new double[6])[1];

        AttributionCurve deletion = AttributionMetrics.Deletion<double>(network, Input, 1, attribution, new CurveOptions { Steps = 4 });
        AttributionCurve insertion = AttributionMetrics.Insertion<double>(network, Input, 1, attribution, new CurveOptions { Steps = 4 });

        int[] removed = [0, 1, 3, 4, 6];   // floor(s * 6 / 4)
        Assert.Equal(4, deletion.Steps);
        Assert.Equal(removed.Select(m => m / 6.0).ToArray(), deletion.Fractions.ToArray());
        Assert.Equal(removed.Select(m => m / 6.0).ToArray(), insertion.Fractions.ToArray());
        var expectedDeletion = new double[5];
        var expectedInsertion = new double[5];
        for (int s = 0; s < 5; s++)
        {
            double top = order.Take(removed[s]).Sum(i => attribution[i]);
            expectedDeletion[s] = atInput - top;
            expectedInsertion[s] = atZero + top;
        }

        Assert.True(NetworkHarness.RelativeError(deletion.Outputs, expectedDeletion) < 1e-12, string.Join(", ", deletion.Outputs.ToArray()));
        Assert.True(NetworkHarness.RelativeError(insertion.Outputs, expectedInsertion) < 1e-12, string.Join(", ", insertion.Outputs.ToArray()));
        Assert.Equal(atZero, deletion.Outputs[4], 12);
        Assert.Equal(atInput, insertion.Outputs[4], 12);

        double area = 0;
        for (int s = 0; s < 4; s++)
        {
            area += (removed[s + 1] - removed[s]) / 6.0 * (expectedDeletion[s] + expectedDeletion[s + 1]) / 2;
        }

        Assert.True(Math.Abs(deletion.Area - area) <= 1e-12 * Math.Abs(area), $"{deletion.Area:R} vs {area:R}");
    }

    [Fact]
    public void Deletion_UsesTheBaselineValue_AndBreaksTiesByIndex()
    {
        // Equal attributions: features go in index order; each removed feature takes the baseline value 0.5.
        (Linear network, _) = LinearWithRow(0);
        double[] flat = new double[6];
        AttributionCurve curve = AttributionMetrics.Deletion<double>(network, Input, 0, flat, new CurveOptions { Steps = 6, Baseline = Baseline.Constant(0.5) });
        for (int s = 0; s <= 6; s++)
        {
            double[] point = Input.Select((v, i) => i < s ? 0.5 : v).ToArray();
            Assert.Equal(NetworkHarness.Forward(network, point)[0], curve.Outputs[s], 12);
        }
    }

    [Fact]
    public void CurveArea_IsTheTrapezoidRule()
    {
        var curve = new AttributionCurve([0, 0.25, 0.5, 1], [1, 3, 2, -2]);
        // 0.25 (1 + 3)/2 + 0.25 (3 + 2)/2 + 0.5 (2 - 2)/2 = 0.5 + 0.625 + 0
        Assert.Equal(1.125, curve.Area, 15);
        Assert.Equal(3, curve.Steps);
        Assert.Throws<ArgumentException>("outputs", () => new AttributionCurve([0, 1], [1]));
        Assert.Throws<ArgumentException>("outputs", () => new AttributionCurve([], []));
        Assert.Throws<ArgumentException>("fractions", () => new AttributionCurve([0, 0.5, 0.25], [1, 2, 3]));
    }

    [Fact]
    public void SensitivityMax_OfALinearModelsSaliency_IsZero()
    {
        (Linear network, _) = LinearWithRow(2);
        var saliency = new Saliency<double>(network);
        Assert.Equal(0.0, AttributionMetrics.SensitivityMax<double>((x, t, a) => saliency.Attribute(x, t, a), Input, 2, new SensitivityOptions { Radius = 0.5 }));
    }

    [Fact]
    public void SensitivityMax_OfTheIdentity_IsTheLargestDrawnStepOverTheInputNorm()
    {
        // A(x) = x: the sensitivity is max_k ||delta_k|| / ||x||, delta_k,i = r (2u - 1) from new Random(seed), as documented.
        const double radius = 0.1;
        const int seed = 77;
        var random = new Random(seed);
        double worst = 0;
        for (int k = 0; k < 12; k++)
        {
            double squares = 0;
            for (int i = 0; i < 6; i++)
            {
                double moved = Input[i] + radius * (2 * random.NextDouble() - 1);
                squares += (moved - Input[i]) * (moved - Input[i]);
            }

            worst = Math.Max(worst, Math.Sqrt(squares));
        }

        double expected = worst / Math.Sqrt(Input.Sum(v => v * v));
        double actual = AttributionMetrics.SensitivityMax<double>((x, t, a) => x.CopyTo(a), Input, 0, new SensitivityOptions { Perturbations = 12, Radius = radius, Seed = seed });
        Assert.True(Math.Abs(actual - expected) <= 1e-12 * expected, $"{actual:R} vs {expected:R}");
    }

    [Fact]
    public void BadArguments_Throw()
    {
        (Linear network, double[] row) = LinearWithRow(0);
        Assert.Throws<ArgumentOutOfRangeException>("target", () => AttributionMetrics.Infidelity<double>(network, Input, 3, row));
        Assert.Throws<ArgumentException>("attributions", () => AttributionMetrics.Deletion<double>(network, Input, 0, new double[5]));
        Assert.Throws<ArgumentException>("attributions", () => AttributionMetrics.Insertion<double>(network, Input, 0, [0, 0, double.NaN, 0, 0, 0]));
        Assert.Throws<ArgumentException>("input", () => AttributionMetrics.Infidelity<double>(network, new double[7], 0, row));
        Assert.Throws<ArgumentOutOfRangeException>("Perturbations", () => AttributionMetrics.Infidelity<double>(network, Input, 0, row, new InfidelityOptions { Perturbations = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>("StandardDeviation", () => AttributionMetrics.Infidelity<double>(network, Input, 0, row, new InfidelityOptions { StandardDeviation = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>("Steps", () => AttributionMetrics.Deletion<double>(network, Input, 0, row, new CurveOptions { Steps = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>("Radius", () => AttributionMetrics.SensitivityMax<double>((x, t, a) => a.Clear(), Input, 0, new SensitivityOptions { Radius = -1 }));
        Assert.Throws<ArgumentException>("Perturb[0]", () => AttributionMetrics.Infidelity<double>(network, Input, 0, row, new InfidelityOptions { Perturb = (x, r, p) => p.Fill(double.NaN) }));
        Assert.Throws<InvalidOperationException>(() => AttributionMetrics.Deletion<double>(new Linear(), Input, 0, row));
    }
}
