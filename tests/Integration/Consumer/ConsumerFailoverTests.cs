using LogCluster.Consumer;
using LogCluster.Producer;
using LogCluster.Tests.Integration.Cluster;

namespace LogCluster.Tests.Integration.Consumer;

/// <summary>The consumer on a 3-node cluster whose leader is killed mid-read: it finds the new leader and reads on without a gap.</summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class ConsumerFailoverTests
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromMinutes(2);

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
}
