namespace LogCluster.Client.Cluster;

/// <summary>A node's address as metadata gives it.</summary>
internal readonly record struct NodeAddress(int NodeId, string Host, int Port)
{
}

/// <summary>What a client needs of a topic: its partitions' leaders (null while a partition has none).</summary>
internal sealed record TopicLayout(string Topic, NodeAddress?[] Leaders)
{
    public int PartitionCount => Leaders.Length;
}
