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
    private readonly PathIntegrator<T> _path;
    private readonly T[] _gradientSum;
    private readonly T[] _optionsBaseline;
    private IntegratedGradients<T>[]? _workers;

    /// <summary>Prepares the method for <paramref name="network"/>; throws if an option is invalid.</summary>
    public IntegratedGradients(INetwork<T> network, IntegratedGradientsOptions? options = null)
    {
        options ??= new IntegratedGradientsOptions();
        _network = network;
        _path = new PathIntegrator<T>(network, options);
        Options = options;
        _gradientSum = new T[_path.Info.InputLength];
        _optionsBaseline = (T[])_path.Baseline.Clone();
    }

    /// <summary>The validated settings.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <summary>Attributes output <paramref name="target"/> at <paramref name="input"/>; returns a new result.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, int target, CancellationToken cancellationToken = default)
    {
        var values = new T[_path.Info.InputLength];
        ConvergenceDelta delta = Attribute(input, target, values, cancellationToken);
        return new Attribution<T>(values, _path.Info.Input.OutputShape, delta, _path.Steps);
    }

    /// <summary>Attributes the weighted output <c>sum_j outputWeights[j] F_j</c> at <paramref name="input"/>; returns a new result.</summary>
    public Attribution<T> Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputWeights, CancellationToken cancellationToken = default)
    {
        var values = new T[_path.Info.InputLength];
        ConvergenceDelta delta = Attribute(input, outputWeights, values, cancellationToken);
        return new Attribution<T>(values, _path.Info.Input.OutputShape, delta, _path.Steps);
    }

    /// <summary>Attributes output <paramref name="target"/> into <paramref name="attributions"/>; allocates nothing.</summary>
    public ConvergenceDelta Attribute(ReadOnlySpan<T> input, int target, Span<T> attributions, CancellationToken cancellationToken = default)
    {
        Guard.Length<T>(attributions, _path.Info.InputLength, nameof(attributions));
        UseBaseline(_optionsBaseline);
        _path.Begin(input, target);
        return Run(attributions, cancellationToken);
    }

    /// <summary>Attributes the weighted output <c>sum_j outputWeights[j] F_j</c> into <paramref name="attributions"/>; allocates nothing.</summary>
    public ConvergenceDelta Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> outputWeights, Span<T> attributions, CancellationToken cancellationToken = default)
    {
        Guard.Length<T>(attributions, _path.Info.InputLength, nameof(attributions));
        UseBaseline(_optionsBaseline);
        _path.Begin(input, outputWeights);
        return Run(attributions, cancellationToken);
    }

    /// <summary>Attributes output <paramref name="target"/> against the given <paramref name="baseline"/> instead of the options' one.</summary>
    public ConvergenceDelta Attribute(ReadOnlySpan<T> input, ReadOnlySpan<T> baseline, int target, Span<T> attributions, CancellationToken cancellationToken = default)
    {
        Guard.Length<T>(attributions, _path.Info.InputLength, nameof(attributions));
        _path.SetBaseline(baseline);
        _path.Begin(input, target);
        return Run(attributions, cancellationToken);
    }

    /// <summary>
    /// Attributes several outputs of one input at once: the path points are run forward once per chunk and
    /// only the backward pass is repeated per target. Writes <c>attributions[t, input length]</c> and one delta per target.
    /// </summary>
    public void AttributeTargets(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, Span<T> attributions, Span<ConvergenceDelta> deltas, CancellationToken cancellationToken = default)
    {
        int length = _path.Info.InputLength;
        Guard.Length<T>(attributions, targets.Length * length, nameof(attributions));
        Guard.Length<ConvergenceDelta>(deltas, targets.Length, nameof(deltas));
        foreach (int target in targets)
        {
            Guard.Index(target, _path.Info.OutputLength, nameof(targets));
        }

        UseBaseline(_optionsBaseline);
        _path.Begin(input, targets.Length > 0 ? targets[0] : 0);
        attributions.Clear();
        Workspace<T> workspace = _path.Workspace;
        for (int start = 0; start < _path.Steps; start += _path.ChunkCapacity)
        {
            int count = _path.Forward(start, cancellationToken);
            for (int t = 0; t < targets.Length; t++)
            {
                Span<T> seed = workspace.OutputGradient(count);
                seed.Clear();
                for (int k = 0; k < count; k++)
                {
                    seed[k * _path.Info.OutputLength + targets[t]] = T.One;
                }

                _network.BackwardPathSum(_path.Weights.AsSpan(start, count), workspace, attributions.Slice(t * length, length));
            }
        }

        ReadOnlySpan<T> outputs = _path.EndpointActivations(_path.Info.Output);
        int outputLength = _path.Info.OutputLength;
        for (int t = 0; t < targets.Length; t++)
        {
            Span<T> row = attributions.Slice(t * length, length);
            for (int i = 0; i < length; i++)
            {
                row[i] *= _path.Direction[i];
            }

            deltas[t] = ConvergenceDelta.From(PathIntegrator<T>.Sum(row), double.CreateChecked(outputs[outputLength + targets[t]]), double.CreateChecked(outputs[targets[t]]));
        }
    }

    /// <summary>
    /// Attributes many inputs, <c>inputs[m, input length]</c>, each for its own target, in parallel over
    /// the machine's cores; writes <c>attributions[m, input length]</c> and one delta per input.
    /// <paramref name="progress"/>, when given, hears the number of inputs done after each one.
    /// </summary>
    public void AttributeBatch(ReadOnlyMemory<T> inputs, ReadOnlyMemory<int> targets, Memory<T> attributions, Memory<ConvergenceDelta> deltas, CancellationToken cancellationToken = default, IProgress<int>? progress = null)
    {
        int length = _path.Info.InputLength;
        int count = targets.Length;
        Guard.Length(inputs.Span, count * length, nameof(inputs));
        Guard.Length<T>(attributions.Span, count * length, nameof(attributions));
        Guard.Length<ConvergenceDelta>(deltas.Span, count, nameof(deltas));
        for (int m = 0; m < count; m++)
        {
            Guard.Index(targets.Span[m], _path.Info.OutputLength, "targets[" + m + "]");
            Guard.Finite(inputs.Span.Slice(m * length, length), "inputs[" + m + "]");
        }

        int workers = Math.Min(Environment.ProcessorCount, Math.Max(1, count));
        _workers ??= new IntegratedGradients<T>[Environment.ProcessorCount];
        for (int w = 0; w < workers; w++)
        {
            _workers[w] ??= new IntegratedGradients<T>(_network, Options);
        }

        int done = 0;
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
                progress?.Report(Interlocked.Increment(ref done));
            }
        });
    }

    private void UseBaseline(T[] baseline)
    {
        if (!baseline.AsSpan().SequenceEqual(_path.Baseline))
        {
            baseline.AsSpan().CopyTo(_path.Baseline);
        }
    }

    private ConvergenceDelta Run(Span<T> attributions, CancellationToken cancellationToken)
    {
        _gradientSum.AsSpan().Clear();
        for (int start = 0; start < _path.Steps; start += _path.ChunkCapacity)
        {
            int count = _path.Forward(start, cancellationToken);
            _path.SeedOutput(count);
            _network.BackwardPathSum(_path.Weights.AsSpan(start, count), _path.Workspace, _gradientSum);
        }

        double sum = 0;
        for (int i = 0; i < attributions.Length; i++)
        {
            attributions[i] = _path.Direction[i] * _gradientSum[i];
            sum += double.CreateChecked(attributions[i]);
        }

        (double atBaseline, double atInput) = _path.ReadEndpoints();
        return ConvergenceDelta.From(sum, atInput, atBaseline);
    }
}
