using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace LogCluster.Cli.LocalCluster;

/// <summary>
/// A real LogNode as a child process on a port of its <see cref="NodeHost"/> (loopback unless told otherwise),
/// with its own data directory. Stop it gracefully (SIGTERM) or kill it (SIGKILL), then start it again on the
/// same port and data.
/// </summary>
internal sealed class LocalNode : IAsyncDisposable
{
    private static readonly TimeSpan _startTimeout = TimeSpan.FromSeconds(60);
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string[] _extraArgs;
    private Process? _process;

    private readonly string _assembly;
    private readonly NodeHost _host;

    private LocalNode(string assembly, NodeHost host, string dataDirectory, int port, string[] extraArgs)
    {
        _assembly = assembly;
        _host = host;
        DataDirectory = dataDirectory;
        Port = port;
        _extraArgs = extraArgs;
    }

    /// <summary>
    /// The LogNode this CLI runs: the copy a published CLI (the dotnet tool) carries in lognode/, else the build
    /// beside this CLI's build in the repository.
    /// </summary>
    public static string LogNodeAssembly { get; } = File.Exists(Path.Combine(AppContext.BaseDirectory, "lognode", "LogNode.dll"))
        ? Path.Combine(AppContext.BaseDirectory, "lognode", "LogNode.dll")
        : typeof(LocalNode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LogNodeAssembly").Value!;

    public string DataDirectory { get; }

    public int Port { get; private set; }

    /// <summary>The IP address the node binds.</summary>
    public string Host => _host.Address;

    public Uri Address => new($"http://{Host}:{Port}");

    /// <summary>Everything the node printed, for failure messages.</summary>
    public string Output => string.Join('\n', _output);

    public static Task<LocalNode> StartAsync(string dataDirectory, params string[] extraArgs) =>
        StartProgramAsync(LogNodeAssembly, dataDirectory, extraArgs);

    /// <summary>
    /// Starts <paramref name="assembly"/>, any program that takes --listen and --data-dir and prints LogNode's
    /// start-up line. (Named apart from StartAsync, whose string arguments it would otherwise silently take.)
    /// </summary>
    public static async Task<LocalNode> StartProgramAsync(string assembly, string dataDirectory, params string[] extraArgs)
    {
        var node = new LocalNode(assembly, NodeHost.Loopback, dataDirectory, port: 0, extraArgs);
        await node.StartAsync();
        return node;
    }

    /// <summary>A LogNode on a fixed port, not started yet: a cluster starts its nodes together, since none is ready alone.</summary>
    public static LocalNode Create(NodeHost host, string dataDirectory, int port, params string[] extraArgs) => new(LogNodeAssembly, host, dataDirectory, port, extraArgs);

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Frozen by <see cref="PauseAsync"/>: running, but answering nothing until resumed.</summary>
    public bool IsPaused { get; private set; }

    /// <summary>Starts the process (again) on the port it had, or on a free one the first time.</summary>
    public async Task StartAsync()
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        string[] command = [.. _host.Launcher, dotnet, _assembly, "--listen", $"{Host}:{Port}", "--data-dir", DataDirectory, .. _extraArgs];
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in command[1..])
        {
            start.ArgumentList.Add(arg);
        }
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, listening);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, listening);
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"LogNode exited during start-up:\n{Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Port = await listening.Task.WaitAsync(_startTimeout);
    }

    private void OnLine(string? line, TaskCompletionSource<int> listening)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        var marker = $"listening on http://{Host}:";
        var at = line.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            var rest = line[(at + marker.Length)..];
            listening.TrySetResult(int.Parse(rest[..rest.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>SIGKILL: no flush, no clean close; whatever was not written is lost.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("not running");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _process = null;
    }

    /// <summary>SIGSTOP: the process freezes, its sockets stay open and silent, as a node cut off from everyone.</summary>
    public async Task PauseAsync()
    {
        await SignalAsync("-STOP");
        IsPaused = true;
    }

    /// <summary>SIGCONT: a paused node runs on, still believing whatever it believed when it froze.</summary>
    public async Task ResumeAsync()
    {
        await SignalAsync("-CONT");
        IsPaused = false;
    }

    private async Task SignalAsync(string signal)
    {
        var process = _process ?? throw new InvalidOperationException("not running");
        using var kill = Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the node closes its logs and exits.</summary>
    public async Task StopAsync()
    {
        var process = _process ?? throw new InvalidOperationException("not running");
        await SignalAsync("-TERM");
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await KillAsync();
        }
    }
}
