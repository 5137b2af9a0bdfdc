using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

// Operator structs for ElementwiseDriver; each states its scalar formula. Comparisons are false for NaN,
// so NaN inputs select the "not positive" branch, and NaN gradients propagate through multiplications.

/// <summary><c>z &gt; 0 ? z : slope * z</c>.</summary>
internal readonly struct LeakyReLUOperator<T>(T slope) : IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T z) => z > T.Zero ? z : slope * z;

    public Vector256<T> Invoke(Vector256<T> z) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<T>.Zero), z, z * Vector256.Create(slope));
}

/// <summary><c>z &gt; 0 ? g : 0</c> (ReLU derivative, 0 at z = 0).</summary>
internal readonly struct ReLUGradientOperator<T> : IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T z, T g) => z > T.Zero ? g : T.Zero;

    public Vector256<T> Invoke(Vector256<T> z, Vector256<T> g) => Vector256.GreaterThan(z, Vector256<T>.Zero) & g;
}

/// <summary><c>z &gt; 0 ? g : slope * g</c> (LeakyReLU derivative, slope at z = 0 as PyTorch).</summary>
internal readonly struct LeakyReLUGradientOperator<T>(T slope) : IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T z, T g) => z > T.Zero ? g : slope * g;

    public Vector256<T> Invoke(Vector256<T> z, Vector256<T> g) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<T>.Zero), g, g * Vector256.Create(slope));
}

/// <summary><c>g * (1 - a^2)</c> with <c>a = tanh(z)</c>.</summary>
internal readonly struct TanhGradientOperator<T> : IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T a, T g) => g * (T.One - a * a);

    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> g) => g * (Vector256<T>.One - a * a);
}

/// <summary><c>g * a * (1 - a)</c> with <c>a = sigmoid(z)</c>.</summary>
internal readonly struct SigmoidGradientOperator<T> : IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T a, T g) => g * (a * (T.One - a));

    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> g) => g * (a * (Vector256<T>.One - a));
}
