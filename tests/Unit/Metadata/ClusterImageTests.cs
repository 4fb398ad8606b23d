using Google.Protobuf;
using LogCluster.LogNode.Metadata;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Unit.Metadata;

public sealed class ClusterImageTests
{
    private static readonly MetadataRecord[] _history =
    [
        new() { RegisterNode = new NodeRegistration { NodeId = 1, Host = "a", Port = 1, Incarnation = 11 } },
        new() { RegisterNode = new NodeRegistration { NodeId = 2, Host = "b", Port = 2, Incarnation = 22 } },
        new() { CreateTopic = new TopicRecord { Name = "t", TopicId = "x", Configs = { ["min.insync.replicas"] = "2" }, Partitions = { new PartitionRecord { Topic = "t", Partition = 0, Replicas = { 1, 2 }, Leader = 1, Isr = { 1, 2 } } } } },
        new() { FenceNode = new NodeFencing { NodeId = 2, Fenced = true } },
        new() { ChangePartition = new PartitionRecord { Topic = "t", Partition = 0, Replicas = { 1, 2 }, Leader = 1, Isr = { 1 }, PartitionEpoch = 1 } },
        new() { AllocateProducerIds = new ProducerIdBlock { NodeId = 1, FirstId = 0, Size = 1000 } },
    ];

    private static ClusterImage Replay(IEnumerable<MetadataRecord> records) => records.Aggregate(ClusterImage.Empty, (image, record) => image.Apply(record));

    [Fact]
    public void Apply_History_NodesTopicsAndProducerIdsAsRecorded()
    {
        var image = Replay(_history);

        Assert.True(image.Nodes[2].Fenced);
        Assert.Equal([1], image.LiveNodes.Select(n => n.NodeId));
        Assert.Equal([1], image.FindPartition("t", 0)!.Isr.ToArray());
        Assert.Equal("2", image.Topics["t"].Configs["min.insync.replicas"]);
        Assert.Equal(1000, image.NextProducerId);
    }

    [Fact]
    public void Snapshot_RoundTrip_SameImage()
    {
        var image = Replay(_history);

        var restored = ClusterImage.FromSnapshot(ClusterSnapshot.Parser.ParseFrom(image.ToSnapshot().ToByteArray()));

        Assert.Equal(image.ToSnapshot(), restored.ToSnapshot());
        Assert.Equal(image.Nodes.Values.OrderBy(n => n.NodeId), restored.Nodes.Values.OrderBy(n => n.NodeId));
    }

    [Fact]
    public void Apply_RegisterAgain_UnfencesWithTheNewIncarnation()
    {
        var image = Replay([.. _history, new() { RegisterNode = new NodeRegistration { NodeId = 2, Host = "b", Port = 2, Incarnation = 23 } }]);

        Assert.False(image.Nodes[2].Fenced);
        Assert.Equal(23, image.Nodes[2].Incarnation);
    }

    [Fact]
    public void Apply_DeleteNamingAnotherTopicId_IgnoredSoANewerTopicOfTheSameNameSurvives()
    {
        var image = Replay([.. _history, new() { DeleteTopic = new TopicDeletion { Name = "t", TopicId = "older" } }]);

        Assert.True(image.Topics.ContainsKey("t"));
        Assert.False(Replay([.. _history, new() { DeleteTopic = new TopicDeletion { Name = "t", TopicId = "x" } }]).Topics.ContainsKey("t"));
    }

    [Fact]
    public void Apply_ChangeToAnUnknownTopic_Ignored()
    {
        var image = Replay(_history);

        Assert.Same(image, image.Apply(new MetadataRecord { ChangePartition = new PartitionRecord { Topic = "gone", Partition = 0 } }));
    }
}
