using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;
using Pathwise.Weights;

namespace Pathwise;

/// <summary>What a parameter tensor is, which decides its default initialisation.</summary>
public enum ParameterRole
{
    /// <summary>A dense or convolution weight; initialised uniform in <c>±1/sqrt(fan_in)</c>.</summary>
    Weight,

    /// <summary>A dense or convolution bias; initialised uniform in <c>±1/sqrt(fan_in)</c>.</summary>
    Bias,

    /// <summary>A batch norm's <c>weight</c> (gamma); neutral value 1.</summary>
    NormScale,

    /// <summary>A batch norm's <c>bias</c> (beta); neutral value 0.</summary>
    NormShift,

    /// <summary>A batch norm's <c>running_mean</c>; neutral value 0.</summary>
    RunningMean,

    /// <summary>A batch norm's <c>running_var</c>; neutral value 1.</summary>
    RunningVariance,

    /// <summary>An embedding table, <c>[vocabulary, dimension]</c>; initialised standard normal, as PyTorch's <c>nn.Embedding</c>.</summary>
    Embedding,
}

/// <summary>One parameter tensor of a network: its <c>state_dict</c> name, PyTorch shape and values.</summary>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _shape;

    internal Parameter(string name, ParameterRole role, int fanIn, int[] shape, T[] values)
    {
        Name = name;
        Role = role;
        FanIn = fanIn;
        _shape = shape;
        Values = values;
    }

    /// <summary>The <c>state_dict</c> name, e.g. <c>fc1.weight</c>.</summary>
    public string Name { get; }

    /// <summary>What the tensor is.</summary>
    public ParameterRole Role { get; }

    /// <summary>Inputs feeding one output of the layer, for initialisation.</summary>
    public int FanIn { get; }

    /// <summary>The PyTorch shape.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The values, row-major; writing them changes the network (call its <c>ParametersChanged</c> after).</summary>
    public T[] Values { get; }
}

/// <summary>The parameter tensors of a generated network, in declaration order.</summary>
public sealed class ParameterSet<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Parameter<T>> _parameters = new();
    private volatile bool _set;

    /// <summary>The parameters, in declaration order.</summary>
    public IReadOnlyList<Parameter<T>> Items => _parameters;

    /// <summary>
    /// Whether the values were ever set: loaded, drawn by <see cref="Randomize"/>, or written and announced with
    /// the network's <c>ParametersChanged</c>. A set with no tensors counts as set. Until then every weight is
    /// zero and the network explains nothing, so attribution methods and prediction refuse it.
    /// </summary>
    public bool IsSet => _set || _parameters.Count == 0;

    /// <summary>Records that the values were written; called by generated <c>ParametersChanged</c>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void MarkSet() => Written();

    /// <summary>
    /// Counts the announced writes (<see cref="MarkSet"/>, <see cref="Load(WeightSet)"/>, <see cref="Randomize"/>): what is
    /// derived from the values, such as the exact rule's float64 copy, is stale once it changes.
    /// </summary>
    internal long Version => Interlocked.Read(ref _version);

    private long _version;

    private void Written()
    {
        Interlocked.Increment(ref _version);
        _set = true;
    }

    /// <summary>Registers a tensor stored in <paramref name="values"/>; called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public ParameterSet<T> Add(string name, ParameterRole role, int fanIn, int[] shape, T[] values)
    {
        int length = 1;
        foreach (int dim in shape)
        {
            length = checked(length * dim);
        }

        Guard.Length<T>(values, length, name);
        _parameters.Add(new Parameter<T>(name, role, fanIn, shape, values));
        return this;
    }

    /// <summary>A new array of <paramref name="length"/> ones (a norm's neutral scale and variance).</summary>
    public static T[] Ones(int length) => Filled(length, T.One);

    /// <summary>A new array of <paramref name="length"/> copies of <paramref name="value"/>.</summary>
    public static T[] Filled(int length, T value)
    {
        var values = new T[length];
        Array.Fill(values, value);
        return values;
    }

    /// <summary>
    /// Copies every tensor from a checked weight set, after checking every value: a NaN, an infinity, a value
    /// beyond <typeparamref name="T"/> or a negative running variance throws <see cref="WeightsValueException"/>
    /// and leaves the parameters untouched.
    /// </summary>
    /// <exception cref="WeightsValueException">A value the network cannot use; the message names the tensor and the first bad index.</exception>
    public void Load(WeightSet weights) => Load(weights, WeightLoadOptions.Default);

    /// <summary>
    /// Copies every tensor from a checked weight set; <see cref="WeightLoadOptions.CheckValues"/> decides whether
    /// the values are checked first (see <see cref="Load(WeightSet)"/>).
    /// </summary>
    /// <exception cref="WeightsValueException">Values are checked and one cannot be used; the parameters are untouched.</exception>
    public void Load(WeightSet weights, WeightLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(options);
        // Everything that can refuse the load runs before the first copy, so a refused load changes nothing.
        foreach (Parameter<T> parameter in _parameters)
        {
            weights.CheckLength(parameter.Name, parameter.Values.Length);
            if (options.CheckValues)
            {
                weights.CheckValues<T>(parameter.Name, parameter.Role);
            }
        }

        foreach (Parameter<T> parameter in _parameters)
        {
            if (typeof(T) == typeof(float))
            {
                weights.CopyTo(parameter.Name, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(parameter.Values.AsSpan()));
            }
            else
            {
                weights.CopyTo(parameter.Name, System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(parameter.Values.AsSpan()));
            }
        }

        Written();
    }

    /// <summary>Writes every tensor to a safetensors file, atomically.</summary>
    public void Save(string path, TensorDType dtype)
    {
        var tensors = new List<TensorData>(_parameters.Count);
        foreach (Parameter<T> parameter in _parameters)
        {
            var values = new double[parameter.Values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = double.CreateChecked(parameter.Values[i]);
            }

            tensors.Add(new TensorData(parameter.Name, parameter.Shape, values, dtype));
        }

        SafeTensors.Write(path, tensors, dtype);
    }

    /// <summary>
    /// Fills the tensors as PyTorch initialises them: weights and biases uniform in
    /// <c>±1/sqrt(fan_in)</c>, embedding tables standard normal (Box–Muller); norm statistics drawn around their neutral values so tests exercise them.
    /// </summary>
    public void Randomize(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Written();
        foreach (Parameter<T> parameter in _parameters)
        {
            double bound = 1.0 / Math.Sqrt(Math.Max(1, parameter.FanIn));
            for (int i = 0; i < parameter.Values.Length; i++)
            {
                double u = random.NextDouble();
                double value = parameter.Role switch
                {
                    ParameterRole.Weight or ParameterRole.Bias => (2 * u - 1) * bound,
                    ParameterRole.NormScale => 0.5 + u,
                    ParameterRole.NormShift => u - 0.5,
                    ParameterRole.RunningMean => u - 0.5,
                    ParameterRole.Embedding => Math.Sqrt(-2 * Math.Log(1 - u)) * Math.Cos(2 * Math.PI * random.NextDouble()),
                    _ => 0.5 + u,
                };
                parameter.Values[i] = T.CreateChecked(value);
            }
        }
    }
}
