using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace LogCluster.Tests.Integration.Deploy;

/// <summary>
/// deploy/compose.yaml under a project name of its own, with published ports chosen by the test, driven through
/// the docker-compose command as an operator would.
/// </summary>
internal sealed class ComposeProject
{
    private static readonly string _repoRoot = typeof(ComposeProject).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    private readonly Dictionary<string, string> _environment;

    public ComposeProject(string name, Dictionary<string, string> environment)
    {
        Name = name;
        _environment = environment;
    }

    public string Name { get; }

    public static string ComposeFile => Path.Combine(_repoRoot, "deploy", "compose.yaml");

    /// <summary>Runs <c>docker-compose -p name -f deploy/compose.yaml args</c>; fails the test with its output unless it exits 0.</summary>
    public Task<string> RunAsync(TimeSpan timeout, params string[] args) =>
        RunCommandAsync("docker-compose", ["-p", Name, "-f", ComposeFile, .. args], timeout);

    /// <summary>The health docker reports for a service's container: "healthy", "starting", "unhealthy".</summary>
    public async Task<string> HealthAsync(string service)
    {
        var id = (await RunAsync(TimeSpan.FromSeconds(30), "ps", "-q", service)).Trim();
        return (await RunCommandAsync("docker", ["inspect", "--format", "{{.State.Health.Status}}", id], TimeSpan.FromSeconds(30))).Trim();
    }

    private async Task<string> RunCommandAsync(string command, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _repoRoot };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{command} {string.Join(' ', args)}` ran longer than {timeout}:\n{await stdout}\n{await stderr}");
        }
        output.Append(await stdout).Append(await stderr);
        Assert.True(process.ExitCode == 0, $"`{command} {string.Join(' ', args)}` exited {process.ExitCode}:\n{output}");
        return await stdout;
    }
}
