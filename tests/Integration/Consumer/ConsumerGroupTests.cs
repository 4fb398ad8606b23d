using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using LogCluster.Cli.LocalCluster;
using LogCluster.Consumer;
using LogCluster.Producer;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Consumer;

/// <summary>
/// A consumer group of three: a `logcluster consume` process and two consumers in this test share a topic's six
/// partitions while a producer writes; the process is SIGKILLed, its partitions move to the other two after its
/// session expires, and every record written is read at least once (commits follow what was processed).
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class ConsumerGroupTests(ITestOutputHelper output)
{
    private const string Topic = "group-failover";
    private const int Partitions = 6;
    private static readonly TimeSpan _sessionTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan _heartbeatInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Group_OneOfThreeMembersKilled_ItsPartitionsMoveWithinTheSessionTimeoutAndNoRecordIsSkipped()
    {
        using var data = new TempDirectory();
        await using var node = await LocalNode.StartAsync(data.Path);
        using (var admin = new NodeClient(node.Address))
        {
            await admin.CreateTopicAsync(Topic, Partitions);
        }
        var bootstrap = $"127.0.0.1:{node.Port}";
        using var stopProducing = new CancellationTokenSource();
        var produced = 0;
        var producing = ProduceUntilStoppedAsync(bootstrap, count => Volatile.Write(ref produced, count), stopProducing.Token);

        using var victim = CliConsumerProcess.Start(
            "--bootstrap-server", bootstrap, "--topic", Topic, "--group", "failover", "--from-beginning",
            "--session-timeout-ms", Milliseconds(_sessionTimeout), "--heartbeat-interval-ms", Milliseconds(_heartbeatInterval), "--auto-commit-interval-ms", "100");
        await WaitUntilAsync(() => victim.Owned.Count == Partitions, "the first member to hold every partition", victim);
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "failover",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeout = _sessionTimeout,
            HeartbeatInterval = _heartbeatInterval,
            AutoCommitInterval = TimeSpan.FromMilliseconds(100),
        };
        var consumed = new ConcurrentQueue<(int Partition, long Offset, string Value)>();
        using var stopConsuming = new CancellationTokenSource();
        await using var first = new ConsumerBuilder<string?, string>(config).Build();
        await using var second = new ConsumerBuilder<string?, string>(config).Build();
        var members = new[] { first, second };
        foreach (var member in members)
        {
            member.Subscribe([Topic]);
        }
        var reading = members.Select(m => ReadAsync(m, consumed, stopConsuming.Token)).ToList();

        await WaitUntilAsync(() => victim.Owned.Count == 2 && members.All(m => m.Assignment.Count == 2), "two partitions for each of the three members", victim);
        await WaitUntilAsync(() => victim.Records.Count >= 100, "the process to print some records", victim);
        var killed = Stopwatch.GetTimestamp();
        victim.Kill();
        await WaitUntilAsync(() => members.Sum(m => m.Assignment.Count) == Partitions, "the killed member's partitions to move", victim);
        var moved = Stopwatch.GetElapsedTime(killed);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await stopProducing.CancelAsync();
        await producing;
        var written = Volatile.Read(ref produced);
        await WaitUntilAsync(() => Indexes(victim, consumed).Count == written, $"all {written} records read", victim);
        await stopConsuming.CancelAsync();
        await Task.WhenAll(reading);

        var all = victim.Records.Select(r => r.Value).Concat(consumed.Select(r => r.Value)).ToList();
        output.WriteLine($"the killed member's partitions moved {moved.TotalMilliseconds:N0} ms after SIGKILL (session.timeout.ms {_sessionTimeout.TotalMilliseconds:N0}); " +
            $"{written} records written, {all.Count} read, {all.Count - Indexes(victim, consumed).Count} read twice (at least once: what the killed member printed after its last commit)");
        Assert.Equal(Enumerable.Range(0, written).ToHashSet(), Indexes(victim, consumed));
        // Expiry, then the sweep (0.1 s), a heartbeat of each survivor and its next Consume applying the change.
        Assert.True(moved < _sessionTimeout + TimeSpan.FromSeconds(3), $"moved after {moved.TotalMilliseconds:N0} ms");
    }

    private static HashSet<int> Indexes(CliConsumerProcess victim, ConcurrentQueue<(int Partition, long Offset, string Value)> consumed) =>
        [.. victim.Records.Select(r => r.Value).Concat(consumed.Select(r => r.Value)).Select(v => int.Parse(v, CultureInfo.InvariantCulture))];

    private static async Task ReadAsync(IConsumer<string?, string> consumer, ConcurrentQueue<(int, long, string)> consumed, CancellationToken stop)
    {
        try
        {
            await foreach (var record in consumer.ReadAllAsync(stop))
            {
                consumed.Enqueue((record.Partition, record.Offset, record.Value));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The test has read everything.
        }
    }

    /// <summary>Writes records 0, 1, 2, ... (value = index, partition = index mod 6) in small rounds until stopped.</summary>
    private static async Task ProduceUntilStoppedAsync(string bootstrap, Action<int> written, CancellationToken stop)
    {
        await using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        var next = 0;
        while (!stop.IsCancellationRequested)
        {
            var round = Enumerable.Range(next, 50).Select(i => producer.Send(new ProducerRecord<string?, string>(Topic, null, i.ToString(CultureInfo.InvariantCulture)) { Partition = i % Partitions }));
            await Task.WhenAll(round);
            next += 50;
            written(next);
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, CliConsumerProcess process)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < _patience, $"not within {_patience.TotalSeconds} s: {what}; the process said:\n{string.Join('\n', process.Errors)}");
            await Task.Delay(20);
        }
    }

    private static string Milliseconds(TimeSpan value) => ((int)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
}
