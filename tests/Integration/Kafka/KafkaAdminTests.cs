using Confluent.Kafka;
using Confluent.Kafka.Admin;
using LogCluster.Tests.Integration.Cluster;

namespace LogCluster.Tests.Integration.Kafka;

/// <summary>
/// Confluent.Kafka's AdminClient (librdkafka 2.16) administers a 3-node cluster through the Kafka listeners: it
/// creates, describes and deletes topics (never an internal one), describes the cluster and lists the groups, and
/// what it does is what our own admin API sees.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class KafkaAdminTests
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ConfluentAdminClient_CreatesDescribesAndDeletesTopics_DescribesTheClusterAndListsGroups()
    {
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = rig.KafkaBootstrap }).Build();
        var options = new CreateTopicsOptions { RequestTimeout = _timeout, OperationTimeout = _timeout };

        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = "admin-made", NumPartitions = 4, ReplicationFactor = 3, Configs = new() { ["retention.ms"] = "3600000" } }],
            options).WaitAsync(_timeout);
        // The answer came once the node that took it knew the topic; the others follow within moments.
        await rig.WaitForAsync("admin-made", t => t.Partitions.Count == 4, "the created topic in the metadata", _timeout);
        var ours = await rig.DescribeAsync("admin-made");
        Assert.All(ours.Partitions, p => Assert.Equal(3, p.ReplicaIds.Count));

        var duplicate = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([new TopicSpecification { Name = "admin-made", NumPartitions = 1, ReplicationFactor = 1 }], options));
        Assert.Equal(ErrorCode.TopicAlreadyExists, duplicate.Results.Single().Error.Code);

        var described = (await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames(["admin-made"])).WaitAsync(_timeout)).TopicDescriptions.Single();
        Assert.Equal(4, described.Partitions.Count);
        Assert.NotEqual(Guid.Empty.ToString(), described.TopicId.ToString());

        var cluster = await admin.DescribeClusterAsync().WaitAsync(_timeout);
        Assert.Equal(rig.KafkaPorts.Keys.Order(), cluster.Nodes.Select(n => n.Id).Order());
        Assert.Equal(await rig.ControllerIdAsync(), cluster.Controller.Id);

        // A group commits through the Kafka listener; the admin client finds it on its coordinator.
        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = rig.KafkaBootstrap, GroupId = "admin-listed" }).Build())
        {
            consumer.Commit([new TopicPartitionOffset("admin-made", 0, 0)]);
        }
        var groups = await admin.ListConsumerGroupsAsync().WaitAsync(_timeout);
        Assert.Contains(groups.Valid, g => g.GroupId == "admin-listed" && g.State == ConsumerGroupState.Empty);

        await admin.DeleteTopicsAsync(["admin-made"]).WaitAsync(_timeout);
        var deadline = DateTime.UtcNow + _timeout;
        while (admin.GetMetadata("admin-made", _timeout).Topics.Single().Error.Code != ErrorCode.UnknownTopicOrPart)
        {
            Assert.True(DateTime.UtcNow < deadline, "the deleted topic is still in the metadata");
            await Task.Delay(50);
        }
        var internalTopic = await Assert.ThrowsAsync<DeleteTopicsException>(() => admin.DeleteTopicsAsync(["__consumer_offsets"]));
        Assert.Equal(ErrorCode.InvalidRequest, internalTopic.Results.Single().Error.Code);
    }
}
