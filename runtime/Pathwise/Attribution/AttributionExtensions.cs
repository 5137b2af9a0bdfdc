using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// One-call forms of the attribution methods on any generated network, taking its typed layer members
/// (e.g. <c>model.Conductance(model.Hidden, input, target)</c>). Each call builds its method object; keep
/// the method object instead to attribute many inputs without allocating.
/// </summary>
public static class AttributionExtensions
{
    /// <summary>Integrated Gradients of output <paramref name="target"/>.</summary>
    public static Attribution<T> IntegratedGradients<T>(this INetwork<T> network, ReadOnlySpan<T> input, int target, IntegratedGradientsOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new IntegratedGradients<T>(network, options).Attribute(input, target, cancellationToken);

    /// <summary>Total conductance of every neuron of <paramref name="layer"/>: <c>integral dF/dy_j dy_j/da da</c> along the image of the input path.</summary>
    public static LayerAttribution<T> LayerConductance<T>(this INetwork<T> network, Layer layer, ReadOnlySpan<T> input, int target, LayerAttributionOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new LayerConductance<T>(network, layer, options).Attribute(input, target, cancellationToken);

    /// <summary>
    /// Layer Integrated Gradients of every neuron of <paramref name="layer"/>, in its activation space:
    /// <c>(y_j(x) - y_j(x')) integral dF/dy_j da</c> along the chord <c>y(x') + a (y(x) - y(x'))</c>.
    /// </summary>
    public static LayerAttribution<T> LayerIntegratedGradients<T>(this INetwork<T> network, Layer layer, ReadOnlySpan<T> input, int target, LayerAttributionOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new LayerIntegratedGradients<T>(network, layer, options).Attribute(input, target, cancellationToken);

    /// <summary>Neuron conductance of the given neurons of <paramref name="layer"/> (every neuron when <paramref name="neurons"/> is empty).</summary>
    public static NeuronAttribution<T> NeuronConductance<T>(this INetwork<T> network, Layer layer, ReadOnlySpan<T> input, int target, ReadOnlySpan<int> neurons, LayerAttributionOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var method = new NeuronConductance<T>(network, layer, options);
        return neurons.IsEmpty ? method.Attribute(input, target, cancellationToken) : method.Attribute(input, target, neurons, cancellationToken);
    }

    /// <summary>Internal influence of every neuron of <paramref name="layer"/>.</summary>
    public static LayerInfluence<T> InternalInfluence<T>(this INetwork<T> network, Layer layer, ReadOnlySpan<T> input, int target, LayerAttributionOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new InternalInfluence<T>(network, layer, options).Attribute(input, target, cancellationToken);

    /// <summary>Integrated Gradients of neuron <paramref name="neuron"/> of <paramref name="layer"/>.</summary>
    public static Attribution<T> NeuronIntegratedGradients<T>(this INetwork<T> network, Layer layer, ReadOnlySpan<T> input, int neuron, LayerAttributionOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new NeuronIntegratedGradients<T>(network, layer, options).Attribute(input, neuron, cancellationToken);

    /// <summary>Each neuron of <paramref name="layer"/>'s share of the IG of the input region <paramref name="region"/>.</summary>
    public static LayerAttribution<T> RegionToNeuron<T>(this INetwork<T> network, Layer layer, ReadOnlySpan<T> input, int target, ReadOnlySpan<bool> region, LayerAttributionOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new RegionToNeuron<T>(network, layer, options).Attribute(input, target, region, cancellationToken);

    /// <summary>Interior gradients of output <paramref name="target"/> at scaled inputs.</summary>
    public static InteriorGradientsResult<T> InteriorGradients<T>(this INetwork<T> network, ReadOnlySpan<T> input, int target, InteriorGradientsOptions? options = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new InteriorGradients<T>(network, options).Attribute(input, target, cancellationToken);
}
