using System;
using System.Collections.Generic;
using System.Globalization;
using Onnx;

namespace Pathwise.Onnx;

/// <summary>
/// Maps the node that reads the chain's current tensor (and any nodes it owns, such as a MatMul's bias Add) onto
/// a declaration member, returning the tensor the chain continues from, or <see langword="null"/> after
/// <see cref="ChainBuilder.Refuse"/>.
/// </summary>
internal delegate string? OperatorMapper(ChainBuilder chain, NodeProto node);

/// <summary>
/// The table of ONNX operators the importer understands, one entry per operator: adding a layer kind to the
/// import is adding its mapper here. Operators that only appear inside a pattern another mapper owns (the Erf
/// of GELU's exact form, a MatMul's bias Add) have entries that refuse them when met alone.
/// </summary>
internal static class OperatorMappers
{
    private const double Sqrt2 = 1.4142135623730951;

    /// <summary>The largest stride or padding accepted (far beyond any real model; keeps shape arithmetic in range).</summary>
    private const long MaxWindow = 1 << 20;

    /// <summary>Mappers by ONNX operator type (default domain).</summary>
    public static readonly IReadOnlyDictionary<string, OperatorMapper> Table = new Dictionary<string, OperatorMapper>(StringComparer.Ordinal)
    {
        ["Gemm"] = Gemm,
        ["MatMul"] = MatMul,
        ["Conv"] = Conv,
        ["BatchNormalization"] = BatchNormalization,
        ["MaxPool"] = (chain, node) => Pool(chain, node, "MaxPool2D"),
        ["AveragePool"] = (chain, node) => Pool(chain, node, "AvgPool2D"),
        ["GlobalAveragePool"] = GlobalAveragePool,
        ["ReduceMean"] = ReduceMean,
        ["LayerNormalization"] = LayerNormalization,
        ["Flatten"] = Flatten,
        ["Reshape"] = Reshape,
        ["Relu"] = (chain, node) => chain.AddActivation("ReLU", false, node),
        ["Sigmoid"] = (chain, node) => chain.AddActivation("Sigmoid", false, node),
        ["Tanh"] = (chain, node) => chain.AddActivation("Tanh", false, node),
        ["LeakyRelu"] = LeakyRelu,
        ["Gelu"] = Gelu,
        ["Div"] = GeluErfForm,
        ["Softmax"] = (chain, node) => Softmax(chain, node, "Softmax"),
        ["LogSoftmax"] = (chain, node) => Softmax(chain, node, "LogSoftmax"),
        ["Identity"] = (chain, node) => chain.PassThrough(node),
        ["Dropout"] = Dropout,
        ["Pad"] = Pad,
        ["Shape"] = DynamicFlatten,
        ["Gather"] = Gather,
        ["Unsqueeze"] = (chain, node) => chain.Refuse(node, "an Unsqueeze that is not part of a flatten's target shape"),
        ["Concat"] = Concat,
        ["Add"] = ResidualAdd,
        ["Mul"] = (chain, node) => chain.Refuse(node, "a Mul that is not part of GELU's erf form"),
        ["Erf"] = (chain, node) => chain.Refuse(node, "an Erf that is not part of GELU's erf form 0.5 x (1 + erf(x / sqrt 2))"),
        ["Sub"] = (chain, node) => chain.Refuse(node, "a Sub that is not part of a layer normalisation's decomposed form"),
        ["Pow"] = (chain, node) => chain.Refuse(node, "a Pow that is not part of a layer normalisation's decomposed form"),
        ["Sqrt"] = (chain, node) => chain.Refuse(node, "a Sqrt that is not part of a layer normalisation's decomposed form"),
    };

    /// <summary>Whether <paramref name="node"/> joins computed values (an <c>Add</c> or <c>Concat</c> of two or more node outputs), which the walk reaches from its last input.</summary>
    public static bool IsJoin(ChainBuilder chain, NodeProto node)
    {
        if (node.OpType is not ("Add" or "Concat") || node.Input.Count < 2)
        {
            return false;
        }

        foreach (string input in node.Input)
        {
            if (input.Length == 0 || chain.Graph.Constants.ContainsKey(input))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether every input of join <paramref name="node"/> is a declared member's value: the walk can declare it.</summary>
    public static bool JoinReady(ChainBuilder chain, NodeProto node)
    {
        foreach (string input in node.Input)
        {
            if (!chain.Outputs.ContainsKey(input))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <c>C = A + B</c> of two layers' values of one shape: a residual sum, <c>[Add(nameof(Other))]</c> after the layer the
    /// walk came from (<c>out + identity</c> and <c>identity + out</c> alike, as the sum is symmetric).
    /// </summary>
    private static string? ResidualAdd(ChainBuilder chain, NodeProto node)
    {
        if (!IsJoin(chain, node))
        {
            return chain.Refuse(node, "an Add of a constant that is not the bias of a MatMul");
        }

        var named = new List<string>();
        bool seenCurrent = false;
        foreach (string input in node.Input)
        {
            if (input == chain.Current && !seenCurrent)
            {
                seenCurrent = true;
                continue;
            }

            if (!chain.Outputs.TryGetValue(input, out (string Member, int[] Shape) source))
            {
                return chain.Refuse(node, $"an Add of '{input}', which is not a layer's output (a value before its activation, or a branch with layers of its own, such as a projection shortcut)");
            }

            if (!source.Shape.AsSpan().SequenceEqual(chain.Shape))
            {
                return chain.Refuse(node, $"an Add of [{Join(chain.Shape)}] and [{Join(source.Shape)}]: a residual sum adds values of one shape (no broadcasting)");
            }

            named.Add(source.Member);
        }

        return chain.AddJoin("Add", named, chain.Shape, node);
    }

    /// <summary>
    /// <c>torch.cat([x, a, ...], dim=1)</c> of layers' values: channels of <c>[C, H, W]</c> (same height and width) or
    /// features, <c>[Concat(nameof(A), ...)]</c>; the layer reads the first input as its <c>x</c>, with
    /// <c>From = nameof(X)</c> when that is not the value the walk reached last.
    /// </summary>
    private static string? Concat(ChainBuilder chain, NodeProto node)
    {
        if (!IsJoin(chain, node))
        {
            return chain.Refuse(node, "a Concat that is not part of a flatten's target shape and not of layers' values");
        }

        long axis = ChainBuilder.Int(node, "axis", 0);
        int rank = chain.Shape.Length + 1;
        if (axis < 0)
        {
            axis += rank;
        }

        if (axis != 1)
        {
            return chain.Refuse(node, $"a Concat along axis {ChainBuilder.Int(node, "axis", 0)}; Pathwise concatenates along channels or features (axis 1)");
        }

        // The layer reads the first input as its x: the previous layer's value, or an earlier one through From
        // (torch.cat([x, h]) with h computed last, as DenseNet writes it); the others are named in order.
        string? from = null;
        int[] shape = [.. chain.Shape];
        if (node.Input[0] != chain.Current)
        {
            if (!chain.Outputs.TryGetValue(node.Input[0], out (string Member, int[] Shape) first))
            {
                return chain.Refuse(node, $"a Concat of '{node.Input[0]}', which is not a layer's output");
            }

            from = first.Member;
            shape = [.. first.Shape];
        }

        var named = new List<string>();
        for (int i = 1; i < node.Input.Count; i++)
        {
            if (!chain.Outputs.TryGetValue(node.Input[i], out (string Member, int[] Shape) source))
            {
                return chain.Refuse(node, $"a Concat of '{node.Input[i]}', which is not a layer's output");
            }

            if (source.Shape.Length != shape.Length || !source.Shape.AsSpan(1).SequenceEqual(shape.AsSpan(1)))
            {
                return chain.Refuse(node, $"a Concat of [{Join(chain.Shape)}] and [{Join(source.Shape)}]: the sizes other than the channels must agree");
            }

            shape[0] += source.Shape[0];
            named.Add(source.Member);
        }

        chain.PendingFrom = from ?? chain.PendingFrom;
        return chain.AddJoin("Concat", named, shape, node);
    }

    /// <summary><c>Y = A × Bᵀ + C</c> (transB = 1, as PyTorch's Linear exports) or <c>A × B + C</c>: a Dense layer.</summary>
    private static string? Gemm(ChainBuilder chain, NodeProto node)
    {
        ConstantTensor? b = chain.Constant(node, 1);
        ConstantTensor? c = chain.Constant(node, 2);
        if (b is null || b.Dims.Length != 2)
        {
            return chain.Refuse(node, "a Gemm whose B is not a constant matrix (only weights known at import can be declared)");
        }

        if (node.Input.Count > 2 && node.Input[2].Length > 0 && c is null)
        {
            return chain.Refuse(node, "a Gemm whose C is computed, not a constant bias");
        }

        if (ChainBuilder.Int(node, "transA", 0) != 0 || ChainBuilder.Float(node, "alpha", 1f) != 1f || ChainBuilder.Float(node, "beta", 1f) != 1f)
        {
            return chain.Refuse(node, "a Gemm with transA, alpha or beta other than PyTorch's Linear (0, 1, 1)");
        }

        bool transB = ChainBuilder.Int(node, "transB", 0) != 0;
        int outputs = (int)(transB ? b.Dims[0] : b.Dims[1]);
        int inputs = (int)(transB ? b.Dims[1] : b.Dims[0]);
        return Dense(chain, node, b, transposed: !transB, inputs, outputs, c, [node]);
    }

    /// <summary><c>Y = A × B</c> with a constant <c>B[in, out]</c>, and the following <c>Add</c> of a constant <c>[out]</c> as its bias.</summary>
    private static string? MatMul(ChainBuilder chain, NodeProto node)
    {
        ConstantTensor? b = chain.Constant(node, 1);
        if (b is null || b.Dims.Length != 2 || node.Input[0] != chain.Current)
        {
            return chain.Refuse(node, "a MatMul that is not the chain's input times a constant matrix");
        }

        int inputs = (int)b.Dims[0];
        int outputs = (int)b.Dims[1];
        NodeProto? add = chain.SoleConsumer(node.Output[0]);
        if (add is { OpType: "Add" } && add.Input.Count == 2)
        {
            int other = add.Input[0] == node.Output[0] ? 1 : 0;
            ConstantTensor? bias = chain.Constant(add, other);
            if (bias is not null && bias.Values.Length == outputs && add.Input[1 - other] == node.Output[0])
            {
                return Dense(chain, node, b, transposed: true, inputs, outputs, bias, [node, add]);
            }
        }

        return Dense(chain, node, b, transposed: true, inputs, outputs, null, [node]);
    }

    private static string? Dense(ChainBuilder chain, NodeProto node, ConstantTensor w, bool transposed, int inputs, int outputs, ConstantTensor? bias, NodeProto[] nodes)
    {
        if (chain.Shape.Length != 1)
        {
            return chain.Refuse(node, $"a fully connected layer on a [{Join(chain.Shape)}] input: flatten it first (Flatten or Reshape to [batch, -1])");
        }

        if (chain.Shape[0] != inputs)
        {
            return chain.Refuse(node, $"a weight of {inputs} inputs applied to {chain.Shape[0]} features");
        }

        if (bias is not null && bias.Values.Length != outputs)
        {
            return chain.Refuse(node, $"a bias of {bias.Values.Length} values for {outputs} outputs");
        }

        // PyTorch's Linear layout: W[out, in].
        var weight = new double[outputs * inputs];
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                weight[o * inputs + i] = transposed ? w.Values[i * outputs + o] : w.Values[o * inputs + i];
            }
        }

        string prefix = chain.WeightPrefix(node, w.Name, "dense");
        chain.AddWeight(prefix, "weight", [outputs, inputs], weight);
        if (bias is not null)
        {
            chain.AddWeight(prefix, "bias", [outputs], (double[])bias.Values.Clone());
        }

        string kind = $"Dense({outputs}, WeightName = {ChainBuilder.Quote(prefix)}{(bias is null ? ", Bias = false" : "")})";
        return chain.AddLayer(kind, prefix, [outputs], nodes);
    }

    /// <summary>
    /// A convolution: 2-D on <c>[C, H, W]</c> (<c>Conv2D</c>) or 1-D on <c>[C, L]</c> (<c>Conv1D</c>), with any kernel shape,
    /// strides, dilations and group count, and pads equal at both ends of each axis (PyTorch's <c>padding</c>).
    /// </summary>
    private static string? Conv(ChainBuilder chain, NodeProto node)
    {
        ConstantTensor? w = chain.Constant(node, 1);
        ConstantTensor? b = chain.Constant(node, 2);
        if (w is null || (node.Input.Count > 2 && node.Input[2].Length > 0 && b is null))
        {
            return chain.Refuse(node, "a Conv whose weight or bias is not a constant");
        }

        if (chain.Shape.Length is not (2 or 3))
        {
            return chain.Refuse(node, $"a convolution on a [{Join(chain.Shape)}] input; it needs [channels, length] or [channels, height, width]");
        }

        int axes = chain.Shape.Length - 1;
        int channels = chain.Shape[0];
        long group = ChainBuilder.Int(node, "group", 1);
        if (w.Dims.Length != axes + 2 || group < 1 || group > channels || w.Dims[0] % group != 0 || w.Dims[1] * group != channels)
        {
            return chain.Refuse(node, $"a weight [{Join(w.Dims)}] with group {group} on {channels} channels: a {axes}-D convolution needs a {axes + 2}-D weight [out, channels / group, ...kernel] with out a multiple of group");
        }

        long[] kernel = w.Dims[2..];
        long[] shapeAttribute = ChainBuilder.Ints(node, "kernel_shape") ?? kernel;
        long[] strides = ChainBuilder.Ints(node, "strides") ?? Ones(axes);
        long[] dilations = ChainBuilder.Ints(node, "dilations") ?? Ones(axes);
        long[] pads = ChainBuilder.Ints(node, "pads") ?? new long[2 * axes];
        if (ChainBuilder.Text(node, "auto_pad", "NOTSET") != "NOTSET")
        {
            return chain.Refuse(node, "an auto-padded convolution (not supported yet; export with explicit pads)");
        }

        if (shapeAttribute.Length != axes || strides.Length != axes || dilations.Length != axes || pads.Length != 2 * axes
            || !shapeAttribute.AsSpan().SequenceEqual(kernel))
        {
            return chain.Refuse(node, $"kernel_shape [{Join(shapeAttribute)}], strides [{Join(strides)}], dilations [{Join(dilations)}] and pads [{Join(pads)}] that do not describe a {axes}-D convolution with a [{Join(kernel)}] kernel");
        }

        var output = new int[axes];
        for (int i = 0; i < axes; i++)
        {
            if (pads[i] != pads[i + axes])
            {
                return chain.Refuse(node, $"pads [{Join(pads)}]: Pathwise pads both ends of an axis alike, as PyTorch's padding does");
            }

            long size = chain.Shape[i + 1] + 2 * pads[i];
            long span = dilations[i] * (kernel[i] - 1) + 1;
            if (strides[i] is < 1 or > MaxWindow || dilations[i] is < 1 or > MaxWindow || pads[i] is < 0 or > MaxWindow || kernel[i] is < 1 or > MaxWindow || span > size)
            {
                return chain.Refuse(node, $"kernel [{Join(kernel)}], strides [{Join(strides)}], dilations [{Join(dilations)}] and pads [{Join(pads)}] do not fit a [{Join(chain.Shape)}] input");
            }

            output[i] = (int)((size - span) / strides[i] + 1);
        }

        int outChannels = (int)w.Dims[0];
        string prefix = chain.WeightPrefix(node, w.Name, "conv");
        chain.AddWeight(prefix, "weight", w.Shape, (double[])w.Values.Clone());
        if (b is not null)
        {
            chain.AddWeight(prefix, "bias", [outChannels], (double[])b.Values.Clone());
        }

        // Kernel, Padding, Stride and Dilation are the first axis's (a 1-D convolution's only one); a second axis that
        // differs gets its *Width override. Defaults are left out.
        int last = axes - 1;
        string kind = (axes == 2 ? "Conv2D" : "Conv1D") + $"({outChannels}, Kernel = {kernel[0]}"
            + (kernel[last] != kernel[0] ? $", KernelWidth = {kernel[last]}" : "")
            + Setting("Padding", pads[0], pads[last], 0)
            + Setting("Stride", strides[0], strides[last], 1)
            + Setting("Dilation", dilations[0], dilations[last], 1)
            + (group != 1 ? $", Groups = {group}" : "")
            + $", WeightName = {ChainBuilder.Quote(prefix)}"
            + (b is null ? ", Bias = false" : "") + ")";
        return chain.AddLayer(kind, prefix, [outChannels, .. output], node);

        static long[] Ones(int count)
        {
            var ones = new long[count];
            Array.Fill(ones, 1L);
            return ones;
        }

        // ", Name = first" unless it is the default, then ", NameWidth = second" when the second axis differs. An override
        // of 0 would take the square value, so a zero second axis is written as the default square with a height override.
        static string Setting(string name, long first, long second, long fallback) =>
            second == first ? (first != fallback ? $", {name} = {first}" : "")
            : second == fallback ? $", {name}Height = {first}"
            : (first != fallback ? $", {name} = {first}" : "") + $", {name}Width = {second}";
    }

    /// <summary>Inference batch normalisation: <c>(x - mean) / sqrt(var + epsilon) × scale + B</c> per channel.</summary>
    private static string? BatchNormalization(ChainBuilder chain, NodeProto node)
    {
        int channels = chain.Shape[0];
        var tensors = new ConstantTensor?[] { chain.Constant(node, 1), chain.Constant(node, 2), chain.Constant(node, 3), chain.Constant(node, 4) };
        foreach (ConstantTensor? tensor in tensors)
        {
            if (tensor is null || tensor.Values.Length != channels)
            {
                return chain.Refuse(node, $"a BatchNormalization whose scale, bias, mean and variance are not constants of {channels} values");
            }
        }

        if (ChainBuilder.Int(node, "training_mode", 0) != 0 || !chain.OutputUnused(node, 1) || !chain.OutputUnused(node, 2))
        {
            return chain.Refuse(node, "a BatchNormalization in training mode (export the model in eval mode)");
        }

        float epsilon = ChainBuilder.Float(node, "epsilon", 1e-5f);
        if (!float.IsFinite(epsilon) || epsilon <= 0)
        {
            return chain.Refuse(node, $"epsilon {epsilon.ToString(CultureInfo.InvariantCulture)} is not a positive finite number");
        }

        string prefix = chain.WeightPrefix(node, tensors[0]!.Name, "norm");
        string[] suffixes = ["weight", "bias", "running_mean", "running_var"];
        for (int i = 0; i < 4; i++)
        {
            chain.AddWeight(prefix, suffixes[i], [channels], (double[])tensors[i]!.Values.Clone());
        }

        string kind = epsilon == 1e-5f
            ? $"BatchNorm(WeightName = {ChainBuilder.Quote(prefix)})"
            : $"BatchNorm(Epsilon = {ChainBuilder.Literal(epsilon)}, WeightName = {ChainBuilder.Quote(prefix)})";
        return chain.AddLayer(kind, prefix, chain.Shape, node);
    }

    /// <summary>Max or average pooling over square windows, no padding, floor mode.</summary>
    private static string? Pool(ChainBuilder chain, NodeProto node, string attribute)
    {
        long[]? kernelShape = ChainBuilder.Ints(node, "kernel_shape");
        long[] strides = ChainBuilder.Ints(node, "strides") ?? [1, 1];
        long[] pads = ChainBuilder.Ints(node, "pads") ?? [0, 0, 0, 0];
        long[] dilations = ChainBuilder.Ints(node, "dilations") ?? [1, 1];
        if (chain.Shape.Length != 3 || kernelShape is not { Length: 2 } || kernelShape[0] != kernelShape[1] || strides.Length != 2 || strides[0] != strides[1])
        {
            return chain.Refuse(node, "pooling that is not over square windows with one stride of a [channels, height, width] input");
        }

        if (Array.Exists(pads, p => p != 0) || Array.Exists(dilations, d => d != 1) || ChainBuilder.Int(node, "ceil_mode", 0) != 0
            || ChainBuilder.Text(node, "auto_pad", "NOTSET") != "NOTSET" || !chain.OutputUnused(node, 1))
        {
            return chain.Refuse(node, "padded, dilated or ceil-mode pooling, or max pooling whose indices are used (not supported)");
        }

        if (kernelShape[0] < 1 || kernelShape[0] > Math.Min(chain.Shape[1], chain.Shape[2]) || strides[0] is < 1 or > MaxWindow)
        {
            return chain.Refuse(node, $"window {kernelShape[0]} with stride {strides[0]} does not fit a [{Join(chain.Shape)}] input");
        }

        int kernel = (int)kernelShape[0];
        int stride = (int)strides[0];
        int height = (chain.Shape[1] - kernel) / stride + 1;
        int width = (chain.Shape[2] - kernel) / stride + 1;
        string kind = stride == kernel ? $"{attribute}({kernel})" : $"{attribute}({kernel}, Stride = {stride})";
        string source = node.Name.Length > 0 ? node.Name : attribute;
        return chain.AddLayer(kind, MemberSource(source), [chain.Shape[0], height, width], node);
    }

    /// <summary>
    /// <c>GlobalAveragePool</c>, each channel's mean: <c>[C, H, W]</c> → <c>[C, 1, 1]</c> (PyTorch's <c>AdaptiveAvgPool2d(1)</c>,
    /// <c>GlobalAvgPool2D</c>) or <c>[C, L]</c> → <c>[C, 1]</c> (<c>AdaptiveAvgPool1d(1)</c>, <c>GlobalAvgPool1D</c>).
    /// </summary>
    private static string? GlobalAveragePool(ChainBuilder chain, NodeProto node)
    {
        if (chain.Shape.Length == 2)
        {
            return chain.AddLayer("GlobalAvgPool1D", MemberSource(node.Name.Length > 0 ? node.Name : "GlobalAvgPool1D"), [chain.Shape[0], 1], node);
        }

        if (chain.Shape.Length != 3)
        {
            return chain.Refuse(node, $"a GlobalAveragePool of a [{Join(chain.Shape)}] input; it needs [channels, length] or [channels, height, width]");
        }

        return chain.AddLayer("GlobalAvgPool2D", MemberSource(node.Name.Length > 0 ? node.Name : "GlobalAvgPool2D"), [chain.Shape[0], 1, 1], node);
    }

    /// <summary>
    /// <c>ReduceMean</c> over the spatial axes [2, 3] of a <c>[C, H, W]</c> input (<c>x.mean((2, 3))</c>, keepdims 0 or
    /// 1): <c>GlobalAvgPool2D</c>, then <c>Flatten</c> when the axes are dropped; or over the last axis of a
    /// <c>[features]</c> input, the start of a layer normalisation's decomposed form (opsets before 17).
    /// </summary>
    private static string? ReduceMean(ChainBuilder chain, NodeProto node)
    {
        long[]? axes = ReduceAxes(chain, node);
        bool keepDims = ChainBuilder.Int(node, "keepdims", 1) != 0;
        if (chain.Shape.Length == 2 && axes is [1 or -2])
        {
            // x.mean(dim=1) of a [batch, T, D] sequence (an embedding's output): the mean over the sequence.
            return keepDims
                ? chain.Refuse(node, $"a ReduceMean over the sequence of [batch, {Join(chain.Shape)}] with keepdims = 1; Pathwise's SequenceMean gives [batch, {chain.Shape[1]}] (keepdims = 0)")
                : chain.AddLayer("SequenceMean", MemberSource(node.Name.Length > 0 ? node.Name : "SequenceMean"), [chain.Shape[1]], node);
        }

        if (chain.Shape.Length == 2 && axes is [2 or -1])
        {
            // x.mean(dim=2) of a [batch, C, L] sequence (a 1-D convolution's output): the mean over its length.
            string pooled = MemberSource(node.Name.Length > 0 ? node.Name : "GlobalAvgPool1D");
            int rows = chain.Shape[0];
            return keepDims
                ? chain.AddLayer("GlobalAvgPool1D", pooled, [rows, 1], node)
                : chain.AddLayer("GlobalAvgPool1D", pooled, [rows, 1], node) is null
                    ? null
                    : chain.AddLayer("Flatten", pooled + "_flatten", [rows], node);
        }

        if (chain.Shape.Length == 1 && axes is [-1 or 1] && keepDims)
        {
            return DecomposedLayerNorm(chain, node);
        }

        if (chain.Shape.Length != 3 || axes is null || axes.Length != 2 || !IsSpatial(axes[0]) || !IsSpatial(axes[1]) || Normalize(axes[0]) == Normalize(axes[1]))
        {
            return chain.Refuse(node, $"a ReduceMean over axes [{(axes is null ? "all" : Join(axes))}] of [batch, {Join(chain.Shape)}]; only the spatial mean x.mean((2, 3)) of an image (GlobalAvgPool2D), a sequence's mean over its length or its positions, and a layer norm's mean map");
        }

        string source = MemberSource(node.Name.Length > 0 ? node.Name : "GlobalAvgPool2D");
        int channels = chain.Shape[0];
        if (keepDims)
        {
            return chain.AddLayer("GlobalAvgPool2D", source, [channels, 1, 1], node);
        }

        // [C, H, W] → [C, 1, 1] → [C]: the node's one output is the flatten's.
        return chain.AddLayer("GlobalAvgPool2D", source, [channels, 1, 1], node) is null
            ? null
            : chain.AddLayer("Flatten", source + "_flatten", [channels], node);

        static bool IsSpatial(long axis) => axis is 2 or 3 or -1 or -2;
        static long Normalize(long axis) => axis < 0 ? axis + 4 : axis;
    }

    /// <summary>
    /// <c>Gather(weight, ids)</c> on axis 0 with a constant <c>weight[vocabulary, D]</c> and the graph's token ids <c>[batch, T]</c>:
    /// PyTorch's <c>nn.Embedding</c>, declared as <c>Embedding(vocabulary, D)</c> directly after the input, giving <c>[T, D]</c>.
    /// </summary>
    private static string? Gather(ChainBuilder chain, NodeProto node)
    {
        if (!chain.Graph.InputIsTokenIds || chain.Current != chain.Graph.InputName || node.Input.Count != 2 || node.Input[1] != chain.Current)
        {
            return chain.Refuse(node, "a Gather that is neither an embedding of the graph's token ids nor part of a flatten's target shape");
        }

        if (ChainBuilder.Int(node, "axis", 0) != 0 || chain.Constant(node, 0) is not { Dims.Length: 2 } weight || weight.Dims[0] < 1 || weight.Dims[1] < 1)
        {
            return chain.Refuse(node, "a Gather of the token ids whose data is not a constant [vocabulary, dimension] weight gathered on axis 0");
        }

        int vocabulary = (int)weight.Dims[0];
        int dimension = (int)weight.Dims[1];
        string prefix = chain.WeightPrefix(node, weight.Name, "embedding");
        chain.AddWeight(prefix, "weight", [vocabulary, dimension], (double[])weight.Values.Clone());
        return chain.AddLayer(
            $"Embedding({vocabulary}, {dimension}, WeightName = {ChainBuilder.Quote(prefix)})", prefix, [chain.Shape[0], dimension], node);
    }

    /// <summary>A ReduceMean's axes: the attribute (before opset 18) or the constant second input (opset 18); <see langword="null"/> for all axes.</summary>
    private static long[]? ReduceAxes(ChainBuilder chain, NodeProto node)
    {
        if (ChainBuilder.Ints(node, "axes") is { } attribute)
        {
            return attribute;
        }

        return chain.Constant(node, 1) is { } input ? Array.ConvertAll(input.Values, v => (long)v) : null;
    }

    /// <summary>
    /// <c>LayerNormalization</c> (opset 17) on the last axis of a <c>[features]</c> input:
    /// <c>(x - mean) / sqrt(var + epsilon) × Scale + B</c>, constant Scale and B (B absent: zeros).
    /// </summary>
    private static string? LayerNormalization(ChainBuilder chain, NodeProto node)
    {
        long axis = ChainBuilder.Int(node, "axis", -1);
        if (chain.Shape.Length != 1 || axis is not (-1 or 1))
        {
            return chain.Refuse(node, $"a LayerNormalization over axis {axis} of [batch, {Join(chain.Shape)}]; Pathwise's LayerNorm normalises the flat features of a [batch, features] input");
        }

        int features = chain.Shape[0];
        ConstantTensor? scale = chain.Constant(node, 1);
        ConstantTensor? bias = chain.Constant(node, 2);
        if (scale is null || scale.Values.Length != features || (node.Input.Count > 2 && node.Input[2].Length > 0 && (bias is null || bias.Values.Length != features)))
        {
            return chain.Refuse(node, $"a LayerNormalization whose scale and bias are not constants of {features} values");
        }

        if (!chain.OutputUnused(node, 1) || !chain.OutputUnused(node, 2))
        {
            return chain.Refuse(node, "a LayerNormalization whose mean or inverse standard deviation outputs are used");
        }

        return LayerNorm(chain, node, ChainBuilder.Float(node, "epsilon", 1e-5f), scale, bias, [node]);
    }

    /// <summary>
    /// The decomposed layer normalisation PyTorch exports before opset 17, operands of the Mul and Adds in either order:
    /// <c>d = Sub(x, ReduceMean(x)); Add(Mul(Div(d, Sqrt(Add(ReduceMean(Pow(d, 2)), epsilon))), weight), bias)</c>,
    /// every mean over the last axis with keepdims; x feeds only the ReduceMean and the Sub, d only the Pow and the Div.
    /// The Mul and the last Add are absent without affine parameters.
    /// </summary>
    private static string? DecomposedLayerNorm(ChainBuilder chain, NodeProto mean)
    {
        string x = chain.Current;
        int features = chain.Shape[0];
        NodeProto? sub = chain.SoleConsumer(mean.Output[0]);
        bool subOk = sub is { OpType: "Sub" } && sub.Input.Count == 2 && sub.Input[0] == x && sub.Input[1] == mean.Output[0]
            && chain.Graph.Consumers(x).Count == 2 && chain.Graph.Consumers(sub.Output[0]).Count == 2 && sub.Output[0] != chain.Graph.OutputName;
        NodeProto? pow = null;
        NodeProto? div = null;
        if (subOk)
        {
            foreach (NodeProto reader in chain.Graph.Consumers(sub!.Output[0]))
            {
                if (reader is { OpType: "Pow" } && reader.Input.Count == 2 && reader.Input[0] == sub.Output[0] && chain.Constant(reader, 1) is { } two && two.IsScalar(2, 0))
                {
                    pow = reader;
                }
                else if (reader is { OpType: "Div" } && reader.Input.Count == 2 && reader.Input[0] == sub.Output[0])
                {
                    div = reader;
                }
            }
        }

        NodeProto? variance = pow is not null ? chain.SoleConsumer(pow.Output[0]) : null;
        bool varianceOk = variance is { OpType: "ReduceMean" } && variance.Input[0] == pow!.Output[0]
            && ReduceAxes(chain, variance) is [-1 or 1] && ChainBuilder.Int(variance, "keepdims", 1) != 0;
        NodeProto? add = varianceOk ? chain.SoleConsumer(variance!.Output[0]) : null;
        ConstantTensor? epsilon = add is { OpType: "Add" } ? ConstantOperand(chain, add, variance!.Output[0]) : null;
        NodeProto? sqrt = epsilon is { Values.Length: 1 } ? chain.SoleConsumer(add!.Output[0]) : null;
        if (sqrt is not { OpType: "Sqrt" } || div is null || chain.SoleConsumer(sqrt.Output[0]) != div || div.Input[1] != sqrt.Output[0])
        {
            return chain.Refuse(mean, "a ReduceMean over the features that does not start a layer normalisation (x - mean) / sqrt(var + eps) * weight + bias");
        }

        var nodes = new List<NodeProto> { mean, sub!, pow!, variance!, add!, sqrt, div };
        ConstantTensor? weight = null;
        ConstantTensor? bias = null;
        if (chain.SoleConsumer(div.Output[0]) is { OpType: "Mul" } mul && ConstantOperand(chain, mul, div.Output[0]) is { } w && w.Values.Length == features)
        {
            weight = w;
            nodes.Add(mul);
            if (chain.SoleConsumer(mul.Output[0]) is { OpType: "Add" } shift && ConstantOperand(chain, shift, mul.Output[0]) is { } b && b.Values.Length == features)
            {
                bias = b;
                nodes.Add(shift);
            }
        }

        return LayerNorm(chain, mean, (float)epsilon!.Values[0], weight, bias, [.. nodes]);
    }

    /// <summary>The constant other operand of a two-input node one of whose inputs is <paramref name="other"/>.</summary>
    private static ConstantTensor? ConstantOperand(ChainBuilder chain, NodeProto node, string other)
    {
        if (node.Input.Count != 2)
        {
            return null;
        }

        int index = node.Input[0] == other ? 1 : node.Input[1] == other ? 0 : -1;
        return index >= 0 ? chain.Constant(node, index) : null;
    }

    /// <summary>Declares <c>LayerNorm</c> with tensors <c>weight</c> (ones when absent) and <c>bias</c> (zeros when absent).</summary>
    private static string? LayerNorm(ChainBuilder chain, NodeProto node, float epsilon, ConstantTensor? weight, ConstantTensor? bias, NodeProto[] nodes)
    {
        if (!float.IsFinite(epsilon) || epsilon <= 0)
        {
            return chain.Refuse(node, $"epsilon {epsilon.ToString(CultureInfo.InvariantCulture)} is not a positive finite number");
        }

        int features = chain.Shape[0];
        string prefix = chain.WeightPrefix(node, weight?.Name, "layer_norm");
        double[] scale = weight is not null ? (double[])weight.Values.Clone() : new double[features];
        if (weight is null)
        {
            Array.Fill(scale, 1.0);
        }

        chain.AddWeight(prefix, "weight", [features], scale);
        chain.AddWeight(prefix, "bias", [features], bias is not null ? (double[])bias.Values.Clone() : new double[features]);
        string kind = epsilon == 1e-5f
            ? $"LayerNorm(WeightName = {ChainBuilder.Quote(prefix)})"
            : $"LayerNorm(Epsilon = {ChainBuilder.Literal(epsilon)}, WeightName = {ChainBuilder.Quote(prefix)})";
        return chain.AddLayer(kind, prefix, [features], nodes);
    }

    /// <summary><c>Flatten(axis = 1)</c>: <c>[C, H, W]</c> → <c>[C·H·W]</c>; of a vector, nothing.</summary>
    private static string? Flatten(ChainBuilder chain, NodeProto node)
    {
        if (ChainBuilder.Int(node, "axis", 1) != 1)
        {
            return chain.Refuse(node, "a Flatten whose axis is not 1 (the batch dimension must stay)");
        }

        return FlattenTo(chain, node);
    }

    /// <summary><c>Reshape</c> to a constant <c>[batch, -1]</c>, <c>[0, -1]</c>, <c>[1, features]</c> or <c>[-1, features]</c>: a flatten.</summary>
    private static string? Reshape(ChainBuilder chain, NodeProto node)
    {
        ConstantTensor? shape = chain.Constant(node, 1);
        long features = 1;
        foreach (int d in chain.Shape)
        {
            features *= d;
        }

        if (shape is null || shape.Values.Length != 2 || ChainBuilder.Int(node, "allowzero", 0) != 0)
        {
            return chain.Refuse(node, "a Reshape whose target is not a constant [batch, features] (only flattening reshapes are supported)");
        }

        double first = shape.Values[0];
        double second = shape.Values[1];
        bool flattens = (first is 0 or 1 && (second == -1 || second == features)) || (first == -1 && second == features);
        if (!flattens)
        {
            return chain.Refuse(node, $"a Reshape of [{Join(chain.Shape)}] to [{first}, {second}], which is not a flatten keeping the batch dimension");
        }

        return FlattenTo(chain, node);
    }

    /// <summary>
    /// <c>x.view(x.size(0), -1)</c> with a dynamic batch, as PyTorch exports it:
    /// <c>Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0), [0]), [-1]))</c>; x feeds exactly the Shape and the Reshape.
    /// </summary>
    private static string? DynamicFlatten(ChainBuilder chain, NodeProto shape)
    {
        string x = chain.Current;
        NodeProto? gather = chain.SoleConsumer(shape.Output[0]);
        NodeProto? unsqueeze = gather is { OpType: "Gather" } && ChainBuilder.Int(gather, "axis", 0) == 0
            && gather.Input.Count == 2 && gather.Input[0] == shape.Output[0] && chain.Constant(gather, 1) is { } index && index.IsScalar(0, 0)
            ? chain.SoleConsumer(gather.Output[0]) : null;
        NodeProto? concat = unsqueeze is { OpType: "Unsqueeze" } && unsqueeze.Input[0] == gather!.Output[0]
            && chain.Constant(unsqueeze, 1) is { } axes && axes.IsScalar(0, 0)
            ? chain.SoleConsumer(unsqueeze.Output[0]) : null;
        NodeProto? reshape = concat is { OpType: "Concat" } && ChainBuilder.Int(concat, "axis", 0) == 0 && concat.Input.Count == 2
            && concat.Input[0] == unsqueeze!.Output[0] && chain.Constant(concat, 1) is { } rest && rest.Values.Length == 1
            && (rest.Values[0] == -1 || rest.Values[0] == Product(chain.Shape))
            ? chain.SoleConsumer(concat.Output[0]) : null;
        if (reshape is not { OpType: "Reshape" } || reshape.Input.Count < 2 || reshape.Input[0] != x || reshape.Input[1] != concat!.Output[0]
            || ChainBuilder.Int(reshape, "allowzero", 0) != 0 || chain.Graph.Consumers(x).Count != 2)
        {
            return chain.Refuse(shape, "a Shape that is not the start of x.view(x.size(0), -1), a flatten keeping the batch dimension");
        }

        return FlattenTo(chain, shape, gather!, unsqueeze!, concat, reshape);
    }

    private static long Product(int[] shape)
    {
        long product = 1;
        foreach (int d in shape)
        {
            product *= d;
        }

        return product;
    }

    private static string? FlattenTo(ChainBuilder chain, params NodeProto[] nodes)
    {
        if (chain.Shape.Length == 1)
        {
            return chain.PassThrough(nodes);
        }

        NodeProto last = nodes[^1];
        return chain.AddLayer("Flatten", MemberSource(last.Name.Length > 0 ? last.Name : "Flatten"), [(int)Product(chain.Shape)], nodes);
    }

    private static string? LeakyRelu(ChainBuilder chain, NodeProto node)
    {
        float alpha = ChainBuilder.Float(node, "alpha", 0.01f);
        if (!float.IsFinite(alpha))
        {
            return chain.Refuse(node, "a LeakyRelu whose alpha is not finite");
        }

        return chain.AddActivation(alpha == 0.01f ? "LeakyReLU" : $"LeakyReLU({ChainBuilder.Literal(alpha)})", false, node);
    }

    /// <summary>The Gelu operator (opset 20): <c>approximate</c> "none" (erf) or "tanh".</summary>
    private static string? Gelu(ChainBuilder chain, NodeProto node) =>
        ChainBuilder.Text(node, "approximate", "none") switch
        {
            "none" => chain.AddActivation("GELU", false, node),
            "tanh" => chain.AddActivation("GELU(Approximation = GeluApproximation.Tanh)", false, node),
            var other => chain.Refuse(node, $"a Gelu with approximate = '{other}'"),
        };

    /// <summary>
    /// GELU's exact form as PyTorch exports it before opset 20: <c>Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)</c>,
    /// operands in either order; every intermediate read by the next node only.
    /// </summary>
    private static string? GeluErfForm(ChainBuilder chain, NodeProto div)
    {
        string x = chain.Current;
        if (div.Input.Count != 2 || div.Input[0] != x || chain.Constant(div, 1) is not { } root || !root.IsScalar(Sqrt2, 1e-6))
        {
            return chain.Refuse(div, "a Div that is not the x / sqrt(2) of GELU's erf form");
        }

        NodeProto? erf = chain.SoleConsumer(div.Output[0]);
        NodeProto? add = erf is { OpType: "Erf" } ? chain.SoleConsumer(erf.Output[0]) : null;
        NodeProto? mul = add is { OpType: "Add" } && IsConstantOperand(chain, add, erf!.Output[0], 1.0) ? chain.SoleConsumer(add.Output[0]) : null;
        NodeProto? half = mul is { OpType: "Mul" } && mul.Input.Count == 2 && (mul.Input[0] == x || mul.Input[1] == x) ? chain.SoleConsumer(mul.Output[0]) : null;
        if (half is not { OpType: "Mul" } || !IsConstantOperand(chain, half, mul!.Output[0], 0.5))
        {
            return chain.Refuse(div, "a Div that does not start GELU's erf form 0.5 x (1 + erf(x / sqrt 2))");
        }

        // x feeds exactly the Div and the first Mul.
        IReadOnlyList<NodeProto> readers = chain.Graph.Consumers(x);
        if (readers.Count != 2)
        {
            return chain.Refuse(div, "GELU's erf form whose input also feeds other nodes");
        }

        return chain.AddActivation("GELU", false, div, erf!, add!, mul, half);
    }

    private static bool IsConstantOperand(ChainBuilder chain, NodeProto node, string other, double value)
    {
        if (node.Input.Count != 2)
        {
            return false;
        }

        int index = node.Input[0] == other ? 1 : node.Input[1] == other ? 0 : -1;
        return index >= 0 && chain.Constant(node, index) is { } constant && constant.IsScalar(value, 0);
    }

    private static string? Softmax(ChainBuilder chain, NodeProto node, string activation)
    {
        long axis = ChainBuilder.Int(node, "axis", -1);
        if (chain.Shape.Length != 1 || axis is not (-1 or 1))
        {
            return chain.Refuse(node, $"a {activation} over axis {axis} of [batch, {Join(chain.Shape)}]; Pathwise applies it over the features of the last layer");
        }

        return chain.AddActivation(activation, true, node);
    }

    /// <summary>Dropout at inference is the identity: no training_mode input (or a constant false), and no mask read.</summary>
    private static string? Dropout(ChainBuilder chain, NodeProto node)
    {
        bool training = node.Input.Count > 2 && node.Input[2].Length > 0
            && (chain.Constant(node, 2) is not { } mode || mode.Values.Length != 1 || mode.Values[0] != 0);
        if (training || !chain.OutputUnused(node, 1))
        {
            return chain.Refuse(node, "a Dropout in training mode or whose mask is used");
        }

        return chain.PassThrough(node);
    }

    /// <summary>A constant Pad of all zeros (PyTorch writes one before some AveragePools) is the identity.</summary>
    private static string? Pad(ChainBuilder chain, NodeProto node)
    {
        ConstantTensor? pads = chain.Constant(node, 1);
        string mode = ChainBuilder.Text(node, "mode", "constant");
        if (mode != "constant" || pads is null || Array.Exists(pads.Values, p => p != 0))
        {
            return chain.Refuse(node, "a Pad that adds values (put the padding on the convolution instead)");
        }

        return chain.PassThrough(node);
    }

    private static string MemberSource(string nodeName)
    {
        // "/pool1/MaxPool" → "pool1"; "/MaxPool" → "MaxPool".
        string[] parts = nodeName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 1 ? string.Join("_", parts, 0, parts.Length - 1) : parts.Length == 1 ? parts[0] : nodeName;
    }

    private static string Join(int[] values) => string.Join(", ", values);

    private static string Join(long[] values) => string.Join(", ", values);
}
