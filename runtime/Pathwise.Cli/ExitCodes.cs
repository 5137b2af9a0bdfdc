namespace Pathwise.Cli;

/// <summary>The exit codes of every <c>pathwise</c> command, as <c>pathwise --help</c> and the README list them.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>Bad usage or input: an unknown command or option, a value out of range, a file that is missing, unreadable or not in its format.</summary>
    public const int BadInput = 1;

    /// <summary>The weights do not fit the network: missing, unexpected or mis-shaped tensors (and <c>inspect</c>'s verdict).</summary>
    public const int WeightsMismatch = 2;

    /// <summary>An output file could not be written (permissions, a full disk); files already written are complete.</summary>
    public const int OutputFailed = 3;

    /// <summary>An unexpected failure inside Pathwise: a bug, reported with its stack trace.</summary>
    public const int InternalError = 4;

    /// <summary>Stopped by Ctrl-C (SIGINT) or SIGTERM; every file written before is complete, none is half-written.</summary>
    public const int Cancelled = 130;

    /// <summary>The table printed by <c>--help</c>.</summary>
    public const string HelpText = """
        Exit codes:
          0    success
          1    bad usage or input: unknown command or option, a value out of range, a file missing or not in its format
          2    the weights do not fit the network (missing, unexpected or mis-shaped tensors; inspect's verdict)
          3    an output file could not be written (files written before it are complete)
          4    internal error (a bug; the message has the stack trace)
          130  stopped by Ctrl-C; every file written so far is complete (no half-written files)
        """;
}
