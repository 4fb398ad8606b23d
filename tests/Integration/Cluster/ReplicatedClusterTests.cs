using System.Buffers.Binary;
using System.Diagnostics;
using LogCluster.Producer;
using LogCluster.Protocol.V1;
using LogCluster.Tests.Integration.Telemetry;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Cluster;

/// <summary>
/// A 3-node cluster of real processes on loopback: replica placement, acks=all across a leader's SIGKILL,
/// min.insync.replicas, a follower's restart and catch-up. Every check reads the log back from the cluster.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class ReplicatedClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task CreateTopic_SixPartitionsReplicationFactorThree_LeadersSpreadEvenlyAndEveryReplicaInSync()
    {
        await using var rig = await ClusterRig.StartAsync();

        await rig.CreateTopicAsync("spread", partitions: 6, replicationFactor: 3);

        var topic = await rig.DescribeAsync("spread");
        Assert.Equal([1, 2, 3], topic.Partitions.GroupBy(p => p.LeaderId).Select(g => g.Key).Order());
        Assert.All(topic.Partitions.GroupBy(p => p.LeaderId), g => Assert.Equal(2, g.Count()));
        Assert.All(topic.Partitions, p => Assert.Equal([1, 2, 3], p.ReplicaIds.Order()));
        Assert.All(topic.Partitions, p => Assert.Equal([1, 2, 3], p.IsrIds.Order()));
    }

    [Fact]
    public async Task Send_IdempotentAcksAllWhileALeaderIsKilled_NewLeaderElectedAndEveryAcknowledgedRecordOnceInSendOrder()
    {
        const string Topic = "failover";
        const int Partitions = 6;
        const int Records = 60_000;
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, Partitions, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var before = await rig.DescribeAsync(Topic);
        var victim = before.Partitions[0].LeaderId;
        var victimPartitions = before.Partitions.Where(p => p.LeaderId == victim).Select(p => p.Partition).ToList();
        var config = new ProducerConfig { BootstrapServers = rig.Cluster.BootstrapServers, Acks = LogCluster.Producer.Acks.All, RequestTimeout = TimeSpan.FromSeconds(5) };
        await using var producer = new ProducerBuilder<byte[]?, byte[]>(config).Build();

        var sends = new Task<RecordMetadata>[Records];
        var killed = Task.CompletedTask;
        TimeSpan election = default;
        for (var i = 0; i < Records; i++)
        {
            sends[i] = producer.Send(new ProducerRecord<byte[]?, byte[]>(Topic, null, Value(i)) { Partition = i % Partitions });
            if (i == Records / 3)
            {
                // Once a third is acknowledged, with the rest queued or in flight: SIGKILL the leader and time the election.
                killed = sends[i].ContinueWith(async _ =>
                {
                    await rig.Cluster.Node(victim).KillAsync();
                    election = await rig.WaitForAsync(Topic, t => victimPartitions.All(p => t.Partitions[p].LeaderId is > 0 && t.Partitions[p].LeaderId != victim), "new leaders for the killed node's partitions");
                }, TaskScheduler.Default).Unwrap();
            }
        }
        await killed.WaitAsync(_testTimeout);
        var acknowledged = await Task.WhenAll(sends).WaitAsync(_testTimeout);
        output.WriteLine($"leader {victim} SIGKILLed; new leaders of partitions [{string.Join(",", victimPartitions)}] in the metadata after {election.TotalMilliseconds:N0} ms");

        for (var partition = 0; partition < Partitions; partition++)
        {
            var log = await rig.ReadAsync(Topic, partition);
            var indexes = log.Select(r => Index(r.Value)).ToList();
            var expected = Enumerable.Range(0, Records).Where(i => i % Partitions == partition).ToList();
            Assert.Equal(expected, indexes);
            var byOffset = log.ToDictionary(r => r.Offset, r => Index(r.Value));
            foreach (var i in expected)
            {
                Assert.Equal(i, byOffset[acknowledged[i].Offset]);
            }
        }
        Assert.True(election < TimeSpan.FromSeconds(10), $"election took {election}");
    }

    [Fact]
    public async Task Produce_AcksAllWithTwoOfThreeNodesDown_FailsWithNotEnoughReplicasUntilOneReturns()
    {
        const string Topic = "min-isr";
        // A short replica.lag.time.max.ms: with two nodes gone the quorum has no majority, so no controller fences
        // them; the leader itself sees they stopped fetching.
        await using var rig = await ClusterRig.StartAsync("--replica-lag-time-max-ms", "1500");
        await rig.CreateTopicAsync(Topic, partitions: 1, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var leader = rig.Leader(await rig.DescribeAsync(Topic), 0);
        var others = rig.Cluster.Nodes.Where(n => n != leader).ToList();
        using var client = new NodeClient(leader.Address);
        Assert.Equal(ErrorCode.None, await ProduceAsync(client, Topic, "before"));

        foreach (var node in others)
        {
            await node.KillAsync();
        }
        var refusedWithin = await RetryUntilAsync(() => ProduceAsync(client, Topic, "while-down"), e => e == ErrorCode.NotEnoughReplicas);
        output.WriteLine($"acks=all refused with NOT_ENOUGH_REPLICAS {refusedWithin.TotalMilliseconds:N0} ms after two nodes were killed");
        Assert.Equal(ErrorCode.NotEnoughReplicas, await ProduceAsync(client, Topic, "while-down"));

        await others[0].StartAsync();
        await RetryUntilAsync(() => ProduceAsync(client, Topic, "after"), e => e == ErrorCode.None);

        var values = (await rig.ReadAsync(Topic, 0)).Select(r => System.Text.Encoding.UTF8.GetString(r.Value)).ToList();
        Assert.Equal("before", values[0]);
        Assert.Equal("after", values[^1]);
    }

    [Fact]
    public async Task Follower_KilledWhileWritesGoOnThenRestarted_CatchesUpRejoinsTheIsrAndHoldsTheLeadersLog()
    {
        const string Topic = "catch-up";
        await using var rig = await ClusterRig.StartWithMetricsAsync();
        await rig.CreateTopicAsync(Topic, partitions: 1, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var metadata = await rig.DescribeAsync(Topic);
        var follower = rig.Cluster.Nodes.First(n => n != rig.Leader(metadata, 0));
        var followerId = rig.Cluster.Nodes.ToList().IndexOf(follower) + 1;
        var leaderMetrics = rig.Metrics[rig.Cluster.Nodes.ToList().IndexOf(rig.Leader(metadata, 0)) + 1];
        using var http = new HttpClient();
        var config = new ProducerConfig { BootstrapServers = rig.Cluster.BootstrapServers, Acks = LogCluster.Producer.Acks.All };
        await using var producer = new ProducerBuilder<string, string>(config).Build();
        await SendAsync(producer, Topic, 0, 2_000);

        await follower.KillAsync();
        await rig.WaitForAsync(Topic, t => !t.Partitions[0].IsrIds.Contains(followerId), "the killed follower out of the ISR");
        await SendAsync(producer, Topic, 2_000, 2_000);
        // What an operator's alerts see on the leader: the shrink, one partition under-replicated, a follower behind.
        var down = await ScrapeUntilAsync(http, leaderMetrics, s => s.Sum("logcluster_node_partitions_under_replicated") == 1);
        Assert.Equal(1, down.Sum("logcluster_node_isr_shrinks_total", $"topic=\"{Topic}\""));
        Assert.True(down.Sum("logcluster_node_follower_lag", $"follower=\"{followerId}\"") >= 2_000, "the killed follower lags by the records written since");
        await follower.StartAsync();
        var rejoined = await rig.WaitForAsync(Topic, t => t.Partitions[0].IsrIds.Contains(followerId), "the restarted follower back in the ISR");
        output.WriteLine($"follower {followerId} back in the ISR {rejoined.TotalMilliseconds:N0} ms after its restart");
        var back = await ScrapeUntilAsync(http, leaderMetrics, s => s.Sum("logcluster_node_partitions_under_replicated") == 0);
        Assert.Equal(1, back.Sum("logcluster_node_isr_expands_total", $"topic=\"{Topic}\""));

        // In the ISR means caught up: make it the only way to read the partition and read everything back from it.
        await SendAsync(producer, Topic, 4_000, 1_000);
        foreach (var other in rig.Cluster.Nodes.Where(n => n != follower))
        {
            await other.KillAsync();
            await other.StartAsync();
        }
        await rig.WaitForAsync(Topic, t => t.Partitions[0].LeaderId > 0, "a leader after the restarts");
        var values = (await rig.ReadAsync(Topic, 0)).Select(r => System.Text.Encoding.UTF8.GetString(r.Value)).ToList();
        Assert.Equal(Enumerable.Range(0, 5_000).Select(i => $"v{i}"), values);
    }

    private static async Task<PrometheusScrape> ScrapeUntilAsync(HttpClient http, Uri metrics, Func<PrometheusScrape, bool> done)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var scrape = await PrometheusScrape.TakeAsync(http, metrics);
            if (done(scrape))
            {
                return scrape;
            }
            Assert.True(Stopwatch.GetElapsedTime(started) < ClusterRig.Patience, $"{metrics} did not reach the expected state in {ClusterRig.Patience.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    private static async Task SendAsync(IProducer<string, string> producer, string topic, int from, int count)
    {
        var sends = Enumerable.Range(from, count).Select(i => producer.Send(new ProducerRecord<string, string>(topic, null!, $"v{i}") { Partition = 0 })).ToList();
        await Task.WhenAll(sends).WaitAsync(_testTimeout);
    }

    /// <summary>One acks=all batch of one record straight to a node; the partition's error code.</summary>
    private static async Task<ErrorCode> ProduceAsync(NodeClient client, string topic, string value)
    {
        using var stream = client.OpenProduceStream();
        var request = NodeClient.Request(1, (topic, 0, OneRecord(value)));
        request.TimeoutMs = 3_000;
        var response = await NodeClient.RoundTripAsync(stream, request);
        await stream.RequestStream.CompleteAsync();
        return response.Results.Single().ErrorCode;
    }

    private static async Task<TimeSpan> RetryUntilAsync(Func<Task<ErrorCode>> attempt, Func<ErrorCode, bool> done)
    {
        var started = Stopwatch.GetTimestamp();
        var last = ErrorCode.None;
        while (Stopwatch.GetElapsedTime(started) < ClusterRig.Patience)
        {
            last = await attempt();
            if (done(last))
            {
                return Stopwatch.GetElapsedTime(started);
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"still {last} after {ClusterRig.Patience.TotalSeconds} s");
    }

    private static byte[] OneRecord(string value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var builder = new LogCluster.Protocol.Records.RecordBatchBuilder(buffer, LogCluster.Protocol.Compression.CompressionType.None);
        builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), key: null, System.Text.Encoding.UTF8.GetBytes(value));
        return builder.Build().ToArray();
    }

    private static byte[] Value(int index)
    {
        var value = new byte[100];
        BinaryPrimitives.WriteInt32BigEndian(value, index);
        return value;
    }

    private static int Index(byte[] value) => BinaryPrimitives.ReadInt32BigEndian(value);
}
