using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>The breakpoints of the last complete <see cref="Run{T}"/>, ascending from 0 to 1 inclusive.</summary>
    public ReadOnlySpan<double> Breakpoints => _breaks.AsSpan(0, _breakCount);

    /// <summary>The number of pieces of the last complete run.</summary>
    public int Pieces => _breakCount - 1;

    /// <summary>The number of events (a neuron changing side) of the last complete run: more than <c>Pieces - 1</c> when some coincide.</summary>
    public int Events => _events;

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

        Forward();
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
        Integrate(outputCoefficients);
        _chain!.Stages[0].Transposed(_sum, gradient);
    }

    /// <summary>
    /// Integrated Gradients from the last complete run: <c>attributions[i] = (x_i - x'_i) gradient_i</c> with the gradient
    /// integral of <see cref="GradientIntegral{T}"/> (in float64, rounded once; not formed where <c>x_i = x'_i</c>); returns the
    /// attributions' sum and <c>F(x')</c>, <c>F(x)</c> from a float64 forward pass of the chain at the ends.
    /// </summary>
    public (double Sum, double AtBaseline, double AtInput) IntegratedGradients<T>(ReadOnlySpan<T> outputCoefficients, Span<T> attributions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Integrate(outputCoefficients);
        ChainStage first = _chain!.Stages[0];
        ReadOnlySpan<double> direction = Direction;
        double sum = 0;
        for (int i = 0; i < attributions.Length; i++)
        {
            attributions[i] = direction[i] == 0 ? T.Zero : T.CreateChecked(direction[i] * first.TransposedAt(i, _sum));
            sum += double.CreateChecked(attributions[i]);
        }

        int outputs = _chain.Outputs;
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

    /// <summary>
    /// <c>_sum = integral_0^1 delta_0(a) da</c>, the gradient of <c>F = sum_j outputCoefficients[j] y_j</c> at the first stage's
    /// pre-activation integrated along the path, replaying the last run's events.
    /// </summary>
    private void Integrate<T>(ReadOnlySpan<T> outputCoefficients) where T : unmanaged, IFloatingPointIeee754<T>
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
            bool added = false;
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
                else if (stage.Map == StageMap.Dense && q == 1)
                {
                    // Row k of W straight into the first stage (an MLP's second layer): u_0, then the integral, in one pass.
                    IntoFirst(stage.Weight.AsSpan(k * stage.Inputs, stage.Inputs), value, gradientBelow, stages[0].Breaks ? _slopes[0] : default, weight, sum);
                    added = true;
                    break;
                }
                else if (stage.Map == StageMap.Dense)
                {
                    // Row k of W: contiguous.
                    TensorPrimitives.Multiply(stage.Weight.AsSpan(k * stage.Inputs, stage.Inputs), value, below);
                    dense = true;
                }
                else
                {
                    value *= stage.Map == StageMap.Diagonal ? stage.Scale[k] : 1;
                    gradientBelow[k] += value;
                    value *= Slope(q - 1, k);
                    continue;
                }

                TensorPrimitives.Add(gradientBelow, below, gradientBelow);
                if (stages[q - 1].Breaks)
                {
                    TensorPrimitives.Multiply(below, _slopes[q - 1], below);
                }
            }

            if (dense)
            {
                TensorPrimitives.MultiplyAdd(_change[0].AsSpan(0, sum.Length), weight, sum, sum);
            }
            else if (!added)
            {
                sum[k] += weight * value;
            }
        }
    }

    /// <summary>
    /// <c>u += value row</c>, <c>sum += weight d (value row)</c> (<c>d</c> all ones when <paramref name="slopes"/> is empty):
    /// an event's change of the first stage's gradients and of their integral.
    /// </summary>
    private static void IntoFirst(ReadOnlySpan<double> row, double value, Span<double> u, ReadOnlySpan<double> slopes, double weight, Span<double> sum)
    {
        int n = row.Length;
        int i = 0;
        bool masked = !slopes.IsEmpty;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            ref double r0 = ref MemoryMarshal.GetReference(row);
            ref double u0 = ref MemoryMarshal.GetReference(u);
            ref double d0 = ref MemoryMarshal.GetReference(slopes);
            ref double s0 = ref MemoryMarshal.GetReference(sum);
            Vector256<double> v = Vector256.Create(value);
            Vector256<double> w = Vector256.Create(weight);
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                Vector256<double> change = Vector256.LoadUnsafe(ref r0, (nuint)i) * v;
                (Vector256.LoadUnsafe(ref u0, (nuint)i) + change).StoreUnsafe(ref u0, (nuint)i);
                Vector256<double> delta = masked ? change * Vector256.LoadUnsafe(ref d0, (nuint)i) : change;
                Vector256.FusedMultiplyAdd(delta, w, Vector256.LoadUnsafe(ref s0, (nuint)i)).StoreUnsafe(ref s0, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double change = row[i] * value;
            u[i] += change;
            sum[i] = Math.FusedMultiplyAdd(masked ? change * slopes[i] : change, weight, sum[i]);
        }
    }

    /// <summary>
    /// When a neuron whose pre-activation is the line <c>c + a s</c>, now on its <paramref name="positive"/> side or not,
    /// next changes side after <paramref name="t"/>: <paramref name="t"/> itself when the line leaves to the other side there
    /// (it sits on zero, or rounding put it across), its zero when ahead and before 1, else infinity.
    /// </summary>
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
        bool same = _chain is not null && _chain.Stages.Length == stages.Length && _chain.Inputs == chain.Inputs && _chain.First == chain.First;
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
            _change[q] = new double[3 * n];
            _gradients[q] = new double[n];
        }

        int first = Math.Max(0, chain.First);
        _firstTimes = new double[stages[first].Outputs];
        _firstOrder = new int[stages[first].Outputs];
        _ends = new double[2 * chain.Outputs];
        _weights = new double[chain.Outputs];
        _sum = new double[stages[0].Outputs];
    }

    /// <summary>
    /// One float64 forward pass of three rows: every stage's lines up to the top kink (intercept at a = 0 and slope, through
    /// the activations' sides at 0+), and the values at a = 1; above the top kink the values at both ends, which give
    /// <c>F(x')</c> and <c>F(x)</c>. The first stage's rows read only the columns where <c>x'</c> or <c>x - x'</c> is not zero.
    /// </summary>
    private void Forward()
    {
        DenseChain chain = _chain!;
        ChainStage[] stages = chain.Stages;
        ChainStage first = stages[0];
        int inputs = first.Inputs;
        int n0 = first.Outputs;

        // rows: [c | s | z(1)] while q <= Top, then [z(0) | z(1)]; the stage's pre-activations, then its outputs in place.
        Span<double> rows = _change[0];
        first.LinearSkippingZeros(_origin.AsSpan(0, inputs), rows.Slice(0, n0));
        first.LinearSkippingZeros(_origin.AsSpan(inputs, inputs), rows.Slice(n0, n0));
        for (int i = 0; i < n0; i++)
        {
            rows[i] += first.Bias.Length > 0 ? first.Bias[i] : 0;
            rows[(2 * n0) + i] = rows[i] + rows[n0 + i];
        }

        if (chain.Top < 0)
        {
            // No kink anywhere: no lines, the values at both ends only.
            rows.Slice(2 * n0, n0).CopyTo(rows.Slice(n0, n0));
        }

        for (int q = 0; q < stages.Length; q++)
        {
            ChainStage stage = stages[q];
            int n = stage.Outputs;
            rows = _change[q];
            if (q > 0)
            {
                int count = q <= chain.Top ? 3 : 2;
                stage.Linear(_change[q - 1].AsSpan(0, count * stage.Inputs), rows, count);
                if (stage.Bias.Length > 0)
                {
                    for (int i = 0; i < n; i++)
                    {
                        rows[i] += stage.Bias[i];
                        rows[((count - 1) * n) + i] += stage.Bias[i];
                    }
                }
            }

            if (q > chain.Top)
            {
                stage.Activate(rows.Slice(0, 2 * n));
                continue;
            }

            rows.Slice(0, 2 * n).CopyTo(_lines[q]);
            stage.Activate(rows.Slice(2 * n, n));
            if (stage.Breaks)
            {
                double[] slopes = _slopes[q];
                for (int i = 0; i < n; i++)
                {
                    slopes[i] = NextCrossing(rows[i], rows[n + i], positive: true, 0) == 0 ? stage.Low : 1;
                    rows[i] *= slopes[i];
                    rows[n + i] *= slopes[i];
                }

                slopes.AsSpan().CopyTo(_initialSlopes[q]);
            }

            if (q == chain.Top)
            {
                // From here on the values at a = 0 (d c, the intercepts) and at a = 1 only.
                rows.Slice(2 * n, n).CopyTo(rows.Slice(n, n));
            }
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

            _minIndex[q] = Crossings(lines, slopes, _next[q], 0, out _minTime[q]);
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
                    if (next < _minTime[q] || (next == _minTime[q] && k < _minIndex[q]))
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
            Span<double> intercepts = lines.AsSpan(0, n);
            Span<double> gradients = lines.AsSpan(n, n);
            if (dense)
            {
                stage.Linear(_change[q - 1].AsSpan(0, 2 * stage.Inputs), change, 2);
                TensorPrimitives.Add(intercepts, change.AsSpan(0, n), intercepts);
                TensorPrimitives.Add(gradients, change.AsSpan(n, n), gradients);
            }
            else
            {
                // Column k of W, contiguous in the transposed copy; the change itself is needed only below the top kink.
                ReadOnlySpan<double> column = stage.Columns.AsSpan(k * n, n);
                if (q == chain.Top)
                {
                    // The common last step (an MLP's last hidden layer): the lines and their crossings in one pass.
                    _minIndex[q] = Crossings(lines, column, dc, ds, _slopes[q], _next[q], t, out _minTime[q]);
                    return;
                }

                TensorPrimitives.Multiply(column, dc, change.AsSpan(0, n));
                TensorPrimitives.Multiply(column, ds, change.AsSpan(n, n));
                TensorPrimitives.Add(intercepts, change.AsSpan(0, n), intercepts);
                TensorPrimitives.Add(gradients, change.AsSpan(n, n), gradients);
                dense = true;
            }

            if (stage.Breaks)
            {
                double[] slopes = _slopes[q];
                _minIndex[q] = Crossings(lines, slopes, _next[q], t, out _minTime[q]);
                if (q < chain.Top)
                {
                    TensorPrimitives.Multiply(change.AsSpan(0, n), slopes, change.AsSpan(0, n));
                    TensorPrimitives.Multiply(change.AsSpan(n, n), slopes, change.AsSpan(n, n));
                }
            }
        }
    }

    /// <summary>
    /// <see cref="NextCrossing"/> of every neuron of a stage, <paramref name="lines"/> <c>[intercepts | slopes]</c> and
    /// <paramref name="slopes"/> its sides, into <paramref name="pending"/>; returns the earliest's index (-1 when none) and time.
    /// </summary>
    private static int Crossings(Span<double> lines, ReadOnlySpan<double> slopes, Span<double> pending, double t, out double earliest) =>
        Crossings(lines, default, 0, 0, slopes, pending, t, out earliest);

    /// <summary>
    /// <see cref="Crossings(Span{double}, ReadOnlySpan{double}, Span{double}, double, out double)"/> after adding
    /// <c>(dc, ds) column</c> to the lines (when <paramref name="column"/> is not empty), in the same pass.
    /// </summary>
    private static int Crossings(Span<double> lines, ReadOnlySpan<double> column, double dc, double ds, ReadOnlySpan<double> slopes, Span<double> pending, double t, out double earliest)
    {
        int n = pending.Length;
        int i = 0;
        int found = -1;
        earliest = double.PositiveInfinity;
        bool update = !column.IsEmpty;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            ref double w0 = ref MemoryMarshal.GetReference(column);
            Vector256<double> dcv = Vector256.Create(dc);
            Vector256<double> dsv = Vector256.Create(ds);
            ref double c0 = ref MemoryMarshal.GetReference(lines);
            ref double s0 = ref Unsafe.Add(ref c0, n);
            ref double d0 = ref MemoryMarshal.GetReference(slopes);
            ref double p0 = ref MemoryMarshal.GetReference(pending);
            Vector256<double> at = Vector256.Create(t);
            Vector256<double> one = Vector256<double>.One;
            Vector256<double> never = Vector256.Create(double.PositiveInfinity);
            Vector256<double> minimum = never;
            Vector256<double> index = Vector256.Create(0.0, 1, 2, 3);
            Vector256<double> step = Vector256.Create((double)Vector256<double>.Count);
            Vector256<double> where = Vector256.Create(-1.0);
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                Vector256<double> c = Vector256.LoadUnsafe(ref c0, (nuint)i);
                Vector256<double> s = Vector256.LoadUnsafe(ref s0, (nuint)i);
                if (update)
                {
                    Vector256<double> w = Vector256.LoadUnsafe(ref w0, (nuint)i);
                    c = Vector256.FusedMultiplyAdd(w, dcv, c);
                    s = Vector256.FusedMultiplyAdd(w, dsv, s);
                    c.StoreUnsafe(ref c0, (nuint)i);
                    s.StoreUnsafe(ref s0, (nuint)i);
                }

                Vector256<double> positive = Vector256.Equals(Vector256.LoadUnsafe(ref d0, (nuint)i), one);
                Vector256<double> root = -c / s;
                Vector256<double> ahead = Vector256.GreaterThan(root, at);
                Vector256<double> after = Vector256.ConditionalSelect(
                    Vector256.Equals(s, Vector256<double>.Zero),
                    Vector256.GreaterThan(c, Vector256<double>.Zero),
                    Vector256.ConditionalSelect(ahead, Vector256.LessThan(s, Vector256<double>.Zero), Vector256.GreaterThan(s, Vector256<double>.Zero)));
                Vector256<double> next = Vector256.ConditionalSelect(
                    after ^ positive,
                    at,
                    Vector256.ConditionalSelect(ahead & Vector256.LessThan(root, one), root, never));
                next.StoreUnsafe(ref p0, (nuint)i);

                // Per lane the earliest and its first index.
                Vector256<double> earlier = Vector256.LessThan(next, minimum);
                minimum = Vector256.ConditionalSelect(earlier, next, minimum);
                where = Vector256.ConditionalSelect(earlier, index, where);
                index += step;
            }

            EarliestOfLanes(minimum, where, ref earliest, ref found);
        }

        for (int j = i; j < n; j++)
        {
            if (update)
            {
                lines[j] = Math.FusedMultiplyAdd(column[j], dc, lines[j]);
                lines[n + j] = Math.FusedMultiplyAdd(column[j], ds, lines[n + j]);
            }

            pending[j] = NextCrossing(lines[j], lines[n + j], slopes[j] == 1, t);
            if (pending[j] < earliest)
            {
                earliest = pending[j];
                found = j;
            }
        }

        return double.IsPositiveInfinity(earliest) ? -1 : found;
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

    /// <summary>Stage <paramref name="q"/>'s earliest pending crossing (the lowest neuron on a tie).</summary>
    private void Rescan(int q)
    {
        _minIndex[q] = Earliest(_next[q], out _minTime[q]);
    }

    /// <summary>The index of the first smallest of <paramref name="times"/>, -1 when all are infinite; its value in <paramref name="earliest"/>.</summary>
    private static int Earliest(ReadOnlySpan<double> times, out double earliest)
    {
        int n = times.Length;
        int i = 0;
        int found = -1;
        earliest = double.PositiveInfinity;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            ref double t0 = ref MemoryMarshal.GetReference(times);
            Vector256<double> minimum = Vector256.Create(double.PositiveInfinity);
            Vector256<double> index = Vector256.Create(0.0, 1, 2, 3);
            Vector256<double> step = Vector256.Create((double)Vector256<double>.Count);
            Vector256<double> where = Vector256.Create(-1.0);
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                Vector256<double> next = Vector256.LoadUnsafe(ref t0, (nuint)i);
                Vector256<double> earlier = Vector256.LessThan(next, minimum);
                minimum = Vector256.ConditionalSelect(earlier, next, minimum);
                where = Vector256.ConditionalSelect(earlier, index, where);
                index += step;
            }

            EarliestOfLanes(minimum, where, ref earliest, ref found);
        }

        for (; i < n; i++)
        {
            if (times[i] < earliest)
            {
                earliest = times[i];
                found = i;
            }
        }

        return found;
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

    /// <summary>Folds per-lane minima (and their first indices) into <paramref name="earliest"/> and <paramref name="found"/>, the lower index winning a tie.</summary>
    private static void EarliestOfLanes(Vector256<double> minimum, Vector256<double> where, ref double earliest, ref int found)
    {
        for (int lane = 0; lane < Vector256<double>.Count; lane++)
        {
            if (minimum[lane] < earliest || (minimum[lane] == earliest && where[lane] < found))
            {
                earliest = minimum[lane];
                found = (int)where[lane];
            }
        }
    }
}
