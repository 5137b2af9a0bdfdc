namespace Pathwise.Generator.Model;

// Every member must stay immutable and structurally equal, or incremental caching breaks.

/// <summary>
/// One layer: its member, operation, activation, shapes and tensor prefix. <see cref="Modifiers"/> are the
/// member's modifiers as written, without <c>partial</c> (e.g. <c>"public"</c>, <c>""</c>, <c>"internal new"</c>),
/// because both parts of a partial property must agree on them.
/// </summary>
internal sealed record LayerSpec(
    string Member,
    string Modifiers,
    LayerOp Op,
    Activation Activation,
    ShapeSpec In,
    ShapeSpec Out,
    string WeightName,
    LayerSettings Settings,
    Helpers.EquatableArray<LayerInput> Inputs = default)
{
    /// <summary>Whether the layer reads anything but the layer declared before it (an <c>[Add]</c> or <c>[Concat]</c>).</summary>
    public bool ReadsBeyondPrevious(int index) => Inputs.Count > 1 || (Inputs.Count == 1 && Inputs[0].Index != index - 1);

    /// <summary>The unit that parses, shapes and emits this layer's kind.</summary>
    public Layers.LayerUnit Unit => Layers.LayerUnits.Of(Op);
}

/// <summary>
/// One layer a layer reads: its member, its index in declaration order and its output shape. A layer's
/// <see cref="LayerSpec.Inputs"/> start with the one its operation takes as <c>x</c> (the previous layer); an
/// <c>[Add]</c> or <c>[Concat]</c> lists the layers it names after it. Empty in a hand-built spec means the previous layer.
/// </summary>
internal sealed record LayerInput(string Member, int Index, ShapeSpec Shape);

/// <summary>
/// The numbers of a layer's operation; unused ones are zero. <see cref="Size"/> is the count a kind's attribute
/// takes first (a dense layer's units, a convolution's output channels); <see cref="Rate"/> is a dropout's <c>p</c>;
/// <see cref="Vocabulary"/> an embedding's rows.
/// A 2-D convolution's <see cref="Kernel"/>, <see cref="Padding"/>, <see cref="Stride"/> and <see cref="Dilation"/> are
/// its height's and the <c>*Width</c> members its width's, all resolved; a 1-D convolution's are along its length in both.
/// </summary>
internal sealed record LayerSettings(
    int Kernel = 0,
    int Padding = 0,
    int Stride = 0,
    bool Bias = false,
    double Epsilon = 0,
    double Slope = 0,
    int Size = 0,
    double Rate = 0,
    int Vocabulary = 0,
    int Dilation = 0,
    int Groups = 0,
    int KernelWidth = 0,
    int StrideWidth = 0,
    int PaddingWidth = 0,
    int DilationWidth = 0);

/// <summary>Mirrors <c>Pathwise.LayerKind</c>; each member has its unit in <see cref="Layers.LayerUnits"/>.</summary>
internal enum LayerOp
{
    Input,
    Dense,
    Conv2D,
    MaxPool2D,
    AvgPool2D,
    Flatten,
    BatchNorm,
    Activation,
    Identity,
    Dropout,
    GlobalAvgPool2D,
    LayerNorm,
    Embedding,
    SequenceMean,
    Add,
    Concat,
    Conv1D,
    GlobalAvgPool1D,
}

/// <summary>Mirrors <c>Pathwise.ActivationKind</c>.</summary>
internal enum Activation
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
