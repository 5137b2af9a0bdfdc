using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Pathwise.Cli.Data;
using Pathwise.Cli.Models;
using Spectre.Console;

namespace Pathwise.Cli.Commands;

/// <summary>
/// <c>pathwise bench</c>: a quick timing of Integrated Gradients on a model: a few warm-up calls, then
/// <c>--repeat</c> timed calls on one image, reported as median, mean and fastest milliseconds per explanation.
/// </summary>
internal static class BenchCommand
{
    private const int WarmUp = 3;

    /// <summary>The command and its options.</summary>
    public static Command Create(CliConsole console)
    {
        Option<string> model = CommonOptions.Model();
        Option<string?> assembly = CommonOptions.Assembly();
        Option<string?> network = CommonOptions.Network();
        Option<string?> data = CommonOptions.Data();
        var image = new Option<int>("--image")
        {
            HelpName = "INDEX",
            Description = "The image explained (its predicted class is the target)",
            DefaultValueFactory = _ => 0,
        };
        var rules = new Option<string[]>("--rule", "-r")
        {
            HelpName = "RULE",
            Description = "The quadrature rules to time, repeat the option for several: " + string.Join(", ", CommonOptions.RuleNames()),
            DefaultValueFactory = _ => ["gausslegendre"],
            AllowMultipleArgumentsPerToken = true,
        };
        rules.AcceptOnlyFromAmong(CommonOptions.RuleNames());
        Option<int> points = CommonOptions.Points(50);
        var repeat = new Option<int>("--repeat")
        {
            HelpName = "N",
            Description = "Timed calls per rule",
            DefaultValueFactory = _ => 20,
        };
        CommonOptions.Check(repeat, value => value is >= 1 and <= 100_000, value => $"--repeat must be between 1 and 100000; got {value}.");
        var command = new Command("bench", "Time Integrated Gradients on a model: median, mean and fastest milliseconds per explanation of one image.")
        {
            model, assembly, network, data, image, rules, points, repeat,
        };
        command.SetAction((parse, cancellationToken) => PathwiseCli.Guard(console, token =>
        {
            CliModel loaded = CommonOptions.LoadModel(parse, model, assembly, network);
            ImageSet set = CommonOptions.LoadData(parse.GetValue(data), loaded);
            int index = parse.GetValue(image);
            if (index < 0 || index >= set.Count)
            {
                throw CliException.BadInput($"--image {index}: the data holds {set.Count} images (0 to {set.Count - 1}).");
            }

            return Execute(console, loaded, set.Image(index), index, parse.GetValue(rules)!, parse.GetValue(points), parse.GetValue(repeat), token);
        }, cancellationToken));
        return command;
    }

    private static int Execute(CliConsole console, CliModel model, float[] image, int index, string[] rules, int points, int repeat, CancellationToken cancellationToken)
    {
        var outputs = new float[model.Info.OutputLength];
        model.PredictBatch(image, outputs);
        int target = CliModel.ArgMax(outputs);
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("model");
        table.AddColumn("rule");
        table.AddColumn(new TableColumn("points").RightAligned());
        table.AddColumn(new TableColumn("median ms").RightAligned());
        table.AddColumn(new TableColumn("mean ms").RightAligned());
        table.AddColumn(new TableColumn("fastest ms").RightAligned());
        table.AddColumn(new TableColumn("explanations/s").RightAligned());
        int[] work = new int[rules.Length];
        for (int i = 0; i < work.Length; i++)
        {
            work[i] = i;
        }

        ExplainCommand.ForEachImage(console, work, cancellationToken, r =>
        {
            QuadratureRule rule = CommonOptions.ParseRule(rules[r]);
            Func<CancellationToken, int> call = model.PrepareIntegratedGradients(new IntegratedGradientsOptions { Points = points, Rule = rule }, image, target);
            int used = 0;
            for (int w = 0; w < WarmUp; w++)
            {
                used = call(cancellationToken);
            }

            var times = new double[repeat];
            for (int k = 0; k < repeat; k++)
            {
                long start = Stopwatch.GetTimestamp();
                used = call(cancellationToken);
                times[k] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(times);
            double median = repeat % 2 == 1 ? times[repeat / 2] : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
            double mean = 0;
            foreach (double t in times)
            {
                mean += t / repeat;
            }

            table.AddRow(
                Markup.Escape(model.Name),
                rule.ToString(),
                F($"{used}{(rule == QuadratureRule.Exact ? " pieces" : "")}"),
                F($"{median:0.000}"),
                F($"{mean:0.000}"),
                F($"{times[0]:0.000}"),
                F($"{1000 / median:0.0}"));
        });

        console.Line(F($"Integrated Gradients of image {index}, target {model.ClassNames[target]} (predicted), {repeat} timed calls after {WarmUp} warm-up, one thread per call:"));
        console.Out.Write(table);
        return ExitCodes.Success;
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
