using System;
using System.CommandLine;
using System.Globalization;
using System.Threading;
using Pathwise.Cli.Data;
using Pathwise.Cli.Models;
using Spectre.Console;

namespace Pathwise.Cli.Commands;

/// <summary><c>pathwise evaluate</c>: the accuracy of a model on labelled images, overall and per class.</summary>
internal static class EvaluateCommand
{
    private const int Chunk = 250;

    /// <summary>The command and its options.</summary>
    public static Command Create(CliConsole console)
    {
        Option<string> model = CommonOptions.Model();
        Option<string?> assembly = CommonOptions.Assembly();
        Option<string?> network = CommonOptions.Network();
        Option<string?> data = CommonOptions.Data();
        Option<string> images = CommonOptions.Images("all");
        var command = new Command("evaluate", "Accuracy of a model on labelled images (the largest output against the label), overall and per class.")
        {
            model, assembly, network, data, images,
        };
        command.SetAction((parse, cancellationToken) => PathwiseCli.Guard(console, token =>
        {
            CliModel loaded = CommonOptions.LoadModel(parse, model, assembly, network);
            ImageSet set = CommonOptions.LoadData(parse.GetValue(data), loaded);
            return Execute(console, loaded, set, ImageSelection.Parse(parse.GetValue(images)!, set.Count), token);
        }, cancellationToken));
        return command;
    }

    private static int Execute(CliConsole console, CliModel model, ImageSet set, int[] indices, CancellationToken cancellationToken)
    {
        byte[] labels = set.Labels ?? throw CliException.BadInput($"{set.Source} has no labels file beside it (its name with labels-idx1 for images-idx3); evaluate needs labels.");
        int classes = model.Info.OutputLength;
        var total = new int[classes];
        var correct = new int[classes];
        var inputs = new float[Chunk * set.ImageSize];
        var outputs = new float[Chunk * classes];
        int outside = 0;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int[] chunks = new int[(indices.Length + Chunk - 1) / Chunk];
        for (int c = 0; c < chunks.Length; c++)
        {
            chunks[c] = c;
        }

        ExplainCommand.ForEachImage(console, chunks, cancellationToken, c =>
        {
            int first = c * Chunk;
            int count = Math.Min(Chunk, indices.Length - first);
            for (int i = 0; i < count; i++)
            {
                set.CopyImage(indices[first + i], inputs.AsSpan(i * set.ImageSize, set.ImageSize));
            }

            model.PredictBatch(inputs.AsSpan(0, count * set.ImageSize), outputs.AsSpan(0, count * classes));
            for (int i = 0; i < count; i++)
            {
                int label = labels[indices[first + i]];
                if (label >= classes)
                {
                    outside++;
                    continue;
                }

                total[label]++;
                correct[label] += CliModel.ArgMax(outputs.AsSpan(i * classes, classes)) == label ? 1 : 0;
            }
        });

        double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("class");
        table.AddColumn(new TableColumn("images").RightAligned());
        table.AddColumn(new TableColumn("correct").RightAligned());
        table.AddColumn(new TableColumn("accuracy").RightAligned());
        int all = 0;
        int right = 0;
        for (int k = 0; k < classes; k++)
        {
            all += total[k];
            right += correct[k];
            if (total[k] > 0)
            {
                table.AddRow(Markup.Escape(model.ClassNames[k]), Text(total[k]), Text(correct[k]), Percent(correct[k], total[k]));
            }
        }

        table.AddRow("all", Text(all), Text(right), all > 0 ? Percent(right, all) : "-");
        console.Out.Write(table);
        console.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"{model.Name}: {(all > 0 ? Percent(right, all) : "-")} correct on {all} images of {set.Description} ({seconds:0.00} s)."));
        if (outside > 0)
        {
            console.Line(string.Create(CultureInfo.InvariantCulture, $"{outside} images have a label outside the model's {classes} outputs and were left out."));
        }

        return ExitCodes.Success;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Percent(int part, int whole) => string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole:0.00}%");
}
