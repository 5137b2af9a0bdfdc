using System;
using System.Numerics;
using System.Threading;

namespace Pathwise;

/// <summary>Which input direction a forward-mode tangent runs along.</summary>
internal enum PathVector
{
    /// <summary><c>x - x'</c>.</summary>
    Direction,

    /// <summary><c>(x - x') 1_S</c>, the call's region (<see cref="PathCall{T}.SetRegion"/>).</summary>
    MaskedDirection,

    /// <summary>
    /// <c>y(x) - y(x')</c> at the plan's origin layer (<see cref="PathCall{T}.LayerDirection"/>), for a path in a hidden
    /// layer's activation space; only as the scale of an adaptive rule's errors, never as a tangent's direction.
    /// </summary>
    LayerDirection,
}

/// <summary>The per-point seed of a backward pass from one neuron <c>j</c> of a layer.</summary>
internal enum NeuronSeed
{
    /// <summary><c>1</c> at every point: the gradient of <c>y_j</c> itself.</summary>
    One,

    /// <summary><c>dF/dy_j(x_k)</c> at point <c>k</c>, from the last <see cref="IPathEngine{T}.BackwardFromOutput"/>.</summary>
    OutputGradient,
}

/// <summary>
/// One backend's working state for one path call, and the operations every path method is written in. An engine
/// is rented from its method object's pool for one call (so method objects are thread-safe and the CPU's warm calls
/// allocate nothing), and owns everything the call writes: its arguments (<see cref="Call"/>), its per-chunk passes
/// and its accumulators. Methods never reach past it into generated code's workspace.
/// </summary>
/// <remarks>
/// A call: <see cref="PathCall{T}.Begin"/> on <see cref="Call"/>, then <see cref="Open"/>; accumulators made with
/// <see cref="NewAccumulator"/> and <see cref="NewSum"/> before the first chunk; per chunk <see cref="Forward"/> and the
/// method's operations; then <see cref="Finish"/>, after which <see cref="Accumulated"/>, <see cref="Sum"/> and
/// <see cref="Endpoints"/> read the results on the host; <see cref="Close"/> always ends the call (see
/// <see cref="PathRunner"/>). Every weighted reduction weighs point <c>k</c> by the plan's <c>c_k</c>. Operations run per
/// chunk, never per element, so an interface call costs nothing beside the passes.
/// </remarks>
internal interface IPathEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The plan shared by every engine of the method object.</summary>
    PathPlan<T> Plan { get; }

    /// <summary>This engine's call arguments.</summary>
    PathCall<T> Call { get; }

    /// <summary>Starts a call on the checked <see cref="Call"/> (uploads it, on a device).</summary>
    void Open();

    /// <summary>
    /// For a plan whose path runs in a hidden layer's activation space (<see cref="PathPlan{T}.Origin"/>), after
    /// <see cref="PathCall{T}.Begin"/> and before <see cref="Open"/>: runs the network at the call's <c>x'</c> and <c>x</c>
    /// and begins the path between the origin's activations there (<see cref="PathCall{T}.BeginLayerPath"/>). From then
    /// on <see cref="Forward(int, int)"/> runs the layers above the origin at <c>y(x') + a_k (y(x) - y(x'))</c>. Does nothing
    /// for an input-space path.
    /// </summary>
    void BeginLayerPath();

    /// <summary>Ends the call, releasing what it made on a device; host results stay readable until the next call.</summary>
    void Close();

    /// <summary>A zeroed accumulator of <paramref name="length"/> elements of <typeparamref name="T"/>; returns its handle.</summary>
    int NewAccumulator(int length);

    /// <summary>A zeroed double-precision scalar accumulator; returns its handle.</summary>
    int NewSum();

    /// <summary>
    /// Runs the network forward at the path points <c>x' + a_k (x - x')</c> (with a path in a hidden layer's space, the
    /// layers above it at <c>y(x') + a_k (y(x) - y(x'))</c>), <c>k = start .. start + count</c>, with
    /// <paramref name="count"/> at most the plan's chunk capacity (<see cref="PathPlan{T}.ChunkSize"/>; a split call runs its
    /// halves in chunks that need not start at multiples of the capacity); returns <c>count</c>. The CPU carries the
    /// endpoints <c>a = 0</c> and <c>a = 1</c> along with the chunk that ends at the call's last point, so
    /// <see cref="Endpoints"/> needs no pass of its own.
    /// </summary>
    int Forward(int start, int count);

    /// <summary>
    /// <c>acc += sum_k c_k dF/dx(x_k)</c> for the explained output (output <paramref name="target"/> when it is not
    /// negative); on the CPU the fused <c>BackwardPathSum</c>, summing over points before the first affine layer.
    /// </summary>
    void AddInputGradientSum(int accumulator, int target = -1);

    /// <summary>
    /// The gradient of the explained output at <paramref name="layer"/> for every point of the chunk (and at the input
    /// when <paramref name="throughInput"/>), for the reductions below. Only the layers above <paramref name="layer"/> run
    /// unless the input's gradient is asked for. With a <paramref name="target"/> that is not negative, the gradient of
    /// output <paramref name="target"/> instead, with no new forward pass (several targets of one chunk, <c>AttributeTargets</c>).
    /// </summary>
    void BackwardFromOutput(Layer layer, bool throughInput, int target = -1);

    /// <summary><c>acc[j] += sum_k c_k dF/dy_j(x_k)</c>, after <see cref="BackwardFromOutput"/> at <paramref name="layer"/>.</summary>
    void AddLayerGradientSum(Layer layer, int accumulator);

    /// <summary>
    /// <c>acc[j] += sum_k c_k dF/dy_j(x_k) [J_y(x_k) v]_j</c> with the forward-mode tangent along <paramref name="along"/>,
    /// after <see cref="BackwardFromOutput"/> at <paramref name="layer"/>.
    /// </summary>
    void AddConductance(Layer layer, PathVector along, int accumulator);

    /// <summary><c>sum += sum_k c_k (dF/dx(x_k) . v)</c> in double, after <see cref="BackwardFromOutput"/> through the input.</summary>
    void AddInputGradientDot(PathVector along, int sum);

    /// <summary>
    /// <c>acc[offset + i] += sum_k c_k d(s_k y_j)/dx_i (x_k)</c>, one backward pass from <paramref name="layer"/> seeded at
    /// neuron <paramref name="neuron"/> with <c>s_k</c> as <paramref name="seed"/> says (<c>s_k</c> held constant).
    /// </summary>
    void AddNeuronInputGradientSum(Layer layer, int neuron, NeuronSeed seed, int accumulator, int offset);

    /// <summary>Writes <c>dF/dx(x_k)</c> of the chunk as rows <c>row ..</c> of a <c>[points, input length]</c> accumulator, after <see cref="BackwardFromOutput"/> through the input.</summary>
    void CopyInputGradients(int accumulator, int row);

    /// <summary>Writes the outputs <c>F(x_k)</c> of the chunk as rows <c>row ..</c> of a <c>[points, output length]</c> accumulator.</summary>
    void CopyOutputs(int accumulator, int row);

    /// <summary>
    /// Ends the chunks: brings every accumulator to the host (one copy, on a device) with the endpoint values of the
    /// output and of <paramref name="layer"/> when given.
    /// </summary>
    void Finish(Layer? layer);

    /// <summary>An accumulator's values, after <see cref="Finish"/>.</summary>
    ReadOnlySpan<T> Accumulated(int accumulator);

    /// <summary>A double accumulator's value, after <see cref="Finish"/>.</summary>
    double Sum(int sum);

    /// <summary>The number of accumulators made since <see cref="Open"/> (after <see cref="Finish"/>, those of the finished call).</summary>
    int AccumulatorCount { get; }

    /// <summary>The number of double sums made since <see cref="Open"/> (after <see cref="Finish"/>, those of the finished call).</summary>
    int SumCount { get; }

    /// <summary>
    /// An accumulator's host values after <see cref="Finish"/>, writable: the adaptive rule replaces them by its
    /// intervals' sum (<see cref="AdaptiveCall{T}.Run"/>); <see cref="Accumulated"/> then reads what was written.
    /// </summary>
    Span<T> Results(int accumulator);

    /// <summary>Replaces a double sum's host value after <see cref="Finish"/>, as <see cref="Results"/> does an accumulator's.</summary>
    void SetSum(int sum, double value);

    /// <summary>
    /// Off the path, as a call of its own (it ends the last call's results): at <paramref name="count"/> free points
    /// <c>x_n = points[n, input length]</c>, in chunks of at most the plan's capacity, writes <c>outputs[n, output length] = F(x_n)</c>
    /// unless <paramref name="outputs"/> is empty, and <c>gradients[n, i] = d(sum_j c_nj F_j)/dx_i (x_n)</c> with
    /// <c>c_n = outputCoefficients[n, output length]</c> unless <paramref name="gradients"/> is empty (then no backward pass runs
    /// and the weightings are not read). Both destinations are overwritten. The gradient methods and the quality metrics are
    /// written in this one operation; the spans' lengths are the caller's to check.
    /// </summary>
    void AtPoints(ReadOnlySpan<T> points, int count, ReadOnlySpan<T> outputCoefficients, Span<T> outputs, Span<T> gradients, CancellationToken cancellationToken);

    /// <summary>
    /// A layer's activations at the baseline (row 0) and the input (row 1), <c>[2, layer size]</c>, after
    /// <see cref="Finish"/>: the output's, or the layer given to <see cref="Finish"/>.
    /// </summary>
    ReadOnlySpan<T> Endpoints(Layer layer);
}
