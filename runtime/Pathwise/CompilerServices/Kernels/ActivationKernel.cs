using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// Activation functions, their gradients (reverse mode) and their tangents (forward mode, Jacobian-vector products).
/// </summary>
/// <remarks>
/// <para>Elementwise kernels work over whole spans (<c>length = count * features</c>); softmax kernels work row-wise on
/// <c>[count, classes]</c>. Forward kernels read the pre-activation <c>z</c> and write the activation <c>a</c>.</para>
/// <para>Backward kernels write <c>dz = da * f'(.)</c> and overwrite <c>dz</c>. Tangent kernels write
/// <c>ta = f'(z) * tz</c> (the Jacobian times the tangent <c>tz</c>) and overwrite <c>ta</c>.</para>
/// <para>In place: a destination may be exactly the same span as the upstream gradient or tangent (<c>dz</c> as
/// <c>da</c>, <c>ta</c> as <c>tz</c>), and a forward destination may be exactly <c>z</c>; partial overlaps are not
/// supported. Destinations may be longer than needed; only the leading elements are written.</para>
/// <para>Elementwise tangents take both <c>z</c> and <c>a</c> so the generator can call them uniformly; the one a
/// function does not need is not read and may be empty.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ActivationKernel
{
    private const double InvSqrt2 = 0.70710678118654752440084436210484903;
    private const double InvSqrt2Pi = 0.39894228040143267793994605993438187;
    private const double SqrtTwoOverPi = 0.79788456080286535587989211986876374;
    private const double GeluTanhCubic = 0.044715;

    // ---------------- ReLU ----------------

    /// <summary>ReLU: <c>a[i] = max(z[i], 0)</c> (NaN propagates).</summary>
    public static void ReLU<T>(ReadOnlySpan<T> z, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireDestination(a.Length, z.Length, nameof(a));
        if (z.IsEmpty)
        {
            return;
        }

        ElementwiseDriver.Unary(z, a, default(ReLUOperator<T>));
    }

    /// <summary>ReLU gradient: <c>dz[i] = z[i] &gt; 0 ? da[i] : 0</c> (derivative 0 at 0). Overwrites <paramref name="dz"/>.</summary>
    public static void ReLUBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> da, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBinary(z.Length, da.Length, nameof(da), dz.Length, nameof(dz));
        ElementwiseDriver.Binary(z, da, dz, default(ReLUGradientOperator<T>));
    }

    /// <summary>ReLU tangent: <c>ta[i] = z[i] &gt; 0 ? tz[i] : 0</c>. <paramref name="a"/> is not read. Overwrites <paramref name="ta"/>.</summary>
    public static void ReLUTangent<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckTangent(z.Length, a.Length, nameof(a), tz.Length, ta.Length);
        ElementwiseDriver.Binary(z, tz, ta, default(ReLUGradientOperator<T>));
    }

    // ---------------- LeakyReLU ----------------

    /// <summary>LeakyReLU: <c>a[i] = z[i] &gt; 0 ? z[i] : slope * z[i]</c>.</summary>
    public static void LeakyReLU<T>(ReadOnlySpan<T> z, Span<T> a, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireDestination(a.Length, z.Length, nameof(a));
        ElementwiseDriver.Unary(z, a, new LeakyReLUOperator<T>(slope));
    }

    /// <summary>LeakyReLU gradient: <c>dz[i] = da[i] * (z[i] &gt; 0 ? 1 : slope)</c> (slope at 0, as PyTorch). Overwrites <paramref name="dz"/>.</summary>
    public static void LeakyReLUBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> da, Span<T> dz, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBinary(z.Length, da.Length, nameof(da), dz.Length, nameof(dz));
        ElementwiseDriver.Binary(z, da, dz, new LeakyReLUGradientOperator<T>(slope));
    }

    /// <summary>LeakyReLU tangent: <c>ta[i] = tz[i] * (z[i] &gt; 0 ? 1 : slope)</c>. <paramref name="a"/> is not read. Overwrites <paramref name="ta"/>.</summary>
    public static void LeakyReLUTangent<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckTangent(z.Length, a.Length, nameof(a), tz.Length, ta.Length);
        ElementwiseDriver.Binary(z, tz, ta, new LeakyReLUGradientOperator<T>(slope));
    }

    // ---------------- Tanh ----------------

    /// <summary>Tanh: <c>a[i] = tanh(z[i])</c>.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> z, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireDestination(a.Length, z.Length, nameof(a));
        if (!z.IsEmpty)
        {
            TensorPrimitives.Tanh(z, a);
        }
    }

    /// <summary>Tanh gradient from the output: <c>dz[i] = da[i] * (1 - a[i]^2)</c>. Overwrites <paramref name="dz"/>.</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> da, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBinary(a.Length, da.Length, nameof(da), dz.Length, nameof(dz));
        ElementwiseDriver.Binary(a, da, dz, default(TanhGradientOperator<T>));
    }

    /// <summary>Tanh tangent: <c>ta[i] = tz[i] * (1 - a[i]^2)</c>. <paramref name="z"/> is not read. Overwrites <paramref name="ta"/>.</summary>
    public static void TanhTangent<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckTangent(a.Length, z.Length, nameof(z), tz.Length, ta.Length);
        ElementwiseDriver.Binary(a, tz, ta, default(TanhGradientOperator<T>));
    }

    // ---------------- Sigmoid ----------------

    /// <summary>Sigmoid: <c>a[i] = 1 / (1 + exp(-z[i]))</c>.</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> z, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireDestination(a.Length, z.Length, nameof(a));
        if (!z.IsEmpty)
        {
            TensorPrimitives.Sigmoid(z, a);
        }
    }

    /// <summary>Sigmoid gradient from the output: <c>dz[i] = da[i] * a[i] * (1 - a[i])</c>. Overwrites <paramref name="dz"/>.</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> da, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBinary(a.Length, da.Length, nameof(da), dz.Length, nameof(dz));
        ElementwiseDriver.Binary(a, da, dz, default(SigmoidGradientOperator<T>));
    }

    /// <summary>Sigmoid tangent: <c>ta[i] = tz[i] * a[i] * (1 - a[i])</c>. <paramref name="z"/> is not read. Overwrites <paramref name="ta"/>.</summary>
    public static void SigmoidTangent<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckTangent(a.Length, z.Length, nameof(z), tz.Length, ta.Length);
        ElementwiseDriver.Binary(a, tz, ta, default(SigmoidGradientOperator<T>));
    }

    // ---------------- GELU (exact, erf) ----------------

    /// <summary>
    /// Exact GELU: <c>a[i] = 0.5 z (1 + erf(z / sqrt 2)) = z Phi(z)</c>, evaluated in double as
    /// <c>0.5 z erfc(-z / sqrt 2)</c> (accurate also for large negative z).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gelu<T>(ReadOnlySpan<T> z, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireDestination(a.Length, z.Length, nameof(a));
        for (int i = 0; i < z.Length; i++)
        {
            double v = double.CreateTruncating(z[i]);
            a[i] = T.CreateTruncating(0.5 * v * SpecialFunctions.Erfc(-v * InvSqrt2));
        }
    }

    /// <summary>
    /// Exact GELU gradient: <c>dz[i] = da[i] * (Phi(z) + z phi(z))</c>, <c>Phi(z) = 0.5 erfc(-z / sqrt 2)</c>,
    /// <c>phi(z) = exp(-z^2 / 2) / sqrt(2 pi)</c>. Overwrites <paramref name="dz"/>.
    /// </summary>
    public static void GeluBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> da, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBinary(z.Length, da.Length, nameof(da), dz.Length, nameof(dz));
        GeluDerivativeTimes(z, da, dz);
    }

    /// <summary>Exact GELU tangent: <c>ta[i] = tz[i] * (Phi(z) + z phi(z))</c>. <paramref name="a"/> is not read. Overwrites <paramref name="ta"/>.</summary>
    public static void GeluTangent<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckTangent(z.Length, a.Length, nameof(a), tz.Length, ta.Length);
        GeluDerivativeTimes(z, tz, ta);
    }

    // ---------------- GELU (tanh approximation) ----------------

    /// <summary>
    /// Tanh-approximated GELU: <c>a[i] = 0.5 z (1 + tanh(u))</c>, <c>u = sqrt(2/pi) (z + 0.044715 z^3)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeluTanh<T>(ReadOnlySpan<T> z, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireDestination(a.Length, z.Length, nameof(a));
        T half = T.CreateTruncating(0.5);
        T k0 = T.CreateTruncating(SqrtTwoOverPi);
        T k1 = T.CreateTruncating(GeluTanhCubic);
        for (int i = 0; i < z.Length; i++)
        {
            T v = z[i];
            T t = T.Tanh(k0 * (v + k1 * v * v * v));
            a[i] = half * v * (T.One + t);
        }
    }

    /// <summary>
    /// Tanh-approximated GELU gradient:
    /// <c>dz[i] = da[i] * (0.5 (1 + t) + 0.5 z (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 z^2))</c>, <c>t = tanh(u)</c>.
    /// Overwrites <paramref name="dz"/>.
    /// </summary>
    public static void GeluTanhBackward<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> da, Span<T> dz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBinary(z.Length, da.Length, nameof(da), dz.Length, nameof(dz));
        GeluTanhDerivativeTimes(z, da, dz);
    }

    /// <summary>Tanh-approximated GELU tangent: <c>ta[i] = tz[i] * GeluTanh'(z[i])</c>. <paramref name="a"/> is not read. Overwrites <paramref name="ta"/>.</summary>
    public static void GeluTanhTangent<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckTangent(z.Length, a.Length, nameof(a), tz.Length, ta.Length);
        GeluTanhDerivativeTimes(z, tz, ta);
    }

    // ---------------- Softmax ----------------

    /// <summary>Row-wise softmax: <c>a[n, j] = exp(z[n, j] - m_n) / sum_k exp(z[n, k] - m_n)</c>, <c>m_n = max_k z[n, k]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax<T>(ReadOnlySpan<T> z, Span<T> a, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int total = CheckRows(z.Length, nameof(z), a.Length, nameof(a), count, classes);
        if (total == 0)
        {
            return;
        }

        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<T> row = z.Slice(n * classes, classes); // [classes]
            Span<T> output = a.Slice(n * classes, classes);      // [classes]
            T max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, output);
            TensorPrimitives.Exp(output, output);
            T sum = TensorPrimitives.Sum<T>(output);
            TensorPrimitives.Divide(output, sum, output);
        }
    }

    /// <summary>Softmax gradient: <c>dz[n, j] = a[n, j] * (da[n, j] - sum_k da[n, k] a[n, k])</c>. Overwrites <paramref name="dz"/>.</summary>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> da, Span<T> dz, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int total = CheckRows(a.Length, nameof(a), dz.Length, nameof(dz), count, classes);
        ThrowHelper.RequireLength(da.Length, total, nameof(da));
        SoftmaxJacobianTimes(a, da, dz, count, classes);
    }

    /// <summary>
    /// Softmax tangent (JVP): <c>ta[n, j] = a[n, j] * (tz[n, j] - sum_k a[n, k] tz[n, k])</c>, where <c>a</c> is the
    /// softmax output. Overwrites <paramref name="ta"/>.
    /// </summary>
    public static void SoftmaxTangent<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int total = CheckRows(a.Length, nameof(a), ta.Length, nameof(ta), count, classes);
        ThrowHelper.RequireLength(tz.Length, total, nameof(tz));
        SoftmaxJacobianTimes(a, tz, ta, count, classes); // the softmax Jacobian is symmetric
    }

    // ---------------- LogSoftmax ----------------

    /// <summary>Row-wise log-softmax: <c>a[n, j] = (z[n, j] - m_n) - log(sum_k exp(z[n, k] - m_n))</c>, <c>m_n = max_k z[n, k]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LogSoftmax<T>(ReadOnlySpan<T> z, Span<T> a, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int total = CheckRows(z.Length, nameof(z), a.Length, nameof(a), count, classes);
        if (total == 0)
        {
            return;
        }

        for (int n = 0; n < count; n++)
        {
            ReadOnlySpan<T> row = z.Slice(n * classes, classes); // [classes]
            Span<T> output = a.Slice(n * classes, classes);      // [classes]
            T max = TensorPrimitives.Max(row);
            T sum = T.Zero;
            for (int j = 0; j < classes; j++)
            {
                sum += T.Exp(row[j] - max);
            }

            T logSum = T.Log(sum);
            for (int j = 0; j < classes; j++)
            {
                output[j] = (row[j] - max) - logSum;
            }
        }
    }

    /// <summary>
    /// Log-softmax gradient from the output <c>a</c> (log-probabilities): <c>dz[n, j] = da[n, j] - exp(a[n, j]) * sum_k da[n, k]</c>.
    /// Overwrites <paramref name="dz"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LogSoftmaxBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> da, Span<T> dz, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int total = CheckRows(a.Length, nameof(a), dz.Length, nameof(dz), count, classes);
        ThrowHelper.RequireLength(da.Length, total, nameof(da));
        for (int n = 0; n < count; n++)
        {
            int offset = n * classes;
            T sum = TensorPrimitives.Sum(da.Slice(offset, classes));
            for (int j = offset; j < offset + classes; j++)
            {
                dz[j] = da[j] - T.Exp(a[j]) * sum;
            }
        }
    }

    /// <summary>
    /// Log-softmax tangent (JVP) from the output <c>a</c>: <c>ta[n, j] = tz[n, j] - sum_k exp(a[n, k]) tz[n, k]</c>.
    /// Overwrites <paramref name="ta"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LogSoftmaxTangent<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> tz, Span<T> ta, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int total = CheckRows(a.Length, nameof(a), ta.Length, nameof(ta), count, classes);
        ThrowHelper.RequireLength(tz.Length, total, nameof(tz));
        for (int n = 0; n < count; n++)
        {
            int offset = n * classes;
            T sum = T.Zero;
            for (int j = offset; j < offset + classes; j++)
            {
                sum += T.Exp(a[j]) * tz[j];
            }

            for (int j = offset; j < offset + classes; j++)
            {
                ta[j] = tz[j] - sum;
            }
        }
    }

    // ---------------- shared pieces ----------------

    // destination[i] = g[i] * (Phi(z) + z phi(z)), computed in double.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GeluDerivativeTimes<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> g, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < z.Length; i++)
        {
            double v = double.CreateTruncating(z[i]);
            double cdf = 0.5 * SpecialFunctions.Erfc(-v * InvSqrt2);
            double pdf = InvSqrt2Pi * Math.Exp(-0.5 * v * v);
            destination[i] = T.CreateTruncating(double.CreateTruncating(g[i]) * (cdf + v * pdf));
        }
    }

    // destination[i] = g[i] * GeluTanh'(z[i]).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GeluTanhDerivativeTimes<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> g, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateTruncating(0.5);
        T k0 = T.CreateTruncating(SqrtTwoOverPi);
        T k1 = T.CreateTruncating(GeluTanhCubic);
        T k3 = T.CreateTruncating(3 * GeluTanhCubic);
        for (int i = 0; i < z.Length; i++)
        {
            T v = z[i];
            T v2 = v * v;
            T t = T.Tanh(k0 * (v + k1 * v2 * v));
            T derivative = half * (T.One + t) + half * v * (T.One - t * t) * k0 * (T.One + k3 * v2);
            destination[i] = g[i] * derivative;
        }
    }

    // destination = a * (g - <a, g>) per row; destination may be g.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxJacobianTimes<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> destination, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < count; n++)
        {
            int offset = n * classes;
            ReadOnlySpan<T> aRow = a.Slice(offset, classes);
            ReadOnlySpan<T> gRow = g.Slice(offset, classes);
            Span<T> dRow = destination.Slice(offset, classes);
            T dot = TensorPrimitives.Dot(gRow, aRow);
            for (int j = 0; j < classes; j++)
            {
                dRow[j] = aRow[j] * (gRow[j] - dot);
            }
        }
    }

    private static void CheckBinary(int firstLength, int secondLength, string secondName, int destinationLength, string destinationName)
    {
        ThrowHelper.RequireLength(secondLength, firstLength, secondName);
        ThrowHelper.RequireDestination(destinationLength, firstLength, destinationName);
    }

    // The used input defines the length; the unused one must be empty or of the same length.
    private static void CheckTangent(int usedLength, int unusedLength, string unusedName, int tzLength, int taLength)
    {
        ThrowHelper.RequireLength(tzLength, usedLength, "tz");
        if (unusedLength != 0)
        {
            ThrowHelper.RequireLength(unusedLength, usedLength, unusedName);
        }

        ThrowHelper.RequireDestination(taLength, usedLength, "ta");
    }

    private static int CheckRows(int sourceLength, string sourceName, int destinationLength, string destinationName, int count, int classes)
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequireNonNegative(classes, nameof(classes));
        int total = ThrowHelper.Product(count, classes, "count * classes");
        ThrowHelper.RequireLength(sourceLength, total, sourceName);
        ThrowHelper.RequireDestination(destinationLength, total, destinationName);
        return total;
    }
}
