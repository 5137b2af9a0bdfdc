using System;
using System.Numerics;
using static TorchSharp.torch;

namespace Pathwise.TorchSharp;

/// <summary>Conversions between managed arrays of <c>T</c> and torch tensors.</summary>
internal static class TorchTensors
{
    /// <summary>The torch element type of <typeparamref name="T"/>.</summary>
    public static ScalarType ScalarTypeOf<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(double) ? ScalarType.Float64
        : typeof(T) == typeof(float) ? ScalarType.Float32
        : throw new NotSupportedException($"The TorchSharp backend supports float and double, not {typeof(T).Name}.");

    /// <summary><c>[count, ...shape]</c>; <c>count = -1</c> lets torch infer the batch.</summary>
    public static long[] BatchDimensions(TensorShape shape, long count) =>
        shape.Rank switch
        {
            1 => [count, shape.Channels],
            2 => [count, shape.Channels, shape.Width],
            _ => [count, shape.Channels, shape.Height, shape.Width],
        };

    /// <summary>A new CPU tensor holding a copy of <paramref name="values"/> in <paramref name="shape"/>.</summary>
    public static Tensor FromValues<T>(T[] values, ReadOnlySpan<long> shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
        {
            return tensor((double[])values.Clone(), shape, ScalarType.Float64);
        }

        return tensor((float[])values.Clone(), shape, ScalarType.Float32);
    }

    /// <summary>A new CPU tensor holding a copy of <paramref name="values"/> in <paramref name="shape"/>.</summary>
    public static Tensor FromValues<T>(T[] values, ReadOnlySpan<int> shape) where T : unmanaged, IFloatingPointIeee754<T> =>
        FromValues(values, Longs(shape));

    /// <summary>A new CPU tensor of <paramref name="dtype"/> from <paramref name="values"/>, rounded to nearest even when narrowing.</summary>
    public static Tensor FromDoubles(ReadOnlySpan<double> values, ReadOnlySpan<int> shape, ScalarType dtype)
    {
        using Tensor wide = tensor(values.ToArray(), Longs(shape), ScalarType.Float64);
        return wide.to_type(dtype);
    }

    private static long[] Longs(ReadOnlySpan<int> shape)
    {
        var dimensions = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            dimensions[i] = shape[i];
        }

        return dimensions;
    }

    /// <summary>Copies a tensor of any element type to the host as <see cref="double"/> (exact for float32 and float64).</summary>
    public static double[] ToDoubles(Tensor source)
    {
        using Tensor host = source.detach().to(ScalarType.Float64).cpu().contiguous();
        return host.data<double>().ToArray();
    }
}
