using System;
using System.Collections.Generic;
using System.Numerics;
using Pathwise.CompilerServices;
using Pathwise.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// A generated network rebuilt as a TorchSharp module: the same layers in the same order, with the same
/// <c>state_dict</c> names (<c>fc1.weight</c>, <c>conv1.bias</c>, <c>bn.running_mean</c>, ...) and PyTorch
/// layouts, on any torch device. <c>forward</c> maps a batch <c>[n, C, H, W]</c> or <c>[n, features]</c> to
/// <c>[n, ...output shape]</c>, so <c>y = module(x)</c> equals the generated network's forward pass.
/// </summary>
/// <remarks>
/// Batch norms always run in inference form, <c>y = (x - running_mean) / sqrt(running_var + eps) * weight + bias</c>,
/// whatever <c>train()</c> says, because attributions explain a fixed function. Parameters are created with
/// <c>requires_grad = false</c>: the module exists to differentiate with respect to its input.
/// </remarks>
public sealed class TorchNetwork<T> : nn.Module<Tensor, Tensor> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const string BatchCounterSuffix = ".num_batches_tracked";

    private readonly Step[] _steps;
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly long[] _inputDimensions;

    /// <summary>Builds the module for <paramref name="info"/> on <paramref name="device"/> (default CPU) and copies <paramref name="parameters"/> into it.</summary>
    /// <param name="info">The generated network's info, <c>network.Info</c>.</param>
    /// <param name="parameters">The generated network's tensors, <c>network.Parameters</c>.</param>
    /// <param name="device">The torch device, e.g. from <see cref="TorchDevices.Resolve"/>.</param>
    /// <exception cref="ArgumentException">The parameters do not match the network info (the message names the tensor).</exception>
    public TorchNetwork(NetworkInfo info, ParameterSet<T> parameters, Device? device = null)
        : this(info, device)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        LoadParameters(parameters);
    }

    /// <summary>Builds the module on the device named <paramref name="device"/> ("cpu", "cuda", "cuda:N") and copies <paramref name="parameters"/> into it.</summary>
    /// <exception cref="InvalidOperationException">The device is unavailable; the message says what to install.</exception>
    public TorchNetwork(NetworkInfo info, ParameterSet<T> parameters, string device)
        : this(info, parameters, TorchDevices.Resolve(device))
    {
    }

    /// <summary>Builds the module for <paramref name="info"/> with neutral parameters (zero weights, identity batch norms); load weights before use.</summary>
    public TorchNetwork(NetworkInfo info, Device? device = null)
        : base(NameOf(info))
    {
        TorchDevices.EnsureNativeLoaded();
        CheckPrecision(info);
        Info = info;
        Device = device ?? CPU;
        DType = TorchTensors.ScalarTypeOf<T>();
        _inputDimensions = TorchTensors.BatchDimensions(info.Input.OutputShape, -1);

        _steps = new Step[info.Layers.Count - 1];
        for (int i = 1; i < info.Layers.Count; i++)
        {
            Layer layer = info.Layers[i];
            nn.Module? operation = CreateOperation(layer);
            if (operation is not null)
            {
                Register(layer.WeightName!, operation);
            }

            _steps[i - 1] = new Step(layer, operation);
        }

        foreach ((string name, Parameter parameter) in named_parameters())
        {
            parameter.requires_grad_(false);
            _tensors.Add(name, parameter);
        }

        foreach ((string name, Tensor buffer) in named_buffers())
        {
            _tensors.Add(name, buffer);
        }

        CheckNamesAgainstInfo();
        using (no_grad())
        {
            foreach (WeightTensorSpec spec in info.Weights)
            {
                // Neutral values: zero weights, unit scales and variances.
                Tensor tensor = _tensors[spec.Name];
                bool one = spec.Role is ParameterRole.RunningVariance or ParameterRole.NormScale;
                tensor.fill_(one ? 1.0 : 0.0);
            }
        }

        eval();
    }

    /// <summary>The generated network's info this module mirrors.</summary>
    public NetworkInfo Info { get; }

    /// <summary>The device holding the parameters; inputs are moved here.</summary>
    public Device Device { get; }

    /// <summary>The element type, <see cref="ScalarType.Float32"/> or <see cref="ScalarType.Float64"/>.</summary>
    public ScalarType DType { get; }

    /// <summary>The module's parameters and buffers by <c>state_dict</c> name (batch-norm counters included).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>
    /// Runs every layer: <paramref name="input"/> is <c>[n, ...input shape]</c> (or <c>[n, input length]</c>),
    /// the result <c>[n, ...output shape]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A row of <paramref name="input"/> does not hold the input's element count.</exception>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() < 1 || (input.shape[0] > 0 && input.numel() != input.shape[0] * Info.InputLength))
        {
            throw new ArgumentException(
                $"Expected input of shape [n, {string.Join(", ", Info.Input.OutputShape.Dimensions)}] (or [n, {Info.InputLength}]); got [{string.Join(", ", input.shape)}].",
                nameof(input));
        }

        using var scope = NewDisposeScope();
        var activations = new Tensor[_steps.Length + 1];
        activations[0] = input.reshape(_inputDimensions);
        for (int i = 0; i < _steps.Length; i++)
        {
            activations[i + 1] = Apply(_steps[i], activations);
        }

        return activations[^1].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs every layer and returns every layer's activation: element <c>i</c> is the output of
    /// <c>Info.Layers[i]</c>, <c>[n, ...that layer's shape]</c>, and element 0 is the input itself reshaped to
    /// <c>[n, ...input shape]</c>. All stay in one autograd graph, so gradients and tangents can be taken at any
    /// layer; the last element equals <see cref="forward"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A row of <paramref name="input"/> does not hold the input's element count.</exception>
    public Tensor[] ForwardAll(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() < 1 || (input.shape[0] > 0 && input.numel() != input.shape[0] * Info.InputLength))
        {
            throw new ArgumentException(
                $"Expected input of shape [n, {string.Join(", ", Info.Input.OutputShape.Dimensions)}] (or [n, {Info.InputLength}]); got [{string.Join(", ", input.shape)}].",
                nameof(input));
        }

        var activations = new Tensor[_steps.Length + 1];
        using var scope = NewDisposeScope();
        activations[0] = input.reshape(_inputDimensions);
        for (int i = 0; i < _steps.Length; i++)
        {
            activations[i + 1] = Apply(_steps[i], activations);
        }

        // Pre-activations and other intermediates die with the scope; autograd keeps what it needs. A layer may
        // hand back its input object unchanged, so each distinct tensor moves out exactly once.
        MoveOut(activations, 0);
        return activations;
    }

    /// <summary>
    /// Runs the layers above <paramref name="from"/> on <paramref name="values"/>, <c>[n, ...from's shape]</c>: element
    /// <c>i</c> is the output of <c>Info.Layers[i]</c> for <c>i &gt;= from.Index</c> (element <c>from.Index</c> is
    /// <paramref name="values"/> reshaped), in one autograd graph; the elements below are null. When a skip connection
    /// passes over <paramref name="from"/>, the layers above read each layer below it that they skip from
    /// <paramref name="held"/> (indexed by layer, one row each, the same for every point).
    /// </summary>
    /// <exception cref="ArgumentException">A skip connection passes over <paramref name="from"/> and <paramref name="held"/> lacks a layer it skips from.</exception>
    internal Tensor[] ForwardAllFrom(Layer from, Tensor values, Tensor?[]? held = null)
    {
        Info.CheckOwns(from);
        Layer[] skipped = Info.SkippedOver(from);
        foreach (Layer layer in skipped)
        {
            if (held is null || held[layer.Index] is null)
            {
                Info.CheckSeparates(from, nameof(from));
            }
        }

        var activations = new Tensor[_steps.Length + 1];
        using var scope = NewDisposeScope();
        activations[from.Index] = values.reshape(TorchTensors.BatchDimensions(from.OutputShape, -1));
        long count = activations[from.Index].shape[0];
        foreach (Layer layer in skipped)
        {
            activations[layer.Index] = held![layer.Index]!.expand(TorchTensors.BatchDimensions(layer.OutputShape, count));
        }

        for (int i = from.Index; i < _steps.Length; i++)
        {
            activations[i + 1] = Apply(_steps[i], activations);
        }

        MoveOut(activations, from.Index);
        return activations;
    }

    /// <summary>Moves each distinct tensor of <paramref name="activations"/> from <paramref name="first"/> on out of the scope, once.</summary>
    private static void MoveOut(Tensor[] activations, int first)
    {
        for (int i = first; i < activations.Length; i++)
        {
            bool seen = false;
            for (int j = first; j < i && !seen; j++)
            {
                seen = ReferenceEquals(activations[i], activations[j]);
            }

            if (!seen)
            {
                activations[i].MoveToOuterDisposeScope();
            }
        }
    }

    /// <summary>Copies the generated network's current parameter values into the module.</summary>
    /// <exception cref="ArgumentException">A tensor is missing on either side or has another shape; the message names it.</exception>
    /// <exception cref="InvalidOperationException">The parameters were never set (all zeros).</exception>
    public void LoadParameters(ParameterSet<T> parameters)
    {
        Guard.WeightsSet(parameters, Info.Name);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (Parameter<T> parameter in parameters.Items)
        {
            if (!_tensors.TryGetValue(parameter.Name, out Tensor? target) || parameter.Name.EndsWith(BatchCounterSuffix, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Parameter '{parameter.Name}' has no tensor of that name in the torch module of {Info.Name}.", nameof(parameters));
            }

            CheckShape(parameter.Name, target, parameter.Shape, "the parameter set");
            target.copy_(TorchTensors.FromValues<T>(parameter.Values, parameter.Shape).to(Device));
            seen.Add(parameter.Name);
        }

        foreach (WeightTensorSpec spec in Info.Weights)
        {
            if (!seen.Contains(spec.Name))
            {
                throw new ArgumentException($"The parameter set has no tensor '{spec.Name}' that {Info.Name} declares.", nameof(parameters));
            }
        }
    }

    /// <summary>Loads the weights file at <paramref name="path"/>, safetensors or a PyTorch <c>state_dict</c> zip (as <see cref="WeightsFile.Read(string)"/> reads it), checking every name and shape.</summary>
    /// <exception cref="WeightsFormatException">The file is corrupt or truncated.</exception>
    /// <exception cref="WeightsMismatchException">The file's tensors do not match the network; every missing, unexpected or mis-shaped tensor is named.</exception>
    /// <exception cref="WeightsValueException">Values are checked (the default) and one cannot be used; the module is untouched.</exception>
    public void LoadWeights(string path, WeightLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Load(WeightsFile.Read(path), path, options);
    }

    /// <summary>
    /// Copies tensors read from a weights file, checked against <see cref="NetworkInfo.Weights"/> and, unless
    /// <paramref name="options"/> says otherwise, checked for values the network cannot use, exactly as the
    /// generated network checks them.
    /// </summary>
    /// <exception cref="WeightsMismatchException">The tensors do not match the network; every problem is named.</exception>
    /// <exception cref="WeightsValueException">Values are checked (the default) and one cannot be used; the module is untouched.</exception>
    public void Load(IReadOnlyDictionary<string, TensorData> tensors, string sourceName, WeightLoadOptions? options = null)
    {
        WeightSet weights = WeightSet.Bind(tensors, Info.Weights, sourceName);
        if ((options ?? WeightLoadOptions.Default).CheckValues)
        {
            foreach (WeightTensorSpec spec in Info.Weights)
            {
                if (weights.Tensors.ContainsKey(spec.Name))
                {
                    weights.CheckValues<T>(spec.Name, spec.Role);
                }
            }
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (WeightTensorSpec spec in Info.Weights)
        {
            if (!weights.Tensors.TryGetValue(spec.Name, out TensorData? data))
            {
                continue; // a declared batch counter the file omits
            }

            Tensor target = _tensors[spec.Name];
            CheckShape(spec.Name, target, data.Shape, sourceName);
            target.copy_(TorchTensors.FromDoubles(data.Values, data.Shape, target.dtype).to(Device));
        }
    }

    /// <summary>Copies <c>count</c> points, row-major <c>[count, input length]</c>, to a <c>[count, ...input shape]</c> tensor on <see cref="Device"/>.</summary>
    public Tensor InputTensor(ReadOnlySpan<T> points, int count)
    {
        Guard.Length(points, count * Info.InputLength, nameof(points));
        return TorchTensors.FromValues<T>(points.ToArray(), TorchTensors.BatchDimensions(Info.Input.OutputShape, count)).to(Device);
    }

    /// <summary>Layer <c>step.Layer</c> on the activations of the layers below it (it reads those its <see cref="Layer.Sources"/> name).</summary>
    private Tensor Apply(Step step, Tensor[] activations)
    {
        Layer layer = step.Layer;
        Tensor x = activations[layer.Sources[0]];
        Tensor z = layer.Kind switch
        {
            LayerKind.Dense or LayerKind.Conv2D or LayerKind.Conv1D or LayerKind.LayerNorm => ((nn.Module<Tensor, Tensor>)step.Operation!).call(x),
            LayerKind.BatchNorm => BatchNorm(layer, (nn.Module)step.Operation!, x),
            LayerKind.MaxPool2D => nn.functional.max_pool2d(x, layer.Kernel, layer.Stride),
            LayerKind.AvgPool2D => nn.functional.avg_pool2d(x, layer.Kernel, layer.Stride),
            LayerKind.Flatten => x.flatten(1),
            LayerKind.GlobalAvgPool2D => x.mean([2, 3], keepdim: true),
            LayerKind.Embedding => ((nn.Module<Tensor, Tensor>)step.Operation!).call(TokenIds(layer, x)),
            LayerKind.SequenceMean => x.mean([1]),
            LayerKind.GlobalAvgPool1D => x.mean([2], keepdim: true),
            LayerKind.Activation or LayerKind.Identity or LayerKind.Dropout => x,
            LayerKind.Add => Sum(layer, activations),
            // Along dim 1: channels of [n, C, H, W] and [n, C, L], features of [n, F].
            LayerKind.Concat => cat(Gather(layer, activations), 1),
            _ => throw new NotSupportedException($"Layer '{layer.Name}' has kind {layer.Kind}, which the TorchSharp backend does not support."),
        };

        return layer.Activation switch
        {
            ActivationKind.None => z,
            ActivationKind.ReLU => nn.functional.relu(z),
            ActivationKind.LeakyReLU => nn.functional.leaky_relu(z, layer.NegativeSlope),
            ActivationKind.Tanh => z.tanh(),
            ActivationKind.Sigmoid => z.sigmoid(),
            ActivationKind.Gelu => nn.functional.gelu(z),
            ActivationKind.GeluTanh => nn.functional.gelu(z, GELU.Approximate.tanh),
            // Over all of the layer's features, as the generated kernels do; dim 1 for a flat layer.
            ActivationKind.Softmax => nn.functional.softmax(z.flatten(1), 1).reshape(z.shape),
            ActivationKind.LogSoftmax => nn.functional.log_softmax(z.flatten(1), 1).reshape(z.shape),
            _ => throw new NotSupportedException($"Layer '{layer.Name}' has activation {layer.Activation}, which the TorchSharp backend does not support."),
        };
    }

    /// <summary>
    /// The token ids of <paramref name="x"/> (<c>[n, T]</c>, the element type) as int64, after the check the CPU kernel
    /// makes: every id an integer in <c>[0, vocabulary)</c>, else the same message naming the point, position and value.
    /// </summary>
    private Tensor TokenIds(Layer layer, Tensor x)
    {
        int vocabulary = Vocabulary(layer);
        using (no_grad())
        {
            using Tensor bad = (x != x.floor()).logical_or(x < 0).logical_or(x >= vocabulary).flatten();
            if (bad.any().item<bool>())
            {
                long first = bad.nonzero()[0, 0].item<long>();
                int length = layer.InputShape.Length;
                double value = x.flatten()[first].to_type(ScalarType.Float64).item<double>();
                Pathwise.CompilerServices.Kernels.EmbeddingKernel.TokenId(value, vocabulary, (int)(first / length), (int)(first % length));
            }
        }

        return x.to_type(ScalarType.Int64);
    }

    /// <summary>An embedding's vocabulary: the rows of its declared <c>weight</c> tensor.</summary>
    private int Vocabulary(Layer layer)
    {
        string name = layer.WeightName + ".weight";
        foreach (WeightTensorSpec spec in Info.Weights)
        {
            if (spec.Name == name)
            {
                return spec.Shape[0];
            }
        }

        throw new InvalidOperationException($"{Info.Name} declares no tensor '{name}' for embedding layer '{layer.Name}'.");
    }

    private static Tensor Sum(Layer layer, Tensor[] activations)
    {
        Tensor sum = activations[layer.Sources[0]] + activations[layer.Sources[1]];
        for (int k = 2; k < layer.Sources.Count; k++)
        {
            sum = sum + activations[layer.Sources[k]];
        }

        return sum;
    }

    private static Tensor[] Gather(Layer layer, Tensor[] activations)
    {
        var parts = new Tensor[layer.Sources.Count];
        for (int k = 0; k < parts.Length; k++)
        {
            parts[k] = activations[layer.Sources[k]];
        }

        return parts;
    }

    private static Tensor BatchNorm(Layer layer, nn.Module module, Tensor x)
    {
        // Inference form whatever the training flag: the running statistics, never the batch's.
        var norm = (BatchNorm)module;
        return nn.functional.batch_norm(x, norm.running_mean!, norm.running_var!, norm.weight, norm.bias, training: false, eps: layer.Epsilon);
    }

    private nn.Module? CreateOperation(Layer layer)
    {
        TensorShape input = layer.InputShape;
        TensorShape output = layer.OutputShape;
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                RequireWeightName(layer);
                return nn.Linear(input.Length, output.Length, hasBias: layer.HasBias, device: Device, dtype: DType);
            case LayerKind.Conv2D:
                RequireWeightName(layer);
                Require(layer, layer.Kernel > 0 && layer.Stride > 0 && layer.Padding >= 0 && layer.Dilation > 0 && layer.KernelWidth > 0 && layer.StrideWidth > 0
                    && layer.PaddingWidth >= 0 && layer.DilationWidth > 0 && layer.Groups > 0, "kernel, stride, padding, dilation and groups");
                return nn.Conv2d(input.Channels, output.Channels, (layer.Kernel, layer.KernelWidth), stride: (layer.Stride, layer.StrideWidth),
                    padding: (layer.Padding, layer.PaddingWidth), dilation: (layer.Dilation, layer.DilationWidth), groups: layer.Groups,
                    bias: layer.HasBias, device: Device, dtype: DType);
            case LayerKind.Conv1D:
                RequireWeightName(layer);
                Require(layer, layer.Kernel > 0 && layer.Stride > 0 && layer.Padding >= 0 && layer.Dilation > 0 && layer.Groups > 0, "kernel, stride, padding, dilation and groups");
                return nn.Conv1d(input.Channels, output.Channels, layer.Kernel, stride: layer.Stride, padding: layer.Padding, dilation: layer.Dilation,
                    groups: layer.Groups, bias: layer.HasBias, device: Device, dtype: DType);
            case LayerKind.BatchNorm:
                RequireWeightName(layer);
                Require(layer, layer.Epsilon > 0, "epsilon");
                return output.Rank == 1
                    ? nn.BatchNorm1d(output.Channels, eps: layer.Epsilon, device: Device, dtype: DType)
                    : nn.BatchNorm2d(output.Channels, eps: layer.Epsilon, device: Device, dtype: DType);
            case LayerKind.LayerNorm:
                RequireWeightName(layer);
                Require(layer, layer.Epsilon > 0 && output.Rank == 1, "epsilon and flat shape");
                return nn.LayerNorm([output.Length], eps: layer.Epsilon, device: Device, dtype: DType);
            case LayerKind.MaxPool2D:
            case LayerKind.AvgPool2D:
                Require(layer, layer.Kernel > 0 && layer.Stride > 0, "kernel and stride");
                return null;
            case LayerKind.Embedding:
                RequireWeightName(layer);
                Require(layer, input.Rank == 1 && output.Rank == 2, "token-id input and [length, dimension] output");
                return nn.Embedding(Vocabulary(layer), output.Width, device: Device, dtype: DType);
            case LayerKind.SequenceMean:
            case LayerKind.Flatten:
            case LayerKind.Activation:
            case LayerKind.Identity:
            case LayerKind.Dropout:
            case LayerKind.GlobalAvgPool2D:
            case LayerKind.Add:
            case LayerKind.Concat:
            case LayerKind.GlobalAvgPool1D:
                return null;
            default:
                throw new NotSupportedException($"Layer '{layer.Name}' has kind {layer.Kind}, which the TorchSharp backend does not support.");
        }
    }

    // Registers under a state_dict prefix, nesting containers for dotted prefixes such as "features.0".
    private void Register(string prefix, nn.Module module)
    {
        string[] parts = prefix.Split('.');
        nn.Module parent = this;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            nn.Module? existing = null;
            foreach ((string name, nn.Module child) in parent.named_children())
            {
                if (name == parts[i])
                {
                    existing = child;
                }
            }

            if (existing is null)
            {
                existing = new Container(parts[i]);
                parent.register_module(parts[i], existing);
            }

            parent = existing;
        }

        parent.register_module(parts[^1], module);
    }

    private void CheckNamesAgainstInfo()
    {
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (WeightTensorSpec spec in Info.Weights)
        {
            declared.Add(spec.Name);
            if (!_tensors.TryGetValue(spec.Name, out Tensor? tensor))
            {
                throw new InvalidOperationException($"{Info.Name} declares tensor '{spec.Name}' but the torch module has none of that name.");
            }

            CheckShape(spec.Name, tensor, spec.Shape, Info.Name + "'s info");
        }

        foreach (string name in _tensors.Keys)
        {
            if (!declared.Contains(name) && !name.EndsWith(BatchCounterSuffix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The torch module has tensor '{name}' that {Info.Name} does not declare.");
            }
        }
    }

    private static void CheckShape(string name, Tensor target, ReadOnlySpan<int> shape, string source)
    {
        bool equal = target.dim() == shape.Length;
        for (int i = 0; equal && i < shape.Length; i++)
        {
            equal = target.shape[i] == shape[i];
        }

        if (!equal)
        {
            throw new ArgumentException($"Tensor '{name}': the torch module has shape [{string.Join(", ", target.shape)}], {source} has [{string.Join(", ", shape.ToArray())}].");
        }
    }

    private static string NameOf(NetworkInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.Name;
    }

    private static void CheckPrecision(NetworkInfo info)
    {
        Precision expected = typeof(T) == typeof(double) ? Precision.Float64 : Precision.Float32;
        if (info.Precision != expected)
        {
            throw new ArgumentException($"Network {info.Name} is {info.Precision}; a TorchNetwork<{typeof(T).Name}> needs {expected}.", nameof(info));
        }
    }

    private static void RequireWeightName(Layer layer) =>
        Require(layer, !string.IsNullOrEmpty(layer.WeightName), "weight name");

    private static void Require(Layer layer, bool condition, string what)
    {
        if (!condition)
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' ({layer.Kind}) does not carry its {what}; regenerate the network with a Pathwise generator that describes layer settings.");
        }
    }

    private sealed record Step(Layer Layer, nn.Module? Operation);

    /// <summary>A parameterless module that only groups children, for dotted <c>state_dict</c> prefixes.</summary>
    private sealed class Container : nn.Module
    {
        public Container(string name) : base(name)
        {
        }
    }
}
