using System;
using System.Collections.Generic;

namespace Pathwise.Cli.Explaining;

/// <summary>The attribution methods <c>pathwise explain --method</c> runs.</summary>
internal enum MethodKind
{
    /// <summary>Integrated Gradients: <c>attr_i = (x_i - x'_i) ∫ ∂F/∂x_i(x' + a(x - x')) da</c> by the chosen rule.</summary>
    IntegratedGradients,

    /// <summary>Interior gradients: the output <c>F(x' + a(x - x'))</c> and its gradient at <c>--points</c> values of <c>a</c>; drawn as the saturation curve.</summary>
    InteriorGradients,

    /// <summary>Expected gradients: Integrated Gradients averaged over a baseline set (<c>--baselines</c> images of the data).</summary>
    ExpectedGradients,

    /// <summary>Saliency: <c>|∂F/∂x_i(x)|</c>.</summary>
    Saliency,

    /// <summary>Input × gradient: <c>x_i ∂F/∂x_i(x)</c>.</summary>
    InputXGradient,

    /// <summary>A noise tunnel (SmoothGrad) around another method: the mean attribution over noisy copies of the input.</summary>
    NoiseTunnel,

    /// <summary>Layer conductance of a hidden layer (<c>--layer</c>): each neuron's share of <c>F(x) - F(x')</c>.</summary>
    Conductance,

    /// <summary>Internal influence of a hidden layer (<c>--layer</c>): the path integral of <c>∂F/∂y_j</c>.</summary>
    InternalInfluence,

    /// <summary>Layer Integrated Gradients of a hidden layer (<c>--layer</c>): <c>(y_j(x) - y_j(x')) ∫ ∂F/∂y_j da</c> along the line in the layer's space.</summary>
    LayerIntegratedGradients,

    /// <summary>Neuron Integrated Gradients of neuron <c>--neuron</c> of <c>--layer</c>: <c>attr_i = (x_i - x'_i) ∫ ∂y_j/∂x_i(x' + a(x - x')) da</c>.</summary>
    NeuronIntegratedGradients,

    /// <summary>Neuron conductance of neuron <c>--neuron</c> of <c>--layer</c>: <c>NC_ji = (x_i - x'_i) ∫ ∂F/∂y_j ∂y_j/∂x_i da</c>.</summary>
    NeuronConductance,

    /// <summary>
    /// Region to neuron of a hidden layer (<c>--layer</c>) for a pixel rectangle (<c>--region</c>): each neuron's share
    /// <c>∫ ∂F/∂y_j [J_y ((x - x') 1_S)]_j da</c> of the region's Integrated Gradients.
    /// </summary>
    RegionToNeuron,
}

/// <summary>The names <c>--method</c> accepts, and what each says in tables and file names.</summary>
internal static class MethodNames
{
    /// <summary>The command-line names, in help order.</summary>
    public static readonly IReadOnlyDictionary<string, MethodKind> ByName = new Dictionary<string, MethodKind>(StringComparer.Ordinal)
    {
        ["ig"] = MethodKind.IntegratedGradients,
        ["interior"] = MethodKind.InteriorGradients,
        ["expected"] = MethodKind.ExpectedGradients,
        ["saliency"] = MethodKind.Saliency,
        ["inputxgradient"] = MethodKind.InputXGradient,
        ["noisetunnel"] = MethodKind.NoiseTunnel,
        ["conductance"] = MethodKind.Conductance,
        ["influence"] = MethodKind.InternalInfluence,
        ["layerig"] = MethodKind.LayerIntegratedGradients,
        ["neuronig"] = MethodKind.NeuronIntegratedGradients,
        ["neuronconductance"] = MethodKind.NeuronConductance,
        ["regiontoneuron"] = MethodKind.RegionToNeuron,
    };

    /// <summary>The command-line name of <paramref name="method"/>.</summary>
    public static string Name(MethodKind method)
    {
        foreach (KeyValuePair<string, MethodKind> pair in ByName)
        {
            if (pair.Value == method)
            {
                return pair.Key;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown method.");
    }

    /// <summary>The method's name as a reader knows it: <c>"Integrated Gradients"</c>.</summary>
    public static string Title(MethodKind method) => method switch
    {
        MethodKind.IntegratedGradients => "Integrated Gradients",
        MethodKind.InteriorGradients => "interior gradients",
        MethodKind.ExpectedGradients => "expected gradients",
        MethodKind.Saliency => "saliency",
        MethodKind.InputXGradient => "input x gradient",
        MethodKind.NoiseTunnel => "noise tunnel",
        MethodKind.Conductance => "layer conductance",
        MethodKind.InternalInfluence => "internal influence",
        MethodKind.LayerIntegratedGradients => "layer integrated gradients",
        MethodKind.NeuronIntegratedGradients => "neuron integrated gradients",
        MethodKind.NeuronConductance => "neuron conductance",
        MethodKind.RegionToNeuron => "region to neuron",
        _ => method.ToString(),
    };

    /// <summary>True for the methods that attribute to a hidden layer's neurons and need <c>--layer</c>.</summary>
    public static bool IsLayerMethod(MethodKind method) =>
        method is MethodKind.Conductance or MethodKind.InternalInfluence or MethodKind.LayerIntegratedGradients or MethodKind.RegionToNeuron;

    /// <summary>True for the methods that attribute one neuron of a hidden layer to the input and need <c>--layer</c> and <c>--neuron</c>.</summary>
    public static bool IsNeuronMethod(MethodKind method) => method is MethodKind.NeuronIntegratedGradients or MethodKind.NeuronConductance;

    /// <summary>True for the methods that need <c>--layer</c>: the layer methods and the neuron methods.</summary>
    public static bool NeedsLayer(MethodKind method) => IsLayerMethod(method) || IsNeuronMethod(method);

    /// <summary>True for the methods whose <c>--rule</c> and <c>--points</c> choose a quadrature.</summary>
    public static bool UsesRule(MethodKind method) =>
        method is MethodKind.IntegratedGradients or MethodKind.ExpectedGradients or MethodKind.Conductance or MethodKind.InternalInfluence
            or MethodKind.LayerIntegratedGradients or MethodKind.NeuronIntegratedGradients or MethodKind.NeuronConductance or MethodKind.RegionToNeuron;
}
