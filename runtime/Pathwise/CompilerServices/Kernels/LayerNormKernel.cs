using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// Layer normalisation over each row's <c>F</c> features (PyTorch's <c>LayerNorm(F)</c>, ONNX's
/// <c>LayerNormalization</c> on the last axis): with <c>mu = mean_i x[i]</c>, <c>var = mean_i (x[i] - mu)^2</c> (biased,
/// as PyTorch) and <c>r = 1 / sqrt(var + epsilon)</c>, <c>xhat = (x - mu) r</c> and <c>y = gamma xhat + beta</c>.
/// </summary>
/// <remarks>
/// The Jacobian of <c>xhat</c> is symmetric, <c>J = r (I - 1 1^T / F - xhat xhat^T / F)</c>, so the backward and the
/// tangent pass apply the same map: <c>J v = r (v - mean(v) - xhat mean(xhat v))</c>, to <c>gamma dy</c> backward
/// and to <c>tx</c> (then scaled by <c>gamma</c>) forward. Both recompute <c>mu</c> and <c>r</c> from the layer's
/// input <c>x</c>; nothing is cached and nothing allocated. Data is <c>[count, F]</c>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LayerNormKernel
{
    /// <summary>Forward pass: <c>y[n, i] = gamma[i] (x[n, i] - mu_n) r_n + beta[i]</c>. Overwrites <paramref name="y"/>.</summary>
    /// <param name="x">Inputs, <c>[count, features]</c>.</param>
    /// <param name="gamma">Scale, <c>[features]</c> (PyTorch's <c>weight</c>).</param>
    /// <param name="beta">Shift, <c>[features]</c> (PyTorch's <c>bias</c>).</param>
    /// <param name="y">Destination, <c>[count, features]</c> (overwritten, not accumulated into).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="features">Features per row, <c>F</c>.</param>
    /// <param name="epsilon">Added to the variance, positive.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y, int count, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(x.Length, nameof(x), y.Length, nameof(y), gamma.Length, count, features, epsilon);
        ThrowHelper.RequireLength(beta.Length, features, nameof(beta));
        for (int n = 0; n < count; n++)
        {
            // [features] -> [features]
            ReadOnlySpan<T> row = x.Slice(n * features, features);
            Span<T> output = y.Slice(n * features, features);
            (T mean, T r) = Moments(row, epsilon);
            for (int i = 0; i < features; i++)
            {
                output[i] = (gamma[i] * ((row[i] - mean) * r)) + beta[i];
            }
        }
    }

    /// <summary>
    /// Gradient: <c>dx[n] = r_n (g - mean(g) - xhat_n mean(xhat_n g))</c> with <c>g = gamma dy[n]</c>. Overwrites
    /// <paramref name="dx"/>, not accumulated into.
    /// </summary>
    /// <param name="x">The layer's inputs, <c>[count, features]</c>.</param>
    /// <param name="gamma">Scale, <c>[features]</c>.</param>
    /// <param name="dy">Output gradient, <c>[count, features]</c>.</param>
    /// <param name="dx">Destination, <c>[count, features]</c> (overwritten).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="features">Features per row, <c>F</c>.</param>
    /// <param name="epsilon">Added to the variance, positive.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> dy, Span<T> dx, int count, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(x.Length, nameof(x), dx.Length, nameof(dx), gamma.Length, count, features, epsilon);
        ThrowHelper.RequireLength(dy.Length, x.Length, nameof(dy));
        for (int n = 0; n < count; n++)
        {
            Project(x.Slice(n * features, features), gamma, dy.Slice(n * features, features), dx.Slice(n * features, features), epsilon, scaleInput: true);
        }
    }

    /// <summary>
    /// Tangent: <c>ty[n] = gamma r_n (tx[n] - mean(tx[n]) - xhat_n mean(xhat_n tx[n]))</c>. Overwrites <paramref name="ty"/>.
    /// </summary>
    /// <param name="x">The layer's inputs, <c>[count, features]</c>.</param>
    /// <param name="gamma">Scale, <c>[features]</c>.</param>
    /// <param name="tx">Input tangent, <c>[count, features]</c>.</param>
    /// <param name="ty">Destination, <c>[count, features]</c> (overwritten).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="features">Features per row, <c>F</c>.</param>
    /// <param name="epsilon">Added to the variance, positive.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tangent<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> tx, Span<T> ty, int count, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(x.Length, nameof(x), ty.Length, nameof(ty), gamma.Length, count, features, epsilon);
        ThrowHelper.RequireLength(tx.Length, x.Length, nameof(tx));
        for (int n = 0; n < count; n++)
        {
            Project(x.Slice(n * features, features), gamma, tx.Slice(n * features, features), ty.Slice(n * features, features), epsilon, scaleInput: false);
        }
    }

    // destination = J v for one row, with v = gamma * source (backward) or destination scaled by gamma after (tangent).
    private static void Project<T>(ReadOnlySpan<T> row, ReadOnlySpan<T> gamma, ReadOnlySpan<T> source, Span<T> destination, T epsilon, bool scaleInput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int features = row.Length;
        (T mean, T r) = Moments(row, epsilon);
        T sum = T.Zero, sumHat = T.Zero;
        for (int i = 0; i < features; i++)
        {
            T v = scaleInput ? gamma[i] * source[i] : source[i];
            sum += v;
            sumHat += (row[i] - mean) * r * v;
        }

        T count = T.CreateChecked(features);
        T meanV = sum / count, meanHatV = sumHat / count;
        for (int i = 0; i < features; i++)
        {
            T v = scaleInput ? gamma[i] * source[i] : source[i];
            T projected = r * (v - meanV - ((row[i] - mean) * r * meanHatV));
            destination[i] = scaleInput ? projected : gamma[i] * projected;
        }
    }

    private static (T Mean, T R) Moments<T>(ReadOnlySpan<T> row, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(row.Length);
        T sum = T.Zero;
        foreach (T v in row)
        {
            sum += v;
        }

        T mean = sum / count;
        T squares = T.Zero;
        foreach (T v in row)
        {
            T d = v - mean;
            squares += d * d;
        }

        return (mean, T.One / T.Sqrt((squares / count) + epsilon));
    }

    private static void Validate<T>(int inputLength, string inputName, int destinationLength, string destinationName, int gammaLength, int count, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequirePositive(features, nameof(features));
        if (!(epsilon > T.Zero) || !T.IsFinite(epsilon))
        {
            ThrowHelper.ThrowArgument($"'epsilon' must be positive and finite, but was {epsilon}.", nameof(epsilon));
        }

        int total = ThrowHelper.Product(count, features, "count * features");
        ThrowHelper.RequireLength(inputLength, total, inputName);
        ThrowHelper.RequireLength(destinationLength, total, destinationName);
        ThrowHelper.RequireLength(gammaLength, features, "gamma");
    }
}
