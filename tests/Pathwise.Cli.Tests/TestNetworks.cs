using Pathwise;

namespace Pathwise.Cli.Tests;

/// <summary>A small declared network for <c>explain --assembly</c>: 28x28 pixels in, 10 outputs.</summary>
[Network]
public sealed partial class TinyNet
{
    [Input(784)]                     public partial InputLayer Pixels { get; }
    [Dense(16), ReLU]                public partial Layer Hidden { get; }
    [Dense(10)]                      public partial Layer Logits { get; }
}

/// <summary>The same in float64, so the command's double path runs too.</summary>
[Network(Precision.Float64)]
public sealed partial class TinyNet64
{
    [Input(784)]                     public partial InputLayer Pixels { get; }
    [Dense(16), Tanh]                public partial Layer Hidden { get; }
    [Dense(10)]                      public partial Layer Logits { get; }
}
