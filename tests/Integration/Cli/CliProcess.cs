using System.Diagnostics;
using LogCluster.Cli.ClientCommands;

namespace LogCluster.Tests.Integration.Cli;

/// <summary>What a finished `logcluster` process printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Errors)
{
    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Errors}";
}

/// <summary>Runs the real `logcluster` build as a child process, as a user's shell would, with a deadline.</summary>
internal static class CliProcess
{
    /// <param name="args">The command line after <c>logcluster</c>.</param>
    /// <param name="timeout">Killed (and the test failed) past this.</param>
    /// <param name="input">Written to its stdin, which is then closed; null closes it at once.</param>
    public static async Task<CliRun> RunAsync(string[] args, TimeSpan timeout, string? input = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[typeof(ProduceCommand).Assembly.Location, .. args])
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("the CLI did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"logcluster {string.Join(' ', args)} still running after {timeout.TotalSeconds} s:\n{await output}\n{await errors}");
        }
        return new CliRun(process.ExitCode, await output, await errors);
    }
}
