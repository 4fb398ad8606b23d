using System.Diagnostics;
using LogCluster.Consumer;
using LogCluster.Producer;
using LogCluster.Tests.Integration.Cluster;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Consumer;

/// <summary>The consumer on a 3-node cluster whose leader is killed or frozen mid-read: it finds the new leader and reads on without a gap.</summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class ConsumerFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The nodes' --session-timeout-ms default: silence after which the controller fences a node.</summary>
    private static readonly TimeSpan _sessionTimeout = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task Consume_LeaderKilledMidRead_ReadsEveryRecordOnceInOrderFromTheNewLeader()
    {
        const string Topic = "consumer-failover";
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, partitions: 1, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var producerConfig = new ProducerConfig { BootstrapServers = rig.Cluster.BootstrapServers, RequestTimeout = TimeSpan.FromSeconds(5) };
        await using var producer = new ProducerBuilder<string, string>(producerConfig).Build();
        await Task.WhenAll(Enumerable.Range(0, 1_000).Select(i => producer.Send(new ProducerRecord<string, string>(Topic, null!, $"{i}")))).WaitAsync(_testTimeout);
        await using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = rig.Cluster.BootstrapServers, RetryBackoff = TimeSpan.FromMilliseconds(50) }).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.Beginning)]);
        using var timeout = new CancellationTokenSource(_testTimeout);
        var values = new List<string>();
        while (values.Count < 500)
        {
            values.Add((await consumer.ConsumeAsync(timeout.Token)).Value);
        }

        await rig.Leader(await rig.DescribeAsync(Topic), 0).KillAsync();
        await Task.WhenAll(Enumerable.Range(1_000, 1_000).Select(i => producer.Send(new ProducerRecord<string, string>(Topic, null!, $"{i}")))).WaitAsync(_testTimeout);
        while (values.Count < 2_000)
        {
            values.Add((await consumer.ConsumeAsync(timeout.Token)).Value);
        }

        Assert.Equal(Enumerable.Range(0, 2_000).Select(i => $"{i}"), values);
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Consume_LeaderFrozenWhileTheConsumerWaitsInALongPoll_ReadsFromTheNewLeaderWithinTheSessionTimeout()
    {
        const string Topic = "consumer-frozen-leader";
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, partitions: 3, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        // A partition led by a node that is not the active controller: freezing the controller adds a Raft
        // election and a whole session before fencing (docs/replication.md), a timeline of its own.
        var controllerId = await rig.ControllerIdAsync();
        var partition = (await rig.DescribeAsync(Topic)).Partitions.First(p => p.LeaderId != controllerId);
        var producerConfig = new ProducerConfig { BootstrapServers = rig.Cluster.BootstrapServers };
        await using var producer = new ProducerBuilder<string, string>(producerConfig).Build();
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => producer.Send(new ProducerRecord<string, string>(Topic, null!, $"{i}") { Partition = partition.Partition }))).WaitAsync(_testTimeout);
        // Defaults: fetch.max.wait.ms 500, request.timeout.ms 30 s, which is how long the fetch parked at the
        // frozen node would otherwise hold the consumer.
        await using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = rig.Cluster.BootstrapServers }).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, partition.Partition, Offsets.Beginning)]);
        using var timeout = new CancellationTokenSource(_testTimeout);
        var values = new List<string>();
        while (values.Count < 100)
        {
            values.Add((await consumer.ConsumeAsync(timeout.Token)).Value);
        }
        // Caught up: its next fetch waits at the leader for records, as a consumer does most of its life.
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(200)));
        var leader = rig.Cluster.Node(partition.LeaderId);

        var frozen = Stopwatch.GetTimestamp();
        await leader.PauseAsync();
        try
        {
            var sent = producer.Send(new ProducerRecord<string, string>(Topic, null!, "100") { Partition = partition.Partition });
            values.Add((await consumer.ConsumeAsync(timeout.Token)).Value);
            var read = Stopwatch.GetElapsedTime(frozen);
            var acknowledged = await sent.WaitAsync(timeout.Token);
            output.WriteLine($"node {partition.LeaderId} frozen (controller: node {controllerId}); the record sent then was read from the new leader {read.TotalMilliseconds:F0} ms later");
            Assert.True(read < _sessionTimeout + TimeSpan.FromSeconds(2), $"read {read.TotalMilliseconds:F0} ms after the freeze\n{rig.Logs}");
            Assert.Equal(100, acknowledged.Offset);
        }
        finally
        {
            await leader.ResumeAsync();
        }
        Assert.Equal(Enumerable.Range(0, 101).Select(i => $"{i}"), values);
    }
}
