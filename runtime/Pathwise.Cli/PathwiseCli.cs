using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
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
        Command root = Create(console);
        if (args.Length == 0)
        {
            // No command: the help, as a usage error.
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = console.Help, Error = console.Error });
            return Task.FromResult(ExitCodes.BadInput);
        }

        var configuration = new InvocationConfiguration
        {
            Output = console.Help,
            Error = console.Error,
            ProcessTerminationTimeout = handleTermination ? StopTimeout : null,
        };
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
        {
            // Usage errors as one "error:" line each and where to read more, not the whole help after them.
            foreach (ParseError error in parse.Errors)
            {
                console.Error.WriteLine($"error: {error.Message}");
            }

            string command = parse.CommandResult.Command == root ? "pathwise" : $"pathwise {parse.CommandResult.Command.Name}";
            console.Error.WriteLine($"Run '{command} --help' for the options and exit codes.");
            return Task.FromResult(ExitCodes.BadInput);
        }

        return parse.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>The root command with every subcommand.</summary>
    public static Command Create(CliConsole console)
    {
        // A Command named pathwise rather than a RootCommand, whose name would be the assembly's (Pathwise.Cli) in the usage lines.
        var root = new Command(
            "pathwise",
            "Pathwise: explain neural-network predictions with Integrated Gradients and the other path methods." + Environment.NewLine +
            "Runs the bundled Fashion-MNIST models (cnn, mlp) on the bundled 500 test images with no setup; takes your own" + Environment.NewLine +
            "safetensors weights with a network declared in an assembly (--assembly DLL --network TYPE).")
        {
            ExplainCommand.Create(console),
            EvaluateCommand.Create(console),
            InspectCommand.Create(console),
            BenchCommand.Create(console),
            ImportCommand.Create(console),
            new HelpOption(),
            new VersionOption(),
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

    /// <summary>Each command's examples, printed by its --help before the exit codes.</summary>
    private static readonly System.Collections.Generic.Dictionary<string, string> Examples = new(StringComparer.Ordinal)
    {
        ["pathwise"] = """
            Examples:
              pathwise explain                                    the bundled CNN on images 0-4, Integrated Gradients, a table
              pathwise explain -m mlp -i 0-9 --report page.html   one self-contained page with the tables and the pictures
              pathwise explain --method conductance --layer Hidden -o pictures
              pathwise explain -m my.safetensors --assembly bin/My.dll --network MyNet -d my-images-idx3-ubyte.gz
              pathwise evaluate -m mlp                            accuracy, overall and per class
              pathwise inspect my.safetensors --network cnn       tensors, and whether they fit the bundled CNN
              pathwise bench -r gausslegendre -r exact            milliseconds per explanation
              pathwise import model.onnx -o Models -c MyNet       a declaration and its weights from an ONNX model

            """,
        ["explain"] = """
            Examples:
              pathwise explain -i 0-9 -o pictures --report report.html
              pathwise explain -m mlp --rule exact -i 17
              pathwise explain --method expected --baselines 32 -i 3
              pathwise explain --method noisetunnel --tunnel-of ig --samples 20 -i 0-2 -o pictures
              pathwise explain --method conductance --layer Hidden --report conductance.html
              pathwise explain --method layerig --layer Conv2 -i 0-2
              pathwise explain --method neuronconductance --layer Hidden --neuron 5 -o pictures

            """,
    };

    /// <summary>The built-in help, then the command's examples and the exit codes.</summary>
    private sealed class HelpWithExitCodes(SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int result = inner.Invoke(parseResult);
            TextWriter output = parseResult.InvocationConfiguration.Output;
            if (Examples.TryGetValue(parseResult.CommandResult.Command.Name, out string? examples))
            {
                output.WriteLine(examples);
            }

            output.WriteLine(ExitCodes.HelpText);
            return result;
        }
    }
}
