using System;

namespace Pathwise.Cli;

/// <summary>A failure the command reports as one line <c>error: message</c> and exits with <see cref="ExitCode"/>.</summary>
internal sealed class CliException : Exception
{
    /// <summary>Creates the failure with its exit code (one of <see cref="ExitCodes"/>) and message.</summary>
    public CliException(int exitCode, string message, Exception? inner = null)
        : base(message, inner)
    {
        ExitCode = exitCode;
    }

    /// <summary>The process exit code, one of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; }

    /// <summary>Bad usage or input (<see cref="ExitCodes.BadInput"/>).</summary>
    public static CliException BadInput(string message, Exception? inner = null) => new(ExitCodes.BadInput, message, inner);
}
