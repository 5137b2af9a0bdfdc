using System;
using System.Collections.Generic;
using System.IO;
using Pathwise.Weights;

namespace Pathwise.Onnx;

/// <summary>
/// An imported ONNX model: the C# declaration of the network (an attribute-annotated partial class the Pathwise
/// generator compiles) and its weights, named as the declaration's <c>WeightName</c>s say.
/// </summary>
public sealed class ImportedNetwork
{
    private readonly TensorData[] _weights;
    private readonly ImportedLayer[] _layers;

    internal ImportedNetwork(string className, string? @namespace, string declaration, TensorData[] weights, ImportedLayer[] layers)
    {
        ClassName = className;
        Namespace = @namespace;
        Declaration = declaration;
        _weights = weights;
        _layers = layers;
    }

    /// <summary>The network class's name.</summary>
    public string ClassName { get; }

    /// <summary>The declaration's namespace, or <see langword="null"/> for the global namespace.</summary>
    public string? Namespace { get; }

    /// <summary>The C# source of the declaration: one file, <c>[Network]</c> partial class with one member per layer.</summary>
    public string Declaration { get; }

    /// <summary>The weight tensors in PyTorch layout (<c>Dense</c> weights <c>[out, in]</c>), named <c>WeightName.weight</c> and so on.</summary>
    public IReadOnlyList<TensorData> Weights => _weights;

    /// <summary>The declared members in order, the input first, each with the ONNX nodes it stands for.</summary>
    public IReadOnlyList<ImportedLayer> Layers => _layers;

    /// <summary>Writes the weights to <paramref name="path"/> as safetensors (F32), atomically, as <see cref="SafeTensors.Write"/> does.</summary>
    public void WriteWeights(string path) => SafeTensors.Write(path, _weights, TensorDType.F32);

    /// <summary>
    /// Writes <c>ClassName.cs</c> (the declaration) and <c>ClassName.safetensors</c> (the weights) into
    /// <paramref name="directory"/>, creating it if needed, each atomically (a temporary file, then a rename), and
    /// returns both paths.
    /// </summary>
    public (string DeclarationPath, string WeightsPath) WriteTo(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        string declarationPath = Path.Combine(directory, ClassName + ".cs");
        string weightsPath = Path.Combine(directory, ClassName + ".safetensors");
        string temporary = declarationPath + ".tmp";
        File.WriteAllText(temporary, Declaration);
        File.Move(temporary, declarationPath, overwrite: true);
        WriteWeights(weightsPath);
        return (declarationPath, weightsPath);
    }
}

/// <summary>One member of an imported declaration.</summary>
/// <param name="Member">The property's name, such as <c>Fc1</c>.</param>
/// <param name="Attributes">The attribute list as written, such as <c>Dense(16, WeightName = "fc1"), ReLU</c>.</param>
/// <param name="Nodes">The ONNX nodes the member stands for (the input's is empty).</param>
public sealed record ImportedLayer(string Member, string Attributes, IReadOnlyList<string> Nodes);
