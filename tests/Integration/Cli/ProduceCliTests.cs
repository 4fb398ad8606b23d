using System.Diagnostics;
using LogCluster.Consumer;

namespace LogCluster.Tests.Integration.Cli;

/// <summary>`logcluster produce` as a process fed on stdin: the records reach the log as typed, counts go to stderr.</summary>
public sealed class ProduceCliTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    private string Bootstrap => $"127.0.0.1:{fixture.Node.Port}";

    [Theory]
    [InlineData("cli-produce-async")]
    [InlineData("cli-produce-sync", "--sync", "--acks", "1")]
    public async Task Produce_KeyedLinesOnStdin_EveryRecordInTheLogWithItsKeyAndTheCountOnStderr(string topic, params string[] mode)
    {
        await fixture.Client.CreateTopicAsync(topic, partitions: 3);
        var sent = Enumerable.Range(0, 500).ToDictionary(i => $"key-{i}", i => $"value {i}: with a colon");

        var run = await CliProcess.RunAsync(
            ["produce", "--bootstrap-server", Bootstrap, "--topic", topic, "--key-separator", ":", .. mode],
            _timeout,
            input: string.Join('\n', sent.Select(r => $"{r.Key}:{r.Value}")) + "\n");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("500 records acknowledged, 0 failed", run.Errors.Trim());
        Assert.Empty(run.Output);
        var read = await ReadAllAsync(topic, partitions: 3, expected: sent.Count);
        // Split at the first separator only: the rest of the line, colons and all, is the value.
        Assert.Equal(sent.OrderBy(r => r.Key), read.Select(r => KeyValuePair.Create(r.Key!, r.Value)).OrderBy(r => r.Key));
        // Keyed records are partitioned by key: every record of a key in one partition.
        Assert.All(read.GroupBy(r => r.Key), key => Assert.Single(key.Select(r => r.Partition).Distinct()));
    }

    [Fact]
    public async Task Produce_LineWithoutTheKeySeparator_OthersSentThatLineReportedAndExitCode1()
    {
        const string Topic = "cli-produce-unkeyed-line";
        await fixture.Client.CreateTopicAsync(Topic);

        var run = await CliProcess.RunAsync(
            ["produce", "--bootstrap-server", Bootstrap, "--topic", Topic, "--key-separator", "="],
            _timeout,
            input: "a=1\nno separator here\nb=2\n");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("skipped: line 2 has no key separator '='", run.Errors);
        Assert.Contains("2 records acknowledged, 1 failed", run.Errors);
        Assert.Equal(["1", "2"], (await ReadAllAsync(Topic, partitions: 1, expected: 2)).Select(r => r.Value));
    }

    [Fact]
    public async Task Produce_Generate_SendsThatManyValuesOfTheRecordSize()
    {
        const string Topic = "cli-produce-generated";
        await fixture.Client.CreateTopicAsync(Topic);

        var run = await CliProcess.RunAsync(["produce", "--bootstrap-server", Bootstrap, "--topic", Topic, "--generate", "2000", "--record-size", "64"], _timeout);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("2000 records acknowledged, 0 failed", run.Errors.Trim());
        var read = await ReadAllAsync(Topic, partitions: 1, expected: 2000);
        Assert.All(read, r => Assert.Equal(64, r.Value.Length));
        Assert.Equal(Enumerable.Range(0, 2000), read.Select(r => int.Parse(r.Value.TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Produce_TopicThatDoesNotExist_ExitCode1AtOnceNamingIt()
    {
        var started = Stopwatch.GetTimestamp();

        var run = await CliProcess.RunAsync(["produce", "--bootstrap-server", Bootstrap, "--topic", "cli-no-such-topic"], _timeout, input: "lost\n");

        Assert.Equal((1, "error: topic 'cli-no-such-topic' does not exist"), (run.ExitCode, run.Errors.Trim()));
        // Not after the producer's max.block.ms (60 s) of waiting for the topic to appear.
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(15));
    }

    /// <summary>Every record of the topic, read with the consumer SDK from the beginning; fails if fewer than expected come, or more.</summary>
    private async Task<List<ConsumeResult<string?, string>>> ReadAllAsync(string topic, int partitions, int expected)
    {
        await using var consumer = new ConsumerBuilder<string?, string>(new ConsumerConfig { BootstrapServers = Bootstrap }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offsets.Beginning)));
        var read = new List<ConsumeResult<string?, string>>();
        using var timeout = new CancellationTokenSource(_timeout);
        while (read.Count < expected)
        {
            read.Add(await consumer.ConsumeAsync(timeout.Token));
        }
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(300)));
        return read;
    }
}
