using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Metadata.Controller;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Unit.Metadata;

public sealed class PartitionElectionsTests
{
    /// <summary>Nodes 1..3 registered; topic t with the given (replicas, leader, isr) per partition.</summary>
    private static ClusterImage Image(params (int[] Replicas, int Leader, int[] Isr)[] partitions)
    {
        var image = ClusterImage.Empty;
        foreach (var id in new[] { 1, 2, 3 })
        {
            image = image.Apply(new MetadataRecord { RegisterNode = new NodeRegistration { NodeId = id, Host = "127.0.0.1", Port = 7000 + id, Incarnation = id } });
        }
        var topic = new TopicRecord { Name = "t", TopicId = "id" };
        for (var p = 0; p < partitions.Length; p++)
        {
            topic.Partitions.Add(new PartitionRecord { Topic = "t", Partition = p, Replicas = { partitions[p].Replicas }, Leader = partitions[p].Leader, Isr = { partitions[p].Isr }, LeaderEpoch = 5, PartitionEpoch = 9 });
        }
        return image.Apply(new MetadataRecord { CreateTopic = topic });
    }

    [Fact]
    public void WithoutNode_LeaderGone_FirstLiveIsrMemberInReplicaOrderLeadsAtTheNextEpoch()
    {
        var image = Image(([1, 2, 3], 1, [3, 1, 2]));

        var change = Assert.Single(PartitionElections.WithoutNode(image, 1));

        Assert.Equal((2, 6, 10), (change.Leader, change.LeaderEpoch, change.PartitionEpoch));
        Assert.Equal([3, 2], change.Isr);
    }

    [Fact]
    public void WithoutNode_FollowerGone_LeavesTheIsrAndTheLeaderEpochStays()
    {
        var image = Image(([1, 2, 3], 1, [1, 2, 3]));

        var change = Assert.Single(PartitionElections.WithoutNode(image, 3));

        Assert.Equal((1, 5, 10), (change.Leader, change.LeaderEpoch, change.PartitionEpoch));
        Assert.Equal([1, 2], change.Isr);
    }

    [Fact]
    public void WithoutNode_LeaderWasTheLastInSyncReplica_NoLeaderAndTheIsrKeepsIt()
    {
        var image = Image(([1, 2, 3], 1, [1]));

        var change = Assert.Single(PartitionElections.WithoutNode(image, 1));

        Assert.Equal(PartitionInfo.NoLeader, change.Leader);
        Assert.Equal([1], change.Isr);
    }

    [Fact]
    public void WithoutNode_OnlyFencedIsrMembersLeft_NoUncleanElection()
    {
        var image = Image(([1, 2, 3], 1, [1, 2])).Apply(new MetadataRecord { FenceNode = new NodeFencing { NodeId = 2, Fenced = true } });

        var change = Assert.Single(PartitionElections.WithoutNode(image, 1));

        Assert.Equal(PartitionInfo.NoLeader, change.Leader);
    }

    [Fact]
    public void WithNodeBack_LeaderlessPartitionWhoseIsrHoldsIt_LeadsAgain()
    {
        var image = Image(([1, 2, 3], PartitionInfo.NoLeader, [1]), ([1, 2, 3], 2, [2, 3]));

        var change = Assert.Single(PartitionElections.WithNodeBack(image, 1));

        Assert.Equal((0, 1, 6), (change.Partition, change.Leader, change.LeaderEpoch));
    }

    [Fact]
    public void AlterIsr_CurrentLeaderAndEpochs_AcceptedWithTheNextPartitionEpoch()
    {
        var image = Image(([1, 2, 3], 1, [1, 2]));

        var (change, error, _) = PartitionElections.AlterIsr(image, new AlterPartitionRequest { LeaderId = 1, Topic = "t", Partition = 0, LeaderEpoch = 5, PartitionEpoch = 9, NewIsr = { 1, 2, 3 } });

        Assert.Equal(ErrorCode.None, error);
        Assert.Equal([1, 2, 3], change!.Isr);
        Assert.Equal(10, change.PartitionEpoch);
    }

    [Theory]
    [InlineData(2, 5, 9, new[] { 2, 1 }, ErrorCode.FencedLeaderEpoch)]
    [InlineData(1, 4, 9, new[] { 1 }, ErrorCode.FencedLeaderEpoch)]
    [InlineData(1, 5, 8, new[] { 1 }, ErrorCode.InvalidUpdateVersion)]
    [InlineData(1, 5, 9, new[] { 2 }, ErrorCode.InvalidRequest)]
    [InlineData(1, 5, 9, new[] { 1, 4 }, ErrorCode.InvalidRequest)]
    [InlineData(1, 5, 9, new[] { 1, 1 }, ErrorCode.InvalidRequest)]
    public void AlterIsr_StaleOrInvalid_Refused(int leader, int leaderEpoch, int partitionEpoch, int[] isr, ErrorCode expected)
    {
        var image = Image(([1, 2, 3], 1, [1, 2]));

        var (change, error, message) = PartitionElections.AlterIsr(image, new AlterPartitionRequest { LeaderId = leader, Topic = "t", Partition = 0, LeaderEpoch = leaderEpoch, PartitionEpoch = partitionEpoch, NewIsr = { isr } });

        Assert.Null(change);
        Assert.Equal(expected, error);
        Assert.NotEmpty(message);
    }

    [Fact]
    public void AlterIsr_AddingAFencedNode_Refused()
    {
        var image = Image(([1, 2, 3], 1, [1, 2])).Apply(new MetadataRecord { FenceNode = new NodeFencing { NodeId = 3, Fenced = true } });

        var (change, error, _) = PartitionElections.AlterIsr(image, new AlterPartitionRequest { LeaderId = 1, Topic = "t", Partition = 0, LeaderEpoch = 5, PartitionEpoch = 9, NewIsr = { 1, 2, 3 } });

        Assert.Null(change);
        Assert.Equal(ErrorCode.InvalidRequest, error);
    }
}
