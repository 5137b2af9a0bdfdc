using System.Numerics;

namespace Pathwise;

/// <summary>
/// Saliency (Simonyan et al., arXiv 1312.6034; Captum's <c>Saliency</c>): the gradient of the explained output at the
/// input, <c>attr_i = |dF/dx_i(x)|</c> (or the signed <c>dF/dx_i(x)</c> when <see cref="SaliencyOptions.Absolute"/> is
/// false). One gradient evaluation per input; no convergence delta, since a gradient promises no sum. The calls are
/// <see cref="GradientMethod{T}"/>'s.
/// </summary>
public sealed class Saliency<T> : GradientMethod<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Prepares the method for <paramref name="network"/>; throws if an option is invalid or the weights were never set.</summary>
    public Saliency(INetwork<T> network, SaliencyOptions? options = null)
        : base(options ??= new SaliencyOptions(), options.Absolute ? GradientRule.AbsoluteGradient : GradientRule.Gradient, batch => CpuPathEngine<T>.PointsHost(network, batch))
    {
        Options = options;
    }

    /// <summary>The validated settings.</summary>
    public SaliencyOptions Options { get; }
}
