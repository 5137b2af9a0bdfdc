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
/// The backend-independent part of the single-gradient methods: the argument checks (same helpers and messages as
/// the path methods), the output weightings, one <see cref="IGradientSource{T}.Gradients"/> call over every input
/// of a call, the rule applied in place, and the results. The public classes of both backends wrap one of these.
/// </summary>
internal sealed class GradientMethod<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // One-hot weightings of up to this many outputs, and values of up to this many inputs, live on the stack.
    private const int StackLimit = 256;

    private readonly IGradientSource<T> _source;
    private readonly GradientRule _rule;
    private readonly NetworkInfo _info;

    public GradientMethod(IGradientSource<T> source, GradientRule rule)
    {
        _source = source;
        _rule = rule;
        _info = source.Info;
    }

    public NetworkInfo Info => _info;

    /// <summary>Attributes output <paramref name="target"/> into <paramref name="attributions"/>; allocates nothing on a warm CPU source.</summary>
    public void Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken)
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

    /// <summary>Attributes <c>sum_j outputCoefficients[j] F_j</c> into <paramref name="attributions"/>.</summary>
    public void Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, Span<T> attributions, CancellationToken cancellationToken)
    {
        Guard.Length<T>(attributions, _info.InputLength, nameof(attributions));
        CheckInput(input);
        Guard.Length(outputCoefficients, _info.OutputLength, nameof(outputCoefficients));
        Guard.Finite(outputCoefficients, nameof(outputCoefficients));
        Run(input, 1, outputCoefficients, attributions, cancellationToken);
    }

    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken)
    {
        var values = new T[_info.InputLength];
        Attribute(input, target, values, cancellationToken);
        return new FeatureAttribution<T>(values, _info.Input.OutputShape, 1);
    }

    public FeatureAttribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputCoefficients, CancellationToken cancellationToken)
    {
        var values = new T[_info.InputLength];
        Attribute(input, outputCoefficients, values, cancellationToken);
        return new FeatureAttribution<T>(values, _info.Input.OutputShape, 1);
    }

    /// <summary>
    /// Attributes <c>inputs[m, input length]</c>, each for <c>targets[m]</c>, with one gradient evaluation per input:
    /// the inputs go through the source together, in chunks of its size. Returns one new result per input, in order.
    /// </summary>
    public FeatureAttribution<T>[] AttributeBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<int> targets, CancellationToken cancellationToken)
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

    /// <summary>The gradients of every point into <paramref name="attributions"/>, then the rule applied in place.</summary>
    private void Run(ReadOnlySpan<T> points, int count, ReadOnlySpan<T> coefficients, Span<T> attributions, CancellationToken cancellationToken)
    {
        Span<double> outputs = count <= StackLimit ? stackalloc double[count] : new double[count];
        _source.Gradients(points, count, coefficients, outputs, attributions, cancellationToken);
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
