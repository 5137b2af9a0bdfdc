using System;
using System.Numerics;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// On a torch device: Saliency (Simonyan et al., arXiv 1312.6034; Captum's <c>Saliency</c>): the gradient of the explained output at the
/// input, <c>attr_i = |dF/dx_i(x)|</c> (or the signed <c>dF/dx_i(x)</c> when <see cref="SaliencyOptions.Absolute"/> is
/// false). One gradient evaluation per input; no convergence delta, since a gradient promises no sum.
/// </summary>
/// <remarks>
/// The calls, options, checks and results are <see cref="Saliency{T}"/>'s (<see cref="GradientMethod{T}"/>) on the device
/// path engine: each internal batch of inputs is one tensor that requires grad, run forward once and differentiated once
/// with <c>torch.autograd.grad</c>; every native tensor of a call is released when it returns. Safe to call from many
/// threads at once; dispose the instance only once no call is running.
/// </remarks>
public sealed class TorchSaliency<T> : GradientMethod<T>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Prepares the method for <paramref name="network"/> on its device; throws if an option is invalid.</summary>
    public TorchSaliency(TorchNetwork<T> network, SaliencyOptions? options = null)
        : base(options ??= new SaliencyOptions(), options.Absolute ? GradientRule.AbsoluteGradient : GradientRule.Gradient, batch => TorchPathEngine<T>.PointsHost(network, batch))
    {
        Options = options;
        Device = network.Device;
    }

    /// <summary>The device the attribution runs on (the network's).</summary>
    public Device Device { get; }

    /// <summary>The validated settings.</summary>
    public SaliencyOptions Options { get; }

    /// <summary>Releases the method's device tensors; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => Host.Dispose();
}
