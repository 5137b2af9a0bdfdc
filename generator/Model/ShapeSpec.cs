namespace Pathwise.Generator.Model;

/// <summary>
/// One point's shape: rank 1 <c>[features]</c>, rank 2 <c>[channels, length]</c> (held as height 1, like the
/// runtime's <c>TensorShape</c>) or rank 3 <c>[channels, height, width]</c>.
/// </summary>
internal sealed record ShapeSpec(int Rank, int Channels, int Height, int Width)
{
    public static ShapeSpec Flat(int features) => new(1, features, 1, 1);

    public static ShapeSpec Sequence(int channels, int length) => new(2, channels, 1, length);

    public static ShapeSpec Image(int channels, int height, int width) => new(3, channels, height, width);

    public int Length => Channels * Height * Width;

    public override string ToString() => Rank switch
    {
        1 => $"[{Channels}]",
        2 => $"[{Channels}, {Width}]",
        _ => $"[{Channels}, {Height}, {Width}]",
    };
}
