using System;
using System.Numerics;
using System.Threading;

namespace Pathwise.TorchSharp;

/// <summary>
/// The quality measures of <see cref="AttributionMetrics"/> on a torch device: the same checks, seeded
/// perturbations and arithmetic, with the network's forward passes run by the module through the device path engine
/// (one tensor per batch of points). <see cref="AttributionMetrics.SensitivityMax{T}"/> needs only an attribution delegate, so it serves the
/// Torch methods as it is.
/// </summary>
public static class TorchAttributionMetrics
{
    /// <summary>Infidelity, <c>(1/n) sum_k (beta I_k.attr - (F_t(x) - F_t(x - I_k)))^2</c>, as <see cref="AttributionMetrics.Infidelity{T}"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index, or an option is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="attributions"/> has the wrong length or a non-finite value.</exception>
    public static double Infidelity<T>(TorchNetwork<T> network, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions, InfidelityOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using PathHost<T> host = TorchPathEngine<T>.PointsHost(network, MetricsCore.Chunk);
        return MetricsCore.Infidelity(host, input, target, attributions, options ?? new InfidelityOptions(), cancellationToken);
    }

    /// <summary>The deletion curve of <c>F_target</c> against the fraction of top-attributed features set to the baseline, with its trapezoid area, as <see cref="AttributionMetrics.Deletion{T}"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index, or an option is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="attributions"/> has the wrong length or a non-finite value.</exception>
    public static AttributionCurve Deletion<T>(TorchNetwork<T> network, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions, CurveOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using PathHost<T> host = TorchPathEngine<T>.PointsHost(network, MetricsCore.Chunk);
        return MetricsCore.Curve(host, input, target, attributions, options ?? new CurveOptions(), insertion: false, cancellationToken);
    }

    /// <summary>The insertion curve of <c>F_target</c> against the fraction of top-attributed features put back over the baseline, with its trapezoid area, as <see cref="AttributionMetrics.Insertion{T}"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index, or an option is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="attributions"/> has the wrong length or a non-finite value.</exception>
    public static AttributionCurve Insertion<T>(TorchNetwork<T> network, ReadOnlySpan<T> input, int target, ReadOnlySpan<T> attributions, CurveOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using PathHost<T> host = TorchPathEngine<T>.PointsHost(network, MetricsCore.Chunk);
        return MetricsCore.Curve(host, input, target, attributions, options ?? new CurveOptions(), insertion: true, cancellationToken);
    }
}
