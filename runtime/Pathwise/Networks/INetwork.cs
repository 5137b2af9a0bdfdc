using System;
using System.Numerics;

namespace Pathwise;

/// <summary>
/// What every generated network offers the attribution methods: passes over a batch of points held in a
/// <see cref="Workspace{T}"/>, from and to any layer, and the fused straight-path passes.
/// </summary>
public interface INetwork<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The layers and weight tensors.</summary>
    NetworkInfo Info { get; }

    /// <summary>The parameter tensors, in declaration order, with their <c>state_dict</c> names.</summary>
    ParameterSet<T> Parameters { get; }

    /// <summary>Recomputes what is derived from the parameters; call after writing them.</summary>
    void ParametersChanged();

    /// <summary>
    /// Runs every layer after <paramref name="from"/>, reading its activations in the workspace. In a graph where a
    /// connection passes over <paramref name="from"/> (<see cref="NetworkInfo.Separates"/> is false), the layers above
    /// also read the layers below <paramref name="from"/> that the connection skips from, as they stand in the workspace:
    /// the caller sets them (Layer Integrated Gradients holds them at their value at the input, as Captum does).
    /// </summary>
    /// <exception cref="ArgumentException">The layer belongs to another network.</exception>
    void ForwardFrom(Layer from, Workspace<T> workspace, int count);

    /// <summary>
    /// Propagates the gradient held at <paramref name="from"/>'s output down to the input, filling the
    /// gradient of every layer below it; weight gradients are never computed. A layer several layers read receives the
    /// sum of their gradients. In a graph, only the layers that feed <paramref name="from"/> contribute: from a layer a
    /// connection passes over (<see cref="NetworkInfo.Separates"/> is false) the gradients below it start from zero, so
    /// the input's gradient is <c>d(from)/dx</c> seeded, holding nothing above <paramref name="from"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The layer belongs to another network.</exception>
    void BackwardFrom(Layer from, Workspace<T> workspace, int count);

    /// <summary>
    /// Propagates the gradient held at <paramref name="from"/>'s output down to <paramref name="to"/>'s output and
    /// no further: the layers above <paramref name="to"/> run, so a method that needs the gradient at a hidden layer
    /// skips the layers below it. <c>BackwardFrom(from, network.Info.Input, ...)</c> is <see cref="BackwardFrom(Layer, Workspace{T}, int)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="to"/> is above <paramref name="from"/>, or a layer belongs to another network.
    /// </exception>
    void BackwardFrom(Layer from, Layer to, Workspace<T> workspace, int count);

    /// <summary>
    /// Runs the network on the straight-path points <c>x_k = baseline + alphas[k] * direction</c>
    /// (<c>count = alphas.Length</c>), computing the first affine layer as <c>z(baseline) + alpha W direction</c>.
    /// Every layer's activations are filled, the input's included.
    /// </summary>
    void ForwardPath(ReadOnlySpan<T> baseline, ReadOnlySpan<T> direction, ReadOnlySpan<T> alphas, Workspace<T> workspace);

    /// <summary>
    /// After <see cref="ForwardPath"/> and with the output gradient set, adds
    /// <c>sum_k pointCoefficients[k] * dF/dx(x_k)</c> into <paramref name="destination"/>, summing over points
    /// before the first affine layer's transposed product (when the input has no other reader). Per-point input gradients are not filled.
    /// </summary>
    void BackwardPathSum(ReadOnlySpan<T> pointCoefficients, Workspace<T> workspace, Span<T> destination);

    /// <summary>
    /// Forward-mode pass: propagates the tangent held at <paramref name="from"/>'s output
    /// (<see cref="Workspace{T}.Tangents"/>) through every later layer, at the points whose activations the
    /// workspace holds from the last forward pass. Each layer's tangent is <c>J_y(x_k) v</c>. In a graph, from a layer a
    /// connection passes over (<see cref="NetworkInfo.Separates"/> is false), the layers the connection carries past it
    /// are held still (their tangents set to zero first): the tangent of the network with <paramref name="from"/> patched.
    /// </summary>
    void TangentFrom(Layer from, Workspace<T> workspace, int count);

    /// <summary>
    /// <see cref="TangentFrom(Layer, Workspace{T}, int)"/> stopping at <paramref name="through"/>: the tangents of the
    /// layers after <paramref name="from"/> up to and including <paramref name="through"/>, none above it.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="through"/> is below <paramref name="from"/>, or a layer belongs to another network.
    /// </exception>
    void TangentFrom(Layer from, Layer through, Workspace<T> workspace, int count);

    /// <summary>
    /// Forward-mode pass along one input direction for all <paramref name="count"/> points of the last forward
    /// pass: every layer's tangent becomes <c>J_y(x_k) direction</c>. The first affine layer's tangent is
    /// computed once (<c>W direction</c>) and shared by every point.
    /// </summary>
    void TangentPath(ReadOnlySpan<T> direction, Workspace<T> workspace, int count);

    /// <summary>
    /// <see cref="TangentPath(ReadOnlySpan{T}, Workspace{T}, int)"/> stopping at <paramref name="through"/>: a method
    /// that needs <c>dy/da</c> at a hidden layer leaves the layers above it alone.
    /// </summary>
    /// <exception cref="ArgumentException">The layer belongs to another network, or the direction has the wrong length.</exception>
    void TangentPath(ReadOnlySpan<T> direction, Layer through, Workspace<T> workspace, int count);
}
