namespace Pathwise.Onnx;

/// <summary>How <see cref="OnnxImporter"/> names and types the declaration it writes.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>The defaults: class named after the file, no namespace, float32.</summary>
    public static OnnxImportOptions Default { get; } = new();

    /// <summary>The network class's name; <see langword="null"/> (the default) derives it from the model's file name in PascalCase (<c>mlp_gemm.onnx</c> → <c>MlpGemm</c>).</summary>
    public string? ClassName { get; init; }

    /// <summary>The namespace of the declaration; <see langword="null"/> (the default) writes none (the global namespace).</summary>
    public string? Namespace { get; init; }

    /// <summary>The element type of the declared network (default <see cref="Precision.Float32"/>, what PyTorch exports).</summary>
    public Precision Precision { get; init; } = Precision.Float32;
}
