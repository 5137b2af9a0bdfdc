using System;
using System.Collections.Generic;
using System.ComponentModel;
using Pathwise.CompilerServices;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise;

/// <summary>
/// A named layer of a generated network: the handle for its hooks (activations and gradients in a
/// <see cref="Workspace{T}"/>, forward from it, backward from it). Its value is after the activation.
/// </summary>
public class Layer
{
    /// <summary>
    /// Describes a layer; called by generated code. For a <see cref="LayerKind.Conv2D"/>, <paramref name="kernel"/>,
    /// <paramref name="padding"/>, <paramref name="stride"/> and <paramref name="dilation"/> are the height's and
    /// <paramref name="kernelWidth"/> 0 makes every width setting equal its height's (with dilation 1 and one group when
    /// those are 0); for a <see cref="LayerKind.Conv1D"/> they are along the length and the width settings are unused.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Layer(
        string name,
        int index,
        LayerKind kind,
        ActivationKind activation,
        TensorShape inputShape,
        TensorShape outputShape,
        string? weightName = null,
        int kernel = 0,
        int padding = 0,
        int stride = 0,
        bool bias = false,
        double epsilon = 0,
        double negativeSlope = 0,
        int dilation = 0,
        int groups = 0,
        int kernelWidth = 0,
        int strideWidth = 0,
        int paddingWidth = 0,
        int dilationWidth = 0,
        int[]? sources = null)
    {
        Sources = sources ?? (index == 0 ? [] : [index - 1]);
        WeightName = weightName;
        Kernel = kernel;
        Padding = padding;
        Stride = stride;
        bool convolution = kind is LayerKind.Conv2D or LayerKind.Conv1D;
        Dilation = convolution && dilation == 0 ? 1 : dilation;
        Groups = convolution && groups == 0 ? 1 : groups;
        bool perAxis = kind == LayerKind.Conv2D && kernelWidth != 0;
        KernelWidth = perAxis ? kernelWidth : kernel;
        StrideWidth = perAxis ? strideWidth : stride;
        PaddingWidth = perAxis ? paddingWidth : padding;
        DilationWidth = perAxis ? dilationWidth : Dilation;
        HasBias = bias;
        Epsilon = epsilon;
        NegativeSlope = negativeSlope;
        Name = name;
        Index = index;
        Kind = kind;
        Activation = activation;
        InputShape = inputShape;
        OutputShape = outputShape;
    }

    /// <summary>
    /// The indices of the layers whose outputs this layer reads, the one its operation takes as <c>x</c> first: the
    /// previous layer alone in a chain, <c>[index - 1, j1, j2, ...]</c> for an <c>[Add]</c> or <c>[Concat]</c> of layers
    /// <c>j1, j2, ...</c>; empty for the input. Every source is below <see cref="Index"/>.
    /// </summary>
    public IReadOnlyList<int> Sources { get; }

    /// <summary>The C# member name.</summary>
    public string Name { get; }

    /// <summary>The position in the network, the input being 0.</summary>
    public int Index { get; }

    /// <summary>The operation.</summary>
    public LayerKind Kind { get; }

    /// <summary>The activation after the operation, or <see cref="ActivationKind.None"/>.</summary>
    public ActivationKind Activation { get; }

    /// <summary>The shape of one point entering the layer.</summary>
    public TensorShape InputShape { get; }

    /// <summary>The shape of one point leaving the layer.</summary>
    public TensorShape OutputShape { get; }

    /// <summary>The <c>state_dict</c> prefix of the layer's tensors, or null when it has none.</summary>
    public string? WeightName { get; }

    /// <summary>
    /// The window of a convolution or pooling layer: its side when square, a 2-D convolution's height (see
    /// <see cref="KernelWidth"/>), a 1-D convolution's length (0 for other kinds).
    /// </summary>
    public int Kernel { get; }

    /// <summary>The zero padding of a convolution: every side's, a 2-D convolution's rows above and below, a 1-D convolution's at each end (0 otherwise).</summary>
    public int Padding { get; }

    /// <summary>The stride of a convolution or pooling layer: a 2-D convolution's vertical one, a 1-D convolution's (0 otherwise).</summary>
    public int Stride { get; }

    /// <summary>A convolution's tap spacing: a 2-D convolution's vertical one, a 1-D convolution's (1: none; 0 for other kinds).</summary>
    public int Dilation { get; }

    /// <summary>A convolution's groups (1: every output channel reads every input channel; 0 for other kinds).</summary>
    public int Groups { get; }

    /// <summary>A convolution's kernel width (a 1-D convolution's length); a pooling window's side.</summary>
    public int KernelWidth { get; }

    /// <summary>A convolution's horizontal stride (a 1-D convolution's stride).</summary>
    public int StrideWidth { get; }

    /// <summary>A convolution's zero columns left and right (a 1-D convolution's padding).</summary>
    public int PaddingWidth { get; }

    /// <summary>A convolution's horizontal tap spacing (a 1-D convolution's dilation).</summary>
    public int DilationWidth { get; }

    /// <summary>Whether a dense or convolution layer has a bias.</summary>
    public bool HasBias { get; }

    /// <summary>The epsilon of a batch norm (0 otherwise).</summary>
    public double Epsilon { get; }

    /// <summary>The negative slope of a leaky ReLU activation (0 otherwise).</summary>
    public double NegativeSlope { get; }

    /// <summary>
    /// A convolution's geometry for <see cref="Conv2DKernel"/>: a 2-D one's per-axis settings, or a 1-D one's along the
    /// width of a height-1 image (kernel height 1, no vertical padding).
    /// </summary>
    internal Conv2DShape Convolution => Kind == LayerKind.Conv1D
        ? new Conv2DShape(InputShape.Channels, 1, InputShape.Width, OutputShape.Channels, 1, Kernel, 1, Stride, 0, Padding, 1, Dilation, Groups)
        : new Conv2DShape(InputShape.Channels, InputShape.Height, InputShape.Width, OutputShape.Channels, Kernel, KernelWidth, Stride, StrideWidth,
            Padding, PaddingWidth, Dilation, DilationWidth, Groups);

    /// <summary>Elements per point of the layer's output.</summary>
    public int Size => OutputShape.Length;

    /// <summary>Whether the layer keeps its pre-activation values apart from its output.</summary>
    public bool HasActivation => Activation != ActivationKind.None;

    /// <summary>
    /// The flat index of the neuron at <c>[channel, row, column]</c> of a layer whose output is an image
    /// (<c>(channel * height + row) * width + column</c>, PyTorch's order), for the neuron methods.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer's output is flat; its neurons are numbered 0..Size-1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A coordinate is outside the output shape.</exception>
    public int Neuron(int channel, int row, int column)
    {
        TensorShape shape = OutputShape;
        if (shape.Rank != 3)
        {
            throw new InvalidOperationException($"{Name}'s output {shape} is flat: select its neurons by index, 0 to {Size - 1}.");
        }

        Guard.Index(channel, shape.Channels, nameof(channel));
        Guard.Index(row, shape.Height, nameof(row));
        Guard.Index(column, shape.Width, nameof(column));
        return (channel * shape.Height + row) * shape.Width + column;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind}{(HasActivation ? ", " + Activation : "")}) {OutputShape}";
}

/// <summary>The input layer of a generated network.</summary>
public sealed class InputLayer : Layer
{
    /// <summary>Describes the input; called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public InputLayer(string name, TensorShape shape) : base(name, 0, LayerKind.Input, ActivationKind.None, shape, shape) { }
}
