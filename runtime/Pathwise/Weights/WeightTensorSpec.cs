namespace Pathwise.Weights;

/// <summary>One tensor a network declares: its name in the weights file and its exact shape.</summary>
/// <param name="Name">The tensor's name, such as <c>fc1.weight</c>.</param>
/// <param name="Shape">The expected dimensions, outermost first; <c>[]</c> for a scalar.</param>
/// <param name="Role">What the tensor is to its layer: its neutral value and the checks its values get on load.</param>
public sealed record WeightTensorSpec(string Name, int[] Shape, ParameterRole Role = ParameterRole.Weight);
