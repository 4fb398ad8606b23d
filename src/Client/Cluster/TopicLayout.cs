namespace LogCluster.Client.Cluster;

/// <summary>A node's address as metadata gives it.</summary>
internal readonly record struct NodeAddress(int NodeId, string Host, int Port)
{
}

/// <summary>What a client needs of a topic: its partitions' leaders (null while a partition has none) and their leader epochs.</summary>
internal sealed record TopicLayout(string Topic, NodeAddress?[] Leaders, int[] LeaderEpochs)
{
    public int PartitionCount => Leaders.Length;

    /// <summary>
    /// This answer, except for partitions where <paramref name="known"/> has a newer leader epoch: a node that has not
    /// yet applied the latest election answers with the previous leader, and believing it would send the producer
    /// back to a leader it just left (Kafka's client ignores older epochs the same way, KIP-320).
    /// </summary>
    public TopicLayout NotOlderThan(TopicLayout? known)
    {
        if (known is null || known.PartitionCount != PartitionCount)
        {
            return this;
        }
        var leaders = (NodeAddress?[])Leaders.Clone();
        var epochs = (int[])LeaderEpochs.Clone();
        for (var p = 0; p < PartitionCount; p++)
        {
            if (known.LeaderEpochs[p] > epochs[p])
            {
                leaders[p] = known.Leaders[p];
                epochs[p] = known.LeaderEpochs[p];
            }
        }
        return this with { Leaders = leaders, LeaderEpochs = epochs };
    }
}
