using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;

namespace Pathwise.Weights;

/// <summary>
/// The checked result of binding a weights file to a network's declaration: every declared tensor is present
/// with exactly the declared shape, and the file holds nothing else. PyTorch's BatchNorm counters
/// (names ending in <c>.num_batches_tracked</c>) are neither required nor reported as unexpected.
/// </summary>
public sealed class WeightSet
{
    private const string IgnoredSuffix = ".num_batches_tracked";

    private readonly Dictionary<string, TensorData> _tensors;

    private WeightSet(Dictionary<string, TensorData> tensors, string sourceName)
    {
        _tensors = tensors;
        SourceName = sourceName;
    }

    /// <summary>The bound tensors by name: every declared tensor, plus declared <c>num_batches_tracked</c> counters the file holds.</summary>
    public IReadOnlyDictionary<string, TensorData> Tensors => _tensors;

    /// <summary>The file path or other name the weights came from.</summary>
    public string SourceName { get; }

    /// <summary>
    /// Reads the safetensors or PyTorch checkpoint (<c>torch.save(state_dict)</c>) file at <paramref name="path"/>,
    /// the format told by its content (<see cref="WeightsFile.Read(string)"/>), and binds it to <paramref name="schema"/>.
    /// </summary>
    /// <exception cref="WeightsFormatException">The file is corrupt, truncated or refused.</exception>
    /// <exception cref="WeightsMismatchException">The file's tensors do not match <paramref name="schema"/>; every problem is listed.</exception>
    public static WeightSet Load(string path, IReadOnlyList<WeightTensorSpec> schema) =>
        Bind(WeightsFile.Read(path), schema, path);

    /// <summary>
    /// Checks <paramref name="tensors"/> against <paramref name="schema"/>: each declared name present with the exact
    /// declared shape, no undeclared names. Collects every missing, unexpected and mismatched tensor before throwing.
    /// </summary>
    /// <param name="tensors">Tensors by name, as <see cref="SafeTensors.Read(string)"/> returns them.</param>
    /// <param name="schema">The tensors the network declares; names must be distinct.</param>
    /// <param name="sourceName">Where the tensors came from, for messages.</param>
    /// <exception cref="WeightsMismatchException">One or more problems; all are listed.</exception>
    /// <exception cref="ArgumentException">The schema names a tensor twice or has a null entry.</exception>
    public static WeightSet Bind(
        IReadOnlyDictionary<string, TensorData> tensors,
        IReadOnlyList<WeightTensorSpec> schema,
        string sourceName)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(sourceName);

        var declared = new HashSet<string>(StringComparer.Ordinal);
        var bound = new Dictionary<string, TensorData>(schema.Count, StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatched = new List<string>();
        var missingProblems = new List<string>();
        var mismatchProblems = new List<string>();

        foreach (WeightTensorSpec spec in schema)
        {
            if (spec is null)
            {
                throw new ArgumentException("The schema contains a null entry.", nameof(schema));
            }

            if (!declared.Add(spec.Name))
            {
                throw new ArgumentException($"The schema declares tensor '{spec.Name}' more than once.", nameof(schema));
            }

            bool ignored = spec.Name.EndsWith(IgnoredSuffix, StringComparison.Ordinal);
            if (!tensors.TryGetValue(spec.Name, out TensorData? tensor))
            {
                if (!ignored)
                {
                    missing.Add(spec.Name);
                    missingProblems.Add($"missing tensor '{spec.Name}' (expected shape {Shapes.Format(spec.Shape)})");
                }

                continue;
            }

            if (!Shapes.AreEqual(tensor.Shape, spec.Shape))
            {
                if (!ignored)
                {
                    mismatched.Add(spec.Name);
                    mismatchProblems.Add($"tensor '{spec.Name}': expected shape {Shapes.Format(spec.Shape)}, found {Shapes.Format(tensor.Shape)}");
                }

                continue;
            }

            bound.Add(spec.Name, tensor);
        }

        var unexpected = new List<string>();
        foreach (string name in tensors.Keys)
        {
            if (!declared.Contains(name) && !name.EndsWith(IgnoredSuffix, StringComparison.Ordinal))
            {
                unexpected.Add(name);
            }
        }

        unexpected.Sort(StringComparer.Ordinal);
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var problems = new List<string>(missingProblems);
            foreach (string name in unexpected)
            {
                problems.Add($"unexpected tensor '{name}' (shape {Shapes.Format(tensors[name].Shape)})");
            }

            problems.AddRange(mismatchProblems);
            throw new WeightsMismatchException(sourceName, missing, unexpected, mismatched, problems);
        }

        return new WeightSet(bound, sourceName);
    }

    /// <summary>Copies tensor <paramref name="name"/> into <paramref name="destination"/>: <c>destination[i] = (float)Values[i]</c>, rounded to nearest even.</summary>
    /// <exception cref="KeyNotFoundException">No bound tensor has that name.</exception>
    /// <exception cref="ArgumentException"><c>destination.Length</c> differs from the tensor's element count.</exception>
    public void CopyTo(string name, Span<float> destination)
    {
        ReadOnlySpan<double> values = Find(name, destination.Length);
        for (int i = 0; i < values.Length; i++)
        {
            destination[i] = (float)values[i];
        }
    }

    /// <summary>Throws as <see cref="CopyTo(string, Span{double})"/> would for a destination of <paramref name="length"/> elements, copying nothing.</summary>
    internal void CheckLength(string name, int length) => Find(name, length);

    /// <summary>Copies tensor <paramref name="name"/> into <paramref name="destination"/>: <c>destination[i] = Values[i]</c>.</summary>
    /// <exception cref="KeyNotFoundException">No bound tensor has that name.</exception>
    /// <exception cref="ArgumentException"><c>destination.Length</c> differs from the tensor's element count.</exception>
    public void CopyTo(string name, Span<double> destination) =>
        Find(name, destination.Length).CopyTo(destination);

    /// <summary>
    /// Checks that a network of element type <typeparamref name="T"/> can use every value of tensor
    /// <paramref name="name"/>: no NaN, no infinity, nothing beyond <typeparamref name="T"/>'s range, and for a
    /// <see cref="ParameterRole.RunningVariance"/> nothing negative. Called for each parameter before any is copied.
    /// </summary>
    /// <exception cref="WeightsValueException">The first bad value, with the tensor's name and its flat index.</exception>
    /// <exception cref="KeyNotFoundException">No bound tensor has that name.</exception>
    public void CheckValues<T>(string name, ParameterRole role) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<double> values = Find(name, destinationLength: null);
        for (int i = 0; i < values.Length; i++)
        {
            double value = values[i];
            if (!T.IsFinite(T.CreateTruncating(value)))
            {
                throw new WeightsValueException(SourceName, name, i, value, double.IsFinite(value)
                    ? $"is {value.ToString("R", CultureInfo.InvariantCulture)}, beyond the range of {typeof(T).Name}"
                    : $"is {(double.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity")}");
            }

            if (role == ParameterRole.RunningVariance && value < 0)
            {
                throw new WeightsValueException(SourceName, name, i, value,
                    $"is {value.ToString("R", CultureInfo.InvariantCulture)}, but a batch-norm running variance cannot be negative");
            }
        }
    }

    private ReadOnlySpan<double> Find(string name, int? destinationLength)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_tensors.TryGetValue(name, out TensorData? tensor))
        {
            throw new KeyNotFoundException($"Weights from '{SourceName}' have no tensor '{name}'.");
        }

        if (destinationLength is int length && tensor.Values.Length != length)
        {
            throw new ArgumentException(
                $"Destination has length {length} but tensor '{name}' {Shapes.Format(tensor.Shape)} has {tensor.Values.Length} elements.",
                "destination");
        }

        return tensor.Values;
    }
}
