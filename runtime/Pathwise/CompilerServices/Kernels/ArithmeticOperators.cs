using System.Numerics;
using System.Runtime.Intrinsics;

namespace Pathwise.CompilerServices.Kernels;

// Arithmetic operator structs for ElementwiseDriver. Products and sums are rounded separately (never fused), as
// TensorPrimitives.MultiplyAdd computes them, so a result does not depend on whether the CPU has FMA. The kernels
// use these instead of TensorPrimitives on their hot paths because ElementwiseDriver is compiled fully optimised on
// first use, while TensorPrimitives' loops start in the JIT's unoptimised tier (see ElementwiseDriver).

/// <summary><c>max(z, 0)</c>: ReLU, with NaN propagating and <c>max(-0, 0) = +0</c> as <c>T.Max</c>.</summary>
internal readonly struct ReLUOperator<T> : IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T z) => T.Max(z, T.Zero);

    public Vector256<T> Invoke(Vector256<T> z) => Vector256.Max(z, Vector256<T>.Zero);
}

/// <summary><c>x * scale</c>.</summary>
internal readonly struct ScaleOperator<T>(T scale) : IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => x * scale;

    public Vector256<T> Invoke(Vector256<T> x) => x * Vector256.Create(scale);
}

/// <summary><c>x * scale + shift</c>, rounded after the product and after the sum.</summary>
internal readonly struct AffineOperator<T>(T scale, T shift) : IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => (x * scale) + shift;

    public Vector256<T> Invoke(Vector256<T> x) => (x * Vector256.Create(scale)) + Vector256.Create(shift);
}

/// <summary><c>x * scale + y</c>, rounded after the product and after the sum.</summary>
internal readonly struct ScaleAddOperator<T>(T scale) : IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T x, T y) => (x * scale) + y;

    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => (x * Vector256.Create(scale)) + y;
}

/// <summary><c>x + y</c>.</summary>
internal readonly struct AddOperator<T> : IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T x, T y) => x + y;

    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x + y;
}

/// <summary><c>x * y</c>.</summary>
internal readonly struct MultiplyOperator<T> : IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Invoke(T x, T y) => x * y;

    public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x * y;
}
