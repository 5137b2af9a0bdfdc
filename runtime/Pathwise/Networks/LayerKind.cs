namespace Pathwise;

/// <summary>The operation of a layer, before its activation.</summary>
public enum LayerKind
{
    /// <summary>The network input.</summary>
    Input,

    /// <summary>A fully connected layer, <c>y = W x + b</c>.</summary>
    Dense,

    /// <summary>A 2-D convolution (per-axis kernel, stride, padding and dilation; groups).</summary>
    Conv2D,

    /// <summary>Max pooling over square windows.</summary>
    MaxPool2D,

    /// <summary>Average pooling over square windows.</summary>
    AvgPool2D,

    /// <summary>A view of <c>[C, H, W]</c> as <c>[C·H·W]</c>.</summary>
    Flatten,

    /// <summary>Inference-form batch normalisation, folded to a scale and shift per channel.</summary>
    BatchNorm,

    /// <summary>A member that carries only an activation attribute.</summary>
    Activation,

    /// <summary>The identity, <c>y = x</c>: PyTorch's <c>nn.Identity</c>, ONNX's <c>Identity</c>; a view, no copy.</summary>
    Identity,

    /// <summary>Dropout at inference, <c>y = x</c>: PyTorch's <c>nn.Dropout</c> in eval mode, ONNX's <c>Dropout</c>; a view, no copy.</summary>
    Dropout,

    /// <summary>Global average pooling, <c>[C, H, W]</c> to <c>[C, 1, 1]</c>: <c>y[c] = mean over h, w of x[c, h, w]</c>.</summary>
    GlobalAvgPool2D,

    /// <summary>
    /// Layer normalisation over a point's features, <c>y = gamma (x - mean x) / sqrt(var x + eps) + beta</c>: PyTorch's
    /// <c>nn.LayerNorm(features)</c>. Not piecewise linear.
    /// </summary>
    LayerNorm,

    /// <summary>
    /// Embedding lookup, <c>y[t, d] = weight[ids[t], d]</c>: token ids <c>[T]</c> to <c>[T, D]</c>, PyTorch's
    /// <c>nn.Embedding(vocabulary, D)</c>. Directly after the input only; no gradient flows to the ids.
    /// </summary>
    Embedding,

    /// <summary>The mean over a sequence, <c>[T, D]</c> to <c>[D]</c>: <c>y[d] = (1 / T) sum_t x[t, d]</c>, PyTorch's <c>x.mean(dim=1)</c>.</summary>
    SequenceMean,

    /// <summary>A residual sum of its input and other earlier layers' outputs of the same shape, <c>y = x + sum_j s_j</c>.</summary>
    Add,

    /// <summary>A concatenation of its input and other earlier layers' outputs, along channels (or features when flat).</summary>
    Concat,

    /// <summary>A 1-D convolution over <c>[channels, length]</c> (kernel, stride, padding, dilation, groups).</summary>
    Conv1D,

    /// <summary>Global average pooling over a sequence, <c>[C, L]</c> to <c>[C, 1]</c>: <c>y[c] = mean over l of x[c, l]</c>.</summary>
    GlobalAvgPool1D,
}

/// <summary>The activation applied after a layer's operation.</summary>
public enum ActivationKind
{
    /// <summary>No activation: the layer's output is its operation's value.</summary>
    None,

    /// <summary><c>max(0, z)</c>, derivative 0 at 0.</summary>
    ReLU,

    /// <summary><c>z &gt; 0 ? z : slope z</c>.</summary>
    LeakyReLU,

    /// <summary><c>tanh z</c>.</summary>
    Tanh,

    /// <summary><c>1 / (1 + exp(-z))</c>.</summary>
    Sigmoid,

    /// <summary><c>0.5 z (1 + erf(z / sqrt 2))</c>.</summary>
    Gelu,

    /// <summary><c>0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))</c>.</summary>
    GeluTanh,

    /// <summary>Softmax over the layer's features (last layer only).</summary>
    Softmax,

    /// <summary>Log-softmax over the layer's features (last layer only).</summary>
    LogSoftmax,
}

/// <summary>What the runtime needs to know of each <see cref="LayerKind"/>, in one place.</summary>
internal static class LayerKindFacts
{
    /// <summary>
    /// Kinds that leave their input's values as they are (Flatten, Identity, Dropout at inference, and
    /// activation-only members): without an activation the layer shares its input's buffers; with one, its value
    /// before activation is its input.
    /// </summary>
    public static bool PassesThrough(LayerKind kind) => kind is LayerKind.Flatten or LayerKind.Activation or LayerKind.Identity or LayerKind.Dropout;

    /// <summary>
    /// Kinds whose operation is piecewise linear in its input (affine maps, pooling, views), so the exact rule can
    /// integrate a network of them by pieces when its activations are ReLU-like too. A normalisation over a point's
    /// own features (LayerNorm) is not.
    /// </summary>
    /// <remarks>An embedding is not: its input is token ids, through which no path runs; paths start at or above it.</remarks>
    public static bool IsPiecewiseLinear(LayerKind kind) => kind is LayerKind.Input or LayerKind.Dense or LayerKind.Conv2D
        or LayerKind.MaxPool2D or LayerKind.AvgPool2D or LayerKind.GlobalAvgPool2D or LayerKind.BatchNorm or LayerKind.SequenceMean
        or LayerKind.Add or LayerKind.Concat
        or LayerKind.Conv1D or LayerKind.GlobalAvgPool1D
        || PassesThrough(kind);

    /// <summary>Kinds whose input is token ids rather than values a gradient reaches (Embedding): no input-space path runs through them.</summary>
    public static bool TakesTokenIds(LayerKind kind) => kind is LayerKind.Embedding;

    /// <summary>
    /// A layer whose buffers are its input's: a pass-through kind without an activation that is its source's only
    /// reader (a source read by several layers keeps a gradient of its own, which the view must not share).
    /// </summary>
    public static bool IsView(NetworkInfo network, Layer layer) => network.SharesSource(layer) && !layer.HasActivation;

    /// <summary>A layer whose activation reads its source's output as its value before activation (sharing it, as <see cref="IsView"/>).</summary>
    public static bool ReadsInputAsPreActivation(NetworkInfo network, Layer layer) => network.SharesSource(layer) && layer.HasActivation;
}
