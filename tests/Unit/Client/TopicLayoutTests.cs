using LogCluster.Client.Cluster;

namespace LogCluster.Tests.Unit.Client;

/// <summary>Metadata answers never move a partition back to an older leader epoch.</summary>
public sealed class TopicLayoutTests
{
    private static readonly NodeAddress _node1 = new(1, "n1", 7070);
    private static readonly NodeAddress _node2 = new(2, "n2", 7070);

    [Fact]
    public void NotOlderThan_StaleAnswerFromALaggingNode_KeepsTheNewerLeader()
    {
        var known = new TopicLayout("t", [_node2, _node1], [5, 3]);
        var stale = new TopicLayout("t", [_node1, _node1], [4, 3]);

        var merged = stale.NotOlderThan(known);

        Assert.Equal([_node2, _node1], merged.Leaders);
        Assert.Equal([5, 3], merged.LeaderEpochs);
    }

    [Fact]
    public void NotOlderThan_NewerAnswer_TakesItsLeaders()
    {
        var known = new TopicLayout("t", [_node1], [3]);
        var newer = new TopicLayout("t", [_node2], [4]);

        Assert.Equal([_node2], newer.NotOlderThan(known).Leaders);
    }

    [Fact]
    public void NotOlderThan_PartitionCountChanged_TakesTheAnswerAsItIs()
    {
        var known = new TopicLayout("t", [_node1], [9]);
        var recreated = new TopicLayout("t", [_node2, _node2], [0, 0]);

        Assert.Same(recreated, recreated.NotOlderThan(known));
    }
}
