namespace Pathwise.Generator.Tests;

/// <summary>Network declarations shared by the generator tests.</summary>
public static class Declarations
{
    public const string TinyMlp = """
        using Pathwise;

        namespace Samples;

        [Network]
        public sealed partial class TinyMlp
        {
            [Input(8)]                          public partial InputLayer Features { get; }
            [Dense(16, WeightName = "fc1"), ReLU] public partial Layer Hidden { get; }
            [Dense(12, WeightName = "fc2"), Tanh] public partial Layer Hidden2 { get; }
            [Dense(3, WeightName = "fc3")]      public partial Layer Logits { get; }
        }
        """;

    public const string FashionCnn = """
        using Pathwise;

        namespace Samples;

        [Network]
        public sealed partial class FashionCnn
        {
            [Input(1, 28, 28)]                                  public partial InputLayer Pixels { get; }
            [Conv2D(8, Kernel = 3, Padding = 1), ReLU]          public partial Layer Conv1 { get; }
            [MaxPool2D(2)]                                      public partial Layer Pool1 { get; }
            [Conv2D(16, Kernel = 3, Padding = 1), ReLU]         public partial Layer Conv2 { get; }
            [MaxPool2D(2)]                                      public partial Layer Pool2 { get; }
            [Flatten]                                           public partial Layer Flat { get; }
            [Dense(64, WeightName = "fc1"), ReLU]               public partial Layer Hidden { get; }
            [Dense(10, WeightName = "fc2")]                     public partial Layer Logits { get; }
        }
        """;

    public const string EveryLayerFloat64 = """
        using Pathwise;

        namespace Checks;

        [Network(Precision.Float64)]
        internal partial class EveryLayer
        {
            [Input(2, 9, 8)]                                    internal partial InputLayer Image { get; }
            [Conv2D(3, Kernel = 3, Padding = 1, Stride = 2)]    internal partial Layer Conv { get; }
            [BatchNorm, LeakyReLU(0.2)]                         internal partial Layer Norm { get; }
            [AvgPool2D(2, Stride = 1)]                          internal partial Layer Pool { get; }
            [GELU]                                              internal partial Layer Smooth { get; }
            [Flatten]                                           internal partial Layer Flat { get; }
            [Dense(7, Bias = false), Sigmoid]                   internal partial Layer Squash { get; }
            [Dense(6), GELU(Approximation = GeluApproximation.Tanh)] internal partial Layer Mixed { get; }
            [BatchNorm(Epsilon = 1e-3)]                         internal partial Layer Norm1D { get; }
            [Dense(4), LogSoftmax]                              internal partial Layer LogProbabilities { get; }
        }
        """;

    public const string ExportedKinds = """
        using Pathwise;

        namespace Checks;

        [Network]
        public partial class ExportedKinds
        {
            [Input(3, 6, 6)]                                    public partial InputLayer Image { get; }
            [Identity]                                          public partial Layer Same { get; }
            [Conv2D(4, Padding = 1), ReLU]                      public partial Layer Conv { get; }
            [Dropout(0.25)]                                     public partial Layer Drop { get; }
            [GlobalAvgPool2D]                                   public partial Layer Gap { get; }
            [Flatten]                                           public partial Layer Flat { get; }
            [Dropout, Tanh]                                     public partial Layer DropTanh { get; }
            [LayerNorm(Epsilon = 1e-3)]                         public partial Layer Norm { get; }
            [Dense(3)]                                          public partial Layer Logits { get; }
        }
        """;

    public const string TextClassifier = """
        using Pathwise;

        namespace Checks;

        [Network]
        public partial class TextClassifier
        {
            [Input(12)]                                         public partial InputLayer Tokens { get; }
            [Embedding(50, 8, WeightName = "embedding")]        public partial Layer Embed { get; }
            [SequenceMean]                                      public partial Layer Mean { get; }
            [Dense(16), ReLU]                                   public partial Layer Hidden { get; }
            [Dense(3)]                                          public partial Layer Logits { get; }
        }
        """;

    public const string ResidualCnn = """
        using Pathwise;

        namespace Checks;

        [Network]
        public partial class ResidualCnn
        {
            [Input(2, 6, 6)]                                    public partial InputLayer Image { get; }
            [Conv2D(4, Padding = 1), ReLU]                      public partial Layer Stem { get; }
            [Conv2D(4, Padding = 1, Bias = false)]              public partial Layer Conv1 { get; }
            [BatchNorm, ReLU]                                   public partial Layer Norm1 { get; }
            [Conv2D(4, Padding = 1, Bias = false)]              public partial Layer Conv2 { get; }
            [Add(nameof(Stem)), ReLU]                           public partial Layer Block { get; }
            [Identity]                                          public partial Layer Tap { get; }
            [Concat(nameof(Block), nameof(Image))]              public partial Layer Joined { get; }
            [GlobalAvgPool2D]                                   public partial Layer Gap { get; }
            [Flatten]                                           public partial Layer Flat { get; }
            [Dense(3)]                                          public partial Layer Logits { get; }
        }
        """;

    /// <summary>Every convolution setting: a general first layer (the straight path's two products), depthwise, rectangular; then 1-D.</summary>
    public const string Convolutions = """
        using Pathwise;

        namespace Checks;

        [Network]
        public partial class GeneralConvolutions
        {
            [Input(4, 9, 8)]                                                                      public partial InputLayer Image { get; }
            [Conv2D(6, KernelHeight = 3, KernelWidth = 2, StrideHeight = 2, PaddingWidth = 1, Dilation = 2, Groups = 2), ReLU] public partial Layer Grouped { get; }
            [Conv2D(6, Kernel = 3, Padding = 1, Groups = 6)]                                      public partial Layer Depthwise { get; }
            [GlobalAvgPool2D]                                                                     public partial Layer Gap { get; }
            [Flatten]                                                                             public partial Layer Flat { get; }
            [Dense(3)]                                                                            public partial Layer Logits { get; }
        }

        [Network(Precision.Float64)]
        public partial class Sequence1D
        {
            [Input(3, 20)]                                                                        public partial InputLayer Signal { get; }
            [Conv1D(6, Kernel = 5, Padding = 2, Stride = 2, Groups = 3), Tanh]                    public partial Layer Conv { get; }
            [Conv1D(6, Kernel = 3, Dilation = 2, Groups = 6, Bias = false)]                       public partial Layer Depthwise { get; }
            [GlobalAvgPool1D]                                                                     public partial Layer Gap { get; }
            [Flatten]                                                                             public partial Layer Flat { get; }
            [Dense(2)]                                                                            public partial Layer Logits { get; }
        }
        """;
}
