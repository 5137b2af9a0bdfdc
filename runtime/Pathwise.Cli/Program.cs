using System.Threading.Tasks;
using Pathwise.Cli;

// The `pathwise` tool: see PathwiseCli for the commands and ExitCodes for what the process returns.
return await PathwiseCli.RunAsync(args, CliConsole.System(), handleTermination: true).ConfigureAwait(false);
