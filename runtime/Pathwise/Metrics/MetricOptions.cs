using System;

namespace Pathwise;

/// <summary>
/// Draws one perturbation <c>I</c> for <see cref="AttributionMetrics.Infidelity{T}"/> (Captum's <c>perturb_func</c>):
/// writes <paramref name="perturbation"/>, shaped like <paramref name="input"/>, drawing from <paramref name="random"/>
/// (seeded by <see cref="InfidelityOptions.Seed"/>) when it needs randomness. The metric evaluates <c>F(x - I)</c>.
/// </summary>
public delegate void PerturbationSampler(ReadOnlySpan<double> input, Random random, Span<double> perturbation);

/// <summary>Settings of <see cref="AttributionMetrics.Infidelity{T}"/>.</summary>
public record InfidelityOptions
{
    /// <summary>The number of perturbations <c>n</c> averaged over, 1 to 1,000,000 (default 10; Captum's <c>n_perturb_samples</c>).</summary>
    public int Perturbations { get; init; } = 10;

    /// <summary>The standard deviation of the default Gaussian perturbation <c>I ~ N(0, sigma^2 I)</c>, in input units (default 0.1); finite and at least 0.</summary>
    public double StandardDeviation { get; init; } = 0.1;

    /// <summary>
    /// Whether the attribution is first scaled by the best factor <c>beta = E[(I.attr)(F(x) - F(x - I))] / E[(I.attr)^2]</c>
    /// (Captum's <c>normalize</c>; default false). When <c>E[(I.attr)^2] = 0</c> the denominator is taken as 1, as Captum's <c>safe_div</c>.
    /// </summary>
    public bool Normalize { get; init; }

    /// <summary>
    /// Whether the attribution already carries the input as a factor (integrated gradients, input times gradient), as
    /// Captum's <c>infidelity_perturb_func_decorator(multiply_by_inputs=True)</c>: the projection is then
    /// <c>sum_i (I_i / x_i) attr_i</c> instead of <c>I.attr</c>, a zero <c>x_i</c> counting as 1 (Captum's <c>safe_div</c>).
    /// Default false, for gradients and saliency maps.
    /// </summary>
    public bool MultiplyByInputs { get; init; }

    /// <summary>The seed of <c>new Random(Seed)</c>, drawn afresh on each call (default 0).</summary>
    public int Seed { get; init; }

    /// <summary>A caller's perturbation in place of the Gaussian one (default none).</summary>
    public PerturbationSampler? Perturb { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (Perturbations < 1 || Perturbations > NoiseTunnelOptions.MaxSamples)
        {
            throw new ArgumentOutOfRangeException(nameof(Perturbations), Perturbations, $"Expected Perturbations in [1, {NoiseTunnelOptions.MaxSamples}]; got {Perturbations}.");
        }

        if (!double.IsFinite(StandardDeviation) || StandardDeviation < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(StandardDeviation), StandardDeviation, $"Expected a finite StandardDeviation >= 0; got {StandardDeviation}.");
        }
    }
}

/// <summary>Settings of <see cref="AttributionMetrics.SensitivityMax{T}"/>.</summary>
public record SensitivityOptions
{
    /// <summary>The number of perturbations <c>n</c>, 1 to 1,000,000 (default 10; Captum's <c>n_perturb_samples</c>).</summary>
    public int Perturbations { get; init; } = 10;

    /// <summary>The L-infinity radius <c>r</c>: each feature moves by <c>delta_i ~ U[-r, r]</c> (default 0.02; Captum's <c>perturb_radius</c>); finite and at least 0.</summary>
    public double Radius { get; init; } = 0.02;

    /// <summary>The seed of <c>new Random(Seed)</c>, drawn afresh on each call (default 0).</summary>
    public int Seed { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (Perturbations < 1 || Perturbations > NoiseTunnelOptions.MaxSamples)
        {
            throw new ArgumentOutOfRangeException(nameof(Perturbations), Perturbations, $"Expected Perturbations in [1, {NoiseTunnelOptions.MaxSamples}]; got {Perturbations}.");
        }

        if (!double.IsFinite(Radius) || Radius < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Radius), Radius, $"Expected a finite Radius >= 0; got {Radius}.");
        }
    }
}

/// <summary>Settings of the deletion and insertion curves (<see cref="AttributionMetrics.Deletion{T}"/>, <see cref="AttributionMetrics.Insertion{T}"/>).</summary>
public record CurveOptions
{
    /// <summary>The number of steps <c>K</c>, 1 to 1,000,000 (default 10): step <c>s</c> has the top <c>floor(s L / K)</c> of the <c>L</c> features removed (or inserted).</summary>
    public int Steps { get; init; } = 10;

    /// <summary>The value a removed feature takes, and the start of insertion (default zero).</summary>
    public Baseline Baseline { get; init; } = Baseline.Zero;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (Steps < 1 || Steps > NoiseTunnelOptions.MaxSamples)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"Expected Steps in [1, {NoiseTunnelOptions.MaxSamples}]; got {Steps}.");
        }

        ArgumentNullException.ThrowIfNull(Baseline, nameof(Baseline));
    }
}
