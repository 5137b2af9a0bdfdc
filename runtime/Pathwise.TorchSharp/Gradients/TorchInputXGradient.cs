using System;
using System.Numerics;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// On a torch device: Input times gradient (Shrikumar et al., arXiv 1605.01713; Captum's <c>InputXGradient</c>):
/// <c>attr_i = x_i * dF/dx_i(x)</c>. One gradient evaluation per input; no convergence delta (the sum equals
/// <c>F(x) - F(0)</c> only for a network that is linear without bias).
/// </summary>
/// <remarks>
/// The calls, options, checks and results are <see cref="InputXGradient{T}"/>'s (<see cref="GradientMethod{T}"/>) on the
/// device path engine: each internal batch of inputs is one tensor that requires grad, run forward once and differentiated
/// once with <c>torch.autograd.grad</c>; every native tensor of a call is released when it returns. Safe to call from many
/// threads at once; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchInputXGradient<T> : GradientMethod<T>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Prepares the method for <paramref name="network"/> on its device; throws if an option is invalid.</summary>
    public TorchInputXGradient(TorchNetwork<T> network, GradientMethodOptions? options = null)
        : base(options ??= new GradientMethodOptions(), GradientRule.InputXGradient, batch => TorchPathEngine<T>.PointsHost(network, batch))
    {
        Options = options;
        Device = network.Device;
    }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device { get; }

    /// <summary>The validated settings.</summary>
    public GradientMethodOptions Options { get; }

    /// <summary>Releases the method's device tensors; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => Host.Dispose();
}
