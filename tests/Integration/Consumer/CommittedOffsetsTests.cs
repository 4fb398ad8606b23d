using LogCluster.Consumer;
using LogCluster.Producer;
using LogCluster.Tests.Integration.Cluster;

namespace LogCluster.Tests.Integration.Consumer;

/// <summary>Committed offsets live in the replicated __consumer_offsets topic: they outlast a restart of every node.</summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class CommittedOffsetsTests
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Commit_ThenEveryNodeRestarted_TheGroupResumesAtTheCommittedOffsets()
    {
        const string Topic = "committed";
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, partitions: 2, replicationFactor: 3);
        var producerConfig = new ProducerConfig { BootstrapServers = rig.Cluster.BootstrapServers };
        await using (var producer = new ProducerBuilder<string, string>(producerConfig).Build())
        {
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => producer.Send(new ProducerRecord<string, string>(Topic, null!, $"{i}") { Partition = i % 2 }))).WaitAsync(_testTimeout);
        }
        var config = new ConsumerConfig { BootstrapServers = rig.Cluster.BootstrapServers, GroupId = "restarts", EnableAutoCommit = false, AutoOffsetReset = AutoOffsetReset.Earliest };
        var partitions = new[] { new TopicPartition(Topic, 0), new TopicPartition(Topic, 1) };
        await using (var consumer = new ConsumerBuilder<string, string>(config).Build())
        {
            consumer.Assign(partitions);
            using var timeout = new CancellationTokenSource(_testTimeout);
            var read = new Dictionary<int, int>();
            while (read.GetValueOrDefault(0) < 30 || read.GetValueOrDefault(1) < 30)
            {
                var record = await consumer.ConsumeAsync(timeout.Token);
                read[record.Partition] = read.GetValueOrDefault(record.Partition) + 1;
            }
            consumer.Commit([new TopicPartitionOffset(partitions[0], 30), new TopicPartitionOffset(partitions[1], 25)]);
            Assert.Equal([30L, 25L], consumer.Committed(partitions, _testTimeout).Select(c => c.Offset));
        }

        foreach (var node in rig.Cluster.Nodes)
        {
            await node.StopAsync();
        }
        await Task.WhenAll(rig.Cluster.Nodes.Select(n => n.StartAsync()));

        await using var resumed = new ConsumerBuilder<string, string>(config).Build();
        Assert.Equal([30L, 25L], resumed.Committed(partitions, _testTimeout).Select(c => c.Offset));
        resumed.Assign(partitions);
        var first = new Dictionary<int, long>();
        using var wait = new CancellationTokenSource(_testTimeout);
        while (first.Count < 2)
        {
            var record = await resumed.ConsumeAsync(wait.Token);
            first.TryAdd(record.Partition, record.Offset);
        }
        Assert.Equal((30L, 25L), (first[0], first[1]));
    }
}
