using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Threading;
using Pathwise.Cli.Models;
using Pathwise.Weights;
using Spectre.Console;

namespace Pathwise.Cli.Commands;

/// <summary>
/// <c>pathwise inspect FILE</c>: a safetensors file's tensors (name, dtype, shape, elements) and metadata, and whether it
/// fits a declared network, naming every missing, unexpected and mis-shaped tensor (exit code 2 when it does not).
/// </summary>
internal static class InspectCommand
{
    /// <summary>The command and its options.</summary>
    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("FILE") { Description = "The weights file: .safetensors or a PyTorch state_dict (.pt)" };
        Option<string?> assembly = CommonOptions.Assembly();
        Option<string?> network = CommonOptions.Network();
        network.Description = "Check the file against this network: cnn or mlp (the bundled declarations), or a type in --assembly [default: report which bundled network it fits]";
        var command = new Command("inspect", "List a weights file's tensors (dtype, shape) and check it against a declared network, naming each mismatch.")
        {
            file, assembly, network,
        };
        command.SetAction((parse, cancellationToken) => PathwiseCli.Guard(
            console,
            token => Execute(console, parse.GetValue(file)!, parse.GetValue(assembly), parse.GetValue(network), token),
            cancellationToken));
        return command;
    }

    private static int Execute(CliConsole console, string file, string? assembly, string? network, CancellationToken cancellationToken)
    {
        string path = Path.GetFullPath(file);
        if (!File.Exists(path))
        {
            throw CliException.BadInput($"{path} does not exist; expected a .safetensors or .pt file.");
        }

        IReadOnlyDictionary<string, TensorData> tensors;
        IReadOnlyDictionary<string, string> metadata;
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            tensors = WeightsFile.Read(bytes, path);
            metadata = WeightsFile.ReadMetadata(bytes, path);
        }
        catch (Exception e) when (e is WeightsFormatException or IOException or UnauthorizedAccessException)
        {
            throw CliException.BadInput($"cannot read {path}: {e.Message}", e);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var names = new List<string>(tensors.Keys);
        names.Sort(StringComparer.Ordinal);
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(Path.GetFileName(path)));
        table.AddColumn("tensor");
        table.AddColumn("dtype");
        table.AddColumn("shape");
        table.AddColumn(new TableColumn("elements").RightAligned());
        long elements = 0;
        foreach (string name in names)
        {
            TensorData tensor = tensors[name];
            long count = 1;
            foreach (int dimension in tensor.Shape)
            {
                count *= dimension;
            }

            elements += count;
            table.AddRow(Markup.Escape(name), tensor.StoredAs.ToString(), Markup.Escape(Shape(tensor.Shape)), count.ToString("N0", CultureInfo.InvariantCulture));
        }

        console.Out.Write(table);
        console.Line(string.Create(CultureInfo.InvariantCulture, $"{names.Count} tensors, {elements:N0} values, {new FileInfo(path).Length:N0} bytes."));
        foreach (KeyValuePair<string, string> entry in metadata)
        {
            console.Line($"metadata {entry.Key}: {entry.Value}");
        }

        if (assembly is null && network is null)
        {
            // No declaration named: say which bundled network the file fits, if any.
            foreach (string bundled in ModelLoader.BundledNames)
            {
                if (Fits(tensors, ModelLoader.BundledInfo(bundled), path, out _))
                {
                    console.Line($"Fits the bundled {bundled} ({ModelLoader.BundledInfo(bundled).Name}): every declared tensor present with its shape, nothing else.");
                    return ExitCodes.Success;
                }
            }

            console.Line("Fits neither bundled network (cnn, mlp); check it against yours with --assembly DLL --network TYPE.");
            return ExitCodes.Success;
        }

        NetworkInfo info;
        if (assembly is not null)
        {
            info = ModelLoader.DeclaredInfo(assembly, network);
        }
        else if (ModelLoader.IsBundled(network!))
        {
            info = ModelLoader.BundledInfo(network!);
        }
        else
        {
            throw CliException.BadInput($"--network {network}: without --assembly the network is one of the bundled declarations, cnn or mlp.");
        }

        if (Fits(tensors, info, path, out WeightsMismatchException? mismatch))
        {
            console.Line($"Fits {info.Name}: its {info.Weights.Count} declared tensors are all present with their shapes, and the file holds nothing else.");
            return ExitCodes.Success;
        }

        console.Line($"Does not fit {info.Name} ({mismatch!.Problems.Count} problem{(mismatch.Problems.Count == 1 ? "" : "s")}):");
        foreach (string problem in mismatch.Problems)
        {
            console.Line($"  - {problem}");
        }

        return ExitCodes.WeightsMismatch;
    }

    private static bool Fits(IReadOnlyDictionary<string, TensorData> tensors, NetworkInfo info, string path, out WeightsMismatchException? mismatch)
    {
        try
        {
            WeightSet.Bind(tensors, info.Weights, path);
            mismatch = null;
            return true;
        }
        catch (WeightsMismatchException e)
        {
            mismatch = e;
            return false;
        }
    }

    private static string Shape(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
