using System;

namespace Pathwise.Weights;

/// <summary>One tensor a network declares: its name in the weights file, its exact shape and its role.</summary>
/// <remarks>Immutable; two specs are equal when name, shape (element by element) and role are.</remarks>
public sealed class WeightTensorSpec : IEquatable<WeightTensorSpec>
{
    private readonly int[] _shape;

    /// <summary>Describes a tensor; <paramref name="shape"/> is copied.</summary>
    /// <param name="name">The tensor's name, such as <c>fc1.weight</c>.</param>
    /// <param name="shape">The expected dimensions, outermost first; empty for a scalar.</param>
    /// <param name="role">What the tensor is to its layer: its neutral value and the checks its values get on load.</param>
    public WeightTensorSpec(string name, ReadOnlySpan<int> shape, ParameterRole role = ParameterRole.Weight)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        _shape = shape.ToArray();
        Role = role;
    }

    /// <summary>The tensor's name, such as <c>fc1.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The expected dimensions, outermost first; empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>What the tensor is to its layer.</summary>
    public ParameterRole Role { get; }

    /// <summary>Whether <paramref name="other"/> names the same tensor with the same shape and role.</summary>
    public bool Equals(WeightTensorSpec? other) =>
        other is not null && Name == other.Name && Role == other.Role && _shape.AsSpan().SequenceEqual(other._shape);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as WeightTensorSpec);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        hash.Add(Role);
        foreach (int dimension in _shape)
        {
            hash.Add(dimension);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Shapes.Format(_shape)} ({Role})";
}
