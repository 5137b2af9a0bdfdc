using System;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>What a single-gradient method makes of the gradient <c>g = dF/dx</c> at the input <c>x</c>.</summary>
internal enum GradientRule
{
    /// <summary><c>attr_i = g_i</c>.</summary>
    Gradient,

    /// <summary><c>attr_i = |g_i|</c>.</summary>
    AbsoluteGradient,

    /// <summary><c>attr_i = x_i g_i</c>.</summary>
    InputXGradient,
}

/// <summary>
/// A single-gradient method, on either backend: one gradient evaluation <c>g = dF/dx</c> of the explained output at each
/// input <c>x</c>, made into an attribution by the method's rule — <c>|g_i|</c> or <c>g_i</c> for <see cref="Saliency{T}"/>,
/// <c>x_i g_i</c> for <see cref="InputXGradient{T}"/>. No convergence delta: a gradient promises no sum.
/// </summary>
/// <remarks>
/// Every method and backend shares this one implementation: the argument checks (the path methods' helpers and
/// messages), the output weightings, one evaluation at all of a call's inputs on a rented path engine
/// (<see cref="IPathEngine{T}.AtPoints"/>: the generated passes on the CPU, one autograd call per chunk on a device), and
/// the rule applied in place. An instance is safe to call from many threads at once: each call rents an engine from a
/// pool the instance owns, so on the CPU a warm call's span-out overloads allocate nothing. <c>AttributeBatch</c> runs
/// all its inputs through one forward and one backward pass per internal batch.
/// </remarks>
public abstract class GradientMethod<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // One-hot weightings of up to this many outputs live on the stack.
    private const int StackLimit = 256;

    private readonly PathHost<T> _host;
    private readonly GradientRule _rule;
    private readonly NetworkInfo _info;

    /// <summary>Validates <paramref name="options"/>, then makes the method's engines with <paramref name="host"/> from its internal batch size.</summary>
    private protected GradientMethod(GradientMethodOptions options, GradientRule rule, Func<int, PathHost<T>> host)
    {
        options.Validate();
        _host = host(options.InternalBatchSize);
        _rule = rule;
        _info = _host.Info;
    }

    /// <summary>The method's engines (released by a device twin's <c>Dispose</c>).</summary>
    private protected PathHost<T> Host => _host;

    /// <summary>The rule's attribution of output <paramref name="target"/> at <paramref name="input"/> (e.g. <c>|dF_target/dx_i|</c>); returns a new result.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        var values = new T[_info.InputLength];
        Attribute(input, target, values, cancellationToken);
        return new FeatureAttribution<T>(values, _info.Input.OutputShape, 1);
    }

    /// <summary>The rule's attribution of the weighted output <c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/>; returns a new result.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken = default)
    {
        var values = new T[_info.InputLength];
        Attribute(input, outputCoefficients, values, cancellationToken);
        return new FeatureAttribution<T>(values, _info.Input.OutputShape, 1);
    }

    /// <summary>Writes the rule's attribution of output <paramref name="target"/> at <paramref name="input"/> into <paramref name="attributions"/>; on the CPU, allocates nothing once warm.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is not an output index.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, or <paramref name="input"/> a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken = default)
    {
        int outputs = _info.OutputLength;
        Guard.Length<T>(attributions, _info.InputLength, nameof(attributions));
        Guard.Index(target, outputs, nameof(target));
        CheckInput(input);
        Span<T> oneHot = outputs <= StackLimit ? stackalloc T[outputs] : new T[outputs];
        oneHot.Clear();
        oneHot[target] = T.One;
        Run(input, 1, oneHot, attributions, cancellationToken);
    }

    /// <summary>Writes the rule's attribution of <c>sum_j outputCoefficients[j] F_j</c> at <paramref name="input"/> into <paramref name="attributions"/>; on the CPU, allocates nothing once warm.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or a non-finite value.</exception>
    public void Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, Span<T> attributions, CancellationToken cancellationToken = default)
    {
        Guard.Length<T>(attributions, _info.InputLength, nameof(attributions));
        CheckInput(input);
        Guard.Length(outputCoefficients, _info.OutputLength, nameof(outputCoefficients));
        Guard.Finite(outputCoefficients, nameof(outputCoefficients));
        Run(input, 1, outputCoefficients, attributions, cancellationToken);
    }

    /// <summary>
    /// The rule's attribution of many inputs, <c>inputs[m, input length]</c>, each for its own output <c>targets[m]</c>: one
    /// gradient evaluation per input, all inputs in the same passes (chunks of <see cref="GradientMethodOptions.InternalBatchSize"/>).
    /// Returns one new result per input, in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A target is not an output index.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is not one row per target, or holds a non-finite value.</exception>
    public FeatureAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, CancellationToken cancellationToken = default)
    {
        int length = _info.InputLength;
        int outputs = _info.OutputLength;
        int count = targets.Length;
        int elements = Guard.Elements(count, length, nameof(targets));
        Guard.Length(inputs, elements, nameof(inputs));
        for (int m = 0; m < count; m++)
        {
            Guard.Index(targets[m], outputs, nameof(targets), m);
            Guard.Finite(inputs.Slice(m * length, length), nameof(inputs), m);
        }

        var coefficients = new T[Guard.Elements(count, outputs, nameof(targets))];                 // [count, outputs], one-hot rows
        for (int m = 0; m < count; m++)
        {
            coefficients[m * outputs + targets[m]] = T.One;
        }

        var values = new T[elements];                                                              // [count, inputs]
        Run(inputs, count, coefficients, values, cancellationToken);
        var results = new FeatureAttribution<T>[count];
        for (int m = 0; m < count; m++)
        {
            results[m] = new FeatureAttribution<T>(values.AsSpan(m * length, length).ToArray(), _info.Input.OutputShape, 1);
        }

        return results;
    }

    private void CheckInput(ReadOnlySpan<T> input)
    {
        Guard.Length(input, _info.InputLength, nameof(input));
        Guard.Finite(input, nameof(input));
    }

    /// <summary>The gradients of every point into <paramref name="attributions"/> on a rented engine, then the rule applied in place.</summary>
    private void Run(ReadOnlySpan<T> points, int count, ReadOnlySpan<T> coefficients, Span<T> attributions, CancellationToken cancellationToken)
    {
        using (var lease = _host.Borrow())
        {
            lease.Item.AtPoints(points, count, coefficients, default, attributions, cancellationToken);
        }

        switch (_rule)
        {
            case GradientRule.AbsoluteGradient:
                for (int i = 0; i < attributions.Length; i++)
                {
                    attributions[i] = T.Abs(attributions[i]);
                }

                break;
            case GradientRule.InputXGradient:
                for (int i = 0; i < attributions.Length; i++)
                {
                    attributions[i] *= points[i];
                }

                break;
        }
    }
}
