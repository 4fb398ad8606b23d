using System.Diagnostics;

namespace LogCluster.Tests.Integration.Kafka;

/// <summary>Runs Debian's kcat (an older librdkafka than Confluent.Kafka's, so older negotiation paths).</summary>
internal static class Kcat
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs kcat with <paramref name="args"/>, feeding it <paramref name="input"/>; its standard output. Fails on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string? input, params string[] args)
    {
        var start = new ProcessStartInfo("kcat") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kcat did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kcat {string.Join(' ', args)} did not finish within {_timeout.TotalSeconds} s: {await stderr}");
        }
        Assert.True(process.ExitCode == 0, $"kcat {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
