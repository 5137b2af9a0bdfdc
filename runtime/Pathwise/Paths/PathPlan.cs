using System;
using System.Numerics;

namespace Pathwise;

/// <summary>
/// What a path method fixes once, when it is built, for both backends: the validated options, the path points
/// <c>a_k</c> and their weights <c>c_k</c> (rounded to <typeparamref name="T"/> once, so both backends use the same
/// numbers), the chunk schedule and the options' baseline. Immutable, so one plan serves every call of a method
/// object on every thread.
/// </summary>
/// <remarks>
/// The schedule: chunks of <see cref="ChunkCapacity"/> points, <c>max(2, min(InternalBatchSize, Points))</c>, from
/// point 0 on; the last chunk holds the rest (<see cref="ChunkSize"/>). The backends run the endpoints <c>a = 0</c>
/// and <c>a = 1</c> with the last chunk or on their own, as suits them (see <see cref="IPathEngine{T}.Forward"/>).
/// </remarks>
internal sealed class PathPlan<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A plan integrating by the rule, step count, baseline and chunk size of <paramref name="options"/>, validated first.</summary>
    public PathPlan(NetworkInfo info, IntegratedGradientsOptions options)
        : this(info, Nodes(options), options.Baseline, options.InternalBatchSize)
    {
        Rule = options.Rule;
        _layerBaselineOption = (options as LayerAttributionOptions)?.LayerBaseline;
    }

    /// <summary>A path through the given points, each with its weight (all zero when the path is sampled, not integrated).</summary>
    public PathPlan(NetworkInfo info, ReadOnlySpan<double> alphas, ReadOnlySpan<double> coefficients, Baseline baseline, int internalBatchSize)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(baseline);
        Info = info;
        Alphas = Round(alphas);
        Coefficients = Round(coefficients);
        Baseline = new T[info.InputLength];
        baseline.Fill<T>(Baseline);
        int batch = internalBatchSize == IntegratedGradientsOptions.Automatic ? AutomaticBatch(info) : internalBatchSize;
        ChunkCapacity = Math.Max(2, Math.Min(batch, Alphas.Length));
        InternalBatchSize = batch;
    }

    /// <summary>The largest of 64, 32, ..., 2 points whose workspace fits in <see cref="IntegratedGradientsOptions.AutomaticWorkspaceBytes"/>.</summary>
    internal static int AutomaticBatch(NetworkInfo info)
    {
        int batch = 64;
        while (batch > 2 && Workspace<T>.RequiredBytes(info, batch + 2) > IntegratedGradientsOptions.AutomaticWorkspaceBytes)
        {
            batch /= 2;
        }

        return batch;
    }

    private PathPlan(NetworkInfo info, QuadratureNodes nodes, Baseline baseline, int internalBatchSize)
        : this(info, nodes.Alphas, nodes.Coefficients, baseline, internalBatchSize)
    {
    }

    /// <summary>
    /// The options' rule (Gauss–Legendre for a sampled path; <see cref="QuadratureRule.Exact"/> for the adaptive rule on a
    /// piecewise-linear network); the nodes are Gauss–Legendre's when it is <see cref="QuadratureRule.Exact"/> or <see cref="QuadratureRule.Adaptive"/>.
    /// </summary>
    public QuadratureRule Rule { get; private init; } = QuadratureRule.GaussLegendre;

    /// <summary>The workspace bytes of one point (<see cref="Workspace{T}.RequiredBytes"/> of one), a measure of a point's work.</summary>
    public long BytesPerPoint => _bytesPerPoint ??= Workspace<T>.RequiredBytes(Info, 1);

    private long? _bytesPerPoint;

    /// <summary>The network the plan is for.</summary>
    public NetworkInfo Info { get; }

    /// <summary>The path points <c>a_k</c>; read-only.</summary>
    public T[] Alphas { get; }

    /// <summary>The weight <c>c_k</c> of each point; read-only.</summary>
    public T[] Coefficients { get; }

    /// <summary>The options' baseline <c>x'</c>; read-only.</summary>
    public T[] Baseline { get; }

    /// <summary>The number of path points.</summary>
    public int Points => Alphas.Length;

    /// <summary>The option the chunks come from: the most rows (examples times path points) one pass should hold.</summary>
    public int InternalBatchSize { get; }

    /// <summary>The most path points in one chunk: <c>max(2, min(InternalBatchSize, Points))</c>, with Automatic resolved.</summary>
    public int ChunkCapacity { get; }

    /// <summary>
    /// The number of points of the chunk that starts at point <paramref name="start"/> of a run that ends before point
    /// <paramref name="end"/> (a call's point count, or the end of a split call's half): <c>min(ChunkCapacity, end - start)</c>.
    /// The one definition of the schedule; <see cref="PathRunner"/> walks it.
    /// </summary>
    public int ChunkSize(int start, int end) => Math.Min(ChunkCapacity, end - start);

    /// <summary>
    /// The layer whose neurons a hidden-layer method reports: <paramref name="layer"/> itself, or the layer
    /// it reads when attributing to its input (refused for an <c>[Add]</c> or <c>[Concat]</c>, which reads several). Throws for a layer of another network or the input's input.
    /// </summary>
    public Layer Resolve(Layer layer, bool toLayerInput)
    {
        Info.CheckOwns(layer);
        if (!toLayerInput)
        {
            return layer;
        }

        if (layer.Index == 0)
        {
            throw new ArgumentException($"Layer '{layer.Name}' is the network input; it has no input to attribute to.", nameof(layer));
        }

        if (layer.Sources.Count != 1)
        {
            throw new ArgumentException($"Layer '{layer.Name}' is a {layer.Kind} of {layer.Sources.Count} layers, so it has no one input to attribute to; attribute to each of the layers it reads instead.", nameof(layer));
        }

        return Info.Layers[layer.Sources[0]];
    }

    /// <summary>
    /// With the exact rule: makes the float64 path of the network's current parameters, one per call (so a call sees
    /// the weights as they are then); null for a fixed rule.
    /// </summary>
    public Func<PiecewiseLinearPath>? ExactPath { get; private init; }

    /// <summary>With the exact rule: the most pieces before a call falls back to the plan's Gauss–Legendre nodes.</summary>
    public int MaxPieces { get; private init; }

    /// <summary>
    /// With the adaptive rule: the settings and the source of each call's first cuts (see <see cref="AdaptiveSettings"/>); null otherwise.
    /// </summary>
    public AdaptiveSettings? Adaptive { get; private init; }

    /// <summary>
    /// This plan with the exact or adaptive rule of <paramref name="options"/> when it asks for one. Exact: the fixed
    /// nodes become the fallback and <paramref name="path"/> (all layers) the source of each call's pieces; a network
    /// with a smooth activation is refused, naming the layer. Adaptive: on a purely piecewise-linear network the exact
    /// rule (documented); otherwise the plan's nodes are the 15 Kronrod points of [0, 1] and <paramref name="path"/>
    /// (prefix layers only) the source of each call's first cuts.
    /// </summary>
    public PathPlan<T> WithRule(IntegratedGradientsOptions options, Func<bool, PiecewiseLinearPath> path)
    {
        CheckPathSpace();
        if (options.Rule == QuadratureRule.Adaptive)
        {
            if (PiecewiseLinearPath.Supports(Info, Origin, out _))
            {
                return new PathPlan<T>(this) { ExactPath = () => path(false), MaxPieces = options.MaxPieces, Rule = QuadratureRule.Exact };
            }

            bool cuts = Info.Separates(Origin) && PiecewiseLinearPath.PrefixEnd(Info, Origin) > Origin.Index + 1;
            return new PathPlan<T>(this)
            {
                Adaptive = new AdaptiveSettings(options.Tolerance, options.MaxPoints, cuts ? () => path(true) : null),
                Rule = QuadratureRule.Adaptive,
            };
        }

        if (options.Rule != QuadratureRule.Exact)
        {
            return this;
        }

        if (!PiecewiseLinearPath.Supports(Info, Origin, out string? reason))
        {
            throw new NotSupportedException(
                $"QuadratureRule.Exact needs a piecewise-linear network, but in {Info.Name} {reason}. Use QuadratureRule.Adaptive, or a fixed rule such as QuadratureRule.GaussLegendre.");
        }

        return new PathPlan<T>(this) { ExactPath = () => path(false), MaxPieces = options.MaxPieces };
    }

    /// <summary>
    /// The layer whose activation space the path runs in: the network input (every input-space method), or a hidden
    /// layer <c>l</c>, whose path <c>y(x') + a (y(x) - y(x'))</c> runs through the layers above it only (layer
    /// Integrated Gradients). A call's ends <c>y(x')</c> and <c>y(x)</c> come from <see cref="IPathEngine{T}.BeginLayerPath"/>.
    /// </summary>
    public Layer Origin => _origin ?? Info.Input;

    private Layer? _origin;

    /// <summary>
    /// This plan with its path in <paramref name="layer"/>'s activation space (see <see cref="Origin"/>); call it before
    /// <see cref="WithRule"/>, which checks only the layers above the origin for the exact rule.
    /// </summary>
    public PathPlan<T> WithOrigin(Layer layer)
    {
        Info.CheckOwns(layer);
        T[]? start = null;
        if (_layerBaselineOption is { } option && layer.Index > 0)
        {
            start = new T[layer.Size];
            option.Fill<T>(start);
        }

        return new PathPlan<T>(this) { _origin = layer.Index == 0 ? null : layer, LayerBaseline = start };
    }

    /// <summary>The options' <see cref="LayerAttributionOptions.LayerBaseline"/>, until <see cref="WithOrigin"/> places it.</summary>
    private readonly Baseline? _layerBaselineOption;

    /// <summary>
    /// With a hidden origin and <see cref="LayerAttributionOptions.LayerBaseline"/>: the path's start <c>y'</c> in the origin's
    /// space, replacing <c>y(x')</c> (see <see cref="PathCall{T}.BeginLayerPath"/>); null otherwise. Read-only.
    /// </summary>
    public T[]? LayerBaseline { get; private init; }

    /// <summary>Whether the path runs in a hidden layer's activation space rather than the input's.</summary>
    public bool InLayerSpace => _origin is not null;

    /// <summary>
    /// Whether the method reads nothing per chunk but <see cref="IPathEngine{T}.AddInputGradientSum"/> and the outputs
    /// (Integrated Gradients and the methods made of it): the CPU engine then runs the straight-path passes in a workspace
    /// that serves those only (<see cref="Workspace{T}.InputGradientSumOnly"/>), where a network may fuse its first layers.
    /// </summary>
    public bool InputGradientSumOnly { get; private init; }

    /// <summary>This plan for a method that reads only the input gradient sum and the outputs (see <see cref="InputGradientSumOnly"/>).</summary>
    public PathPlan<T> ForInputGradientSums() => new(this) { InputGradientSumOnly = true };

    /// <summary>
    /// Checks the space the path runs in, for both backends (every <see cref="PathHost{T}"/> calls it). Throws when the
    /// options' <see cref="LayerAttributionOptions.LayerBaseline"/> has no hidden layer to start in, and when the path (or
    /// the free points) would run in the input's space of a network whose input is token ids
    /// (an <see cref="LayerKind.Embedding"/> reads it): no gradient reaches an id, and a point between two id sequences is
    /// not one. The message points to the text form of Integrated Gradients, layer Integrated Gradients at the embedding.
    /// </summary>
    /// <exception cref="NotSupportedException">The input is token ids and the path is not in a hidden layer's space.</exception>
    /// <exception cref="ArgumentException">The options carry a <see cref="LayerAttributionOptions.LayerBaseline"/> and the path is not in a hidden layer's space.</exception>
    public void CheckPathSpace()
    {
        if (_layerBaselineOption is not null && LayerBaseline is null)
        {
            throw new ArgumentException(
                "LayerAttributionOptions.LayerBaseline is the start of layer Integrated Gradients' path in a hidden layer's space; this method's path " +
                "does not run there. Leave it null and give the baseline as an input (Baseline), or use LayerIntegratedGradients at a hidden layer.",
                "options");
        }

        if (InLayerSpace || Info.Layers.Count < 2 || !LayerKindFacts.TakesTokenIds(Info.Layers[1].Kind))
        {
            return;
        }

        Layer embedding = Info.Layers[1];
        throw new NotSupportedException(
            $"{Info.Name}'s input '{Info.Input.Name}' holds token ids, which layer '{embedding.Name}' ({embedding.Kind}) looks up: no gradient reaches " +
            $"an id, and a point between two id sequences is not one, so methods in the input's space do not apply. Attribute at the embedding " +
            $"instead: new LayerIntegratedGradients<{typeof(T).Name}>(network, network.{embedding.Name}), with token ids (such as all padding) " +
            "as the baseline, then LayerAttribution.SumPerChannel() for one value per token.");
    }

    /// <summary>
    /// A plan without path points, for the methods written in evaluations at free points (<see cref="IPathEngine{T}.AtPoints"/>:
    /// the gradient methods, the quality metrics): chunks of <paramref name="internalBatchSize"/> points, the baseline zero.
    /// </summary>
    public static PathPlan<T> ForPoints(NetworkInfo info, int internalBatchSize)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentOutOfRangeException.ThrowIfLessThan(internalBatchSize, 1);
        return new PathPlan<T>(info, internalBatchSize);
    }

    private PathPlan(NetworkInfo info, int internalBatchSize)
    {
        Info = info;
        Alphas = [];
        Coefficients = [];
        Baseline = new T[info.InputLength];
        ChunkCapacity = internalBatchSize;
        InternalBatchSize = internalBatchSize;
    }

    private PathPlan(PathPlan<T> plan)
    {
        Info = plan.Info;
        Alphas = plan.Alphas;
        Coefficients = plan.Coefficients;
        Baseline = plan.Baseline;
        ChunkCapacity = plan.ChunkCapacity;
        InternalBatchSize = plan.InternalBatchSize;
        Rule = plan.Rule;
        ExactPath = plan.ExactPath;
        MaxPieces = plan.MaxPieces;
        Adaptive = plan.Adaptive;
        _origin = plan._origin;
        _layerBaselineOption = plan._layerBaselineOption;
        LayerBaseline = plan.LayerBaseline;
        InputGradientSumOnly = plan.InputGradientSumOnly;
    }

    private static QuadratureNodes Nodes(IntegratedGradientsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // The exact rule's fallback (and its chunk size): Gauss–Legendre on Points points. The adaptive rule keeps them
        // too: they set its chunk size, and are the exact rule's fallback where it delegates to Exact.
        return QuadratureNodes.Create(options.Rule is QuadratureRule.Exact or QuadratureRule.Adaptive ? QuadratureRule.GaussLegendre : options.Rule, options.Points);
    }

    private static T[] Round(ReadOnlySpan<double> values)
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateChecked(values[i]);
        }

        return result;
    }
}

/// <summary>
/// The adaptive rule's settings in a plan: the relative <paramref name="Tolerance"/>, the most gradient evaluations
/// per call (<paramref name="MaxPoints"/>), and, on a mixed network, the float64 path of the piecewise-linear layers
/// below the first smooth activation, made per call (so a call sees the weights as they are then), whose breakpoints
/// are the first cuts; null when those layers cannot break the path.
/// </summary>
internal sealed record AdaptiveSettings(double Tolerance, int MaxPoints, Func<PiecewiseLinearPath>? PrefixPath);
