using Confluent.Kafka;
using LogCluster.Tests.Integration.Cluster;

namespace LogCluster.Tests.Integration.Kafka;

/// <summary>
/// Unmodified Kafka clients read a 3-node cluster's metadata through the Kafka listeners: Confluent.Kafka's
/// AdminClient (librdkafka 2.16, Metadata v12) and Debian's kcat (an older librdkafka, older versions).
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class KafkaMetadataTests
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ConfluentAdminClient_SeesEveryNodeTheControllerAndTheTopicsLeaders()
    {
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync("orders", partitions: 6, replicationFactor: 3);
        var ours = await rig.DescribeAsync("orders");
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = rig.KafkaBootstrap }).Build();

        var metadata = admin.GetMetadata("orders", _timeout);

        Assert.Equal(rig.KafkaPorts.OrderBy(p => p.Key).Select(p => (p.Key, "127.0.0.1", p.Value)),
            metadata.Brokers.OrderBy(b => b.BrokerId).Select(b => (b.BrokerId, b.Host, b.Port)));
        var topic = Assert.Single(metadata.Topics);
        Assert.Equal(ErrorCode.NoError, topic.Error.Code);
        Assert.Equal(
            ours.Partitions.OrderBy(p => p.Partition).Select(p => (p.Partition, p.LeaderId, string.Join(",", p.ReplicaIds), string.Join(",", p.IsrIds))),
            topic.Partitions.OrderBy(p => p.PartitionId).Select(p => (p.PartitionId, p.Leader, string.Join(",", p.Replicas), string.Join(",", p.InSyncReplicas))));

        var unknown = admin.GetMetadata("no-such-topic", _timeout).Topics.Single();
        Assert.Equal(ErrorCode.UnknownTopicOrPart, unknown.Error.Code);
    }

    [KcatFact]
    public async Task Kcat_ListsTheNodesAndTopics()
    {
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync("events", partitions: 3, replicationFactor: 3);

        var output = await Kcat.RunAsync(null, "-L", "-b", rig.KafkaBootstrap, "-m", "10");

        Assert.Contains(" 3 brokers:", output);
        foreach (var (id, port) in rig.KafkaPorts)
        {
            Assert.Contains($"broker {id} at 127.0.0.1:{port}", output);
        }
        Assert.Contains("topic \"events\" with 3 partitions:", output);
    }
}
