using System;
using System.Numerics;

namespace Pathwise;

/// <summary>
/// The exact path integral of a <see cref="DenseChain"/>, swept along <c>a</c> from 0 to 1 in float64: the breakpoints
/// in order, each one neuron's kink, and from them <c>integral_0^1 dF/dx(x' + a (x - x')) da</c> without a forward or
/// backward pass per piece. One per call at a time (a <see cref="PathCall{T}"/> owns one); it keeps its buffers, so a
/// warm sweep allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Along the path every pre-activation of stage <c>q</c> is a line <c>z(a) = c + a s</c> between breakpoints, and its
/// activation's output is <c>d z(a)</c> with <c>d</c> the slope of the side it is on (1, or 0 for ReLU, the negative slope
/// for LeakyReLU): the kink is at zero. The first stage with a kink sees lines fixed for the whole path, so its crossings
/// are known at once (sorted). When neuron <c>k</c> of stage <c>m</c> crosses zero at <c>t</c>, its <c>d</c> changes by
/// <c>D</c>, so its output line changes by <c>D (c_k, s_k)</c> and the next stage's lines by that times column <c>k</c> of its
/// weight (one element for BatchNorm or a view): the sweep updates those lines and their next crossings only, and the
/// stages above by their linear maps of the change. Each stage keeps its earliest pending crossing; the earliest of
/// them is the next event (ties: the lower stage, then the lower neuron, first).
/// </para>
/// <para>
/// The integral replays the events backward: with <c>u_q</c> the gradient of <c>F = w . y</c> at stage <c>q</c>'s output
/// and <c>delta_q = d_q u_q</c> at its pre-activation, an event changes <c>delta_m</c> in one element,
/// <c>D u_m[k]</c>, and the stages below by <c>A^T</c> of that (row <c>k</c> of a dense weight, then full products further
/// down). As <c>delta_0</c> is piecewise constant, <c>integral_0^1 delta_0 = delta_0(0+) + sum_e (1 - t_e) (change of delta_0 at e)</c>,
/// and the input gradient's integral is <c>A_0^T</c> of it, one product at the end. So an MLP costs a few products with its
/// weights plus about <c>events x width</c> operations, not a pass per piece.
/// </para>
/// <para>
/// Breakpoints closer than <c>4 eps_min + 1e-15 t</c> to the previous one, or within <c>1e-15</c> of 1, are merged as
/// <see cref="PiecewiseLinearPath.Breakpoints"/> merges them, so the pieces are counted alike; the integral still
/// takes every event at its own time. A neuron whose line changes while it sits on zero (coincident crossings) takes
/// the side its new line leaves to, at once.
/// </para>
/// </remarks>
internal sealed class ChainSweep
{
    private DenseChain? _chain;
    private double[] _origin = [];
    private double[][] _lines = [];
    private double[][] _slopes = [];
    private double[][] _initialSlopes = [];
    private double[][] _next = [];
    private double[][] _change = [];
    private double[][] _gradients = [];
    private double[] _minTime = [];
    private int[] _minIndex = [];
    private double[] _firstTimes = [];
    private int[] _firstOrder = [];
    private int _firstCount;
    private int _firstCursor;
    private double[] _eventTimes = new double[64];
    private int[] _eventStages = new int[64];
    private int[] _eventNeurons = new int[64];
    private int _events;
    private double[] _breaks = new double[64];
    private int _breakCount;
    private double[] _ends = [];
    private double[] _weights = [];
    private double[] _sum = [];
    private double[] _integral = [];

    /// <summary>The breakpoints of the last complete <see cref="Run{T}"/>, ascending from 0 to 1 inclusive.</summary>
    public ReadOnlySpan<double> Breakpoints => _breaks.AsSpan(0, _breakCount);

    /// <summary>The number of pieces of the last complete run.</summary>
    public int Pieces => _breakCount - 1;

    /// <summary>The path's direction <c>x - x'</c> of the last run, in float64 (the ends' difference, not rounded).</summary>
    public ReadOnlySpan<double> Direction => _origin.AsSpan(_chain!.Inputs, _chain.Inputs);

    /// <summary>
    /// Sweeps <paramref name="chain"/> along the path from <paramref name="start"/> to <paramref name="end"/> (values of
    /// the chain's origin); false once the pieces would pass <paramref name="maxPieces"/> (the events and breakpoints are
    /// then incomplete and must not be read).
    /// </summary>
    public bool Run<T>(DenseChain chain, ReadOnlySpan<T> start, ReadOnlySpan<T> end, int maxPieces) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Prepare(chain);
        int inputs = chain.Inputs;
        for (int i = 0; i < inputs; i++)
        {
            double from = double.CreateChecked(start[i]);
            _origin[i] = from;
            _origin[inputs + i] = double.CreateChecked(end[i]) - from;
        }

        Lines();
        Ends();
        _events = 0;
        _breakCount = 0;
        AddBreak(0);
        if (chain.Top < 0)
        {
            AddBreak(1);
            return true;
        }

        Schedule();
        return Sweep(maxPieces);
    }

    /// <summary>
    /// <c>gradient[i] = integral_0^1 dF/dx_i(x' + a (x - x')) da</c> for <c>F = sum_j outputCoefficients[j] y_j</c>, from the
    /// last complete run's events (overwritten; the origin's length).
    /// </summary>
    public void GradientIntegral<T>(ReadOnlySpan<T> outputCoefficients, Span<double> gradient) where T : unmanaged, IFloatingPointIeee754<T>
    {
        DenseChain chain = _chain!;
        ChainStage[] stages = chain.Stages;
        int last = stages.Length - 1;
        for (int j = 0; j < _weights.Length; j++)
        {
            _weights[j] = double.CreateChecked(outputCoefficients[j]);
        }

        // The states at 0+, and the gradients there: u_q at each stage's output, delta_q = d_q u_q.
        for (int q = 0; q <= chain.Top; q++)
        {
            if (stages[q].Breaks)
            {
                _initialSlopes[q].AsSpan().CopyTo(_slopes[q]);
            }
        }

        _weights.AsSpan().CopyTo(_gradients[last]);
        for (int q = last; q >= 1; q--)
        {
            Span<double> delta = _change[q].AsSpan(0, stages[q].Outputs);
            MaskBySlopes(q, _gradients[q], delta);
            stages[q].Transposed(delta, _gradients[q - 1]);
        }

        Span<double> sum = _sum;
        MaskBySlopes(0, _gradients[0], sum);

        // Each event changes delta_0 from its time on: integral = delta_0(0+) + sum_e (1 - t_e) change_e.
        for (int e = 0; e < _events; e++)
        {
            int m = _eventStages[e];
            int k = _eventNeurons[e];
            double weight = 1 - _eventTimes[e];
            double step = Flip(m, k);
            double value = step * _gradients[m][k];
            bool dense = false;
            for (int q = m; q >= 1; q--)
            {
                // The change of u_{q-1} = A_q^T delta_q, then of delta_{q-1} = d_{q-1} u_{q-1}.
                ChainStage stage = stages[q];
                Span<double> below = _change[q - 1].AsSpan(0, stage.Inputs);
                Span<double> gradientBelow = _gradients[q - 1];
                if (dense)
                {
                    stage.Transposed(_change[q].AsSpan(0, stage.Outputs), below);
                }
                else if (stage.Map == StageMap.Dense)
                {
                    // Row k of W: contiguous.
                    ReadOnlySpan<double> row = stage.Weight.AsSpan(k * stage.Inputs, stage.Inputs);
                    for (int i = 0; i < below.Length; i++)
                    {
                        below[i] = value * row[i];
                    }

                    dense = true;
                }
                else
                {
                    value *= stage.Map == StageMap.Diagonal ? stage.Scale[k] : 1;
                    gradientBelow[k] += value;
                    value *= Slope(q - 1, k);
                    continue;
                }

                for (int i = 0; i < below.Length; i++)
                {
                    gradientBelow[i] += below[i];
                }

                if (stages[q - 1].Breaks)
                {
                    double[] slopes = _slopes[q - 1];
                    for (int i = 0; i < below.Length; i++)
                    {
                        below[i] *= slopes[i];
                    }
                }
            }

            if (dense)
            {
                ReadOnlySpan<double> below = _change[0].AsSpan(0, sum.Length);
                for (int i = 0; i < sum.Length; i++)
                {
                    sum[i] += weight * below[i];
                }
            }
            else
            {
                sum[k] += weight * value;
            }
        }

        stages[0].Transposed(sum, gradient);
    }

    /// <summary>
    /// Integrated Gradients from the last complete run: <c>attributions[i] = (x_i - x'_i) gradient_i</c> with the gradient
    /// integral of <see cref="GradientIntegral{T}"/> (in float64, rounded once); returns the attributions' sum and
    /// <c>F(x')</c>, <c>F(x)</c> from a float64 forward pass of the chain at the ends.
    /// </summary>
    public (double Sum, double AtBaseline, double AtInput) IntegratedGradients<T>(ReadOnlySpan<T> outputCoefficients, Span<T> attributions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GradientIntegral(outputCoefficients, _integral);
        ReadOnlySpan<double> direction = Direction;
        double sum = 0;
        for (int i = 0; i < attributions.Length; i++)
        {
            attributions[i] = T.CreateChecked(direction[i] * _integral[i]);
            sum += double.CreateChecked(attributions[i]);
        }

        int outputs = _chain!.Outputs;
        double atBaseline = 0;
        double atInput = 0;
        for (int j = 0; j < outputs; j++)
        {
            double weight = double.CreateChecked(outputCoefficients[j]);
            atBaseline += weight * _ends[j];
            atInput += weight * _ends[outputs + j];
        }

        return (sum, atBaseline, atInput);
    }

    /// <summary>Whether the activation of neuron <c>k</c> of stage <c>q</c> is on its positive side after <paramref name="t"/>, given its line.</summary>
    private static double NextCrossing(double c, double s, bool positive, double t)
    {
        // The side the line is on just after t; a line on zero at t takes the side it leaves to.
        bool after;
        double root = double.PositiveInfinity;
        bool ahead = false;
        if (s == 0)
        {
            after = c > 0;
        }
        else
        {
            root = -c / s;
            ahead = root > t;
            after = ahead ? s < 0 : s > 0;
        }

        if (after != positive)
        {
            return t;
        }

        return ahead && root < 1 ? root : double.PositiveInfinity;
    }

    private void Prepare(DenseChain chain)
    {
        if (ReferenceEquals(chain, _chain))
        {
            return;
        }

        ChainStage[] stages = chain.Stages;
        bool same = _chain is not null && _chain.Stages.Length == stages.Length && _chain.Inputs == chain.Inputs;
        for (int q = 0; same && q < stages.Length; q++)
        {
            same = _chain!.Stages[q].Outputs == stages[q].Outputs;
        }

        _chain = chain;
        if (same)
        {
            return;
        }

        int count = stages.Length;
        _origin = new double[2 * chain.Inputs];
        _lines = new double[count][];
        _slopes = new double[count][];
        _initialSlopes = new double[count][];
        _next = new double[count][];
        _change = new double[count][];
        _gradients = new double[count][];
        _minTime = new double[count];
        _minIndex = new int[count];
        for (int q = 0; q < count; q++)
        {
            int n = stages[q].Outputs;
            _lines[q] = new double[2 * n];
            _slopes[q] = new double[n];
            _initialSlopes[q] = new double[n];
            _next[q] = new double[n];
            _change[q] = new double[2 * n];
            _gradients[q] = new double[n];
        }

        int first = Math.Max(0, chain.First);
        _firstTimes = new double[stages[first].Outputs];
        _firstOrder = new int[stages[first].Outputs];
        _ends = new double[2 * chain.Outputs];
        _weights = new double[chain.Outputs];
        _sum = new double[stages[0].Outputs];
        _integral = new double[chain.Inputs];
    }

    /// <summary>Every stage's lines at the start (intercept at a = 0, slope), through the activations' sides at 0+, up to the top kink.</summary>
    private void Lines()
    {
        DenseChain chain = _chain!;
        ChainStage[] stages = chain.Stages;
        for (int q = 0; q <= chain.Top; q++)
        {
            ChainStage stage = stages[q];
            int n = stage.Outputs;
            double[] lines = _lines[q];
            if (q == 0)
            {
                stage.Linear(_origin, lines, 2);
            }
            else
            {
                stage.Linear(_change[q - 1].AsSpan(0, 2 * stage.Inputs), lines, 2);
            }

            if (stage.Bias.Length > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    lines[i] += stage.Bias[i];
                }
            }

            // The output lines d (c, s), into this stage's change buffer, as the next stage's input.
            double[] output = _change[q];
            if (stage.Breaks)
            {
                double[] slopes = _slopes[q];
                for (int i = 0; i < n; i++)
                {
                    slopes[i] = NextCrossing(lines[i], lines[n + i], positive: true, 0) == 0 ? stage.Low : 1;
                    output[i] = slopes[i] * lines[i];
                    output[n + i] = slopes[i] * lines[n + i];
                }

                slopes.AsSpan().CopyTo(_initialSlopes[q]);
            }
            else
            {
                lines.AsSpan().CopyTo(output);
            }
        }
    }

    /// <summary><c>F(x')</c> and <c>F(x)</c>: a float64 forward pass of both ends from the first stage's exact lines.</summary>
    private void Ends()
    {
        ChainStage[] stages = _chain!.Stages;
        Span<double> rows = _change[0];
        int n0 = stages[0].Outputs;
        if (_chain.Top >= 0)
        {
            ReadOnlySpan<double> lines = _lines[0];
            for (int i = 0; i < n0; i++)
            {
                rows[i] = lines[i];
                rows[n0 + i] = lines[i] + lines[n0 + i];
            }
        }
        else
        {
            // No kink anywhere: the stages' lines were not made; the ends through the first stage directly.
            stages[0].Linear(_origin, rows, 2);
            for (int i = 0; i < n0; i++)
            {
                double bias = stages[0].Bias.Length > 0 ? stages[0].Bias[i] : 0;
                rows[i] += bias;
                rows[n0 + i] += rows[i];
            }
        }

        stages[0].Activate(rows);
        for (int q = 1; q < stages.Length; q++)
        {
            ChainStage stage = stages[q];
            Span<double> output = _change[q];
            stage.Linear(_change[q - 1].AsSpan(0, 2 * stage.Inputs), output, 2);
            if (stage.Bias.Length > 0)
            {
                for (int i = 0; i < stage.Outputs; i++)
                {
                    output[i] += stage.Bias[i];
                    output[stage.Outputs + i] += stage.Bias[i];
                }
            }

            stage.Activate(output);
        }

        _change[^1].AsSpan(0, _ends.Length).CopyTo(_ends);
    }

    /// <summary>Each kinked stage's next crossing per neuron: the first kinked stage's all at once, sorted; the others' earliest kept.</summary>
    private void Schedule()
    {
        DenseChain chain = _chain!;
        ChainStage[] stages = chain.Stages;
        for (int q = chain.First; q <= chain.Top; q++)
        {
            if (!stages[q].Breaks)
            {
                continue;
            }

            int n = stages[q].Outputs;
            double[] lines = _lines[q];
            double[] slopes = _slopes[q];
            if (q == chain.First)
            {
                _firstCount = 0;
                _firstCursor = 0;
                for (int i = 0; i < n; i++)
                {
                    double next = NextCrossing(lines[i], lines[n + i], slopes[i] == 1, 0);
                    if (next < 1)
                    {
                        _firstTimes[_firstCount] = next;
                        _firstOrder[_firstCount++] = i;
                    }
                }

                _firstTimes.AsSpan(0, _firstCount).Sort(_firstOrder.AsSpan(0, _firstCount));
                continue;
            }

            double[] pending = _next[q];
            for (int i = 0; i < n; i++)
            {
                pending[i] = NextCrossing(lines[i], lines[n + i], slopes[i] == 1, 0);
            }

            Rescan(q);
        }
    }

    private bool Sweep(int maxPieces)
    {
        DenseChain chain = _chain!;
        ChainStage[] stages = chain.Stages;
        double last = 0;
        int pieces = 1;
        int neurons = 0;
        for (int q = 0; q <= chain.Top; q++)
        {
            neurons += stages[q].Breaks ? stages[q].Outputs : 0;
        }

        // Every event is a neuron changing side; a path with more than this many is handed back (a safeguard only).
        long limit = ((long)maxPieces + 1) * (neurons + 1);
        while (true)
        {
            double t = double.PositiveInfinity;
            int m = -1;
            int k = -1;
            if (_firstCursor < _firstCount)
            {
                t = _firstTimes[_firstCursor];
                m = chain.First;
                k = _firstOrder[_firstCursor];
            }

            for (int q = chain.First + 1; q <= chain.Top; q++)
            {
                if (stages[q].Breaks && _minTime[q] < t)
                {
                    t = _minTime[q];
                    m = q;
                    k = _minIndex[q];
                }
            }

            if (m < 0)
            {
                break;
            }

            if (t - last > (4 * double.Epsilon) + (1e-15 * t) && 1 - t > 1e-15)
            {
                if (++pieces > maxPieces)
                {
                    return false;
                }

                AddBreak(t);
                last = t;
            }

            if (_events == limit)
            {
                return false;
            }

            AddEvent(t, m, k);
            double step = Flip(m, k);
            double[] lines = _lines[m];
            int n = stages[m].Outputs;
            if (m == chain.First)
            {
                _firstCursor++;
            }
            else
            {
                _next[m][k] = NextCrossing(lines[k], lines[n + k], _slopes[m][k] == 1, t);
                Rescan(m);
            }

            Propagate(m, k, step * lines[k], step * lines[n + k], t);
        }

        AddBreak(1);
        return true;
    }

    /// <summary>
    /// Stage <paramref name="m"/>'s output line at neuron <paramref name="k"/> changed by <c>(dc, ds)</c> at <paramref name="t"/>:
    /// the lines above, up to the top kink, change by the stages' linear maps of it; their next crossings follow.
    /// </summary>
    private void Propagate(int m, int k, double dc, double ds, double t)
    {
        DenseChain chain = _chain!;
        ChainStage[] stages = chain.Stages;
        bool dense = false;
        for (int q = m + 1; q <= chain.Top; q++)
        {
            ChainStage stage = stages[q];
            int n = stage.Outputs;
            double[] lines = _lines[q];
            if (!dense && stage.Map != StageMap.Dense)
            {
                // One element in, one element out.
                double scale = stage.Map == StageMap.Diagonal ? stage.Scale[k] : 1;
                dc *= scale;
                ds *= scale;
                lines[k] += dc;
                lines[n + k] += ds;
                if (stage.Breaks)
                {
                    double[] slopes = _slopes[q];
                    double next = NextCrossing(lines[k], lines[n + k], slopes[k] == 1, t);
                    _next[q][k] = next;
                    if (next < _minTime[q])
                    {
                        _minTime[q] = next;
                        _minIndex[q] = k;
                    }
                    else if (_minIndex[q] == k)
                    {
                        Rescan(q);
                    }

                    dc *= slopes[k];
                    ds *= slopes[k];
                }

                continue;
            }

            double[] change = _change[q];
            if (dense)
            {
                stage.Linear(_change[q - 1].AsSpan(0, 2 * stage.Inputs), change, 2);
            }
            else
            {
                // Column k of W, contiguous in the transposed copy.
                ReadOnlySpan<double> column = stage.Columns.AsSpan(k * n, n);
                for (int i = 0; i < n; i++)
                {
                    change[i] = dc * column[i];
                    change[n + i] = ds * column[i];
                }

                dense = true;
            }

            for (int i = 0; i < 2 * n; i++)
            {
                lines[i] += change[i];
            }

            if (stage.Breaks)
            {
                double[] slopes = _slopes[q];
                double[] pending = _next[q];
                double earliest = double.PositiveInfinity;
                int at = -1;
                for (int i = 0; i < n; i++)
                {
                    double next = NextCrossing(lines[i], lines[n + i], slopes[i] == 1, t);
                    pending[i] = next;
                    if (next < earliest)
                    {
                        earliest = next;
                        at = i;
                    }

                    change[i] *= slopes[i];
                    change[n + i] *= slopes[i];
                }

                _minTime[q] = earliest;
                _minIndex[q] = at;
            }
        }
    }

    /// <summary>Neuron <paramref name="k"/> of stage <paramref name="q"/> changes side; returns the change of its slope.</summary>
    private double Flip(int q, int k)
    {
        double[] slopes = _slopes[q];
        double before = slopes[k];
        double after = before == 1 ? _chain!.Stages[q].Low : 1;
        slopes[k] = after;
        return after - before;
    }

    /// <summary>The activation's current slope of neuron <paramref name="k"/> of stage <paramref name="q"/> (1 without a kink).</summary>
    private double Slope(int q, int k) => _chain!.Stages[q].Breaks ? _slopes[q][k] : 1;

    /// <summary><c>delta = d_q u</c>.</summary>
    private void MaskBySlopes(int q, ReadOnlySpan<double> gradient, Span<double> delta)
    {
        if (!_chain!.Stages[q].Breaks)
        {
            gradient.CopyTo(delta);
            return;
        }

        double[] slopes = _slopes[q];
        for (int i = 0; i < delta.Length; i++)
        {
            delta[i] = slopes[i] * gradient[i];
        }
    }

    private void Rescan(int q)
    {
        double[] pending = _next[q];
        double earliest = double.PositiveInfinity;
        int at = -1;
        for (int i = 0; i < pending.Length; i++)
        {
            if (pending[i] < earliest)
            {
                earliest = pending[i];
                at = i;
            }
        }

        _minTime[q] = earliest;
        _minIndex[q] = at;
    }

    private void AddBreak(double t)
    {
        if (_breakCount == _breaks.Length)
        {
            Array.Resize(ref _breaks, 2 * _breaks.Length);
        }

        _breaks[_breakCount++] = t;
    }

    private void AddEvent(double t, int stage, int neuron)
    {
        if (_events == _eventTimes.Length)
        {
            Array.Resize(ref _eventTimes, 2 * _events);
            Array.Resize(ref _eventStages, 2 * _events);
            Array.Resize(ref _eventNeurons, 2 * _events);
        }

        _eventTimes[_events] = t;
        _eventStages[_events] = stage;
        _eventNeurons[_events++] = neuron;
    }
}
