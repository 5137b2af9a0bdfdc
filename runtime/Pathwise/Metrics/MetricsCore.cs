using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// The backend-independent quality metrics: argument checks, the seeded perturbations and the arithmetic, with the
/// network reached only through <see cref="IPathEngine{T}.AtPoints"/> on an engine of the given host (all points of a
/// call in one evaluation, in chunks of <see cref="Chunk"/>).
/// <see cref="AttributionMetrics"/> runs them on the CPU, <c>TorchAttributionMetrics</c> on a torch device.
/// </summary>
internal static class MetricsCore
{
    /// <summary>The most points a metric's engine runs in one pass.</summary>
    public const int Chunk = 64;

    /// <summary>
    /// <c>E[(beta I.attr - (F_t(x) - F_t(x - I)))^2]</c> over <c>n</c> perturbations <c>I</c>, <c>beta = 1</c> unless normalised.
    /// <c>I</c> is the perturbation as realised in <typeparamref name="T"/>, <c>x - round(x - I)</c>; with
    /// <see cref="InfidelityOptions.MultiplyByInputs"/> the projection is <c>sum_i (I_i / x_i) attr_i</c>.
    /// </summary>
    public static double Infidelity<T>(PathHost<T> host, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions, InfidelityOptions options, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkInfo info = host.Info;
        int length = info.InputLength;
        int outputs = info.OutputLength;
        Check(info, input, target, attributions);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        int n = options.Perturbations;
        var points = new T[Guard.Elements(n + 1, length, nameof(options.Perturbations))];  // [x; x - I_1; ...; x - I_n]
        input.CopyTo(points);
        var x = new double[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = double.CreateChecked(input[i]);
        }

        var random = new Random(options.Seed);
        var perturbation = new double[length];
        var projected = new double[n];                                                   // I_k . attr
        for (int k = 0; k < n; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (options.Perturb is { } perturb)
            {
                perturb(x, random, perturbation);
                Guard.Finite<double>(perturbation, nameof(options.Perturb), k);
            }
            else
            {
                for (int i = 0; i < length; i++)
                {
                    perturbation[i] = options.StandardDeviation * SeededNoise.Gaussian(random);
                }
            }

            Span<T> row = points.AsSpan((k + 1) * length, length);
            double dot = 0;
            for (int i = 0; i < length; i++)
            {
                row[i] = T.CreateChecked(x[i] - perturbation[i]);
                double realised = x[i] - double.CreateChecked(row[i]);
                dot += (options.MultiplyByInputs ? realised / (x[i] != 0 ? x[i] : 1) : realised) * double.CreateChecked(attributions[i]);
            }

            projected[k] = dot;
        }

        var y = new T[Guard.Elements(n + 1, outputs, nameof(options.Perturbations))];
        Outputs(host, points, n + 1, y, cancellationToken);
        double atInput = double.CreateChecked(y[target]);
        double cross = 0, square = 0;
        for (int k = 0; k < n; k++)
        {
            double change = atInput - double.CreateChecked(y[(k + 1) * outputs + target]);
            cross += projected[k] * change;
            square += projected[k] * projected[k];
        }

        double beta = options.Normalize ? cross / (square != 0 ? square : 1) : 1;
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            double change = atInput - double.CreateChecked(y[(k + 1) * outputs + target]);
            double error = beta * projected[k] - change;
            sum += error * error;
        }

        return sum / n;
    }

    /// <summary>
    /// The deletion (or insertion) curve: features ordered by decreasing attribution (ties by index), step <c>s</c>
    /// has the top <c>m_s = floor(s L / K)</c> set to the baseline (deletion) or taken from the input over the
    /// baseline (insertion); <c>o_s = F_t</c> there, <c>f_s = m_s / L</c>.
    /// </summary>
    public static AttributionCurve Curve<T>(PathHost<T> host, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions, CurveOptions options, bool insertion, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkInfo info = host.Info;
        int length = info.InputLength;
        int outputs = info.OutputLength;
        Check(info, input, target, attributions);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var baseline = new T[length];
        options.Baseline.Fill<T>(baseline);

        var order = new int[length];
        var keys = new double[length];
        for (int i = 0; i < length; i++)
        {
            order[i] = i;
            keys[i] = double.CreateChecked(attributions[i]);
        }

        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[b].CompareTo(keys[a]) : a.CompareTo(b));

        int steps = options.Steps;
        var points = new T[Guard.Elements(steps + 1, length, nameof(options.Steps))];
        var fractions = new double[steps + 1];
        ReadOnlySpan<T> start = insertion ? baseline : input;
        ReadOnlySpan<T> end = insertion ? input : baseline;
        for (int s = 0; s <= steps; s++)
        {
            int moved = (int)((long)s * length / steps);
            Span<T> row = points.AsSpan(s * length, length);
            start.CopyTo(row);
            for (int r = 0; r < moved; r++)
            {
                row[order[r]] = end[order[r]];
            }

            fractions[s] = length == 0 ? 1.0 * s / steps : (double)moved / length;
        }

        var y = new T[Guard.Elements(steps + 1, outputs, nameof(options.Steps))];
        Outputs(host, points, steps + 1, y, cancellationToken);
        var values = new double[steps + 1];
        for (int s = 0; s <= steps; s++)
        {
            values[s] = double.CreateChecked(y[s * outputs + target]);
        }

        return new AttributionCurve(fractions, values);
    }

    /// <summary>
    /// <c>max_k ||A(x + delta_k) - A(x)||_2 / ||A(x)||_2</c>, <c>delta_k</c> uniform in the L-infinity ball of the radius
    /// (each <c>delta_i = r (2u - 1)</c>, <c>u = NextDouble()</c>, from <c>new Random(Seed)</c>); a zero <c>||A(x)||</c> counts as 1, as Captum's.
    /// </summary>
    public static double SensitivityMax<T>(InputAttributor<T> attributor, ReadOnlySpan<T> input, int target, SensitivityOptions options, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(attributor);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Guard.Finite(input, nameof(input));
        int length = input.Length;
        var reference = new T[length];
        attributor(input, target, reference);
        double norm = 0;
        foreach (T value in reference)
        {
            double v = double.CreateChecked(value);
            norm += v * v;
        }

        norm = Math.Sqrt(norm);
        var random = new Random(options.Seed);
        var moved = new T[length];
        var attribution = new T[length];
        double worst = 0;
        for (int k = 0; k < options.Perturbations; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int i = 0; i < length; i++)
            {
                moved[i] = T.CreateChecked(double.CreateChecked(input[i]) + options.Radius * (2 * random.NextDouble() - 1));
            }

            attributor(moved, target, attribution);
            double distance = 0;
            for (int i = 0; i < length; i++)
            {
                double d = double.CreateChecked(attribution[i]) - double.CreateChecked(reference[i]);
                distance += d * d;
            }

            worst = Math.Max(worst, Math.Sqrt(distance));
        }

        return worst / (norm != 0 ? norm : 1);
    }

    /// <summary><c>outputs[n, output length] = F(points[n, input length])</c> of <paramref name="count"/> points, on an engine of <paramref name="host"/>.</summary>
    private static void Outputs<T>(PathHost<T> host, ReadOnlySpan<T> points, int count, Span<T> outputs, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var lease = host.Borrow();
        lease.Item.AtPoints(points, count, default, outputs, default, cancellationToken);
    }

    private static void Check<T>(NetworkInfo info, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Index(target, info.OutputLength, nameof(target));
        Guard.Length(input, info.InputLength, nameof(input));
        Guard.Finite(input, nameof(input));
        Guard.Length(attributions, info.InputLength, nameof(attributions));
        Guard.Finite(attributions, nameof(attributions));
    }
}
