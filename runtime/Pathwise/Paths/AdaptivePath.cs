using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>
/// The adaptive rule's state of one call on one engine (<see cref="PathCall{T}.Adaptive"/>): the first cuts of the path,
/// the intervals and, per interval, every accumulator's Kronrod value and its difference from the Gauss value; after
/// the run, the per-element error estimates. Kept with its call and reused, so its buffers grow once per engine; a call
/// still allocates its first cuts and its result's error object.
/// </summary>
/// <remarks>
/// The accumulators a method's steps make are linear in the weights <c>c_k</c>, so running the steps on an interval's
/// 15 Kronrod points gives every accumulator's K15 value there, and on its 7 Gauss points its G7 value. The engines
/// reduce with one set of weights per pass, so the Gauss points are evaluated a second time: an interval costs
/// <see cref="GaussKronrod.PointsPerInterval"/> = 22 gradient evaluations (reusing the Kronrod passes would need
/// engines that reduce with two weightings at once). The estimate of element <c>j</c> on interval <c>i</c> is
/// <c>|s_j| |K_ij - G_ij|</c>, with <c>s_j</c> the scale the method registered (<see cref="ScaleErrors"/>; <c>x_j - x'_j</c>
/// for an input-gradient sum); elements' estimates add over intervals, and the total's is
/// <c>sum_i |sum_j s_j (K_ij - G_ij)|</c>.
/// </remarks>
internal sealed class AdaptiveCall<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly AdaptiveSettings _settings;
    private readonly T[] _kronrodAlphas = new T[GaussKronrod.KronrodPoints];
    private readonly T[] _kronrodCoefficients = new T[GaussKronrod.KronrodPoints];
    private readonly T[] _gaussAlphas = new T[GaussKronrod.GaussPoints];
    private readonly T[] _gaussCoefficients = new T[GaussKronrod.GaussPoints];
    private readonly List<Interval> _intervals = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly List<int> _order = [];
    private PathVector?[] _scaleBy = new PathVector?[2];
    private double[] _cuts = [0.0, 1.0];
    private int[] _offsets = [];
    private int _accumulators;
    private int _sums;
    private int _width;
    private int _slots;
    private double[] _kronrod = [];
    private double[] _difference = [];
    private double[] _scale = [];
    private double[] _errors = [];
    private double[] _totals = [];

    public AdaptiveCall(AdaptiveSettings settings)
    {
        _settings = settings;
    }

    /// <summary>Whether the last run met its tolerance.</summary>
    public bool Converged { get; private set; }

    /// <summary>The gradient evaluations of the last run.</summary>
    public int PointsUsed { get; private set; }

    /// <summary>The intervals of the last run's result.</summary>
    public int Intervals => _intervals.Count;

    /// <summary>Whether the last run started from the breakpoints of the network's piecewise-linear layers (false when it had none, or too many).</summary>
    public bool StartedFromBreakpoints { get; private set; }

    /// <summary>The tolerance asked for.</summary>
    public double Tolerance => _settings.Tolerance;

    /// <summary>Starts a call: forgets the previous call's scales and finds this path's first cuts from <paramref name="baseline"/> to <paramref name="input"/>.</summary>
    public void Begin(ReadOnlySpan<T> baseline, ReadOnlySpan<T> input)
    {
        Array.Clear(_scaleBy);
        _cuts = [0.0, 1.0];
        StartedFromBreakpoints = false;
        if (_settings.PrefixPath is not { } prefix)
        {
            return;
        }

        var x0 = new double[baseline.Length];
        var x1 = new double[input.Length];
        for (int i = 0; i < x0.Length; i++)
        {
            x0[i] = double.CreateChecked(baseline[i]);
            x1[i] = double.CreateChecked(input[i]);
        }

        // Each piece needs one interval's points: more pieces than the budget allows are not cut first.
        double[] breaks = prefix().Breakpoints(x0, x1, Math.Max(1, _settings.MaxPoints / GaussKronrod.PointsPerInterval), out bool complete);
        if (complete)
        {
            _cuts = breaks;
            StartedFromBreakpoints = breaks.Length > 2;
        }
    }

    /// <summary>Copies another engine's begun call (a batch's split halves never run adaptively, but the state stays coherent).</summary>
    public void CopyFrom(AdaptiveCall<T> other)
    {
        _cuts = other._cuts;
        StartedFromBreakpoints = other.StartedFromBreakpoints;
        Array.Clear(_scaleBy);
    }

    /// <summary>
    /// Registers that accumulator <paramref name="accumulator"/>'s elements enter the result multiplied by
    /// <paramref name="by"/> (an input-gradient sum times <c>x - x'</c>): its error estimates are scaled alike.
    /// </summary>
    public void ScaleErrors(int accumulator, PathVector by)
    {
        if (accumulator >= _scaleBy.Length)
        {
            Array.Resize(ref _scaleBy, Math.Max(accumulator + 1, 2 * _scaleBy.Length));
        }

        _scaleBy[accumulator] = by;
    }

    /// <summary>The estimated absolute error of each element of accumulator <paramref name="accumulator"/>, after a run.</summary>
    public ReadOnlySpan<double> Errors(int accumulator) => _errors.AsSpan(_offsets[accumulator], _offsets[accumulator + 1] - _offsets[accumulator]);

    /// <summary>The estimated absolute error of the sum of accumulator <paramref name="accumulator"/>'s (scaled) elements, after a run.</summary>
    public double TotalError(int accumulator) => _totals[accumulator];

    /// <summary>The estimated absolute error of double sum <paramref name="sum"/>, after a run.</summary>
    public double SumError(int sum) => _errors[_offsets[_accumulators] + sum];

    /// <summary>The error of accumulator <paramref name="accumulator"/> as a result reports it: a new object.</summary>
    public QuadratureError Error(int accumulator) =>
        new(TotalError(accumulator), Errors(accumulator).ToArray(), Converged, Tolerance, PointsUsed, Intervals, true);

    /// <summary>
    /// Runs the call begun on <paramref name="engine"/> adaptively: every first piece integrated, then the intervals with
    /// the largest estimated errors halved, until the estimate summed over the elements is at most
    /// <c>Tolerance * sum_j |s_j acc_j|</c> or the next halving would pass <c>MaxPoints</c>. Leaves in the engine's host
    /// accumulators and sums (<see cref="IPathEngine{T}.Results"/>) the sum of the intervals' Kronrod values, and the
    /// endpoints of the last pass.
    /// </summary>
    public static void Run<TSteps>(IPathEngine<T> engine, scoped ref TSteps steps, CancellationToken cancellationToken)
        where TSteps : IPathSteps<T>, allows ref struct
    {
        PathCall<T> call = engine.Call;
        AdaptiveCall<T> state = call.Adaptive!;
        state.Reset();
        double[] cuts = state._cuts;
        for (int p = 0; p + 1 < cuts.Length; p++)
        {
            state.Evaluate(engine, ref steps, cuts[p], cuts[p + 1], cancellationToken);
        }

        int budget = state._settings.MaxPoints;
        while (true)
        {
            (double estimate, double size) = state.Measure();
            double goal = state._settings.Tolerance * size;
            if (estimate <= goal)
            {
                state.Converged = true;
                break;
            }

            // Halve the worst intervals until what is left unhalved is within half the goal, as the budget allows.
            List<int> order = state._order;
            order.Clear();
            for (int i = 0; i < state._intervals.Count; i++)
            {
                order.Add(i);
            }

            List<Interval> intervals = state._intervals;
            order.Sort((a, b) => intervals[b].Error.CompareTo(intervals[a].Error));
            double left = estimate;
            int chosen = 0;
            foreach (int i in order)
            {
                Interval interval = intervals[i];
                if (left <= 0.5 * goal || state.PointsUsed + ((chosen + 1) * 2 * GaussKronrod.PointsPerInterval) > budget)
                {
                    break;
                }

                // An interval too short to halve in double keeps its estimate.
                double middle = 0.5 * (interval.Low + interval.High);
                if (!(middle > interval.Low && middle < interval.High))
                {
                    continue;
                }

                intervals[i] = interval with { Split = true };
                left -= interval.Error;
                chosen++;
            }

            if (chosen == 0)
            {
                break;
            }

            int count = intervals.Count;
            for (int i = 0; i < count; i++)
            {
                Interval interval = intervals[i];
                if (interval.Split)
                {
                    double middle = 0.5 * (interval.Low + interval.High);
                    state.Evaluate(engine, ref steps, interval.Low, middle, cancellationToken);
                    state.Evaluate(engine, ref steps, middle, interval.High, cancellationToken);
                    state._freeSlots.Push(interval.Slot);
                }
            }

            intervals.RemoveAll(static interval => interval.Split);
        }

        state.Publish(engine);
        call.ReportPoints(state.PointsUsed);
    }

    private void Reset()
    {
        _intervals.Clear();
        _freeSlots.Clear();
        _slots = 0;
        _width = -1;
        PointsUsed = 0;
        Converged = false;
    }

    /// <summary>Integrates [<paramref name="low"/>, <paramref name="high"/>] by K15 and G7 and keeps it as an interval.</summary>
    private void Evaluate<TSteps>(IPathEngine<T> engine, scoped ref TSteps steps, double low, double high, CancellationToken cancellationToken)
        where TSteps : IPathSteps<T>, allows ref struct
    {
        PathCall<T> call = engine.Call;
        GaussKronrod.Kronrod<T>(low, high, _kronrodAlphas, _kronrodCoefficients);
        call.UsePoints(_kronrodAlphas, _kronrodCoefficients);
        PathRunner.RunRange(engine, ref steps, 0, GaussKronrod.KronrodPoints, cancellationToken);
        if (_width < 0)
        {
            Layout(engine);
        }

        int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : NewSlot();
        Span<double> kronrod = _kronrod.AsSpan(slot * _width, _width);
        Read(engine, kronrod);

        GaussKronrod.Gauss<T>(low, high, _gaussAlphas, _gaussCoefficients);
        call.UsePoints(_gaussAlphas, _gaussCoefficients);
        PathRunner.RunRange(engine, ref steps, 0, GaussKronrod.GaussPoints, cancellationToken);
        Span<double> difference = _difference.AsSpan(slot * _width, _width);
        Read(engine, difference);
        double error = 0;
        for (int j = 0; j < _width; j++)
        {
            difference[j] = kronrod[j] - difference[j];
            error += Math.Abs(_scale[j] * difference[j]);
        }

        _intervals.Add(new Interval(low, high, error, slot, false));
        PointsUsed += GaussKronrod.PointsPerInterval;
    }

    /// <summary>The accumulators' layout, from the first pass: their lengths, the sums after them, and each element's scale.</summary>
    private void Layout(IPathEngine<T> engine)
    {
        _accumulators = engine.AccumulatorCount;
        _sums = engine.SumCount;
        if (_offsets.Length < _accumulators + 2)
        {
            _offsets = new int[_accumulators + 2];
        }

        int width = 0;
        for (int a = 0; a < _accumulators; a++)
        {
            _offsets[a] = width;
            width += engine.Results(a).Length;
        }

        _offsets[_accumulators] = width;
        _offsets[_accumulators + 1] = width + _sums;
        width += _sums;
        _width = width;
        if (_scale.Length < width)
        {
            _scale = new double[width];
            _errors = new double[width];
        }

        _scale.AsSpan(0, width).Fill(1.0);
        PathCall<T> call = engine.Call;
        for (int a = 0; a < _accumulators && a < _scaleBy.Length; a++)
        {
            if (_scaleBy[a] is not { } by)
            {
                continue;
            }

            // An accumulator of several rows (one per neuron) scales each row alike.
            ReadOnlySpan<T> vector = call.Vector(by);
            int length = _offsets[a + 1] - _offsets[a];
            if (vector.Length > 0 && length % vector.Length == 0)
            {
                for (int j = 0; j < length; j++)
                {
                    _scale[_offsets[a] + j] = double.CreateChecked(vector[j % vector.Length]);
                }
            }
        }

        if (_totals.Length < _accumulators)
        {
            _totals = new double[_accumulators];
        }
    }

    private int NewSlot()
    {
        int slot = _slots++;
        if (_kronrod.Length < _slots * _width)
        {
            int capacity = Math.Max(_slots, 2 * (_kronrod.Length / Math.Max(1, _width))) * _width;
            Array.Resize(ref _kronrod, capacity);
            Array.Resize(ref _difference, capacity);
        }

        return slot;
    }

    /// <summary>The engine's accumulators and sums after a pass, in double, into <paramref name="destination"/>.</summary>
    private void Read(IPathEngine<T> engine, Span<double> destination)
    {
        for (int a = 0; a < _accumulators; a++)
        {
            ReadOnlySpan<T> values = engine.Results(a);
            Span<double> row = destination.Slice(_offsets[a], values.Length);
            for (int j = 0; j < values.Length; j++)
            {
                row[j] = double.CreateChecked(values[j]);
            }
        }

        for (int s = 0; s < _sums; s++)
        {
            destination[_offsets[_accumulators] + s] = engine.Sum(s);
        }
    }

    /// <summary>The estimate summed over the intervals, and <c>sum_j |s_j acc_j|</c> of the current result.</summary>
    private (double Estimate, double Size) Measure()
    {
        double estimate = 0;
        Span<double> total = _errors.AsSpan(0, _width); // scratch until Publish
        total.Clear();
        foreach (Interval interval in _intervals)
        {
            estimate += interval.Error;
            ReadOnlySpan<double> kronrod = _kronrod.AsSpan(interval.Slot * _width, _width);
            for (int j = 0; j < _width; j++)
            {
                total[j] += kronrod[j];
            }
        }

        double size = 0;
        for (int j = 0; j < _width; j++)
        {
            size += Math.Abs(_scale[j] * total[j]);
        }

        return (estimate, size);
    }

    /// <summary>Writes the result into the engine's host accumulators and sums, and the estimates into <see cref="Errors"/>.</summary>
    private void Publish(IPathEngine<T> engine)
    {
        Span<double> sum = _errors.AsSpan(0, _width);
        sum.Clear();
        foreach (Interval interval in _intervals)
        {
            ReadOnlySpan<double> kronrod = _kronrod.AsSpan(interval.Slot * _width, _width);
            for (int j = 0; j < _width; j++)
            {
                sum[j] += kronrod[j];
            }
        }

        for (int a = 0; a < _accumulators; a++)
        {
            Span<T> values = engine.Results(a);
            for (int j = 0; j < values.Length; j++)
            {
                values[j] = T.CreateChecked(sum[_offsets[a] + j]);
            }
        }

        for (int s = 0; s < _sums; s++)
        {
            engine.SetSum(s, sum[_offsets[_accumulators] + s]);
        }

        // The estimates: per element the intervals' |s_j d_ij| added; per accumulator the intervals' |sum_j s_j d_ij|;
        // each with the rounding floor RoundingUlps * eps * |s_j K_ij| per interval, which no halving reduces.
        double floor = RoundingUlps * double.CreateChecked(T.BitIncrement(T.One) - T.One);
        sum.Clear();
        _totals.AsSpan(0, _accumulators).Clear();
        foreach (Interval interval in _intervals)
        {
            ReadOnlySpan<double> kronrod = _kronrod.AsSpan(interval.Slot * _width, _width);
            ReadOnlySpan<double> difference = _difference.AsSpan(interval.Slot * _width, _width);
            for (int j = 0; j < _width; j++)
            {
                sum[j] += Math.Abs(_scale[j] * difference[j]) + (floor * Math.Abs(_scale[j] * kronrod[j]));
            }

            for (int a = 0; a < _accumulators; a++)
            {
                double signed = 0;
                double rounding = 0;
                for (int j = _offsets[a]; j < _offsets[a + 1]; j++)
                {
                    signed += _scale[j] * difference[j];
                    rounding += floor * Math.Abs(_scale[j] * kronrod[j]);
                }

                _totals[a] += Math.Abs(signed) + rounding;
            }
        }
    }

    /// <summary>
    /// The rounding floor of an interval's value, in units of the element type's machine epsilon: its 15 weighted
    /// gradients, each a few roundings deep, and the sum over intervals. Reported in the estimates, not held to the tolerance.
    /// </summary>
    private const double RoundingUlps = 16;

    private readonly record struct Interval(double Low, double High, double Error, int Slot, bool Split);
}
