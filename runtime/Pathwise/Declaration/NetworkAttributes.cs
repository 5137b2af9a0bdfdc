using System;

namespace Pathwise;

/// <summary>Numeric precision of a generated network: its weights, activations and gradients.</summary>
public enum Precision
{
    /// <summary>32-bit floats (<see cref="float"/>), the default.</summary>
    Float32,

    /// <summary>64-bit floats (<see cref="double"/>), for exact numerics and checks.</summary>
    Float64,
}

/// <summary>Which formula a <see cref="GELUAttribute"/> layer uses.</summary>
public enum GeluApproximation
{
    /// <summary><c>0.5 x (1 + erf(x / sqrt 2))</c>, PyTorch's default.</summary>
    None,

    /// <summary><c>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c>, PyTorch's <c>approximate="tanh"</c>.</summary>
    Tanh,
}

/// <summary>
/// Marks a <c>partial</c> class as a network declaration. Its <c>partial</c> properties, each annotated
/// with one layer attribute (and optionally one activation), are the layers in declaration order; the
/// Pathwise generator emits the forward, backward and path code at compile time.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Declares a float32 network.</summary>
    public NetworkAttribute() { }

    /// <summary>Declares a network of the given precision.</summary>
    public NetworkAttribute(Precision precision) => Precision = precision;

    /// <summary>The element type of weights and activations.</summary>
    public Precision Precision { get; }
}

/// <summary>The input layer: its shape is <c>[features]</c> or <c>[channels, height, width]</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares the input shape.</summary>
    public InputAttribute(params int[] shape) => Shape = shape;

    /// <summary>The input shape.</summary>
    public int[] Shape { get; }
}

/// <summary>A fully connected layer, <c>y = W x + b</c>, with PyTorch's <c>Linear</c> layout <c>W[out, in]</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares a dense layer with <paramref name="units"/> outputs.</summary>
    public DenseAttribute(int units) => Units = units;

    /// <summary>The number of outputs.</summary>
    public int Units { get; }

    /// <summary>The <c>state_dict</c> prefix of the layer's tensors; defaults to the member name in snake_case.</summary>
    public string? WeightName { get; set; }

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// A 2-D convolution over <c>[channels, height, width]</c>, PyTorch's
/// <c>nn.Conv2d(in, out, (KernelHeight, KernelWidth), stride, padding, dilation, groups)</c> with weight
/// <c>[out, in / Groups, KernelHeight, KernelWidth]</c>:
/// <c>y[o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] x[g in/G + c, i SH + u DH - PH, j SW + v DW - PW]</c> with
/// <c>g = o / (out / G)</c>, zero outside the image. <c>Kernel</c>, <c>Stride</c>, <c>Padding</c> and <c>Dilation</c> set
/// both axes; the per-axis settings (0: the square value) override one axis.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class Conv2DAttribute : Attribute
{
    /// <summary>Declares a convolution with <paramref name="outChannels"/> output channels.</summary>
    public Conv2DAttribute(int outChannels) => OutChannels = outChannels;

    /// <summary>The number of output channels, a multiple of <see cref="Groups"/>.</summary>
    public int OutChannels { get; }

    /// <summary>The square kernel size (default 3).</summary>
    public int Kernel { get; set; } = 3;

    /// <summary>Zero padding on every side (default 0).</summary>
    public int Padding { get; set; }

    /// <summary>The stride (default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>The spacing of the kernel's taps on both axes (default 1, no dilation), PyTorch's <c>dilation</c>.</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>
    /// The groups (default 1), PyTorch's <c>groups</c>: input and output channels are split into this many groups and each
    /// output channel reads only its group's inputs; the input channels for a depthwise convolution. Divides both counts.
    /// </summary>
    public int Groups { get; set; } = 1;

    /// <summary>The kernel's height when it differs from its width; 0 (default) takes <see cref="Kernel"/>.</summary>
    public int KernelHeight { get; set; }

    /// <summary>The kernel's width when it differs from its height; 0 (default) takes <see cref="Kernel"/>.</summary>
    public int KernelWidth { get; set; }

    /// <summary>The vertical stride; 0 (default) takes <see cref="Stride"/>.</summary>
    public int StrideHeight { get; set; }

    /// <summary>The horizontal stride; 0 (default) takes <see cref="Stride"/>.</summary>
    public int StrideWidth { get; set; }

    /// <summary>Zero rows above and below; 0 (default) takes <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; }

    /// <summary>Zero columns left and right; 0 (default) takes <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; }

    /// <summary>The vertical tap spacing; 0 (default) takes <see cref="Dilation"/>.</summary>
    public int DilationHeight { get; set; }

    /// <summary>The horizontal tap spacing; 0 (default) takes <see cref="Dilation"/>.</summary>
    public int DilationWidth { get; set; }

    /// <summary>The <c>state_dict</c> prefix of the layer's tensors; defaults to the member name in snake_case.</summary>
    public string? WeightName { get; set; }

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// A 1-D convolution over <c>[channels, length]</c>, PyTorch's <c>nn.Conv1d(in, out, Kernel, Stride, Padding, Dilation,
/// Groups)</c> with weight <c>[out, in / Groups, Kernel]</c>:
/// <c>y[o, i] = b[o] + sum_{c, u} W[o, c, u] x[g in/G + c, i Stride + u Dilation - Padding]</c> with <c>g = o / (out / G)</c>,
/// zero outside the sequence.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class Conv1DAttribute : Attribute
{
    /// <summary>Declares a 1-D convolution with <paramref name="outChannels"/> output channels.</summary>
    public Conv1DAttribute(int outChannels) => OutChannels = outChannels;

    /// <summary>The number of output channels, a multiple of <see cref="Groups"/>.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel length (default 3).</summary>
    public int Kernel { get; set; } = 3;

    /// <summary>Zero padding at each end (default 0).</summary>
    public int Padding { get; set; }

    /// <summary>The stride (default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>The spacing of the kernel's taps (default 1, no dilation).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>The groups (default 1); the input channels for a depthwise convolution. Divides both channel counts.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>The <c>state_dict</c> prefix of the layer's tensors; defaults to the member name in snake_case.</summary>
    public string? WeightName { get; set; }

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>Max pooling over square windows (no padding, floor mode).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class MaxPool2DAttribute : Attribute
{
    /// <summary>Declares max pooling with a square window of <paramref name="kernel"/>.</summary>
    public MaxPool2DAttribute(int kernel) => Kernel = kernel;

    /// <summary>The window size.</summary>
    public int Kernel { get; }

    /// <summary>The stride; 0 (the default) means the window size, as in PyTorch.</summary>
    public int Stride { get; set; }

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>Average pooling over square windows (no padding, floor mode).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class AvgPool2DAttribute : Attribute
{
    /// <summary>Declares average pooling with a square window of <paramref name="kernel"/>.</summary>
    public AvgPool2DAttribute(int kernel) => Kernel = kernel;

    /// <summary>The window size.</summary>
    public int Kernel { get; }

    /// <summary>The stride; 0 (the default) means the window size, as in PyTorch.</summary>
    public int Stride { get; set; }

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>Flattens <c>[channels, height, width]</c> to <c>[channels * height * width]</c> (PyTorch order); a view, no copy.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class FlattenAttribute : Attribute
{
    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// Inference-form batch normalisation per channel: <c>y = (x - mean) / sqrt(var + eps) * gamma + beta</c>,
/// folded at load time to one scale and shift per channel. Tensors: <c>weight</c>, <c>bias</c>,
/// <c>running_mean</c>, <c>running_var</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>The epsilon added to the variance (default 1e-5, PyTorch's).</summary>
    public double Epsilon { get; set; } = 1e-5;

    /// <summary>The <c>state_dict</c> prefix of the layer's tensors; defaults to the member name in snake_case.</summary>
    public string? WeightName { get; set; }

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// Global average pooling, <c>y[c, 0, 0] = (1 / (H W)) sum_{h, w} x[c, h, w]</c>: <c>[C, H, W]</c> to <c>[C, 1, 1]</c>, as
/// PyTorch's <c>nn.AdaptiveAvgPool2d(1)</c> and ONNX's <c>GlobalAveragePool</c> give it; follow it with
/// <see cref="FlattenAttribute"/> for <c>[C]</c>. No tensors.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class GlobalAvgPool2DAttribute : Attribute
{
    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// Global average pooling over a sequence, <c>y[c, 0] = (1 / L) sum_l x[c, l]</c>: <c>[C, L]</c> to <c>[C, 1]</c>, as
/// PyTorch's <c>nn.AdaptiveAvgPool1d(1)</c> and ONNX's <c>GlobalAveragePool</c> on a 3-D tensor give it; follow it with
/// <see cref="FlattenAttribute"/> for <c>[C]</c>. No tensors.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class GlobalAvgPool1DAttribute : Attribute
{
    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// The identity, <c>y = x</c>: PyTorch's <c>nn.Identity</c> and ONNX's <c>Identity</c>, so an exported model's layers map
/// one to one. A view of its input, no copy; it may carry an activation. No tensors.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class IdentityAttribute : Attribute
{
    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// Dropout as it runs at inference, <c>y = x</c>: PyTorch's <c>nn.Dropout(p)</c> in eval mode and ONNX's <c>Dropout</c>,
/// so an exported model's layers map one to one. Attributions explain the fixed inference function, so nothing is
/// dropped and nothing rescaled. A view of its input, no copy; it may carry an activation. No tensors.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Declares dropout with training-time probability <paramref name="p"/> (PyTorch's default 0.5), between 0 and 1.</summary>
    public DropoutAttribute(double p = 0.5) => P = p;

    /// <summary>The probability of dropping an element in training, as PyTorch's <c>p</c>; recorded, unused at inference.</summary>
    public double P { get; }

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// Layer normalisation over a point's flat features, <c>y = (x - mean x) / sqrt(var x + eps) * weight + bias</c> with
/// the biased variance, as PyTorch's <c>nn.LayerNorm(features)</c> and ONNX's <c>LayerNormalization</c> on the last
/// axis compute it. Tensors: <c>weight</c> and <c>bias</c>, <c>[features]</c>. Smooth, so the exact rule refuses it.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class LayerNormAttribute : Attribute
{
    /// <summary>The epsilon added to the variance (default 1e-5, PyTorch's <c>eps</c>).</summary>
    public double Epsilon { get; set; } = 1e-5;

    /// <summary>The <c>state_dict</c> prefix of the layer's tensors; defaults to the member name in snake_case.</summary>
    public string? WeightName { get; set; }

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// A residual sum: <c>y = x + sum_j layers[j]</c>, the previous layer's output plus the outputs of the named earlier
/// layers, all of one shape (PyTorch's <c>out + identity</c>). Write the names with <c>nameof</c>, e.g.
/// <c>[Add(nameof(Block1))]</c>; an activation on the same member applies to the sum (<c>relu(out + identity)</c>). No tensors.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class AddAttribute : Attribute
{
    /// <summary>Declares the sum of the previous layer's output and the outputs of <paramref name="layers"/>, named by member.</summary>
    public AddAttribute(params string[] layers) => Layers = layers;

    /// <summary>The member names of the earlier layers added to the previous layer's output.</summary>
    public string[] Layers { get; }

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// A concatenation: <c>y = [x; layers[0]; layers[1]; ...]</c>, the previous layer's output followed by the outputs of the
/// named earlier layers, along channels for <c>[channels, height, width]</c> and <c>[channels, length]</c> outputs (the
/// other sizes equal) and along features for flat ones (PyTorch's <c>torch.cat(..., dim=1)</c>). No tensors.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ConcatAttribute : Attribute
{
    /// <summary>Declares the concatenation of the previous layer's output with the outputs of <paramref name="layers"/>, named by member.</summary>
    public ConcatAttribute(params string[] layers) => Layers = layers;

    /// <summary>The member names of the earlier layers concatenated after the previous layer's output, in order.</summary>
    public string[] Layers { get; }

    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>
/// Embedding lookup, <c>y[t, d] = weight[ids[t], d]</c>, as PyTorch's <c>nn.Embedding(numEmbeddings, embeddingDim)</c> and
/// ONNX's <c>Gather(weight, ids)</c> compute it: the network's <c>[Input(T)]</c> holds <c>T</c> token ids (as the element
/// type, integers from 0 to <c>numEmbeddings - 1</c>) and this layer, which must directly follow the input, gives
/// <c>[T, embeddingDim]</c>. Tensor: <c>weight</c>, <c>[numEmbeddings, embeddingDim]</c>. No gradient reaches the ids:
/// attribute at this layer with <see cref="LayerIntegratedGradients{T}"/> (the text form of Integrated Gradients).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class EmbeddingAttribute : Attribute
{
    /// <summary>Declares a table of <paramref name="numEmbeddings"/> rows of <paramref name="embeddingDim"/> features.</summary>
    public EmbeddingAttribute(int numEmbeddings, int embeddingDim)
    {
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
    }

    /// <summary>The vocabulary size: rows of the table, PyTorch's <c>num_embeddings</c>.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Features per token, PyTorch's <c>embedding_dim</c>.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The <c>state_dict</c> prefix of the layer's tensor; defaults to the member name in snake_case.</summary>
    public string? WeightName { get; set; }
}

/// <summary>
/// The mean over a sequence, <c>y[d] = (1 / T) sum_t x[t, d]</c>: <c>[T, D]</c> to <c>[D]</c>, as PyTorch's
/// <c>x.mean(dim=1)</c> on a <c>[batch, T, D]</c> tensor and ONNX's <c>ReduceMean</c> over axis 1 without kept dimensions.
/// Linear. No tensors.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class SequenceMeanAttribute : Attribute
{
    /// <summary>
    /// The member name of the earlier layer this layer reads instead of the previous one, e.g. <c>From = nameof(Stem)</c>
    /// for a projection shortcut; null (the default) reads the previous layer.
    /// </summary>
    public string? From { get; set; }
}

/// <summary>Rectified linear unit, <c>max(0, x)</c>; its derivative at 0 is taken as 0.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ReLUAttribute : Attribute { }

/// <summary>Leaky ReLU, <c>x &gt; 0 ? x : slope * x</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class LeakyReLUAttribute : Attribute
{
    /// <summary>Declares a leaky ReLU with the given negative slope (PyTorch's default 0.01).</summary>
    public LeakyReLUAttribute(double negativeSlope = 0.01) => NegativeSlope = negativeSlope;

    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; }
}

/// <summary>Hyperbolic tangent.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class TanhAttribute : Attribute { }

/// <summary>Logistic sigmoid, <c>1 / (1 + exp(-x))</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class SigmoidAttribute : Attribute { }

/// <summary>Gaussian error linear unit, exact (erf) or tanh form.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class GELUAttribute : Attribute
{
    /// <summary>Which formula to use (default exact).</summary>
    public GeluApproximation Approximation { get; set; }
}

/// <summary>Softmax over the last layer's features; allowed only on the last layer.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class SoftmaxAttribute : Attribute { }

/// <summary>Log-softmax over the last layer's features; allowed only on the last layer.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class LogSoftmaxAttribute : Attribute { }
