using System;
using System.Numerics;
using System.Threading;
using System.Threading.Tasks;

namespace Pathwise;

/// <summary>
/// Integrated Gradients (Sundararajan et al., arXiv 1703.01365):
/// <c>attr_i = (x_i - x'_i) * integral_0^1 dF/dx_i(x' + a (x - x')) da</c>, the integral taken by the
/// configured quadrature rule, with the convergence delta <c>sum(attr) - (F(x) - F(x'))</c>.
/// </summary>
/// <remarks>
/// An instance owns its workspace, so a call allocates nothing (the overloads that return an
/// <see cref="Attribution{T}"/> allocate only the result). One instance serves one thread at a time;
/// <see cref="AttributeBatch"/> runs inputs in parallel on private engines.
/// </remarks>
public sealed class IntegratedGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly INetwork<T> _network;
    private readonly NetworkInfo _info;
    private readonly Workspace<T> _workspace;
    private readonly T[] _alphas;
    private readonly T[] _weights;
    private readonly T[] _baseline;
    private readonly T[] _direction;
    private readonly T[] _gradientSum;
    private readonly T[] _oneHot;
    private IntegratedGradients<T>[]? _workers;

    /// <summary>Prepares the method for <paramref name="network"/>; throws if an option is invalid.</summary>
    public IntegratedGradients(INetwork<T> network, IntegratedGradientsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new IntegratedGradientsOptions();
        options.Validate();
        _network = network;
        _info = network.Info;
        Options = options;

        QuadratureNodes nodes = QuadratureNodes.Create(options.Rule, options.Steps);
        _alphas = Convert(nodes.Alphas);
        _weights = Convert(nodes.Weights);
        _workspace = new Workspace<T>(_info, Math.Max(2, Math.Min(options.InternalBatchSize, options.Steps)));
        _baseline = new T[_info.InputLength];
        options.Baseline.Fill<T>(_baseline);
        _direction = new T[_info.InputLength];
        _gradientSum = new T[_info.InputLength];
        _oneHot = new T[_info.OutputLength];
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>Attributes output <paramref name="target"/> at <paramref name="input"/>; returns a new result.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        var values = new T[_info.InputLength];
        ConvergenceDelta delta = Attribute(input, target, values, cancellationToken);
        return new Attribution<T>(values, _info.Input.OutputShape, delta, _alphas.Length);
    }

    /// <summary>Attributes the weighted output <c>sum_j outputWeights[j] F_j</c> at <paramref name="input"/>; returns a new result.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputWeights, CancellationToken cancellationToken = default)
    {
        var values = new T[_info.InputLength];
        ConvergenceDelta delta = Attribute(input, outputWeights, values, cancellationToken);
        return new Attribution<T>(values, _info.Input.OutputShape, delta, _alphas.Length);
    }

    /// <summary>Attributes output <paramref name="target"/> into <paramref name="attributions"/>; allocates nothing.</summary>
    public ConvergenceDelta Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken = default)
    {
        Guard.Index(target, _info.OutputLength, nameof(target));
        _oneHot.AsSpan().Clear();
        _oneHot[target] = T.One;
        return Run(input, _oneHot, attributions, cancellationToken);
    }

    /// <summary>Attributes the weighted output <c>sum_j outputWeights[j] F_j</c> into <paramref name="attributions"/>; allocates nothing.</summary>
    public ConvergenceDelta Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputWeights, Span<T> attributions, CancellationToken cancellationToken = default)
    {
        Guard.Length(outputWeights, _info.OutputLength, nameof(outputWeights));
        Guard.Finite(outputWeights, nameof(outputWeights));
        return Run(input, outputWeights, attributions, cancellationToken);
    }

    /// <summary>
    /// Attributes many inputs, <c>inputs[m, input length]</c>, each for its own target, in parallel over
    /// the machine's cores; writes <c>attributions[m, input length]</c> and one delta per input.
    /// </summary>
    public void AttributeBatch(ReadOnlyMemory<T> inputs, ReadOnlyMemory<int> targets, Memory<T> attributions, Memory<ConvergenceDelta> deltas, CancellationToken cancellationToken = default)
    {
        int length = _info.InputLength;
        int count = targets.Length;
        Guard.Length(inputs.Span, count * length, nameof(inputs));
        Guard.Length<T>(attributions.Span, count * length, nameof(attributions));
        Guard.Length<ConvergenceDelta>(deltas.Span, count, nameof(deltas));
        for (int m = 0; m < count; m++)
        {
            Guard.Index(targets.Span[m], _info.OutputLength, "targets[" + m + "]");
        }

        int workers = Math.Min(Environment.ProcessorCount, Math.Max(1, count));
        _workers ??= new IntegratedGradients<T>[Environment.ProcessorCount];
        for (int w = 0; w < workers; w++)
        {
            _workers[w] ??= new IntegratedGradients<T>(_network, Options);
        }

        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = workers };
        Parallel.For(0, workers, parallel, w =>
        {
            IntegratedGradients<T> engine = _workers[w];
            for (int m = w; m < count; m += workers)
            {
                deltas.Span[m] = engine.Attribute(
                    inputs.Span.Slice(m * length, length),
                    targets.Span[m],
                    attributions.Span.Slice(m * length, length),
                    cancellationToken);
            }
        });
    }

    private ConvergenceDelta Run(ReadOnlySpan<T> input, ReadOnlySpan<T> outputWeights, Span<T> attributions, CancellationToken cancellationToken)
    {
        int length = _info.InputLength;
        Guard.Length(input, length, nameof(input));
        Guard.Finite(input, nameof(input));
        Guard.Length<T>(attributions, length, nameof(attributions));

        for (int i = 0; i < length; i++)
        {
            _direction[i] = input[i] - _baseline[i];
        }

        _gradientSum.AsSpan().Clear();
        int batch = _workspace.Capacity;
        for (int start = 0; start < _alphas.Length; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batch, _alphas.Length - start);
            _network.ForwardPath(_baseline, _direction, _alphas.AsSpan(start, count), _workspace);
            Broadcast(outputWeights, _workspace.OutputGradient(count));
            _network.BackwardPathSum(_weights.AsSpan(start, count), _workspace, _gradientSum);
        }

        double sum = 0;
        for (int i = 0; i < length; i++)
        {
            attributions[i] = _direction[i] * _gradientSum[i];
            sum += double.CreateChecked(attributions[i]);
        }

        // The endpoints by a plain forward pass: row 0 the baseline, row 1 the input.
        Span<T> points = _workspace.Input(2);
        _baseline.AsSpan().CopyTo(points);
        input.CopyTo(points.Slice(length));
        _network.ForwardFrom(_info.Input, _workspace, 2);
        ReadOnlySpan<T> outputs = _workspace.Output(2);
        int outputLength = _info.OutputLength;
        double atBaseline = Dot(outputs.Slice(0, outputLength), outputWeights);
        double atInput = Dot(outputs.Slice(outputLength, outputLength), outputWeights);
        return ConvergenceDelta.From(sum, atInput, atBaseline);
    }

    private static void Broadcast(ReadOnlySpan<T> row, Span<T> destination)
    {
        for (int offset = 0; offset < destination.Length; offset += row.Length)
        {
            row.CopyTo(destination.Slice(offset, row.Length));
        }
    }

    private static double Dot(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += double.CreateChecked(x[i]) * double.CreateChecked(y[i]);
        }

        return sum;
    }

    private static T[] Convert(double[] values)
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateChecked(values[i]);
        }

        return result;
    }
}
