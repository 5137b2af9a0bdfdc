using System;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pathwise;

/// <summary>How a <see cref="ChainStage"/> maps its input before its activation.</summary>
internal enum StageMap
{
    /// <summary><c>z = W y + b</c>, <c>W</c> <c>[outputs, inputs]</c> row-major.</summary>
    Dense,

    /// <summary><c>z_i = scale_i y_i + shift_i</c> (inference BatchNorm, per element).</summary>
    Diagonal,

    /// <summary><c>z = y</c> (a view carrying an activation).</summary>
    Identity,
}

/// <summary>
/// One layer of a <see cref="DenseChain"/> in float64: an affine map then ReLU, LeakyReLU or no activation. Immutable.
/// </summary>
internal sealed class ChainStage
{
    public ChainStage(StageMap map, int inputs, int outputs, double[] weight, double[] bias, double[] scale, ActivationKind activation, double negativeSlope)
    {
        Map = map;
        Inputs = inputs;
        Outputs = outputs;
        Weight = weight;
        Bias = bias;
        Scale = scale;
        Breaks = activation is ActivationKind.ReLU || (activation is ActivationKind.LeakyReLU && negativeSlope != 1);
        Low = activation switch
        {
            ActivationKind.ReLU => 0,
            ActivationKind.LeakyReLU => negativeSlope,
            _ => 1,
        };

        // The columns of W, contiguous: a stage fed one changed neuron at a time adds one of them.
        Columns = map == StageMap.Dense ? Transpose(weight, outputs, inputs) : [];
        NarrowColumns = Narrow(Columns);
    }

    /// <summary>
    /// Dense: <see cref="Columns"/> as float32 when every weight is a float32 value (a float32 network's, widened), else
    /// null: the same numbers in half the memory, read by <see cref="LinearSkippingZeros"/> and <see cref="TransposedAt"/>.
    /// </summary>
    public float[]? NarrowColumns { get; }

    public StageMap Map { get; }

    /// <summary>The input length (the previous stage's outputs, or the path's origin).</summary>
    public int Inputs { get; }

    public int Outputs { get; }

    /// <summary>Dense: <c>W</c>, <c>[outputs, inputs]</c>.</summary>
    public double[] Weight { get; }

    /// <summary>Dense: <c>W</c> transposed, <c>[inputs, outputs]</c>.</summary>
    public double[] Columns { get; }

    /// <summary>The bias (Dense) or shift (Diagonal) per output, or empty.</summary>
    public double[] Bias { get; }

    /// <summary>Diagonal: the scale per element.</summary>
    public double[] Scale { get; }

    /// <summary>Whether the activation has a kink at zero (ReLU, or LeakyReLU with a slope other than 1).</summary>
    public bool Breaks { get; }

    /// <summary>The activation's slope below zero: 0 for ReLU, the negative slope for LeakyReLU, 1 without activation.</summary>
    public double Low { get; }

    /// <summary><c>y = act(z)</c> elementwise, as the kernels compute it.</summary>
    public void Activate(Span<double> z)
    {
        if (Low == 1)
        {
            return;
        }

        for (int i = 0; i < z.Length; i++)
        {
            z[i] = z[i] > 0 ? z[i] : Low * z[i];
        }
    }

    /// <summary><c>destination = A source</c> (the linear part only, no bias) for <paramref name="count"/> rows.</summary>
    public void Linear(ReadOnlySpan<double> source, Span<double> destination, int count)
    {
        switch (Map)
        {
            case StageMap.Dense:
                CompilerServices.Kernels.DenseKernel.Forward<double>(source, Weight, default, destination, count, Inputs, Outputs);
                break;
            case StageMap.Diagonal:
                for (int n = 0; n < count; n++)
                {
                    for (int i = 0; i < Outputs; i++)
                    {
                        destination[(n * Outputs) + i] = Scale[i] * source[(n * Inputs) + i];
                    }
                }

                break;
            default:
                source.Slice(0, count * Inputs).CopyTo(destination);
                break;
        }
    }

    /// <summary>
    /// <c>destination = A source</c> (no bias) for one row, reading only the columns where <paramref name="source"/> is not zero.
    /// </summary>
    public void LinearSkippingZeros(ReadOnlySpan<double> source, Span<double> destination)
    {
        if (Map != StageMap.Dense)
        {
            Linear(source, destination, 1);
            return;
        }

        destination.Clear();
        for (int i = 0; i < Inputs; i++)
        {
            if (source[i] == 0)
            {
                continue;
            }

            if (NarrowColumns is { } narrow)
            {
                AddScaled(narrow.AsSpan(i * Outputs, Outputs), source[i], destination);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(Columns.AsSpan(i * Outputs, Outputs), source[i], destination, destination);
            }
        }
    }

    /// <summary>Element <paramref name="i"/> of <c>A^T source</c>.</summary>
    public double TransposedAt(int i, ReadOnlySpan<double> source) => Map switch
    {
        StageMap.Dense => NarrowColumns is { } narrow ? Dot(narrow.AsSpan(i * Outputs, Outputs), source) : TensorPrimitives.Dot(Columns.AsSpan(i * Outputs, Outputs), source),
        StageMap.Diagonal => Scale[i] * source[i],
        _ => source[i],
    };

    /// <summary><c>destination = A^T source</c>, one row: the gradient at the stage's input from the one at its pre-activation.</summary>
    public void Transposed(ReadOnlySpan<double> source, Span<double> destination)
    {
        switch (Map)
        {
            case StageMap.Dense:
                CompilerServices.Kernels.DenseKernel.BackwardInput<double>(source, Weight, destination, 1, Inputs, Outputs);
                break;
            case StageMap.Diagonal:
                for (int i = 0; i < Outputs; i++)
                {
                    destination[i] = Scale[i] * source[i];
                }

                break;
            default:
                source.Slice(0, Outputs).CopyTo(destination);
                break;
        }
    }

    /// <summary><c>y += alpha x</c>, <c>x</c> widened from float32.</summary>
    private static void AddScaled(ReadOnlySpan<float> x, double alpha, Span<double> y)
    {
        int n = x.Length;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref double y0 = ref MemoryMarshal.GetReference(y);
            Vector256<double> a = Vector256.Create(alpha);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256<double> low, Vector256<double> high) = Vector256.Widen(Vector256.LoadUnsafe(ref x0, (nuint)i));
                Vector256.FusedMultiplyAdd(low, a, Vector256.LoadUnsafe(ref y0, (nuint)i)).StoreUnsafe(ref y0, (nuint)i);
                Vector256.FusedMultiplyAdd(high, a, Vector256.LoadUnsafe(ref y0, (nuint)(i + 4))).StoreUnsafe(ref y0, (nuint)(i + 4));
            }
        }

        for (; i < n; i++)
        {
            y[i] = Math.FusedMultiplyAdd(x[i], alpha, y[i]);
        }
    }

    /// <summary><c>sum_i x_i y_i</c> in float64, <c>x</c> widened from float32.</summary>
    private static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<double> y)
    {
        int n = x.Length;
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref double y0 = ref MemoryMarshal.GetReference(y);
            Vector256<double> low = Vector256<double>.Zero;
            Vector256<double> high = Vector256<double>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256<double> a, Vector256<double> b) = Vector256.Widen(Vector256.LoadUnsafe(ref x0, (nuint)i));
                low = Vector256.FusedMultiplyAdd(a, Vector256.LoadUnsafe(ref y0, (nuint)i), low);
                high = Vector256.FusedMultiplyAdd(b, Vector256.LoadUnsafe(ref y0, (nuint)(i + 4)), high);
            }

            sum = Vector256.Sum(low + high);
        }

        for (; i < n; i++)
        {
            sum = Math.FusedMultiplyAdd(x[i], y[i], sum);
        }

        return sum;
    }

    private static float[]? Narrow(double[] values)
    {
        if (values.Length == 0)
        {
            return null;
        }

        var narrow = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            narrow[i] = (float)values[i];
            if (narrow[i] != values[i])
            {
                return null;
            }
        }

        return narrow;
    }

    private static double[] Transpose(double[] weight, int rows, int columns)
    {
        var result = new double[weight.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = weight[(r * columns) + c];
            }
        }

        return result;
    }
}

/// <summary>
/// The layers above a path's origin when they form a chain of affine maps (Dense, BatchNorm, views), each followed by
/// ReLU, LeakyReLU or no activation: the float64 network <see cref="ChainSweep"/> sweeps along the straight path,
/// event by event, instead of evaluating it piece by piece. Immutable, so one chain serves every thread.
/// </summary>
internal sealed class DenseChain
{
    public DenseChain(ChainStage[] stages)
    {
        Stages = stages;
        First = -1;
        Top = -1;
        for (int q = 0; q < stages.Length; q++)
        {
            if (stages[q].Breaks)
            {
                First = First < 0 ? q : First;
                Top = q;
            }
        }
    }

    public ChainStage[] Stages { get; }

    /// <summary>The origin's length (the path's dimension).</summary>
    public int Inputs => Stages[0].Inputs;

    /// <summary>The network output's length.</summary>
    public int Outputs => Stages[^1].Outputs;

    /// <summary>The first stage with a kink, or -1: its pre-activations are lines fixed for the whole path.</summary>
    public int First { get; }

    /// <summary>The last stage with a kink, or -1: no stage above it can break the path.</summary>
    public int Top { get; }
}
