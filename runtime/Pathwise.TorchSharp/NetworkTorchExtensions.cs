using System;
using System.Numerics;

namespace Pathwise.TorchSharp;

/// <summary>Moves any generated network to TorchSharp.</summary>
public static class NetworkTorchExtensions
{
    /// <summary>
    /// This network as a TorchSharp module with the same layers and <c>state_dict</c> names and a copy of its
    /// current weights, on <paramref name="device"/> (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>). The module owns
    /// native memory: dispose it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The device is unavailable (the message says what to install), or the network's weights were never set.</exception>
    public static TorchNetwork<T> ToTorch<T>(this INetwork<T> network, string device = "cpu")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        return new TorchNetwork<T>(network.Info, network.Parameters, device);
    }
}
