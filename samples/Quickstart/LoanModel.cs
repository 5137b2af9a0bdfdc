using Pathwise;

namespace Quickstart;

/// <summary>
/// A small credit-decision classifier: 8 applicant features in, 3 decisions out (approve, review, decline).
/// The Pathwise generator turns this declaration into straight-line forward and gradient code.
/// </summary>
[Network]
public sealed partial class LoanModel
{
    [Input(8)]                            public partial InputLayer Applicant { get; }
    [Dense(16, WeightName = "fc1"), GELU] public partial Layer Hidden1 { get; }
    [Dense(12, WeightName = "fc2"), Tanh] public partial Layer Hidden2 { get; }
    [Dense(3, WeightName = "fc3")]        public partial Layer Decision { get; }
}
