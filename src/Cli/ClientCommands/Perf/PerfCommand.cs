using System.CommandLine;

namespace LogCluster.Cli.ClientCommands.Perf;

/// <summary><c>logcluster perf produce|consume</c>: throughput and latency, as Kafka's producer and consumer perf tests.</summary>
internal static class PerfCommand
{
    /// <param name="output">Where progress and results go (stdout).</param>
    /// <param name="errors">Where failures go (stderr).</param>
    public static Command Create(TextWriter output, TextWriter errors) => new("perf", "Measure produce and consume throughput and latency")
    {
        PerfProduceCommand.Create(output, errors, TimeProvider.System),
        PerfConsumeCommand.Create(output, errors),
    };
}
