using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Pathwise.Cli.Commands;
using Pathwise.Weights;

namespace Pathwise.Cli;

/// <summary>
/// The <c>pathwise</c> command: its subcommands, each in its own file under <c>Commands/</c> (a new one is one file and
/// one line in <see cref="Create"/>), and the one place failures become exit codes.
/// </summary>
internal static class PathwiseCli
{
    /// <summary>How long a command may take to finish after Ctrl-C before the process exits anyway.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Parses <paramref name="args"/> and runs the command, writing to <paramref name="console"/>; returns the exit code.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="console">Where results, errors and help go.</param>
    /// <param name="handleTermination">True to stop cleanly on Ctrl-C and SIGTERM (the tool); false in-process (tests cancel through <paramref name="cancellationToken"/>).</param>
    /// <param name="cancellationToken">Stops the command as Ctrl-C does: exit code 130.</param>
    public static Task<int> RunAsync(string[] args, CliConsole console, bool handleTermination = false, CancellationToken cancellationToken = default)
    {
        RootCommand root = Create(console);
        var configuration = new InvocationConfiguration
        {
            Output = console.Help,
            Error = console.Error,
            ProcessTerminationTimeout = handleTermination ? StopTimeout : null,
        };
        return root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>The root command with every subcommand.</summary>
    public static RootCommand Create(CliConsole console)
    {
        var root = new RootCommand(
            "Pathwise: explain neural-network predictions with Integrated Gradients and the other path methods." + Environment.NewLine +
            "Runs the bundled Fashion-MNIST models (cnn, mlp) on the bundled 500 test images with no setup; takes your own" + Environment.NewLine +
            "safetensors weights with a network declared in an assembly (--assembly DLL --network TYPE).")
        {
            ExplainCommand.Create(console),
            EvaluateCommand.Create(console),
            InspectCommand.Create(console),
            BenchCommand.Create(console),
        };

        // Every --help ends with the exit codes.
        foreach (Option option in root.Options)
        {
            if (option is HelpOption help && help.Action is SynchronousCommandLineAction action)
            {
                help.Action = new HelpWithExitCodes(action);
            }
        }

        return root;
    }

    /// <summary>
    /// Runs a command's work off the parser's thread, turning failures into exit codes: <see cref="CliException"/> its
    /// own, cancellation 130, a failed write 3, anything else 4 with its stack trace.
    /// </summary>
    public static async Task<int> Guard(CliConsole console, Func<CancellationToken, int> work, CancellationToken cancellationToken)
    {
        try
        {
            return await Task.Run(() => work(cancellationToken), CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error.WriteLine("stopped: cancelled; every file written before is complete.");
            return ExitCodes.Cancelled;
        }
        catch (CliException e)
        {
            console.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (WeightsMismatchException e)
        {
            console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.WeightsMismatch;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            // The runtime refuses a value it cannot use with a message naming it (a rule the network cannot take, an option out of range).
            console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine($"error: cannot write the output: {e.Message}");
            return ExitCodes.OutputFailed;
        }
        catch (Exception e)
        {
            console.Error.WriteLine($"error: internal error (a bug in Pathwise; please report it with this message): {e}");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>The built-in help, then the exit codes.</summary>
    private sealed class HelpWithExitCodes(SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int result = inner.Invoke(parseResult);
            TextWriter output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(ExitCodes.HelpText);
            return result;
        }
    }
}
