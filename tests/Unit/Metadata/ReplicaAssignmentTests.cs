using LogCluster.LogNode.Metadata.Controller;

namespace LogCluster.Tests.Unit.Metadata;

public sealed class ReplicaAssignmentTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Assign_SixPartitionsOverThreeNodes_EveryNodeLeadsTwoAndHoldsAll(int start)
    {
        var assignment = ReplicaAssignment.Assign(6, 3, [3, 1, 2], start);

        Assert.All([1, 2, 3], node => Assert.Equal(2, assignment.Count(r => r[0] == node)));
        Assert.All(assignment, replicas => Assert.Equal([1, 2, 3], replicas.Order()));
    }

    [Fact]
    public void Assign_ReplicationFactorTwo_DistinctNodesPerPartitionAndLeadersRotate()
    {
        var assignment = ReplicaAssignment.Assign(4, 2, [1, 2, 3], start: 0);

        Assert.Equal([[1, 2], [2, 3], [3, 1], [1, 2]], assignment.Select(r => r.ToArray()));
    }

    [Fact]
    public void Assign_MoreReplicasThanNodes_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ReplicaAssignment.Assign(1, 4, [1, 2, 3], 0));
}
