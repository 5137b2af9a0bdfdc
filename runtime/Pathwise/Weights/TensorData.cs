using System;

namespace Pathwise.Weights;

/// <summary>
/// One named tensor with its values in row-major order, converted to <see cref="double"/>:
/// element <c>(i0, i1, ..., ik)</c> sits at <c>Values[((i0 × Shape[1] + i1) × Shape[2] + ...) + ik]</c>.
/// </summary>
/// <remarks>Immutable: shape and values are read through read-only spans.</remarks>
public sealed class TensorData
{
    private readonly int[] _shape;
    private readonly double[] _values;

    /// <summary>
    /// Creates a tensor. <paramref name="values"/> is kept, not copied (the tensor owns it from then on); <paramref name="shape"/> is copied.
    /// </summary>
    /// <param name="name">The tensor's name in the file, such as <c>fc1.weight</c>.</param>
    /// <param name="shape">The dimensions, outermost first; <c>[]</c> for a scalar.</param>
    /// <param name="values">The elements in row-major order; <c>values.Length</c> must equal the product of <paramref name="shape"/>.</param>
    /// <param name="storedAs">The element type the values were read from or are meant for.</param>
    /// <exception cref="ArgumentException">A dimension is negative, or the value count does not match the shape.</exception>
    public TensorData(string name, ReadOnlySpan<int> shape, double[] values, TensorDType storedAs = TensorDType.F64)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(values);
        if (!Enum.IsDefined(storedAs))
        {
            throw new ArgumentOutOfRangeException(nameof(storedAs), storedAs, "Unknown tensor dtype.");
        }

        long count = ElementCount(name, shape);
        if (count != values.Length)
        {
            throw new ArgumentException(
                $"Tensor '{name}' has shape {Shapes.Format(shape)} ({count} elements) but {values.Length} values were given.",
                nameof(values));
        }

        Name = name;
        _shape = shape.ToArray();
        _values = values;
        StoredAs = storedAs;
    }

    /// <summary>The tensor's name in the file, such as <c>fc1.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The elements in row-major order; <c>Values.Length</c> is the product of <see cref="Shape"/>.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>The element type in the file this tensor came from (or <see cref="TensorDType.F64"/> / <see cref="TensorDType.F32"/> for built tensors).</summary>
    public TensorDType StoredAs { get; }

    /// <summary>Builds a tensor from single-precision values (copied, widened exactly); <see cref="StoredAs"/> is <see cref="TensorDType.F32"/>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or the value count does not match the shape.</exception>
    public static TensorData From(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        var widened = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            widened[i] = values[i];
        }

        return new TensorData(name, shape, widened, TensorDType.F32);
    }

    /// <summary>Builds a tensor from double-precision values (copied); <see cref="StoredAs"/> is <see cref="TensorDType.F64"/>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or the value count does not match the shape.</exception>
    public static TensorData From(string name, ReadOnlySpan<int> shape, ReadOnlySpan<double> values) =>
        new(name, shape, values.ToArray(), TensorDType.F64);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {TensorDTypeInfo.NameOf(StoredAs)} {Shapes.Format(_shape)}";

    private static long ElementCount(string name, ReadOnlySpan<int> shape)
    {
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentException(
                    $"Tensor '{name}' has negative dimension {shape[i]} at index {i} in shape {Shapes.Format(shape)}.",
                    nameof(shape));
            }

            if (shape[i] == 0)
            {
                // Empty whatever the other dimensions are, such as [2147483647, 2147483647, 3, 0].
                return 0;
            }
        }

        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            // Each factor is below 2^31, so the product of a valid shape fits until it passes Array.MaxLength.
            count *= shape[i];
            if (count > Array.MaxLength)
            {
                throw new ArgumentException(
                    $"Tensor '{name}' with shape {Shapes.Format(shape)} has more elements than an array can hold.",
                    nameof(shape));
            }
        }

        return count;
    }
}
