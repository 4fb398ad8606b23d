using System.Collections.Concurrent;
using System.Diagnostics;
using LogCluster.Cli.ClientCommands;

namespace LogCluster.Tests.Integration.Consumer;

/// <summary>`logcluster consume` as a child process: its record lines and its stderr as they come, and SIGKILL.</summary>
internal sealed class CliConsumerProcess : IDisposable
{
    private readonly Process _process;

    private CliConsumerProcess(Process process) => _process = process;

    /// <summary>Printed records: (partition, offset, value).</summary>
    public ConcurrentQueue<(int Partition, long Offset, string Value)> Records { get; } = new();

    /// <summary>The partitions it holds now, as its assigned/revoked lines said.</summary>
    public ConcurrentDictionary<string, byte> Owned { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Errors { get; } = new();

    public static CliConsumerProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[typeof(ConsumeCommand).Assembly.Location, "consume", .. args])
        {
            start.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = start };
        var consumer = new CliConsumerProcess(process);
        process.OutputDataReceived += (_, e) => consumer.OnRecord(e.Data);
        process.ErrorDataReceived += (_, e) => consumer.OnError(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return consumer;
    }

    private void OnRecord(string? line)
    {
        if (line?.Split('\t') is [var partition, var offset, var value])
        {
            Records.Enqueue((int.Parse(partition, System.Globalization.CultureInfo.InvariantCulture), long.Parse(offset, System.Globalization.CultureInfo.InvariantCulture), value));
        }
    }

    private void OnError(string? line)
    {
        if (line is null)
        {
            return;
        }
        Errors.Enqueue(line);
        var (change, partitions) = line.StartsWith("assigned: ", StringComparison.Ordinal) ? (true, line["assigned: ".Length..])
            : line.StartsWith("revoked: ", StringComparison.Ordinal) ? (false, line["revoked: ".Length..]) : (default(bool?), "");
        foreach (var partition in partitions.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (change == true)
            {
                Owned[partition] = 0;
            }
            else if (change == false)
            {
                Owned.TryRemove(partition, out _);
            }
        }
    }

    /// <summary>SIGKILL: no commit, no leaving the group; the coordinator notices only when its session expires.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
    }
}
