using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;

namespace Pathwise.Visualization;

/// <summary>One quadrature rule's convergence: the relative delta <c>|Σ attr - (F(x) - F(x'))| / |F(x) - F(x')|</c> at each point count.</summary>
/// <param name="Rule">The rule's name, the legend's text.</param>
/// <param name="Points">The point counts, ascending.</param>
/// <param name="RelativeDelta">The relative convergence delta at each count.</param>
public sealed record ConvergenceSeries(string Rule, int[] Points, double[] RelativeDelta);

/// <summary>
/// ScottPlot charts of path-attribution results. Each method returns a new <see cref="Plot"/> (dispose it);
/// <see cref="Save"/> writes one as PNG atomically.
/// </summary>
public static class Plots
{
    /// <summary>The default picture size, 800 x 500.</summary>
    public const int DefaultWidth = 800;

    /// <summary>The default picture size, 800 x 500.</summary>
    public const int DefaultHeight = 500;

    private static readonly Color Red = new(255, 0, 0);
    private static readonly Color Blue = new(0, 0, 255);

    /// <summary>Renders <paramref name="plot"/> at <paramref name="width"/> x <paramref name="height"/> and writes the PNG to <paramref name="path"/> atomically.</summary>
    public static void Save(Plot plot, string path, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(plot);
        byte[] png = plot.GetImage(width, height).GetImageBytes(ImageFormat.Png, 100);
        ImageFiles.WriteAtomically(path, png);
    }

    /// <summary>
    /// The saturation curve of interior gradients (arXiv 1611.02639): <c>F(x' + a (x - x'))</c> against <c>a</c> on the
    /// left axis, and on the right axis the integrand of Integrated Gradients along the path,
    /// <c>dF/da = Σ_i (x_i - x'_i) ∂F/∂x_i (x' + a (x - x'))</c>, whose integral over [0, 1] is <c>F(x) - F(x')</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not the result's input length.</exception>
    public static Plot SaturationCurve(InteriorGradientsResult<float> result, ReadOnlySpan<float> input, ReadOnlySpan<float> baseline, string title)
    {
        ArgumentNullException.ThrowIfNull(result);
        double[] alphas = result.Alphas.ToArray();
        double[] outputs = result.Outputs.ToArray();
        double[] integrand = PathIntegrand(result, input, baseline);
        var plot = new Plot();
        var output = plot.Add.Scatter(alphas, outputs);
        output.LegendText = "F(x' + a(x - x'))";
        output.Color = Red;
        var derivative = plot.Add.Scatter(alphas, integrand);
        derivative.LegendText = "dF/da = (x - x') · ∇F (right axis)";
        derivative.Color = Blue;
        derivative.Axes.YAxis = plot.Axes.Right;
        var top = plot.Add.HorizontalLine(result.OutputAtInput);
        top.LinePattern = LinePattern.Dashed;
        top.Color = Colors.Gray;
        top.LegendText = "F(x)";
        plot.Title(title);
        plot.XLabel("a (scale from the baseline x' to the input x)");
        plot.YLabel("F, the target's logit");
        plot.Axes.Right.Label.Text = "dF/da";
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>
    /// The integrand of Integrated Gradients at each of the result's factors, in double:
    /// <c>dF/da (a_k) = Σ_i (x_i - x'_i) ∂F/∂x_i (x' + a_k (x - x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not the result's input length.</exception>
    public static double[] PathIntegrand(InteriorGradientsResult<float> result, ReadOnlySpan<float> input, ReadOnlySpan<float> baseline)
    {
        ArgumentNullException.ThrowIfNull(result);
        int length = result.InputShape.Length;
        if (input.Length != length || baseline.Length != length)
        {
            throw new ArgumentException($"Expected input and baseline of {length} values; got {input.Length} and {baseline.Length}.", nameof(input));
        }

        var integrand = new double[result.Alphas.Length];
        for (int k = 0; k < integrand.Length; k++)
        {
            ReadOnlySpan<float> gradient = result.GradientAt(k);
            double sum = 0;
            for (int i = 0; i < length; i++)
            {
                sum += ((double)input[i] - baseline[i]) * gradient[i];
            }

            integrand[k] = sum;
        }

        return integrand;
    }

    /// <summary>
    /// Convergence of each rule, log-log: <c>log10</c> of the relative delta against <c>log10</c> of the point count, the
    /// axes labelled in powers of ten. A delta of exactly 0 has no logarithm and is left out of its line.
    /// </summary>
    public static Plot Convergence(IReadOnlyList<ConvergenceSeries> series, string title)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        foreach (ConvergenceSeries line in series)
        {
            if (line.Points.Length != line.RelativeDelta.Length)
            {
                throw new ArgumentException($"Expected one delta per point count for {line.Rule}; got {line.Points.Length} counts and {line.RelativeDelta.Length} deltas.", nameof(series));
            }

            var xs = new List<double>();
            var ys = new List<double>();
            for (int k = 0; k < line.Points.Length; k++)
            {
                if (line.RelativeDelta[k] > 0 && double.IsFinite(line.RelativeDelta[k]))
                {
                    xs.Add(Math.Log10(line.Points[k]));
                    ys.Add(Math.Log10(line.RelativeDelta[k]));
                }
            }

            var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            scatter.LegendText = line.Rule;
        }

        plot.Axes.Bottom.TickGenerator = LogTicks(exponent => Math.Pow(10, exponent).ToString("0", CultureInfo.InvariantCulture));
        plot.Axes.Left.TickGenerator = LogTicks(exponent => "1e" + exponent.ToString("0", CultureInfo.InvariantCulture));
        plot.Title(title);
        plot.XLabel("points (log scale)");
        plot.YLabel("relative |delta| (log scale)");
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    /// <summary>
    /// The <paramref name="count"/> entries of <paramref name="values"/> largest in <c>|value|</c> as bars, in that order,
    /// labelled <c>#index</c>; positive bars red, negative blue (the map's two ends). Used for a layer's conductance and
    /// for region-to-neuron.
    /// </summary>
    public static Plot TopBars(ReadOnlySpan<float> values, int count, string title, string valueLabel)
    {
        int[] top = TopByMagnitude(values, count);
        var bars = new List<Bar>();
        var positions = new double[top.Length];
        var labels = new string[top.Length];
        for (int k = 0; k < top.Length; k++)
        {
            float value = values[top[k]];
            bars.Add(new Bar { Position = k, Value = value, FillColor = value >= 0 ? Red : Blue });
            positions[k] = k;
            labels[k] = "#" + top[k].ToString(CultureInfo.InvariantCulture);
        }

        var plot = new Plot();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(positions, labels);
        plot.Add.HorizontalLine(0).Color = Colors.Black;
        plot.Title(title);
        plot.XLabel("neuron");
        plot.YLabel(valueLabel);
        return plot;
    }

    /// <summary>The indices of the <paramref name="count"/> entries largest in <c>|value|</c>, largest first (ties: lower index first).</summary>
    public static int[] TopByMagnitude(ReadOnlySpan<float> values, int count)
    {
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Expected count >= 1; got {count}.");
        }

        var indices = new int[values.Length];
        var magnitudes = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            indices[i] = i;
            magnitudes[i] = -Math.Abs(values[i]);
        }

        Array.Sort(magnitudes, indices);
        return indices[..Math.Min(count, indices.Length)];
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks(Func<double, string> label) => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = label,
    };
}
