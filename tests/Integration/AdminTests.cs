using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration;

/// <summary>Topic administration and metadata: bad specs get their codes, configs are reported, deletes remove data.</summary>
public sealed class AdminTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private NodeClient Client => fixture.Client;

    [Theory]
    [InlineData("bad/name", 1, 1, null, ErrorCode.InvalidTopic)]
    [InlineData("", 1, 1, null, ErrorCode.InvalidTopic)]
    [InlineData("no-partitions", 0, 1, null, ErrorCode.InvalidPartitions)]
    [InlineData("too-many-copies", 1, 3, null, ErrorCode.InvalidReplicationFactor)]
    [InlineData("unknown-config", 1, 1, "no.such.key", ErrorCode.InvalidConfig)]
    [InlineData("bad-config-value", 1, 1, "segment.bytes", ErrorCode.InvalidConfig)]
    public async Task CreateTopics_InvalidSpec_ClearErrorAndNothingCreated(string name, int partitions, int replicationFactor, string? configKey, ErrorCode expected)
    {
        var spec = new TopicSpec { Name = name, Partitions = partitions, ReplicationFactor = replicationFactor };
        if (configKey is not null)
        {
            spec.Configs[configKey] = "-5";
        }

        var result = (await Client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } })).Results.Single();

        Assert.Equal(expected, result.ErrorCode);
        Assert.NotEmpty(result.ErrorMessage);
        Assert.DoesNotContain((await Client.Admin.ListTopicsAsync(new ListTopicsRequest())).Topics, t => t.Name == name);
    }

    [Fact]
    public async Task CreateTopics_SameNameTwice_TopicAlreadyExists()
    {
        await Client.CreateTopicAsync("twice");
        var spec = new TopicSpec { Name = "twice", Partitions = 1, ReplicationFactor = 1 };

        var result = (await Client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } })).Results.Single();

        Assert.Equal(ErrorCode.TopicAlreadyExists, result.ErrorCode);
    }

    [Fact]
    public async Task Metadata_TopicWithPartitions_ThisNodeLeadsEveryPartition()
    {
        await Client.CreateTopicAsync("described", partitions: 3, new() { ["retention.ms"] = "60000" });

        var metadata = await Client.Admin.MetadataAsync(new MetadataRequest { Topics = { "described", "missing" } });

        var self = metadata.Nodes.Single();
        Assert.Equal((fixture.Node.Port, self.NodeId), (self.Port, metadata.ControllerId));
        Assert.Equal([0, 1, 2], metadata.Topics[0].Partitions.Select(p => p.Partition));
        Assert.All(metadata.Topics[0].Partitions, p => Assert.Equal((self.NodeId, self.NodeId), (p.LeaderId, p.IsrIds.Single())));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, metadata.Topics[1].ErrorCode);
        var listed = (await Client.Admin.ListTopicsAsync(new ListTopicsRequest())).Topics.Single(t => t.Name == "described");
        Assert.Equal("60000", listed.Configs["retention.ms"]);
        Assert.Equal("1073741824", listed.Configs["segment.bytes"]);
    }

    [Fact]
    public async Task DeleteTopics_ExistingTopic_DataGoneAndProduceAnswersUnknown()
    {
        await Client.CreateTopicAsync("doomed", partitions: 2);
        using var stream = Client.OpenProduceStream();
        await NodeClient.RoundTripAsync(stream, NodeClient.Request(1, ("doomed", 0, TestBatches.Make(1))));

        var deleted = (await Client.Admin.DeleteTopicsAsync(new DeleteTopicsRequest { Names = { "doomed", "never-existed" } })).Results;

        Assert.Equal([ErrorCode.None, ErrorCode.UnknownTopicOrPartition], deleted.Select(r => r.ErrorCode));
        Assert.False(Directory.Exists(Path.Combine(fixture.Node.DataDirectory, "doomed-0")));
        var after = await NodeClient.RoundTripAsync(stream, NodeClient.Request(2, ("doomed", 0, TestBatches.Make(2))));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, after.Results.Single().ErrorCode);

        // The same name again is a new, empty topic.
        await Client.CreateTopicAsync("doomed", partitions: 1);
        Assert.Empty(await Client.FetchAllAsync("doomed", 0));
    }

    [Fact]
    public async Task CreateTopics_RepeatedWithTheSameTopicId_SucceedsAgainButAnotherIdIsADuplicate()
    {
        // What a retry after a lost answer (or a controller change mid-write) sends: the same spec, the same id.
        var spec = new TopicSpec { Name = "created-once", Partitions = 2, ReplicationFactor = 1, TopicId = Guid.NewGuid().ToString("N") };

        var first = (await Client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } })).Results.Single();
        var retry = (await Client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } })).Results.Single();
        var other = (await Client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { new TopicSpec(spec) { TopicId = Guid.NewGuid().ToString("N") } } })).Results.Single();
        var unnamed = (await Client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { new TopicSpec(spec) { TopicId = string.Empty } } })).Results.Single();
        var malformed = (await Client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { new TopicSpec(spec) { Name = "bad-id", TopicId = "not-a-guid" } } })).Results.Single();

        Assert.Equal((ErrorCode.None, ErrorCode.None), (first.ErrorCode, retry.ErrorCode));
        Assert.Equal((ErrorCode.TopicAlreadyExists, ErrorCode.TopicAlreadyExists), (other.ErrorCode, unnamed.ErrorCode));
        Assert.Equal(ErrorCode.InvalidRequest, malformed.ErrorCode);
        var metadata = await Client.Admin.MetadataAsync(new MetadataRequest { Topics = { "created-once" } });
        Assert.Equal(2, metadata.Topics.Single().Partitions.Count);
    }
}
