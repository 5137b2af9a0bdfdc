using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Pathwise.Cli.Tests;

/// <summary>What one in-process run of <c>pathwise</c> returned and printed.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
}

/// <summary>Runs the <c>pathwise</c> command in this process, with a plain console (no colours, no progress bar).</summary>
internal static class CliRun
{
    /// <summary>The bundled slice (first 500 Fashion-MNIST test images), as the tool ships it next to itself.</summary>
    public static string Slice => Path.Combine(AppContext.BaseDirectory, "Models", "fashion-mnist-slice");

    /// <summary>The bundled weights of <c>cnn</c> or <c>mlp</c>.</summary>
    public static string Weights(string name) => Path.Combine(AppContext.BaseDirectory, "Models", $"fashion-{name}.safetensors");

    public static CliResult Run(params string[] args) => Run(CancellationToken.None, args);

    public static CliResult Run(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Task<int> run = PathwiseCli.RunAsync(args, CliConsole.Plain(output, error), handleTermination: false, cancellationToken);
        if (!run.Wait(TimeSpan.FromMinutes(2)))
        {
            throw new TimeoutException($"pathwise {string.Join(' ', args)} did not finish in 2 minutes.");
        }

        return new CliResult(run.Result, output.ToString(), error.ToString());
    }
}
