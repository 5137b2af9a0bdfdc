using System;
using System.IO;
using Spectre.Console;

namespace Pathwise.Cli;

/// <summary>Where a command writes: tables and progress to <see cref="Out"/>, errors to <see cref="Error"/>.</summary>
/// <param name="Out">The console for results (tables, summaries, the progress bar when it is interactive).</param>
/// <param name="Error">Error lines, one per failure (<c>error: ...</c>), and System.CommandLine's usage errors.</param>
/// <param name="Help">Where <c>--help</c> writes.</param>
internal sealed record CliConsole(IAnsiConsole Out, TextWriter Error, TextWriter Help)
{
    /// <summary>The process's console: Spectre's detection of colours and interactivity, stderr for errors.</summary>
    public static CliConsole System()
    {
        IAnsiConsole console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            // A file or a pipe has no width: 80 columns would wrap the tables' numbers.
            console.Profile.Width = 160;
        }

        return new CliConsole(console, Console.Error, Console.Out);
    }

    /// <summary>A plain console writing to <paramref name="output"/> (no colours, no progress bar, 200 columns), for tests and pipes.</summary>
    public static CliConsole Plain(TextWriter output, TextWriter error)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200;
        return new CliConsole(console, error, output);
    }

    /// <summary>True when a progress bar can be drawn (an interactive terminal).</summary>
    public bool CanShowProgress => Out.Profile.Capabilities.Interactive && Out.Profile.Capabilities.Ansi;

    /// <summary>Writes a plain line to <see cref="Out"/> (no markup).</summary>
    public void Line(string text = "") => Out.WriteLine(text);
}
