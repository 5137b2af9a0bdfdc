using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>
/// A noise tunnel (Captum's <c>NoiseTunnel</c>) around any input attribution <c>A</c>: draws <c>n</c> noisy copies
/// <c>x_s = x + eps_s</c>, <c>eps_s ~ N(0, sigma^2 I)</c> with <c>sigma = NoiseLevel * (max_i x_i - min_i x_i)</c>, attributes
/// each, <c>a_s = A(x_s)</c>, and combines them: SmoothGrad <c>mean_s a_s</c>, SmoothGrad squared <c>mean_s a_s^2</c>, or
/// VarGrad <c>mean_s a_s^2 - (mean_s a_s)^2</c>.
/// </summary>
/// <remarks>
/// It only calls the wrapped delegate, so it serves every method of both backends. The noise is seeded: each call
/// draws from <c>new Random(Seed)</c>, sample by sample and feature by feature, each value by Box–Muller from two
/// draws, <c>sqrt(-2 ln(1 - u1)) cos(2 pi u2)</c> with <c>u1</c>, <c>u2</c> the next two <c>NextDouble()</c>; the noise
/// is added in double and the sum rounded to <typeparamref name="T"/>. The samples are combined by Welford's running mean and variance in double, so a constant
/// attribution comes out exactly (its VarGrad exactly 0). Safe to call from many threads at once when the wrapped
/// attribution is; each call allocates its own buffers.
/// </remarks>
public sealed class NoiseTunnel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly InputAttributor<T> _attributor;

    /// <summary>Wraps <paramref name="attributor"/>, which attributes inputs of <paramref name="inputShape"/>; throws if an option is invalid.</summary>
    public NoiseTunnel(InputAttributor<T> attributor, TensorShape inputShape, NoiseTunnelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(attributor);
        options ??= new NoiseTunnelOptions();
        options.Validate();
        _attributor = attributor;
        InputShape = inputShape;
        Options = options;
    }

    /// <summary>The validated settings.</summary>
    public NoiseTunnelOptions Options { get; }

    /// <summary>The shape of the inputs (and attributions).</summary>
    public TensorShape InputShape { get; }

    /// <summary>The combined attribution of output <paramref name="target"/> over the noisy copies of <paramref name="input"/>; returns a new result whose <c>Points</c> is the number of samples.</summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        var values = new T[InputShape.Length];
        Attribute(input, target, values, cancellationToken);
        return new FeatureAttribution<T>(values, InputShape, Options.Samples);
    }

    /// <summary>Writes the combined attribution of output <paramref name="target"/> into <paramref name="attributions"/> (so a tunnel is itself an <see cref="InputAttributor{T}"/>).</summary>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="input"/> a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken = default)
    {
        int length = InputShape.Length;
        Guard.Length<T>(attributions, length, nameof(attributions));
        Guard.Length(input, length, nameof(input));
        Guard.Finite(input, nameof(input));

        double sigma = Options.NoiseLevel * Range(input);
        var random = new Random(Options.Seed);
        var noisy = new T[length];
        var sample = new T[length];
        var mean = new double[length];     // running mean of a_s
        var spread = new double[length];   // running sum of squared deviations (Welford's M2), or the mean of a_s^2
        bool squares = Options.Kind == NoiseTunnelKind.SmoothGradSquared;
        for (int s = 1; s <= Options.Samples; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int i = 0; i < length; i++)
            {
                noisy[i] = T.CreateChecked(double.CreateChecked(input[i]) + sigma * SeededNoise.Gaussian(random));
            }

            _attributor(noisy, target, sample);
            for (int i = 0; i < length; i++)
            {
                double a = double.CreateChecked(sample[i]);
                if (squares)
                {
                    spread[i] += (a * a - spread[i]) / s;
                }
                else
                {
                    double delta = a - mean[i];
                    mean[i] += delta / s;
                    spread[i] += delta * (a - mean[i]);
                }
            }
        }

        for (int i = 0; i < length; i++)
        {
            attributions[i] = T.CreateChecked(Options.Kind switch
            {
                NoiseTunnelKind.SmoothGrad => mean[i],
                NoiseTunnelKind.SmoothGradSquared => spread[i],
                _ => spread[i] / Options.Samples,
            });
        }
    }

    /// <summary><c>max_i x_i - min_i x_i</c> in double.</summary>
    internal static double Range(ReadOnlySpan<T> input)
    {
        double min = double.PositiveInfinity;
        double max = double.NegativeInfinity;
        foreach (T value in input)
        {
            double v = double.CreateChecked(value);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return input.IsEmpty ? 0 : max - min;
    }
}
