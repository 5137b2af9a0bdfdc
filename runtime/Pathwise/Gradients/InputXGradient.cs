using System.Numerics;

namespace Pathwise;

/// <summary>
/// Input times gradient (Shrikumar et al., arXiv 1605.01713; Captum's <c>InputXGradient</c>):
/// <c>attr_i = x_i * dF/dx_i(x)</c>. One gradient evaluation per input; no convergence delta (the sum equals
/// <c>F(x) - F(0)</c> only for a network that is linear without bias). The calls are <see cref="GradientMethod{T}"/>'s.
/// </summary>
public sealed class InputXGradient<T> : GradientMethod<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Prepares the method for <paramref name="network"/>; throws if an option is invalid or the weights were never set.</summary>
    public InputXGradient(INetwork<T> network, GradientMethodOptions? options = null)
        : base(options ??= new GradientMethodOptions(), GradientRule.InputXGradient, batch => CpuPathEngine<T>.PointsHost(network, batch))
    {
        Options = options;
    }

    /// <summary>The validated settings.</summary>
    public GradientMethodOptions Options { get; }
}
