using System;
using System.Collections.Generic;
using System.Numerics;
using Pathwise.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>
/// Weights straight from a trained TorchSharp module, with no file in between: a user's <c>nn.Module</c> whose
/// <c>state_dict</c> names and shapes match a declared network (the names PyTorch would write) loads into the
/// generated network or into a <see cref="TorchNetwork{T}"/> with every check a weights file gets.
/// </summary>
public static class TorchModuleWeights
{
    /// <summary>
    /// The module's <c>state_dict</c> as host tensors (values widened exactly to double; each tensor's
    /// <see cref="TensorData.StoredAs"/> is its torch dtype), named as <c>state_dict()</c> names them.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor has an element type Pathwise cannot read (the message names it).</exception>
    public static IReadOnlyDictionary<string, TensorData> StateDict(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        TorchDevices.EnsureNativeLoaded();
        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        foreach ((string name, Tensor tensor) in module.state_dict())
        {
            TensorDType dtype = tensor.dtype switch
            {
                ScalarType.Float32 => TensorDType.F32,
                ScalarType.Float64 => TensorDType.F64,
                ScalarType.Float16 => TensorDType.F16,
                ScalarType.BFloat16 => TensorDType.BF16,
                ScalarType.Int64 => TensorDType.I64,
                ScalarType.Int32 => TensorDType.I32,
                _ => throw new ArgumentException($"Tensor '{name}' of the module has element type {tensor.dtype}; Pathwise reads float16, bfloat16, float32, float64, int64 and int32.", nameof(module)),
            };

            var shape = new int[tensor.dim()];
            for (int i = 0; i < shape.Length; i++)
            {
                shape[i] = checked((int)tensor.shape[i]);
            }

            tensors.Add(name, new TensorData(name, shape, TorchTensors.ToDoubles(tensor), dtype));
        }

        return tensors;
    }

    /// <summary>
    /// Copies a trained module's weights into this generated network, checked as a weights file is: every declared
    /// tensor present with its shape, nothing unexpected, and (unless <paramref name="options"/> says otherwise) no
    /// value the network cannot use. On any refusal the network is untouched.
    /// </summary>
    /// <exception cref="WeightsMismatchException">Names or shapes differ; every missing, unexpected or mis-shaped tensor is named.</exception>
    /// <exception cref="WeightsValueException">A value is NaN, infinite, beyond <typeparamref name="T"/>, or a negative running variance.</exception>
    public static void LoadWeights<T>(this INetwork<T> network, nn.Module trained, WeightLoadOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(trained);
        WeightSet weights = WeightSet.Bind(StateDict(trained), network.Info.Weights, SourceName(trained));
        network.Parameters.Load(weights, options ?? WeightLoadOptions.Default);
        network.ParametersChanged();
    }

    /// <summary>
    /// Copies a trained module's weights into this TorchSharp network, with the checks of
    /// <see cref="TorchNetwork{T}.Load(IReadOnlyDictionary{string, TensorData}, string, WeightLoadOptions?)"/>.
    /// </summary>
    /// <exception cref="WeightsMismatchException">Names or shapes differ; every missing, unexpected or mis-shaped tensor is named.</exception>
    /// <exception cref="WeightsValueException">A value cannot be used; the module is untouched.</exception>
    public static void LoadWeights<T>(this TorchNetwork<T> network, nn.Module trained, WeightLoadOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(trained);
        network.Load(StateDict(trained), SourceName(trained), options);
    }

    private static string SourceName(nn.Module module) => $"module {module.GetName()}";
}
