using System;
using System.CommandLine;
using System.IO;
using System.Threading;
using Pathwise.Onnx;
using Spectre.Console;

namespace Pathwise.Cli.Commands;

/// <summary>
/// <c>pathwise import MODEL.onnx</c>: the C# declaration (an attribute-annotated partial class, names from the graph)
/// and the weights as safetensors, written atomically into <c>--output</c>; every operator Pathwise cannot map is
/// listed by node name (exit code 1).
/// </summary>
internal static class ImportCommand
{
    /// <summary>The command and its options.</summary>
    public static Command Create(CliConsole console)
    {
        var model = new Argument<string>("MODEL") { Description = "The .onnx file (a chain of layers, opset 13 or newer)" };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Folder for CLASS.cs and CLASS.safetensors",
            DefaultValueFactory = _ => ".",
        };
        var className = new Option<string?>("--class-name", "-c") { Description = "The declared class's name [default: from the graph's or the file's name]" };
        var ns = new Option<string?>("--namespace") { Description = "The declaration's namespace [default: none]" };
        var precision = new Option<Precision>("--precision")
        {
            Description = "The declared network's element type",
            DefaultValueFactory = _ => Precision.Float32,
        };
        var command = new Command("import", "Import an ONNX model as a Pathwise declaration (CLASS.cs) and its weights (CLASS.safetensors), listing every unsupported operator by node.")
        {
            model, output, className, ns, precision,
        };
        command.SetAction((parse, cancellationToken) => PathwiseCli.Guard(
            console,
            token => Execute(console, parse.GetValue(model)!, parse.GetValue(output)!, parse.GetValue(className), parse.GetValue(ns), parse.GetValue(precision), token),
            cancellationToken));
        return command;
    }

    private static int Execute(CliConsole console, string model, string output, string? className, string? ns, Precision precision, CancellationToken cancellationToken)
    {
        string path = Path.GetFullPath(model);
        if (!File.Exists(path))
        {
            throw CliException.BadInput($"{path} does not exist; expected an .onnx file.");
        }

        ImportedNetwork network;
        try
        {
            network = OnnxImporter.Import(path, new OnnxImportOptions { ClassName = className, Namespace = ns, Precision = precision });
        }
        catch (OnnxImportException e)
        {
            throw CliException.BadInput(e.Message, e);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{network.ClassName} from {Path.GetFileName(path)}"));
        table.AddColumn("member");
        table.AddColumn("attributes");
        table.AddColumn("ONNX nodes");
        foreach (ImportedLayer layer in network.Layers)
        {
            table.AddRow(Markup.Escape(layer.Member), Markup.Escape(layer.Attributes), Markup.Escape(string.Join(", ", layer.Nodes)));
        }

        console.Out.Write(table);
        (string declaration, string weights) = network.WriteTo(Path.GetFullPath(output));
        console.Line($"Wrote {declaration}");
        console.Line($"Wrote {weights} ({network.Weights.Count} tensors)");
        console.Line($"Add {Path.GetFileName(declaration)} to a project that references Pathwise, then {network.ClassName}.Load(\"{Path.GetFileName(weights)}\").");
        return ExitCodes.Success;
    }
}
