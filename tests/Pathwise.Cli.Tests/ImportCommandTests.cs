using System;
using System.Collections.Generic;
using System.IO;
using Pathwise.Onnx;
using Pathwise.Weights;
using Xunit;

namespace Pathwise.Cli.Tests;

/// <summary><c>import</c> (ONNX to a declaration and safetensors) and <c>inspect</c> on a PyTorch state_dict, end to end in process.</summary>
public sealed class ImportCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pathwise-import").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void Import_WritesTheDeclarationAndWeights_TheLibraryImports()
    {
        CliResult result = CliRun.Run("import", Fixture("cnn_opset17.onnx"), "--output", _directory, "--class-name", "ImportedCnn", "--namespace", "MyApp");

        Assert.True(result.ExitCode == 0, result.ToString());
        ImportedNetwork expected = OnnxImporter.Import(Fixture("cnn_opset17.onnx"), new OnnxImportOptions { ClassName = "ImportedCnn", Namespace = "MyApp" });
        string declaration = Path.Combine(_directory, "ImportedCnn.cs");
        string weights = Path.Combine(_directory, "ImportedCnn.safetensors");
        Assert.Equal(expected.Declaration, File.ReadAllText(declaration));
        IReadOnlyDictionary<string, TensorData> tensors = SafeTensors.Read(weights);
        Assert.Equal(expected.Weights.Count, tensors.Count);
        foreach (ImportedLayer layer in expected.Layers)
        {
            Assert.Contains(layer.Member, result.Output);
        }

        Assert.Contains($"Wrote {declaration}", result.Output);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Fact]
    public void Import_AnUnsupportedOperator_ExitsWith1_NamingTheNode()
    {
        CliResult result = CliRun.Run("import", Fixture("unsupported_opset13.onnx"), "--output", _directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(Cos)", result.Error);
        Assert.Contains("(Abs)", result.Error);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Import_AMissingFile_ExitsWith1()
    {
        string missing = Path.Combine(_directory, "absent.onnx");

        CliResult result = CliRun.Run("import", missing);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{missing} does not exist; expected an .onnx file.", result.Error);
    }

    [Fact]
    public void Inspect_APyTorchStateDict_ListsItsTensors()
    {
        CliResult result = CliRun.Run("inspect", Fixture("mlp.pt"));

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string name in PyTorchCheckpoint.Read(Fixture("mlp.pt")).Keys)
        {
            Assert.Contains(name, result.Output);
        }
    }

    [Fact]
    public void Inspect_APickleCarryingCode_ExitsWith1_NamingTheGlobal()
    {
        CliResult result = CliRun.Run("inspect", Fixture("evil_system.pt"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("refused global", result.Error);
    }
}
