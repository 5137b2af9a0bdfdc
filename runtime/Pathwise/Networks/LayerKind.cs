namespace Pathwise;

/// <summary>The operation of a layer, before its activation.</summary>
public enum LayerKind
{
    /// <summary>The network input.</summary>
    Input,

    /// <summary>A fully connected layer, <c>y = W x + b</c>.</summary>
    Dense,

    /// <summary>A 2-D convolution.</summary>
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
    /// Kinds that leave their input's values as they are (Flatten, and activation-only members): without an
    /// activation the layer shares its input's buffers; with one, its value before activation is its input.
    /// </summary>
    public static bool PassesThrough(LayerKind kind) => kind is LayerKind.Flatten or LayerKind.Activation;

    /// <summary>A layer whose buffers are its input's: a pass-through kind without an activation.</summary>
    public static bool IsView(Layer layer) => PassesThrough(layer.Kind) && !layer.HasActivation;

    /// <summary>A layer whose activation reads the previous layer's output as its value before activation.</summary>
    public static bool ReadsInputAsPreActivation(Layer layer) => PassesThrough(layer.Kind) && layer.HasActivation;
}
