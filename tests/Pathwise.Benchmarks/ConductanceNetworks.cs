using Pathwise;

namespace Pathwise.Benchmarks;

// Three widths of one shape, for how the cost of hidden-layer methods grows with the layer's width.

[Network]
public sealed partial class Width16
{
    [Input(64)] public partial InputLayer X { get; }
    [Dense(16), Tanh] public partial Layer Hidden { get; }
    [Dense(16), Tanh] public partial Layer Hidden2 { get; }
    [Dense(10)] public partial Layer Out { get; }
}

[Network]
public sealed partial class Width64
{
    [Input(64)] public partial InputLayer X { get; }
    [Dense(64), Tanh] public partial Layer Hidden { get; }
    [Dense(64), Tanh] public partial Layer Hidden2 { get; }
    [Dense(10)] public partial Layer Out { get; }
}

[Network]
public sealed partial class Width256
{
    [Input(64)] public partial InputLayer X { get; }
    [Dense(256), Tanh] public partial Layer Hidden { get; }
    [Dense(256), Tanh] public partial Layer Hidden2 { get; }
    [Dense(10)] public partial Layer Out { get; }
}
