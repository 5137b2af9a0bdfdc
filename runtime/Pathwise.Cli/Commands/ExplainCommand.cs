using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using Pathwise.Cli.Data;
using Pathwise.Cli.Explaining;
using Pathwise.Cli.Models;
using Pathwise.Cli.Report;
using Pathwise.Visualization;
using Spectre.Console;

namespace Pathwise.Cli.Commands;

/// <summary>
/// <c>pathwise explain</c>: attributes the chosen images' predictions with one method, prints a summary table, and
/// writes pictures to <c>--output</c> and a self-contained page to <c>--report</c>. Each picture is written
/// atomically as soon as its image is done, so Ctrl-C keeps every finished one; the report is written at the end, or
/// with the images done so far when stopped.
/// </summary>
internal static class ExplainCommand
{
    private static readonly int[] ConvergencePoints = [2, 4, 8, 16, 32, 64, 128, 256];

    private static readonly QuadratureRule[] FixedRules =
        [QuadratureRule.RiemannLeft, QuadratureRule.RiemannRight, QuadratureRule.RiemannMiddle, QuadratureRule.Trapezoid, QuadratureRule.GaussLegendre];

    /// <summary>The command and its options.</summary>
    public static Command Create(CliConsole console)
    {
        Option<string> model = CommonOptions.Model();
        Option<string?> assembly = CommonOptions.Assembly();
        Option<string?> network = CommonOptions.Network();
        Option<string?> data = CommonOptions.Data();
        Option<string> images = CommonOptions.Images("0-4");
        var method = new Option<string>("--method")
        {
            HelpName = "METHOD",
            Description = "The attribution method: ig (Integrated Gradients), interior (saturation curve), expected (expected gradients over --baselines images), " +
                "saliency, inputxgradient, noisetunnel (SmoothGrad around --tunnel-of), conductance, influence or layerig (of the hidden layer --layer), regiontoneuron (of --layer for the pixels --region), " +
                "neuronig or neuronconductance (of neuron --neuron of --layer, to the input)",
            DefaultValueFactory = _ => "ig",
        };
        method.AcceptOnlyFromAmong([.. MethodNames.ByName.Keys]);
        Option<string> rule = CommonOptions.Rule();
        Option<int> points = CommonOptions.Points(50);
        var layer = new Option<string?>("--layer")
        {
            HelpName = "NAME",
            Description = "The hidden layer of conductance, influence, layerig, regiontoneuron, neuronig and neuronconductance, by its declared name (the bundled cnn: Conv1, Pool1, Conv2, Pool2, Flat, Hidden; mlp: Hidden1, Hidden2)",
        };
        var neuron = new Option<int?>("--neuron")
        {
            HelpName = "N",
            Description = "neuronig and neuronconductance: the neuron of --layer, a flat index 0 to the layer's size - 1",
        };
        var region = new Option<string?>("--region")
        {
            HelpName = "X0,Y0,X1,Y1",
            Description = "regiontoneuron: the pixel rectangle x0 <= x < x1, y0 <= y < y1 (every channel), such as 7,7,21,21",
        };
        var target = new Option<string>("--target", "-t")
        {
            HelpName = "predicted|label|N",
            Description = "The output explained: the predicted class, the image's label, or an output index",
            DefaultValueFactory = _ => "predicted",
        };
        var baselines = new Option<int>("--baselines")
        {
            HelpName = "N",
            Description = "expected: the baseline set, the first N images of the data",
            DefaultValueFactory = _ => 16,
        };
        CommonOptions.Check(baselines, value => value >= 1, value => $"--baselines must be at least 1; got {value}.");
        var tunnelOf = new Option<string>("--tunnel-of")
        {
            HelpName = "METHOD",
            Description = "noisetunnel: the method under the noise",
            DefaultValueFactory = _ => "saliency",
        };
        tunnelOf.AcceptOnlyFromAmong("ig", "saliency", "inputxgradient");
        var samples = new Option<int>("--samples")
        {
            HelpName = "N",
            Description = "noisetunnel: noisy copies per image",
            DefaultValueFactory = _ => 10,
        };
        CommonOptions.Check(samples, value => value is >= 1 and <= NoiseTunnelOptions.MaxSamples, value => $"--samples must be between 1 and {NoiseTunnelOptions.MaxSamples}; got {value}.");
        var noise = new Option<double>("--noise-level")
        {
            HelpName = "S",
            Description = "noisetunnel: the noise's standard deviation as a fraction of the image's range",
            DefaultValueFactory = _ => 0.15,
        };
        CommonOptions.Check(noise, value => value >= 0 && double.IsFinite(value), value => $"--noise-level must be a finite number >= 0; got {value}.");
        var output = new Option<string?>("--output", "-o")
        {
            HelpName = "DIR",
            Description = "Write the pictures (PNG) to this folder, each as soon as its image is done",
        };
        var report = new Option<string?>("--report")
        {
            HelpName = "FILE.html",
            Description = "Write one self-contained HTML page: a table per image, the pictures and plots inline",
        };

        var command = new Command("explain", "Explain predictions: attribute each image's output, print a summary table, write pictures and an HTML report.")
        {
            model, assembly, network, data, images, method, rule, points, layer, neuron, region, target, baselines, tunnelOf, samples, noise, output, report,
        };
        command.SetAction((parse, cancellationToken) => PathwiseCli.Guard(console, token =>
        {
            var run = new Run(
                CommonOptions.LoadModel(parse, model, assembly, network),
                parse.GetValue(data),
                parse.GetValue(images)!,
                MethodNames.ByName[parse.GetValue(method)!],
                CommonOptions.ParseRule(parse.GetValue(rule)!),
                parse.GetValue(points),
                parse.GetValue(layer),
                parse.GetValue(neuron),
                parse.GetValue(region),
                parse.GetValue(target)!,
                parse.GetValue(baselines),
                MethodNames.ByName[parse.GetValue(tunnelOf)!],
                parse.GetValue(samples),
                parse.GetValue(noise),
                parse.GetValue(output),
                parse.GetValue(report));
            return Execute(console, run, token);
        }, cancellationToken));
        return command;
    }

    /// <summary>What one <c>explain</c> runs (the parsed command line).</summary>
    private sealed record Run(
        CliModel Model, string? Data, string Images, MethodKind Method, QuadratureRule Rule, int Points, string? Layer, int? Neuron, string? Region, string Target,
        int Baselines, MethodKind TunnelOf, int Samples, double NoiseLevel, string? Output, string? Report);

    private static int Execute(CliConsole console, Run run, CancellationToken cancellationToken)
    {
        CliModel model = run.Model;
        ImageSet set = CommonOptions.LoadData(run.Data, model);
        int[] indices = ImageSelection.Parse(run.Images, set.Count);
        if (MethodNames.NeedsLayer(run.Method))
        {
            if (run.Layer is null)
            {
                throw CliException.BadInput($"--method {MethodNames.Name(run.Method)} attributes to a hidden layer: name it with --layer NAME.");
            }

            Layer found = model.FindLayer(run.Layer);
            run = run with { Layer = found.Name };
            if (MethodNames.IsNeuronMethod(run.Method))
            {
                if (run.Neuron is not { } n)
                {
                    throw CliException.BadInput($"--method {MethodNames.Name(run.Method)} attributes one neuron of {found.Name}: name it with --neuron N (0 to {found.Size - 1}).");
                }

                if (n < 0 || n >= found.Size)
                {
                    throw CliException.BadInput($"--neuron {n}: {found.Name} has {found.Size} neurons (0 to {found.Size - 1}).");
                }
            }
        }
        else if (run.Layer is not null)
        {
            throw CliException.BadInput($"--layer applies to conductance, influence, layerig, regiontoneuron, neuronig and neuronconductance, not to --method {MethodNames.Name(run.Method)}.");
        }

        bool[]? regionMask = null;
        if (run.Method == MethodKind.RegionToNeuron)
        {
            regionMask = ParseRegion(run.Region, set.Height, set.Width, model.Info.InputLength);
        }
        else if (run.Region is not null)
        {
            throw CliException.BadInput($"--region applies to regiontoneuron, not to --method {MethodNames.Name(run.Method)}.");
        }

        if (run.Neuron is not null && !MethodNames.IsNeuronMethod(run.Method))
        {
            throw CliException.BadInput($"--neuron applies to neuronig and neuronconductance, not to --method {MethodNames.Name(run.Method)}.");
        }

        if (set.Count > 0)
        {
            // A --target that names no output fails here, before any work.
            TargetOf(run.Target, model, set, indices[0], set.Image(indices[0]));
        }

        string? outputDirectory = run.Output is null ? null : Path.GetFullPath(run.Output);
        string? reportPath = run.Report is null ? null : Path.GetFullPath(run.Report);
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
        }

        float[] baselineSet = [];
        if (run.Method == MethodKind.ExpectedGradients)
        {
            int count = Math.Min(run.Baselines, set.Count);
            baselineSet = new float[count * set.ImageSize];
            for (int i = 0; i < count; i++)
            {
                set.CopyImage(i, baselineSet.AsSpan(i * set.ImageSize, set.ImageSize));
            }
        }

        var settings = new ExplainSettings(run.Method, run.Rule, run.Points, run.Layer, baselineSet, run.TunnelOf, run.Samples, run.NoiseLevel, run.Neuron ?? -1, regionMask);
        string methodText = Describe(settings, baselineSet.Length / set.ImageSize);
        console.Line($"{model.Name}: {methodText}, on {indices.Length} image{(indices.Length == 1 ? "" : "s")} of {set.Description}.");

        var explanations = new List<Explanation>();
        var sections = new List<ReportSection>();
        var written = new List<string>();
        bool wantPictures = outputDirectory is not null || reportPath is not null;
        bool stopped = false;
        try
        {
            // One untimed call first, so the first row's time is steady-state (JIT, workspaces), as every later row's is.
            if (run.Rule != QuadratureRule.Exact && run.Method != MethodKind.ExpectedGradients)
            {
                float[] first = set.Image(indices[0]);
                model.Explain(settings, indices[0], Label(set, indices[0]), first, TargetOf(run.Target, model, set, indices[0], first), cancellationToken);
            }

            ForEachImage(console, indices, cancellationToken, index =>
            {
                float[] image = set.Image(index);
                int label = Label(set, index);
                int explained = TargetOf(run.Target, model, set, index, image);
                Explanation explanation = model.Explain(settings, index, label, image, explained, cancellationToken);
                explanations.Add(explanation);
                if (!wantPictures)
                {
                    return;
                }

                string stem = Invariant($"{model.Name.ToLowerInvariant()}-{index:0000}-{(label >= 0 ? Slug(ClassName(model, label)) : "unlabelled")}-{MethodNames.Name(run.Method)}");
                string title = Invariant($"{model.Name}, image {index}") + (label >= 0 ? $" ({ClassName(model, label)})" : "") +
                    $": {MethodNames.Title(run.Method)} of '{ClassName(model, explained)}'";
                List<Picture> pictures = Pictures.Draw(explanation, image, set.Height, set.Width, stem, title, run.Layer ?? "");
                WritePictures(outputDirectory, pictures, written);
                sections.Add(new ReportSection(title, SectionRows(model, explanation, run.Method, run.Rule), pictures));
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stopped = true;
        }

        var plots = new List<Picture>();
        if (!stopped && wantPictures && run.Method == MethodKind.IntegratedGradients && explanations.Count > 0)
        {
            try
            {
                Picture convergence = ConvergencePlot(model, set, explanations[0], cancellationToken);
                WritePictures(outputDirectory, [convergence], written);
                plots.Add(convergence);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                stopped = true;
            }
        }

        PrintTable(console, model, explanations, run.Method, run.Rule, !string.Equals(run.Target, "predicted", StringComparison.OrdinalIgnoreCase));
        string? note = stopped ? $"Stopped by Ctrl-C after {explanations.Count} of {indices.Length} images; the rows below are complete." : null;
        if (reportPath is not null)
        {
            string html = HtmlReport.Build(
                $"pathwise explain: {model.Name}, {MethodNames.Title(run.Method)}",
                [
                    ("model", $"{model.Name} ({model.Info.Name}, weights {model.Weights})"),
                    ("data", set.Description),
                    ("method", methodText),
                    ("images", $"{explanations.Count} of {indices.Length} ({run.Images})"),
                    ("target", run.Target),
                ],
                HeaderFor(run.Method),
                [.. explanations.ConvertAll(e => (IReadOnlyList<string>)Cells(model, e, run.Rule))],
                sections,
                plots,
                note);
            ImageFiles.WriteAtomically(reportPath, Encoding.UTF8.GetBytes(html));
            written.Add(reportPath);
        }

        if (written.Count > 0)
        {
            console.Line($"Wrote {written.Count} file{(written.Count == 1 ? "" : "s")}: {(outputDirectory is not null ? $"pictures in {outputDirectory}" : "")}" +
                $"{(outputDirectory is not null && reportPath is not null ? ", " : "")}{(reportPath is not null ? $"the report {reportPath}" : "")}.");
        }
        else if (!stopped)
        {
            console.Line("Add --output DIR for pictures, or --report FILE.html for one page with the table and the pictures.");
        }

        if (stopped)
        {
            console.Error.WriteLine($"stopped: cancelled after {explanations.Count} of {indices.Length} images; every file written is complete.");
            return ExitCodes.Cancelled;
        }

        return ExitCodes.Success;
    }

    /// <summary>Runs <paramref name="body"/> for each index, under a progress bar when the console is interactive.</summary>
    internal static void ForEachImage(CliConsole console, int[] indices, CancellationToken cancellationToken, Action<int> body)
    {
        if (!console.CanShowProgress || indices.Length < 2)
        {
            foreach (int index in indices)
            {
                cancellationToken.ThrowIfCancellationRequested();
                body(index);
            }

            return;
        }

        console.Out.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("images", maxValue: indices.Length);
                foreach (int index in indices)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    task.Description = Invariant($"image {index}");
                    body(index);
                    task.Increment(1);
                }
            });
    }

    private const int TargetColumn = 2;

    private const int ChangeColumn = 5;

    private static readonly string[] Header =
        ["image", "label", "target", "predicted", "confidence", "F(x)-F(x')", "sum of attr.", "delta", "rel. delta", "points", "ms"];

    /// <summary>
    /// The table's header for <paramref name="method"/>: the change column names what the method's attributions complete
    /// to, the output's change for most, the neuron's for neuron IG, the region's Integrated Gradients for region to neuron.
    /// </summary>
    private static string[] HeaderFor(MethodKind method)
    {
        string[] header = (string[])Header.Clone();
        header[ChangeColumn] = Completes(method).Change;
        return header;
    }

    /// <summary>What <paramref name="method"/>'s delta is measured against: the change and its two ends, as the table and the report name them.</summary>
    private static (string Change, string AtInput, string AtBaseline) Completes(MethodKind method) => method switch
    {
        MethodKind.NeuronIntegratedGradients => ("y_j(x)-y_j(x')", "y_j(x)", "y_j(x')"),
        MethodKind.RegionToNeuron => ("IG of region", "IG of region", "zero"),
        _ => ("F(x)-F(x')", "F(x)", "F(x')"),
    };

    /// <summary>The summary table on the console; without the target column when the target is the predicted class (the next column).</summary>
    private static void PrintTable(CliConsole console, CliModel model, List<Explanation> explanations, MethodKind method, QuadratureRule requested, bool showTarget)
    {
        string[] header = HeaderFor(method);
        var table = new Table().Border(TableBorder.Rounded);
        for (int c = 0; c < header.Length; c++)
        {
            if (c == TargetColumn && !showTarget)
            {
                continue;
            }

            var column = new TableColumn(header[c]);
            if (c is 0 or >= 4)
            {
                column.RightAligned();
            }

            table.AddColumn(column);
        }

        foreach (Explanation e in explanations)
        {
            string[] cells = Cells(model, e, requested);
            var escaped = new List<string>(cells.Length);
            for (int i = 0; i < cells.Length; i++)
            {
                if (i != TargetColumn || showTarget)
                {
                    escaped.Add(Markup.Escape(cells[i]));
                }
            }

            table.AddRow([.. escaped]);
        }

        console.Out.Write(table);
    }

    /// <summary>A row of the summary table (console and report): the same strings in both.</summary>
    internal static string[] Cells(CliModel model, Explanation e, QuadratureRule requested) =>
    [
        Invariant($"{e.Index}"),
        e.Label >= 0 ? ClassName(model, e.Label) : "-",
        ClassName(model, e.Target),
        ClassName(model, e.Predicted),
        Invariant($"{e.Confidence * 100:0.0}%"),
        e.Delta is { } d ? Invariant($"{d.OutputAtInput - d.OutputAtBaseline:+0.0000;-0.0000}") : "-",
        e.InputValues is null && e.LayerValues is null ? "-" : Invariant($"{e.Sum:+0.0000;-0.0000}"),
        e.Delta is { } a ? Invariant($"{a.Absolute:0.00E+00}") : "-",
        e.Delta is { } r ? Invariant($"{r.Relative:0.00E+00}") : "-",
        PointsText(e, requested),
        Invariant($"{e.Milliseconds:0.00}"),
    ];

    private static List<(string Key, string Name, string Value)> SectionRows(CliModel model, Explanation e, MethodKind method, QuadratureRule requested)
    {
        string[] cells = Cells(model, e, requested);
        string[] header = HeaderFor(method);
        (_, string atInput, string atBaseline) = Completes(method);
        var rows = new List<(string, string, string)>();
        string[] keys = ["image", "label", "target", "predicted", "confidence", "output-change", "sum", "delta", "relative-delta", "points", "ms"];
        for (int i = 0; i < cells.Length; i++)
        {
            rows.Add((keys[i], header[i], cells[i]));
        }

        if (e.Delta is { } d)
        {
            rows.Insert(5, ("output-at-input", atInput, Invariant($"{d.OutputAtInput:0.0000}")));
            rows.Insert(6, ("output-at-baseline", atBaseline, Invariant($"{d.OutputAtBaseline:0.0000}")));
        }

        return rows;
    }

    /// <summary>Points, or the exact rule's pieces, or the fallback the exact rule took past its piece limit.</summary>
    private static string PointsText(Explanation e, QuadratureRule requested) => e.Rule switch
    {
        QuadratureRule.Exact => Invariant($"{e.Points} pieces"),
        { } used when requested == QuadratureRule.Exact => Invariant($"{e.Points} ({used} fallback)"),
        _ => Invariant($"{e.Points}"),
    };

    private static Picture ConvergencePlot(CliModel model, ImageSet set, Explanation first, CancellationToken cancellationToken)
    {
        float[] image = set.Image(first.Index);
        var series = new List<ConvergenceSeries>();
        foreach (QuadratureRule rule in FixedRules)
        {
            var deltas = new double[ConvergencePoints.Length];
            for (int k = 0; k < ConvergencePoints.Length; k++)
            {
                var settings = new ExplainSettings(MethodKind.IntegratedGradients, rule, ConvergencePoints[k], null, [], MethodKind.Saliency, 1, 0);
                deltas[k] = model.Explain(settings, first.Index, first.Label, image, first.Target, cancellationToken).Delta!.Value.Relative;
            }

            series.Add(new ConvergenceSeries(rule.ToString(), ConvergencePoints, deltas));
        }

        return Pictures.Convergence(
            series,
            Invariant($"{model.Name.ToLowerInvariant()}-{first.Index:0000}-convergence.png"),
            Invariant($"{model.Name}, image {first.Index}: IG's relative convergence delta by rule"));
    }

    private static void WritePictures(string? directory, IReadOnlyList<Picture> pictures, List<string> written)
    {
        if (directory is null)
        {
            return;
        }

        foreach (Picture picture in pictures)
        {
            string path = Path.Combine(directory, picture.FileName);
            ImageFiles.WriteAtomically(path, picture.Png);
            written.Add(path);
        }
    }

    private static int TargetOf(string target, CliModel model, ImageSet set, int index, float[] image)
    {
        if (string.Equals(target, "predicted", StringComparison.OrdinalIgnoreCase))
        {
            var outputs = new float[model.Info.OutputLength];
            model.PredictBatch(image, outputs);
            return CliModel.ArgMax(outputs);
        }

        if (string.Equals(target, "label", StringComparison.OrdinalIgnoreCase))
        {
            int label = Label(set, index);
            return label >= 0 && label < model.Info.OutputLength
                ? label
                : throw CliException.BadInput($"--target label: {(label < 0 ? "the data has no labels file" : $"image {index}'s label {label} is not an output of {model.Info.Name}")}.");
        }

        if (int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out int output) && output < model.Info.OutputLength)
        {
            return output;
        }

        throw CliException.BadInput($"--target '{target}': expected predicted, label or an output index 0 to {model.Info.OutputLength - 1}.");
    }

    /// <summary>
    /// <c>--region X0,Y0,X1,Y1</c> as one flag per input value: the pixels <c>x0 &lt;= x &lt; x1</c>, <c>y0 &lt;= y &lt; y1</c> of
    /// every channel (the input read as <c>[channels, height, width]</c>, or flat <c>[height * width]</c>).
    /// </summary>
    private static bool[] ParseRegion(string? text, int height, int width, int inputLength)
    {
        if (text is null)
        {
            throw CliException.BadInput($"--method regiontoneuron attributes a pixel region: name it with --region X0,Y0,X1,Y1 (0 <= X0 < X1 <= {width}, 0 <= Y0 < Y1 <= {height}).");
        }

        string[] parts = text.Split(',');
        var corners = new int[4];
        bool parsed = parts.Length == 4;
        for (int i = 0; parsed && i < 4; i++)
        {
            parsed = int.TryParse(parts[i].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out corners[i]);
        }

        (int x0, int y0, int x1, int y1) = (corners[0], corners[1], corners[2], corners[3]);
        if (!parsed || x0 < 0 || y0 < 0 || x1 > width || y1 > height || x0 >= x1 || y0 >= y1)
        {
            throw CliException.BadInput($"--region {text}: expected X0,Y0,X1,Y1 with 0 <= X0 < X1 <= {width} and 0 <= Y0 < Y1 <= {height} (a non-empty pixel rectangle of the {width}x{height} images).");
        }

        var mask = new bool[inputLength];
        int plane = height * width;
        for (int channel = 0; channel < inputLength / plane; channel++)
        {
            for (int y = y0; y < y1; y++)
            {
                for (int x = x0; x < x1; x++)
                {
                    mask[channel * plane + y * width + x] = true;
                }
            }
        }

        return mask;
    }

    private static string Describe(ExplainSettings settings, int baselines) => settings.Method switch
    {
        MethodKind.RegionToNeuron =>
            Invariant($"region to neuron of {settings.Layer} for {Count(settings.Region!)} input values, {RuleText(settings)}, zero baseline"),
        MethodKind.IntegratedGradients or MethodKind.Conductance or MethodKind.InternalInfluence or MethodKind.LayerIntegratedGradients =>
            Invariant($"{MethodNames.Title(settings.Method)}{(settings.Layer is null ? "" : $" of {settings.Layer}")}, {RuleText(settings)}, zero baseline"),
        MethodKind.NeuronIntegratedGradients or MethodKind.NeuronConductance =>
            Invariant($"{MethodNames.Title(settings.Method)} of neuron {settings.Neuron} of {settings.Layer}, {RuleText(settings)}, zero baseline"),
        MethodKind.ExpectedGradients => Invariant($"expected gradients over {baselines} baselines (the data's first images), {RuleText(settings)} each"),
        MethodKind.InteriorGradients => Invariant($"interior gradients at {settings.Points} points, zero baseline"),
        MethodKind.NoiseTunnel => Invariant($"noise tunnel (SmoothGrad) of {MethodNames.Title(settings.TunnelOf)}, {settings.Samples} samples, noise level {settings.NoiseLevel}"),
        _ => MethodNames.Title(settings.Method),
    };

    private static int Count(bool[] mask)
    {
        int count = 0;
        foreach (bool flag in mask)
        {
            count += flag ? 1 : 0;
        }

        return count;
    }

    private static string RuleText(ExplainSettings settings) => settings.Rule == QuadratureRule.Exact
        ? Invariant($"the exact rule (pieces; Gauss-Legendre on {settings.Points} points past its piece limit)")
        : Invariant($"{settings.Rule} on {settings.Points} points");

    private static int Label(ImageSet set, int index) => set.Labels is { } labels ? labels[index] : -1;

    private static string ClassName(CliModel model, int index) =>
        index >= 0 && index < model.ClassNames.Count ? model.ClassNames[index] : Invariant($"{index}");

    private static string Slug(string name) => name.ToLowerInvariant().Replace('/', '-').Replace(' ', '-');

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
