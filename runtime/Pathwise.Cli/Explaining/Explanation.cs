using System.Collections.Generic;

namespace Pathwise.Cli.Explaining;

/// <summary>How <c>explain</c> attributes: the method and its settings, fixed for a run.</summary>
/// <param name="Method">The method.</param>
/// <param name="Rule">The quadrature rule of the path methods.</param>
/// <param name="Points">Points per path (the fallback count of the exact rule; the count of alphas of interior gradients).</param>
/// <param name="Layer">The hidden layer of a layer method, by its declared name; null for input methods.</param>
/// <param name="Baselines">Expected gradients' baseline set, <c>[count, input length]</c> in [0, 1]; empty otherwise.</param>
/// <param name="TunnelOf">The method a noise tunnel wraps.</param>
/// <param name="Samples">A noise tunnel's noisy copies.</param>
/// <param name="NoiseLevel">A noise tunnel's standard deviation as a fraction of the input's range.</param>
/// <param name="Neuron">The neuron methods' neuron, a flat index into <paramref name="Layer"/>; -1 for the other methods.</param>
/// <param name="Region">Region to neuron's input features, one flag per input value; null for the other methods.</param>
internal sealed record ExplainSettings(
    MethodKind Method,
    QuadratureRule Rule,
    int Points,
    string? Layer,
    float[] Baselines,
    MethodKind TunnelOf,
    int Samples,
    double NoiseLevel,
    int Neuron = -1,
    bool[]? Region = null);

/// <summary>One explained prediction.</summary>
/// <param name="Index">The image's index in the data.</param>
/// <param name="Label">The image's label, or -1 when the data has none.</param>
/// <param name="Target">The explained output.</param>
/// <param name="Predicted">The class with the largest output.</param>
/// <param name="Confidence">The softmax of the outputs at the target, <c>exp(F_t) / Σ_j exp(F_j)</c>.</param>
/// <param name="InputValues">The attribution over the input (the image's pixels), or null for layer methods and interior gradients.</param>
/// <param name="LayerValues">The attribution over the layer's neurons, or null for input methods.</param>
/// <param name="Delta">The convergence delta of methods that promise completeness, else null.</param>
/// <param name="Points">Gradient evaluations per path: points, pieces of the exact rule, or samples.</param>
/// <param name="Rule">The rule that integrated the path (<c>Exact</c>, or <c>GaussLegendre</c> when the exact rule fell back), or null.</param>
/// <param name="Saturation">Interior gradients' alphas and outputs, or null.</param>
/// <param name="Milliseconds">Wall-clock time of the attribution call.</param>
internal sealed record Explanation(
    int Index,
    int Label,
    int Target,
    int Predicted,
    double Confidence,
    float[]? InputValues,
    float[]? LayerValues,
    ConvergenceDelta? Delta,
    int Points,
    QuadratureRule? Rule,
    InteriorGradientsResult<float>? Saturation,
    double Milliseconds)
{
    /// <summary>The sum of the attribution's values, in double.</summary>
    public double Sum
    {
        get
        {
            double sum = 0;
            foreach (float value in (IEnumerable<float>?)InputValues ?? LayerValues ?? [])
            {
                sum += value;
            }

            return sum;
        }
    }
}
