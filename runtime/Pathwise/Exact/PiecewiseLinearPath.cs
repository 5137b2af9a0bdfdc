using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;
using Pathwise.CompilerServices.Kernels;

namespace Pathwise;

/// <summary>
/// The pieces of the straight path <c>x(a) = x' + a (x - x')</c>, <c>a</c> in [0, 1], on which a network of
/// piecewise-linear layers (Dense, Conv2D, Conv1D, BatchNorm, Flatten, pooling; ReLU, LeakyReLU or no activation) is
/// affine: the breakpoints <c>0 = a_0 &lt; a_1 &lt; ... &lt; a_m = 1</c> where a ReLU pre-activation crosses zero
/// or a max-pool window's maximum passes to another element. On each piece every layer's gradient is constant,
/// so a path integral is exact as one evaluation per piece weighted by its length.
/// </summary>
/// <remarks>
/// <para>
/// The breakpoints are found layer by layer, in float64 whatever the network's element type (a crossing near a
/// zero baseline is poorly conditioned in float32). Once the pieces of the layers below a layer are known, each of
/// its pre-activations is affine in <c>a</c> on each piece: its value and slope at the piece's midpoint (a forward
/// pass and a forward-mode tangent along <c>x - x'</c>) give the line, and the line's zero, or the crossing of two
/// lines of one pooling window, inside the piece is a new breakpoint. The next layer is then read on the refined
/// pieces.
/// </para>
/// <para>
/// Conventions at a breakpoint, as everywhere in Pathwise: <c>ReLU'(0) = 0</c>, the first maximum of a pooling
/// window wins. They do not affect the integral, which does not see the finitely many breakpoints.
/// </para>
/// </remarks>
internal sealed class PiecewiseLinearPath
{
    private const int Block = 16;

    private readonly NetworkInfo _info;
    private readonly LayerStep[] _steps;
    private readonly Layer _origin;

    // In a graph, the last layer that reads layer s other than as the next layer's x (an [Add] or [Concat] names it, or a
    // From reads it), or -1: the search carries s's values along the pieces up to there.
    private readonly int[] _lastNamedReader;

    private PiecewiseLinearPath(NetworkInfo info, LayerStep[] steps, Layer origin, DenseChain? chain)
    {
        _info = info;
        _steps = steps;
        _origin = origin;
        Chain = chain;
        _lastNamedReader = new int[info.Layers.Count];
        _lastNamedReader.AsSpan().Fill(-1);
        foreach (Layer layer in info.Layers)
        {
            for (int k = 0; k < layer.Sources.Count; k++)
            {
                if (k > 0 || layer.Sources[k] != layer.Index - 1)
                {
                    _lastNamedReader[layer.Sources[k]] = Math.Max(_lastNamedReader[layer.Sources[k]], layer.Index);
                }
            }
        }
    }

    /// <summary>Whether the pieces reaching layer <paramref name="next"/> must carry layer <paramref name="layer"/>'s values.</summary>
    private bool Carried(int layer, int next) => _lastNamedReader[layer] >= next;

    /// <summary>
    /// This path without its <see cref="Chain"/>: cut layer by layer and integrated piece by piece, the route every
    /// network that is not a chain takes (to compare the two routes on one network).
    /// </summary>
    public PiecewiseLinearPath WithoutChain() => new(_info, _steps, _origin, null);

    /// <summary>
    /// The layers above the origin as a <see cref="DenseChain"/> when they are one (Dense, BatchNorm and views, each with
    /// ReLU, LeakyReLU or no activation), for <see cref="ChainSweep"/>; null otherwise (convolutions, pooling, a prefix path).
    /// </summary>
    public DenseChain? Chain { get; }

    /// <summary>
    /// The layer whose activation space the path runs in: the network input, or a hidden layer for a path
    /// <c>y(a) = y(x') + a (y(x) - y(x'))</c> through the layers above it (layer Integrated Gradients).
    /// </summary>
    public Layer Origin => _origin;

    /// <summary>
    /// The float64 path of a network in the activation space of <paramref name="origin"/> (the network input when null):
    /// its parameters copied and widened, checked to be piecewise linear above the origin; or, with
    /// <paramref name="prefix"/>, the path through the layers above the origin and below the first one that is not
    /// piecewise linear (the adaptive rule's cuts on a mixed network: there every pre-activation is piecewise affine
    /// along the path).
    /// </summary>
    /// <exception cref="NotSupportedException">Without <paramref name="prefix"/>: a layer above the origin has a smooth activation (the message names it).</exception>
    public static PiecewiseLinearPath Of<T>(INetwork<T> network, Layer? origin = null, bool prefix = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        var tensors = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (Parameter<T> parameter in network.Parameters.Items)
        {
            var values = new double[parameter.Values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = double.CreateChecked(parameter.Values[i]);
            }

            tensors[parameter.Name] = values;
        }

        return Of(network.Info, tensors, origin, prefix);
    }

    /// <summary>
    /// The source of a CPU call's float64 path (see <see cref="Of{T}(INetwork{T}, Layer?, bool)"/>; the argument says
    /// prefix): made again only when the network's parameters were written since (<c>ParametersChanged</c>, a load,
    /// <c>Randomize</c>), so a call sees the weights as they are then without widening them on every call. Safe from many threads.
    /// </summary>
    public static Func<bool, PiecewiseLinearPath> Source<T>(INetwork<T> network, Layer? origin = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        var cached = new Tuple<long, PiecewiseLinearPath>?[2];
        return prefix =>
        {
            int slot = prefix ? 1 : 0;
            long version = network.Parameters.Version;
            Tuple<long, PiecewiseLinearPath>? current = Volatile.Read(ref cached[slot]);
            if (current is null || current.Item1 != version)
            {
                current = Tuple.Create(version, Of(network, origin, prefix));
                Volatile.Write(ref cached[slot], current);
            }

            return current.Item2;
        };
    }

    /// <summary>
    /// The float64 path of a network described by <paramref name="info"/> with the given tensors (by <c>state_dict</c> name,
    /// widened), in the activation space of <paramref name="origin"/> (the network input when null); with
    /// <paramref name="prefix"/>, through the piecewise-linear layers above the origin only (see <see cref="PrefixEnd"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">Without <paramref name="prefix"/>: a layer above the origin has a smooth activation (the message names it).</exception>
    public static PiecewiseLinearPath Of(NetworkInfo info, IReadOnlyDictionary<string, double[]> tensors, Layer? origin = null, bool prefix = false)
    {
        ArgumentNullException.ThrowIfNull(info);
        origin ??= info.Input;
        info.CheckOwns(origin);
        int end = prefix ? PrefixEnd(info, origin) : info.Layers.Count;
        var steps = new LayerStep[end];
        for (int l = origin.Index + 1; l < end; l++)
        {
            steps[l] = LayerStep.Create(info.Layers[l], tensors);
        }

        return new PiecewiseLinearPath(info, steps, origin, prefix ? null : ChainOf(info, steps, origin));
    }

    /// <summary>
    /// The layers above <paramref name="origin"/> as a chain of stages, or null when one of them is not Dense, BatchNorm or
    /// a view, or reads anything but the layer before it (a graph's join or <c>From</c>: the sweep follows one line of layers).
    /// </summary>
    private static DenseChain? ChainOf(NetworkInfo info, LayerStep[] steps, Layer origin)
    {
        var stages = new List<ChainStage>();
        for (int l = origin.Index + 1; l < steps.Length; l++)
        {
            Layer layer = info.Layers[l];
            if (layer.Sources.Count != 1 || layer.Sources[0] != l - 1)
            {
                return null;
            }

            LayerStep step = steps[l];
            int inputs = layer.InputShape.Length;
            int outputs = layer.Size;
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    stages.Add(new ChainStage(StageMap.Dense, inputs, outputs, step.Weight, step.Bias, [], layer.Activation, layer.NegativeSlope));
                    break;
                case LayerKind.BatchNorm:
                    // Per channel, spread over each channel's elements.
                    int spatial = outputs / layer.OutputShape.Channels;
                    var scale = new double[outputs];
                    var shift = new double[outputs];
                    for (int i = 0; i < outputs; i++)
                    {
                        scale[i] = step.Scale[i / spatial];
                        shift[i] = step.Shift[i / spatial];
                    }

                    stages.Add(new ChainStage(StageMap.Diagonal, inputs, outputs, [], shift, scale, layer.Activation, layer.NegativeSlope));
                    break;
                case var kind when LayerKindFacts.PassesThrough(kind):
                    if (layer.HasActivation)
                    {
                        stages.Add(new ChainStage(StageMap.Identity, inputs, outputs, [], [], [], layer.Activation, layer.NegativeSlope));
                    }

                    break;
                default:
                    return null;
            }
        }

        return stages.Count == 0 ? null : new DenseChain([.. stages]);
    }

    /// <summary>
    /// The index of the first layer that is not piecewise linear along the path in the way the search handles (a smooth
    /// activation, or an activation on a max pool), or the layer count when there is none.
    /// </summary>
    public static int PrefixEnd(NetworkInfo info, Layer origin)
    {
        for (int l = origin.Index + 1; l < info.Layers.Count; l++)
        {
            Layer layer = info.Layers[l];
            if (!LayerStep.Handles(layer))
            {
                return l;
            }
        }

        return info.Layers.Count;
    }

    /// <summary>Whether every layer is piecewise linear (and so has an exact path integral by pieces).</summary>
    public static bool Supports(NetworkInfo info, out string? reason) => Supports(info, info.Input, out reason);

    /// <summary>
    /// Whether every layer above <paramref name="origin"/> is piecewise linear, so a path in <paramref name="origin"/>'s
    /// activation space has an exact integral by pieces (the layers at and below it may be anything).
    /// </summary>
    public static bool Supports(NetworkInfo info, Layer origin, out string? reason)
    {
        for (int l = origin.Index + 1; l < info.Layers.Count; l++)
        {
            Layer layer = info.Layers[l];
            if (!LayerKindFacts.IsPiecewiseLinear(layer.Kind))
            {
                reason = $"layer '{layer.Name}' is a {layer.Kind}, which is not piecewise linear in its input";
                return false;
            }

            if (layer.Activation is not (ActivationKind.None or ActivationKind.ReLU or ActivationKind.LeakyReLU))
            {
                reason = $"layer '{layer.Name}' has the smooth activation {layer.Activation}, on which no path is piecewise linear";
                return false;
            }
        }

        reason = null;
        return true;
    }

    /// <summary>
    /// The breakpoints of the path from <paramref name="baseline"/> to <paramref name="input"/> (values of
    /// <see cref="Origin"/>: the network input, or a hidden layer's activations, where the path runs through the layers
    /// above it), ascending, from 0 to 1 inclusive (so <c>m</c> pieces give <c>m + 1</c> values). Stops once the pieces would pass
    /// <paramref name="maxPieces"/>, and then reports <paramref name="complete"/> false (the breakpoints returned are
    /// then a partial cut). When a skip connection passes over the origin, <paramref name="held"/> gives, by layer index,
    /// the values at <c>x</c> of the layers it carries past the origin (<c>NetworkInfo.SkippedOver</c>): along the
    /// layer-space path they stay there (slope 0), as only the origin moves.
    /// </summary>
    /// <remarks>
    /// Pieces run through the layers depth first, in blocks of at most <see cref="Block"/>: a block's layer-<c>l</c>
    /// inputs (value and slope at each piece's midpoint) go through layer <c>l</c>'s linear map once; each piece is cut
    /// where its lines cross; a sub-piece's values at its own midpoint follow from its parent's lines (everything below
    /// the cut is affine on the parent piece), so no layer is evaluated twice for the same piece, and memory stays a
    /// few blocks per layer however many pieces there are.
    /// </remarks>
    public double[] Breakpoints(ReadOnlySpan<double> baseline, ReadOnlySpan<double> input, int maxPieces, out bool complete, IReadOnlyDictionary<int, double[]>? held = null)
    {
        int length = _origin.Size;
        if (baseline.Length != length || input.Length != length)
        {
            throw new ArgumentException($"Expected the path's ends as values of layer '{_origin.Name}', {length} each; got {baseline.Length} and {input.Length}.");
        }

        var carried = new Dictionary<int, (double[] A, double[] Ta)>();
        foreach (Layer skipped in _info.SkippedOver(_origin))
        {
            if (held is null || !held.TryGetValue(skipped.Index, out double[]? values) || values.Length != skipped.Size)
            {
                throw new ArgumentException(
                    $"A skip connection carries layer '{skipped.Name}' past layer '{_origin.Name}': expected its {skipped.Size} values at x among the held layers; got {(held is not null && held.TryGetValue(skipped.Index, out double[]? got) ? got.Length + " values" : "none")}.",
                    nameof(held));
            }

            // Constant along the path: one piece, slope zero.
            carried[skipped.Index] = ((double[])values.Clone(), new double[skipped.Size]);
        }

        var x = new double[length];
        var tx = new double[length];
        for (int i = 0; i < length; i++)
        {
            tx[i] = input[i] - baseline[i];
            x[i] = baseline[i] + (0.5 * tx[i]);
        }

        var search = new Search(maxPieces);
        search.Breaks.Add(0.0);
        if (Carried(_origin.Index, _origin.Index + 1))
        {
            carried[_origin.Index] = (x, tx);
        }

        Process(search, [0.0], [1.0], _origin.Index + 1, x, tx, carried);
        complete = !search.Stopped;
        if (search.Stopped)
        {
            return [.. search.Breaks, 1.0];
        }

        return [.. search.Breaks];
    }

    /// <summary>
    /// Runs the pieces <c>[lows[p], highs[p]]</c> from layer <paramref name="layer"/> on: <paramref name="x"/> and
    /// <paramref name="tx"/> are that layer's input and its slope in <c>a</c> at each piece's midpoint, <c>[pieces, input length]</c>;
    /// or, when <paramref name="linear"/> is given, the layer's linear map of them, already computed (a dense layer fed
    /// by <see cref="DenseLines"/>; <paramref name="x"/> and <paramref name="tx"/> are then not read).
    /// </summary>
    /// <remarks>
    /// In a graph, <paramref name="carried"/> holds, per piece, the values and slopes of the earlier layers that a layer at
    /// or above this one names (<c>[Add]</c>, <c>[Concat]</c>): they are affine on each piece too, so a sub-piece's follow
    /// from its parent's like the layer's own.
    /// </remarks>
    private void Process(Search search, double[] lows, double[] highs, int layer, double[] x, double[] tx, Dictionary<int, (double[] A, double[] Ta)> carried, (double[] Z, double[] Tz)? linear = null)
    {
        int count = lows.Length;
        if (layer == _steps.Length)
        {
            search.Breaks.AddRange(highs);
            return;
        }

        LayerStep step = _steps[layer];
        int source = LayerAt(layer).Sources[0];
        if (source != layer - 1)
        {
            // The layer reads an earlier layer (From): its x is that layer's, carried along the pieces.
            (x, tx) = carried[source];
        }

        (double[] z, double[] tz) = linear ?? step.Linear(x, tx, count, carried);

        // Cut each piece where this layer's lines cross inside it.
        var cuts = new List<double>();
        var pieceOf = new List<int>();
        var subLows = new List<double>();
        var subHighs = new List<double>();
        for (int p = 0; p < count; p++)
        {
            double middle = 0.5 * (lows[p] + highs[p]);
            cuts.Clear();
            if (step.CanBreak)
            {
                step.FindBreaks(step.BreaksOnInput ? x : z, step.BreaksOnInput ? tx : tz, p, middle, lows[p], highs[p], cuts);
                cuts.Sort();
            }

            double low = lows[p];
            foreach (double cut in cuts)
            {
                if (cut - low > 4 * double.Epsilon + (1e-15 * Math.Abs(cut)) && highs[p] - cut > 1e-15)
                {
                    subLows.Add(low);
                    subHighs.Add(cut);
                    pieceOf.Add(p);
                    low = cut;
                }
            }

            subLows.Add(low);
            subHighs.Add(highs[p]);
            pieceOf.Add(p);
        }

        search.Pieces += subLows.Count - count;
        if (search.Pieces > search.MaxPieces)
        {
            search.Stopped = true;
        }

        if (search.Stopped)
        {
            return;
        }

        // The sub-pieces in blocks: their values at their own midpoints, then the activation, then the next layer.
        int inputSize = LayerAt(layer).InputShape.Length;
        int outputSize = LayerAt(layer).Size;
        bool recompute = LayerAt(layer).Kind == LayerKind.MaxPool2D;

        // A dense layer next: its lines on consecutive sub-pieces of one parent differ by the few neurons that crossed.
        bool keep = Carried(layer, layer + 1);
        DenseLines? dense = !recompute && !keep && layer + 1 < _steps.Length && _steps[layer + 1].IsDense && LayerAt(layer + 1).Sources[0] == layer
            ? new DenseLines(_steps[layer + 1], LayerAt(layer))
            : null;
        Span<int> blockParents = stackalloc int[Block];
        Span<double> blockShifts = stackalloc double[Block];
        for (int first = 0; first < subLows.Count && !search.Stopped; first += Block)
        {
            int n = Math.Min(Block, subLows.Count - first);
            var zs = new double[n * outputSize];
            var tzs = new double[n * outputSize];
            var xs = recompute ? new double[n * inputSize] : [];
            var txs = recompute ? new double[n * inputSize] : [];
            Span<int> parents = blockParents.Slice(0, n);
            Span<double> shifts = blockShifts.Slice(0, n);
            for (int k = 0; k < n; k++)
            {
                int s = first + k;
                int p = pieceOf[s];
                double shift = (0.5 * (subLows[s] + subHighs[s])) - (0.5 * (lows[p] + highs[p]));
                parents[k] = p;
                shifts[k] = shift;
                if (recompute)
                {
                    // A max pool's output is not affine on the parent piece: pool the sub-piece's own (affine) input.
                    Extrapolate(x, tx, p, inputSize, shift, xs, txs, k);
                }
                else
                {
                    Extrapolate(z, tz, p, outputSize, shift, zs, tzs, k);
                }
            }

            double[] blockLows = subLows.GetRange(first, n).ToArray();
            double[] blockHighs = subHighs.GetRange(first, n).ToArray();

            // The carried layers on the block's sub-pieces, those still named above this layer.
            var blockCarried = new Dictionary<int, (double[] A, double[] Ta)>();
            foreach (KeyValuePair<int, (double[] A, double[] Ta)> entry in carried)
            {
                if (Carried(entry.Key, layer + 1))
                {
                    int size = LayerAt(entry.Key).Size;
                    var values = new double[n * size];
                    var slopes = new double[n * size];
                    for (int k = 0; k < n; k++)
                    {
                        Extrapolate(entry.Value.A, entry.Value.Ta, parents[k], size, shifts[k], values, slopes, k);
                    }

                    blockCarried[entry.Key] = (values, slopes);
                }
            }

            if (dense is not null)
            {
                Process(search, blockLows, blockHighs, layer + 1, [], [], blockCarried, dense.Next(z, tz, zs, parents, shifts));
                continue;
            }

            if (recompute)
            {
                (zs, tzs) = step.Linear(xs, txs, n, blockCarried);
            }

            (double[] a, double[] ta) = step.Activate(zs, tzs);
            if (keep)
            {
                blockCarried[layer] = (a, ta);
            }

            Process(search, blockLows, blockHighs, layer + 1, a, ta, blockCarried);
        }
    }

    /// <summary>
    /// A dense layer's pre-activation lines on consecutive sub-pieces of the pieces of the layer below it, updated rather
    /// than recomputed. On a sub-piece of parent piece <c>p</c> (midpoint <c>m</c>) the layer below outputs the line
    /// <c>D (z + (a - m) t)</c>, with <c>z</c>, <c>t</c> its pre-activation and slope at <c>m</c> and <c>D</c> the diagonal
    /// of its activation's slopes on the sub-piece (1 or 0 for ReLU, 1 or the negative slope for LeakyReLU). So the dense
    /// layer's value and slope at <c>m</c> are <c>W D z + b</c> and <c>W D t</c>; the next sub-piece of the same parent
    /// changes <c>D</c> only where a neuron crossed, so it costs one column of <c>W</c> per crossing, not all of <c>W</c>.
    /// The value at the sub-piece's own midpoint is then <c>(W D z + b) + (m_s - m) W D t</c>. Recomputed in full for a
    /// new parent, after <see cref="Refresh"/> updates (bounding the rounding that updates accumulate), or when many
    /// neurons changed at once.
    /// </summary>
    private sealed class DenseLines
    {
        private const int Refresh = 64;

        private readonly LayerStep _dense;
        private readonly Layer _below;
        private readonly int _inputs;
        private readonly int _outputs;
        private readonly double[] _slopes;
        private readonly double[] _nextSlopes;
        private readonly double[] _scaled;
        private readonly double[] _scaledSlope;
        private readonly double[] _value;
        private readonly double[] _slope;
        private int _parent = -1;
        private int _updates;

        public DenseLines(LayerStep dense, Layer below)
        {
            _dense = dense;
            _below = below;
            _inputs = below.Size;
            _outputs = dense.Outputs;
            _slopes = new double[_inputs];
            _nextSlopes = new double[_inputs];
            _scaled = new double[_inputs];
            _scaledSlope = new double[_inputs];
            _value = new double[_outputs];
            _slope = new double[_outputs];
        }

        /// <summary>
        /// The dense layer's <c>(z, dz/da)</c> at each sub-piece's midpoint, <c>[n, outputs]</c>: <paramref name="zs"/> holds
        /// the layer below's pre-activations there (which side of each kink), <paramref name="z"/> and <paramref name="t"/>
        /// its parents' values and slopes, <paramref name="shifts"/> each sub-piece's midpoint less its parent's.
        /// </summary>
        public (double[] Z, double[] Tz) Next(double[] z, double[] t, double[] zs, ReadOnlySpan<int> parents, ReadOnlySpan<double> shifts)
        {
            int n = parents.Length;
            var values = new double[n * _outputs];
            var tangents = new double[n * _outputs];
            ReadOnlySpan<double> weight = _dense.Weight;
            for (int k = 0; k < n; k++)
            {
                int p = parents[k];
                int changed = 0;
                for (int j = 0; j < _inputs; j++)
                {
                    _nextSlopes[j] = Slope(zs[(k * _inputs) + j]);
                    changed += _nextSlopes[j] != _slopes[j] ? 1 : 0;
                }

                ReadOnlySpan<double> zp = z.AsSpan(p * _inputs, _inputs);
                ReadOnlySpan<double> tp = t.AsSpan(p * _inputs, _inputs);
                if (p != _parent || _updates >= Refresh || changed * 16 > _inputs)
                {
                    for (int j = 0; j < _inputs; j++)
                    {
                        _scaled[j] = _nextSlopes[j] * zp[j];
                        _scaledSlope[j] = _nextSlopes[j] * tp[j];
                    }

                    DenseKernel.Forward<double>(_scaled, weight, _dense.Bias, _value, 1, _inputs, _outputs);
                    DenseKernel.Forward<double>(_scaledSlope, weight, default, _slope, 1, _inputs, _outputs);
                    _parent = p;
                    _updates = 0;
                }
                else if (changed > 0)
                {
                    for (int j = 0; j < _inputs; j++)
                    {
                        double step = _nextSlopes[j] - _slopes[j];
                        if (step != 0)
                        {
                            double dz = step * zp[j];
                            double dt = step * tp[j];
                            for (int o = 0; o < _outputs; o++)
                            {
                                double w = weight[(o * _inputs) + j];
                                _value[o] += w * dz;
                                _slope[o] += w * dt;
                            }
                        }
                    }

                    _updates++;
                }

                _nextSlopes.AsSpan().CopyTo(_slopes);
                double shift = shifts[k];
                for (int o = 0; o < _outputs; o++)
                {
                    values[(k * _outputs) + o] = _value[o] + (shift * _slope[o]);
                    tangents[(k * _outputs) + o] = _slope[o];
                }
            }

            return (values, tangents);
        }

        // The activation's slope on the side of the kink value lies on, as the kernels decide it (ReLU'(0) = 0).
        private double Slope(double value) => _below.Activation switch
        {
            ActivationKind.ReLU => value > 0 ? 1 : 0,
            ActivationKind.LeakyReLU => value > 0 ? 1 : _below.NegativeSlope,
            _ => 1,
        };
    }

    private Layer LayerAt(int index) => _info.Layers[index];

    /// <summary>Row <paramref name="row"/> of the destination: row <paramref name="piece"/> of the values moved <paramref name="shift"/> along its slope.</summary>
    private static void Extrapolate(double[] values, double[] slopes, int piece, int size, double shift, double[] destination, double[] destinationSlopes, int row)
    {
        int from = piece * size;
        int to = row * size;
        for (int j = 0; j < size; j++)
        {
            destination[to + j] = values[from + j] + (shift * slopes[from + j]);
            destinationSlopes[to + j] = slopes[from + j];
        }
    }

    /// <summary>The state of one breakpoint search: the breakpoints so far, ascending, and the piece count against its limit.</summary>
    private sealed class Search(int maxPieces)
    {
        public List<double> Breaks { get; } = [];

        public int MaxPieces { get; } = maxPieces;

        public int Pieces { get; set; } = 1;

        public bool Stopped { get; set; }
    }

    /// <summary>One layer in float64: its linear part, its activation, and where on a piece it breaks.</summary>
    private sealed class LayerStep
    {
        private readonly Layer _layer;
        private readonly double[] _weight = [];
        private readonly double[] _bias = [];
        private readonly double[] _scale = [];
        private readonly double[] _shift = [];

        private LayerStep(Layer layer)
        {
            _layer = layer;
        }

        private LayerStep(Layer layer, double[] weight, double[] bias)
            : this(layer)
        {
            _weight = weight;
            _bias = bias;
        }

        private LayerStep(Layer layer, double[] scale, double[] shift, bool _)
            : this(layer)
        {
            _scale = scale;
            _shift = shift;
        }

        /// <summary>A dense layer: <see cref="DenseLines"/> updates its lines sub-piece by sub-piece.</summary>
        public bool IsDense => _layer.Kind == LayerKind.Dense;

        /// <summary>The weight, <c>[outputs, inputs]</c> row-major (dense and convolution layers).</summary>
        public double[] Weight => _weight;

        /// <summary>The bias, or empty.</summary>
        public double[] Bias => _bias;

        /// <summary>BatchNorm: the folded scale per channel.</summary>
        public double[] Scale => _scale;

        /// <summary>BatchNorm: the folded shift per channel.</summary>
        public double[] Shift => _shift;

        /// <summary>The layer's output size.</summary>
        public int Outputs => _layer.Size;

        /// <summary>A ReLU or LeakyReLU activation, or a max pool: a layer whose output can change slope on a piece.</summary>
        public bool CanBreak => _layer.Activation is ActivationKind.ReLU or ActivationKind.LeakyReLU || _layer.Kind == LayerKind.MaxPool2D;

        /// <summary>A max pool breaks where its input's lines cross; an activation where its pre-activation crosses zero.</summary>
        public bool BreaksOnInput => _layer.Kind == LayerKind.MaxPool2D && _layer.Activation is not (ActivationKind.ReLU or ActivationKind.LeakyReLU);

        public static LayerStep Create(Layer layer, IReadOnlyDictionary<string, double[]> tensors)
        {
            if (!LayerKindFacts.IsPiecewiseLinear(layer.Kind))
            {
                throw new NotSupportedException(
                    $"The exact rule needs a piecewise-linear network, but layer '{layer.Name}' is a {layer.Kind}, which is not piecewise linear in its input. " +
                    "Use a fixed quadrature rule (QuadratureRule.GaussLegendre).");
            }

            if (!Supports(layer))
            {
                throw new NotSupportedException(
                    $"The exact rule needs a piecewise-linear network, but layer '{layer.Name}' has the smooth activation {layer.Activation}. " +
                    "Use a fixed quadrature rule (QuadratureRule.GaussLegendre) for networks with Tanh, Sigmoid, GELU or Softmax.");
            }

            if (layer.Kind == LayerKind.MaxPool2D && layer.Activation is ActivationKind.ReLU or ActivationKind.LeakyReLU)
            {
                throw new NotSupportedException($"The exact rule does not yet handle an activation on max-pooling layer '{layer.Name}'.");
            }

            string prefix = layer.WeightName ?? string.Empty;
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                case LayerKind.Conv2D:
                case LayerKind.Conv1D:
                    return new LayerStep(layer, tensors[prefix + ".weight"], layer.HasBias ? tensors[prefix + ".bias"] : []);
                case LayerKind.BatchNorm:
                    int channels = layer.OutputShape.Channels;
                    var scale = new double[channels];
                    var shift = new double[channels];
                    ChannelAffineKernel.Fold<double>(tensors[prefix + ".weight"], tensors[prefix + ".bias"], tensors[prefix + ".running_mean"],
                        tensors[prefix + ".running_var"], layer.Epsilon, scale, shift);
                    return new LayerStep(layer, scale, shift, true);
                default:
                    return new LayerStep(layer);
            }
        }

        private static bool Supports(Layer layer) => layer.Activation is ActivationKind.None or ActivationKind.ReLU or ActivationKind.LeakyReLU;

        /// <summary>Whether <see cref="Create"/> takes the layer: piecewise linear, and no activation on a max pool.</summary>
        public static bool Handles(Layer layer) =>
            Supports(layer) && !(layer.Kind == LayerKind.MaxPool2D && layer.Activation is ActivationKind.ReLU or ActivationKind.LeakyReLU);

        /// <summary>The layer's linear (or, for max pooling, piecewise-linear) map and its tangent: <c>(z, dz/da)</c>.</summary>
        public (double[] Z, double[] Tz) Linear(double[] x, double[] tx, int count, Dictionary<int, (double[] A, double[] Ta)> carried)
        {
            int outputs = _layer.Size;
            var z = new double[count * outputs];
            var tz = new double[count * outputs];
            TensorShape input = _layer.InputShape;
            switch (_layer.Kind)
            {
                case LayerKind.Dense:
                    DenseKernel.Forward<double>(x, _weight, _bias, z, count, input.Length, outputs);
                    DenseKernel.Forward<double>(tx, _weight, default, tz, count, input.Length, outputs);
                    break;
                case LayerKind.Conv2D:
                case LayerKind.Conv1D:
                    // Every stride, padding, dilation and group count; a 1-D convolution as a height-1 image.
                    Conv2DShape convolution = _layer.Convolution;
                    Conv2DKernel.Forward<double>(x, _weight, _bias, z, count, convolution);
                    Conv2DKernel.Forward<double>(tx, _weight, default, tz, count, convolution);
                    break;
                case LayerKind.BatchNorm:
                    int spatial = input.Length / input.Channels;
                    ChannelAffineKernel.Forward<double>(x, _scale, _shift, z, count, input.Channels, spatial);
                    ChannelAffineKernel.Forward<double>(tx, _scale, new double[input.Channels], tz, count, input.Channels, spatial);
                    break;
                case LayerKind.MaxPool2D:
                    var pool = new Pool2DShape(input.Channels, input.Height, input.Width, _layer.Kernel, _layer.Stride);
                    Pool2DKernel.MaxForward<double>(x, z, count, pool);
                    Pool2DKernel.MaxTangent<double>(x, tx, tz, count, pool);
                    break;
                case LayerKind.AvgPool2D:
                    var average = new Pool2DShape(input.Channels, input.Height, input.Width, _layer.Kernel, _layer.Stride);
                    Pool2DKernel.AvgForward<double>(x, z, count, average);
                    Pool2DKernel.AvgForward<double>(tx, tz, count, average);
                    break;
                case LayerKind.GlobalAvgPool2D:
                case LayerKind.GlobalAvgPool1D:
                    // Linear: its tangent is the same average of the input's tangent.
                    int planeSize = input.Height * input.Width;
                    GlobalPoolKernel.AvgForward<double>(x, z, count, input.Channels, planeSize);
                    GlobalPoolKernel.AvgForward<double>(tx, tz, count, input.Channels, planeSize);
                    break;
                case LayerKind.SequenceMean:
                    // Linear: its tangent is the same mean of the input's tangent.
                    SequenceMeanKernel.Forward<double>(x, z, count, input.Channels, input.Width);
                    SequenceMeanKernel.Forward<double>(tx, tz, count, input.Channels, input.Width);
                    break;
                case LayerKind.Add:
                    // A sum of layers affine on the piece is affine on it: values and slopes add.
                    x.AsSpan().CopyTo(z);
                    tx.AsSpan().CopyTo(tz);
                    for (int k = 1; k < _layer.Sources.Count; k++)
                    {
                        (double[] a, double[] ta) = carried[_layer.Sources[k]];
                        PathKernel.AddTo<double>(a, z);
                        PathKernel.AddTo<double>(ta, tz);
                    }

                    break;
                case LayerKind.Concat:
                    int offset = 0;
                    for (int k = 0; k < _layer.Sources.Count; k++)
                    {
                        (double[] a, double[] ta) = k == 0 ? (x, tx) : carried[_layer.Sources[k]];
                        int length = a.Length / count;
                        JoinKernel.ConcatForward<double>(a, z, count, length, outputs, offset);
                        JoinKernel.ConcatForward<double>(ta, tz, count, length, outputs, offset);
                        offset += length;
                    }

                    break;
                case var kind when LayerKindFacts.PassesThrough(kind):
                    // Flatten, Identity, Dropout at inference, an activation-only member: the values as they are.
                    x.AsSpan().CopyTo(z);
                    tx.AsSpan().CopyTo(tz);
                    break;
                default:
                    throw new NotSupportedException($"Layer '{_layer.Name}' has kind {_layer.Kind}, which the exact rule does not handle.");
            }

            return (z, tz);
        }

        /// <summary>The activation and its tangent: <c>(a, da/da)</c> with the slope of the side the point is on.</summary>
        public (double[] A, double[] Ta) Activate(double[] z, double[] tz)
        {
            switch (_layer.Activation)
            {
                case ActivationKind.ReLU:
                    var a = new double[z.Length];
                    var ta = new double[z.Length];
                    ActivationKernel.ReLU<double>(z, a);
                    ActivationKernel.ReLUTangent<double>(z, a, tz, ta);
                    return (a, ta);
                case ActivationKind.LeakyReLU:
                    var leaky = new double[z.Length];
                    var tLeaky = new double[z.Length];
                    ActivationKernel.LeakyReLU<double>(z, leaky, _layer.NegativeSlope);
                    ActivationKernel.LeakyReLUTangent<double>(z, leaky, tz, tLeaky, _layer.NegativeSlope);
                    return (leaky, tLeaky);
                default:
                    return (z, tz);
            }
        }

        /// <summary>Adds to <paramref name="found"/> every breakpoint of this layer strictly inside piece <paramref name="piece"/>, <c>(lo, hi)</c>.</summary>
        public void FindBreaks(double[] values, double[] slopes, int piece, double middle, double lo, double hi, List<double> found)
        {
            if (_layer.Kind == LayerKind.MaxPool2D)
            {
                PoolBreaks(values, slopes, piece, middle, lo, hi, found);
                return;
            }

            // Each pre-activation is z(a) = z(m) + (a - m) z'(m) on the piece: a zero strictly inside it is a break.
            int size = _layer.Size;
            int offset = piece * size;
            for (int j = 0; j < size; j++)
            {
                double slope = slopes[offset + j];
                if (slope != 0)
                {
                    double zero = middle - (values[offset + j] / slope);
                    if (zero > lo && zero < hi)
                    {
                        found.Add(zero);
                    }
                }
            }
        }

        // In each window the pooled value is the upper envelope of its elements' lines on the piece: walk it from lo,
        // switching to the line that overtakes the current one first, and record each switch inside the piece.
        private void PoolBreaks(double[] values, double[] slopes, int piece, double middle, double lo, double hi, List<double> found)
        {
            TensorShape input = _layer.InputShape;
            TensorShape output = _layer.OutputShape;
            int kernel = _layer.Kernel;
            int stride = _layer.Stride;
            int offset = piece * input.Length;
            Span<int> window = stackalloc int[kernel * kernel];
            for (int c = 0; c < output.Channels; c++)
            {
                for (int oh = 0; oh < output.Height; oh++)
                {
                    for (int ow = 0; ow < output.Width; ow++)
                    {
                        int n = 0;
                        for (int i = 0; i < kernel; i++)
                        {
                            for (int j = 0; j < kernel; j++)
                            {
                                window[n++] = offset + ((c * input.Height) + (oh * stride) + i) * input.Width + (ow * stride) + j;
                            }
                        }

                        Envelope(values, slopes, window, middle, lo, hi, found);
                    }
                }
            }
        }

        private static void Envelope(double[] values, double[] slopes, ReadOnlySpan<int> window, double middle, double lo, double hi, List<double> found)
        {
            // The element on top just after lo: the largest value at lo, ties going to the larger slope.
            int current = -1;
            double best = double.NegativeInfinity;
            double bestSlope = 0;
            foreach (int e in window)
            {
                double at = values[e] + ((lo - middle) * slopes[e]);
                if (at > best || (at == best && slopes[e] > bestSlope))
                {
                    current = e;
                    best = at;
                    bestSlope = slopes[e];
                }
            }

            double position = lo;
            for (int guard = 0; guard < window.Length; guard++)
            {
                int next = -1;
                double earliest = hi;
                foreach (int e in window)
                {
                    if (slopes[e] > slopes[current])
                    {
                        // values[e] + (a - m) s_e = values[c] + (a - m) s_c
                        double crossing = middle + ((values[current] - values[e]) / (slopes[e] - slopes[current]));
                        if (crossing > position && crossing < earliest)
                        {
                            earliest = crossing;
                            next = e;
                        }
                    }
                }

                if (next < 0)
                {
                    return;
                }

                found.Add(earliest);
                position = earliest;
                current = next;
            }
        }
    }
}
