using System.Globalization;
using System.Text.RegularExpressions;

namespace LogCluster.Tests.Integration.Cli;

/// <summary>`logcluster perf produce` and `perf consume` as processes: the counts, rates and percentiles they print.</summary>
public sealed partial class PerfCliTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    private string Bootstrap => $"127.0.0.1:{fixture.Node.Port}";

    /// <summary>kafka-producer-perf-test's final line, with fractional milliseconds.</summary>
    [GeneratedRegex(@"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, ([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th, ([\d.]+) ms 99.9th\.$", RegexOptions.Multiline)]
    private static partial Regex ProducerSummary();

    [GeneratedRegex(@"^(\d+) records consumed in ([\d.]+) s \(first after ([\d.]+) s\), ([\d.]+) records/sec \(([\d.]+) MB/sec\)$", RegexOptions.Multiline)]
    private static partial Regex ConsumerSummary();

    [Fact]
    public async Task PerfProduce_20000Records_PrintsTheCountThroughputAndOrderedPercentilesThenPerfConsumeReadsExactlyThose()
    {
        const string Topic = "cli-perf";
        await fixture.Client.CreateTopicAsync(Topic, partitions: 3);

        var produced = await CliProcess.RunAsync(["perf", "produce", "--bootstrap-server", Bootstrap, "--topic", Topic, "--num-records", "20000", "--record-size", "100"], _timeout);

        Assert.True(produced.ExitCode == 0, produced.ToString());
        var summary = ProducerSummary().Match(produced.Output);
        Assert.True(summary.Success, produced.ToString());
        var (count, rate, megabytes) = (summary.Groups[1].Value, Number(summary.Groups[2]), Number(summary.Groups[3]));
        var (average, max, p50, p95, p99, p999) = (Number(summary.Groups[4]), Number(summary.Groups[5]), Number(summary.Groups[6]), Number(summary.Groups[7]), Number(summary.Groups[8]), Number(summary.Groups[9]));
        Assert.Equal("20000", count);
        Assert.True(rate > 0 && Math.Abs(megabytes - (rate * 100 / (1024 * 1024))) < 0.01, $"{rate} records/s is not {megabytes} MB/s of 100-byte records");
        Assert.True(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 <= p999 && p999 <= max * 1.001 && average <= max, produced.Output);

        var consumed = await CliProcess.RunAsync(["perf", "consume", "--bootstrap-server", Bootstrap, "--topic", Topic, "--num-records", "20000"], _timeout);
        Assert.True(consumed.ExitCode == 0, consumed.ToString());
        Assert.Equal("20000", ConsumerSummary().Match(consumed.Output).Groups[1].Value);

        // One more than was sent: it never comes, so the log holds exactly the 20,000.
        var oneMore = await CliProcess.RunAsync(["perf", "consume", "--bootstrap-server", Bootstrap, "--topic", Topic, "--num-records", "20001", "--timeout-ms", "1000", "--group", "cli-perf-readers"], _timeout);
        Assert.Equal(1, oneMore.ExitCode);
        Assert.Equal("20000", ConsumerSummary().Match(oneMore.Output).Groups[1].Value);
        Assert.Contains("20000 of 20001 records arrived", oneMore.Errors);
    }

    [Fact]
    public async Task PerfProduce_Throughput1000_HoldsTheTargetRate()
    {
        const string Topic = "cli-perf-throttled";
        await fixture.Client.CreateTopicAsync(Topic);

        var produced = await CliProcess.RunAsync(["perf", "produce", "--bootstrap-server", Bootstrap, "--topic", Topic, "--num-records", "3000", "--throughput", "1000", "--acks", "1"], _timeout);

        Assert.True(produced.ExitCode == 0, produced.ToString());
        var rate = Number(ProducerSummary().Match(produced.Output).Groups[2]);
        // 3,000 records at 1,000/s take 3 s: never faster than the target, and not much slower on a busy machine.
        Assert.InRange(rate, 700, 1010);
    }

    private static double Number(Group group) => double.Parse(group.Value, CultureInfo.InvariantCulture);
}
