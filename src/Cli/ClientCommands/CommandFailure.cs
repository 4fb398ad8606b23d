using LogCluster.Client;

namespace LogCluster.Cli.ClientCommands;

/// <summary>A failure the user can act on (a node's error code, a missing topic, a bad option): one line on stderr, exit code 1.</summary>
internal sealed class CommandFailure(string message) : Exception(message)
{
    /// <summary>
    /// Runs a command's work and turns a <see cref="CommandFailure"/> or an SDK error into "error: ..." on
    /// <paramref name="errors"/> and exit code 1, where System.CommandLine would print a stack trace.
    /// </summary>
    public static async Task<int> ReportAsync(TextWriter errors, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (CommandFailure e)
        {
            await errors.WriteLineAsync($"error: {e.Message}");
        }
        catch (LogClusterException e)
        {
            await errors.WriteLineAsync($"error: {e.Message}");
        }
        return 1;
    }
}
