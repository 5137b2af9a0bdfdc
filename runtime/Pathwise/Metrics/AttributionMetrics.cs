using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// Quality measures of an attribution, after Captum's <c>captum.metrics</c> and the deletion/insertion game of RISE
/// (Petsiuk et al., arXiv 1806.07421), run on the CPU. Each call evaluates all its points in one batched forward
/// pass and draws its randomness from <c>new Random(seed)</c>, so it is deterministic. The TorchSharp backend has the
/// same measures on a device in <c>TorchAttributionMetrics</c>.
/// </summary>
public static class AttributionMetrics
{
    /// <summary>
    /// Infidelity (Yeh et al., arXiv 1901.09392; Captum's <c>infidelity</c>):
    /// <c>(1/n) sum_k (beta I_k.attr - (F_t(x) - F_t(x - I_k)))^2</c> over <c>n</c> perturbations <c>I_k</c>, Gaussian of the
    /// options' standard deviation unless the options give a sampler; <c>beta = 1</c>, or the best scale when normalised
    /// (<c>I_k.attr</c> becomes <c>sum_i (I_k,i / x_i) attr_i</c> for attributions that carry the input, see <see cref="InfidelityOptions.MultiplyByInputs"/>).
    /// 0 means the attribution predicts every perturbation's effect exactly.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index, or an option is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="attributions"/> has the wrong length or a non-finite value.</exception>
    /// <exception cref="InvalidOperationException">The network's weights were never set.</exception>
    public static double Infidelity<T>(INetwork<T> network, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions, InfidelityOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using PathHost<T> host = CpuPathEngine<T>.PointsHost(network, MetricsCore.Chunk);
        return MetricsCore.Infidelity(host, input, target, attributions, options ?? new InfidelityOptions(), cancellationToken);
    }

    /// <summary>
    /// The deletion curve: the features, in order of decreasing attribution (ties by index), are set to the baseline
    /// in <c>K</c> steps, step <c>s</c> removing the top <c>floor(s L / K)</c>; the curve is the raw target output
    /// <c>F_target</c> (not a softmax probability: a network ending in softmax already gives one) against the fraction
    /// removed, with its trapezoid area. A faithful attribution makes the output fall fast: a small area.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index, or an option is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="attributions"/> has the wrong length or a non-finite value.</exception>
    /// <exception cref="InvalidOperationException">The network's weights were never set.</exception>
    public static AttributionCurve Deletion<T>(INetwork<T> network, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions, CurveOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using PathHost<T> host = CpuPathEngine<T>.PointsHost(network, MetricsCore.Chunk);
        return MetricsCore.Curve(host, input, target, attributions, options ?? new CurveOptions(), insertion: false, cancellationToken);
    }

    /// <summary>
    /// The insertion curve: from the baseline, the input's features are put back in order of decreasing attribution
    /// (ties by index) in <c>K</c> steps, step <c>s</c> inserting the top <c>floor(s L / K)</c>; the curve is the raw target
    /// output <c>F_target</c> against the fraction inserted, with its trapezoid area. A faithful attribution makes the
    /// output rise fast: a large area.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index, or an option is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="attributions"/> has the wrong length or a non-finite value.</exception>
    /// <exception cref="InvalidOperationException">The network's weights were never set.</exception>
    public static AttributionCurve Insertion<T>(INetwork<T> network, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions, CurveOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using PathHost<T> host = CpuPathEngine<T>.PointsHost(network, MetricsCore.Chunk);
        return MetricsCore.Curve(host, input, target, attributions, options ?? new CurveOptions(), insertion: true, cancellationToken);
    }

    /// <summary>
    /// Max-sensitivity (Yeh et al., arXiv 1901.09392; Captum's <c>sensitivity_max</c>):
    /// <c>max_k ||A(x + delta_k) - A(x)||_2 / ||A(x)||_2</c> over <c>n</c> perturbations uniform in the L-infinity ball of the
    /// options' radius (a zero <c>||A(x)||</c> counts as 1). It needs only the attribution, so it serves both backends.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> holds a non-finite value (the attribution checks the rest).</exception>
    public static double SensitivityMax<T>(InputAttributor<T> attributor, ReadOnlySpan<T> input, int target, SensitivityOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        MetricsCore.SensitivityMax(attributor, input, target, options ?? new SensitivityOptions(), cancellationToken);
}
