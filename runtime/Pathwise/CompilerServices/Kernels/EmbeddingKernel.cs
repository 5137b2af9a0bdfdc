using System;
using System.ComponentModel;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pathwise.CompilerServices.Kernels;

/// <summary>
/// Embedding lookup, PyTorch's <c>nn.Embedding(vocabulary, dimension)</c> and ONNX's <c>Gather(weight, ids)</c> on axis 0:
/// each of a point's <c>length</c> token ids selects a row of <c>weight[vocabulary, dimension]</c>. The ids arrive as the
/// network's element type and must be integers in <c>[0, vocabulary)</c>. Not differentiable in the ids: no gradient or
/// tangent flows to them, so the generated backward and tangent passes write zeros there.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class EmbeddingKernel
{
    /// <summary>Forward pass: <c>y[n, t, d] = weight[ids[n, t], d]</c>. Overwrites <paramref name="y"/>.</summary>
    /// <param name="ids">Token ids, <c>[count, length]</c>, integers in <c>[0, vocabulary)</c>.</param>
    /// <param name="weight">The embedding table, <c>[vocabulary, dimension]</c> (PyTorch's <c>weight</c>).</param>
    /// <param name="y">Destination, <c>[count, length, dimension]</c> (overwritten, not accumulated into).</param>
    /// <param name="count">Number of rows (points).</param>
    /// <param name="length">Tokens per point, <c>T</c>.</param>
    /// <param name="dimension">Features per token, <c>D</c>.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <exception cref="ArgumentException">A span has the wrong length, or an id is not an integer in <c>[0, vocabulary)</c> (the message names its point, position and value).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> ids, ReadOnlySpan<T> weight, Span<T> y, int count, int length, int dimension, int vocabulary)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowHelper.RequireNonNegative(count, nameof(count));
        ThrowHelper.RequirePositive(length, nameof(length));
        ThrowHelper.RequirePositive(dimension, nameof(dimension));
        ThrowHelper.RequirePositive(vocabulary, nameof(vocabulary));
        int tokens = ThrowHelper.Product(count, length, "count * length");
        ThrowHelper.RequireLength(ids.Length, tokens, nameof(ids));
        ThrowHelper.RequireLength(weight.Length, ThrowHelper.Product(vocabulary, dimension, "vocabulary * dimension"), nameof(weight));
        ThrowHelper.RequireLength(y.Length, ThrowHelper.Product(tokens, dimension, "count * length * dimension"), nameof(y));
        for (int k = 0; k < tokens; k++)
        {
            // one id -> [dimension]
            int row = TokenId(ids[k], vocabulary, k / length, k % length);
            weight.Slice(row * dimension, dimension).CopyTo(y.Slice(k * dimension, dimension));
        }
    }

    /// <summary>
    /// The row a token id selects: <paramref name="value"/> as an int when it is an integer in <c>[0, vocabulary)</c>;
    /// otherwise an <see cref="ArgumentException"/> naming the point, the position, the value and the vocabulary size.
    /// </summary>
    /// <param name="value">The id as the network's element type.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <param name="point">The point (row of the batch) the id belongs to, for the message.</param>
    /// <param name="position">The id's position in its sequence, for the message.</param>
    /// <remarks>The one check of an id, which the TorchSharp backend makes too, so both refuse alike.</remarks>
    internal static int TokenId<T>(T value, int vocabulary, int point, int position)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (T.IsInteger(value) && value >= T.Zero && value < T.CreateChecked(vocabulary))
        {
            return int.CreateChecked(value);
        }

        ThrowBadId(double.CreateChecked(value), vocabulary, point, position);
        return 0;
    }

    private static void ThrowBadId(double value, int vocabulary, int point, int position) =>
        ThrowHelper.ThrowArgument(
            string.Create(CultureInfo.InvariantCulture,
                $"Expected token ids that are integers from 0 to {vocabulary - 1} (the embedding's vocabulary has {vocabulary} rows); point {point}, position {position} holds {value:R}."),
            "ids");
}
