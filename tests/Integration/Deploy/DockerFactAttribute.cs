using System.Diagnostics;

namespace LogCluster.Tests.Integration.Deploy;

/// <summary>
/// A test that needs a Docker engine and docker-compose: skipped, with the reason in the results, on a machine
/// without them. CI starts one (.ci/run: deploy/start-dockerd.sh), so there it always runs.
/// </summary>
public sealed class DockerFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> _missing = new(FindMissing);

    public DockerFactAttribute()
    {
        if (_missing.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? FindMissing()
    {
        foreach (var (command, args) in new[] { ("docker", "info"), ("docker-compose", "version") })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                process.StandardOutput.ReadToEndAsync();
                process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(15_000) || process.ExitCode != 0)
                {
                    return $"`{command} {args}` failed: no Docker engine or docker-compose here (CI starts one with deploy/start-dockerd.sh)";
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return $"`{command}` is not installed";
            }
        }
        return null;
    }
}
