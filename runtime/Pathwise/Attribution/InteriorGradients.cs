using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices;

namespace Pathwise;

/// <summary>How the default scaling factors of <see cref="InteriorGradients{T}"/> are spread over (0, 1].</summary>
public enum InteriorSpacing
{
    /// <summary><c>a_k = (k + 1) / n</c>.</summary>
    Linear,

    /// <summary><c>a_k = 1000^((k + 1 - n) / (n - 1))</c>: from 0.001 to 1, dense near 0 where saturation starts.</summary>
    Geometric,
}

/// <summary>Settings of <see cref="InteriorGradients{T}"/>.</summary>
/// <remarks>Two settings are equal when their factors are equal element by element (not when they share an array).</remarks>
public sealed record InteriorGradientsOptions
{
    private readonly double[]? _alphas;

    /// <summary>The scaling factors (copied when set); when null, <see cref="Count"/> factors spaced by <see cref="Spacing"/>.</summary>
    public IReadOnlyList<double>? Alphas
    {
        get => _alphas is null ? null : Array.AsReadOnly(_alphas);
        init => _alphas = value is null ? null : [.. value];
    }

    /// <summary>How many default factors, 1 to <see cref="QuadratureNodes.MaxPoints"/> = 1,000,000 (default 20).</summary>
    public int Count { get; init; } = 20;

    /// <summary>How the default factors are spread (default linear).</summary>
    public InteriorSpacing Spacing { get; init; } = InteriorSpacing.Linear;

    /// <summary>The reference input the scaling starts from (default zero, the paper's choice).</summary>
    public Baseline Baseline { get; init; } = Baseline.Zero;

    /// <summary>The factors this configuration stands for, in a new array; throws when one is outside [0, 1] or not finite.</summary>
    public double[] ResolveAlphas()
    {
        if (_alphas is not null)
        {
            if (_alphas.Length == 0 || _alphas.Length > QuadratureNodes.MaxPoints)
            {
                throw new ArgumentException($"Expected 1 to {QuadratureNodes.MaxPoints} scaling factors; got {_alphas.Length}.", nameof(Alphas));
            }

            foreach (double alpha in _alphas)
            {
                if (!(alpha >= 0 && alpha <= 1))
                {
                    throw new ArgumentOutOfRangeException(nameof(Alphas), alpha, $"Expected scaling factors in [0, 1]; got {alpha}.");
                }
            }

            return (double[])_alphas.Clone();
        }

        if (Count < 1 || Count > QuadratureNodes.MaxPoints)
        {
            throw new ArgumentOutOfRangeException(nameof(Count), Count, $"Expected Count in [1, {QuadratureNodes.MaxPoints}]; got {Count}.");
        }

        var alphas = new double[Count];
        for (int k = 0; k < Count; k++)
        {
            alphas[k] = Spacing == InteriorSpacing.Linear || Count == 1
                ? (k + 1.0) / Count
                : Math.Pow(1000.0, (k + 1.0 - Count) / (Count - 1.0));
        }

        return alphas;
    }

    /// <summary>Equal when every setting is equal, the factors compared element by element.</summary>
    public bool Equals(InteriorGradientsOptions? other) =>
        other is not null
        && Count == other.Count
        && Spacing == other.Spacing
        && Equals(Baseline, other.Baseline)
        && (_alphas is null ? other._alphas is null : other._alphas is not null && _alphas.AsSpan().SequenceEqual(other._alphas));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Count);
        hash.Add(Spacing);
        hash.Add(Baseline);
        if (_alphas is not null)
        {
            foreach (double alpha in _alphas)
            {
                hash.Add(alpha);
            }
        }

        return hash.ToHashCode();
    }
}

/// <summary>The gradients at scaled inputs, the outputs along the path, and how much of the output change each scale reaches.</summary>
/// <remarks>Immutable: the values are read through read-only spans.</remarks>
public sealed class InteriorGradientsResult<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _alphas;
    private readonly T[] _gradients;
    private readonly double[] _outputs;
    private readonly double[] _saturation;

    /// <summary>Wraps computed values; the result owns the arrays from then on (they are not copied).</summary>
    /// <exception cref="ArgumentException">The arrays' lengths do not agree with <paramref name="alphas"/> and <paramref name="inputShape"/>.</exception>
    public InteriorGradientsResult(double[] alphas, T[] gradients, double[] outputs, double outputAtBaseline, double outputAtInput, TensorShape inputShape)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(outputs);
        if (gradients.Length != (long)alphas.Length * inputShape.Length || outputs.Length != alphas.Length)
        {
            throw new ArgumentException(
                $"Expected {alphas.Length} x {inputShape.Length} gradients and {alphas.Length} outputs; got {gradients.Length} and {outputs.Length}.",
                nameof(gradients));
        }

        _alphas = alphas;
        _gradients = gradients;
        _outputs = outputs;
        OutputAtBaseline = outputAtBaseline;
        OutputAtInput = outputAtInput;
        InputShape = inputShape;
        _saturation = new double[alphas.Length];
        double change = outputAtInput - outputAtBaseline;
        for (int k = 0; k < alphas.Length; k++)
        {
            _saturation[k] = change == 0 ? double.NaN : (outputs[k] - outputAtBaseline) / change;
        }
    }

    /// <summary>The scaling factors <c>a_k</c>.</summary>
    public ReadOnlySpan<double> Alphas => _alphas;

    /// <summary><c>dF/dx (x' + a_k (x - x'))</c>, <c>[alphas, input length]</c>.</summary>
    public ReadOnlySpan<T> Gradients => _gradients;

    /// <summary><c>F(x' + a_k (x - x'))</c>.</summary>
    public ReadOnlySpan<double> Outputs => _outputs;

    /// <summary>
    /// The fraction of the total output change reached at each factor: <c>(F(x_a) - F(x')) / (F(x) - F(x'))</c>;
    /// NaN when the output does not change between baseline and input (no fraction to speak of).
    /// </summary>
    public ReadOnlySpan<double> Saturation => _saturation;

    /// <summary><c>F(x')</c>.</summary>
    public double OutputAtBaseline { get; }

    /// <summary><c>F(x)</c>.</summary>
    public double OutputAtInput { get; }

    /// <summary>The network input's shape, the shape of each gradient row.</summary>
    public TensorShape InputShape { get; }

    /// <summary>The gradient at the <paramref name="index"/>-th factor.</summary>
    public ReadOnlySpan<T> GradientAt(int index) => _gradients.AsSpan(index * InputShape.Length, InputShape.Length);
}

/// <summary>
/// Interior gradients (Sundararajan et al., arXiv 1611.02639): the gradients at the scaled inputs
/// <c>x' + a (x - x')</c>, returned with the output along the path so saturation can be seen.
/// </summary>
/// <remarks>Safe to call from many threads at once: each call rents its workspace from a pool the instance owns.</remarks>
public sealed class InteriorGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ScratchPool<PathIntegrator<T>> _paths;
    private readonly double[] _alphas;

    /// <summary>Prepares the method for <paramref name="network"/>.</summary>
    public InteriorGradients(INetwork<T> network, InteriorGradientsOptions? options = null)
    {
        Options = options ?? new InteriorGradientsOptions();
        _alphas = Options.ResolveAlphas();
        ArgumentNullException.ThrowIfNull(network);
        Guard.Elements(_alphas.Length, network.Info.InputLength, "Count"); // the gradients of one result

        // The path is sampled at the factors, not integrated: no quadrature weights.
        var first = new PathIntegrator<T>(network, _alphas, new double[_alphas.Length], Options.Baseline, internalBatchSize: 64);
        _paths = new ScratchPool<PathIntegrator<T>>(first.Clone);
        _paths.Return(first);
    }

    /// <summary>The settings.</summary>
    public InteriorGradientsOptions Options { get; }

    /// <summary>The gradients of output <paramref name="target"/> at every scaled input.</summary>
    public InteriorGradientsResult<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, target);
        return Run(lease.Item, cancellationToken);
    }

    /// <summary>
    /// The gradients of output <paramref name="target"/> at every scaled input, scaled from this call's own
    /// <paramref name="baseline"/> <c>x'</c>: <c>dF/dx (x' + a_k (x - x'))</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="input"/> or <paramref name="baseline"/> is not of the input length, or holds a non-finite value.</exception>
    public InteriorGradientsResult<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, CancellationToken cancellationToken = default)
    {
        using var lease = _paths.Borrow();
        lease.Item.Begin(input, baseline, target);
        return Run(lease.Item, cancellationToken);
    }

    private InteriorGradientsResult<T> Run(PathIntegrator<T> path, CancellationToken cancellationToken)
    {
        int length = path.Info.InputLength;
        int outputs = path.Info.OutputLength;
        var gradients = new T[_alphas.Length * length];
        var values = new double[_alphas.Length];
        Workspace<T> workspace = path.Workspace;
        for (int start = 0; start < path.Points; start += path.ChunkCapacity)
        {
            int count = path.Forward(start, cancellationToken);
            ReadOnlySpan<T> output = workspace.Output(count);
            for (int k = 0; k < count; k++)
            {
                values[start + k] = PathIntegrator<T>.Dot(output.Slice(k * outputs, outputs), path.OutputCoefficients);
            }

            path.SeedOutput(count);
            path.Network.BackwardFrom(path.Info.Output, workspace, count);
            workspace.Gradients(path.Info.Input, count).CopyTo(gradients.AsSpan(start * length));
        }

        (double atBaseline, double atInput) = path.ReadEndpoints();
        return new InteriorGradientsResult<T>((double[])_alphas.Clone(), gradients, values, atBaseline, atInput, path.Info.Input.OutputShape);
    }
}
