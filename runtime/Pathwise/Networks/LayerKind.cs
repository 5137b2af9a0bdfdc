namespace Pathwise;

/// <summary>The operation of a layer, before its activation.</summary>
public enum LayerKind
{
    Input,
    Dense,
    Conv2D,
    MaxPool2D,
    AvgPool2D,
    Flatten,
    BatchNorm,

    /// <summary>A member that carries only an activation attribute.</summary>
    Activation,
}

/// <summary>The activation applied after a layer's operation.</summary>
public enum ActivationKind
{
    None,
    ReLU,
    LeakyReLU,
    Tanh,
    Sigmoid,
    Gelu,
    GeluTanh,
    Softmax,
    LogSoftmax,
}
