namespace LogCluster.Consumer;

/// <summary><c>group.remote.assignor</c>: how the group's coordinator splits the partitions among the members (KIP-848's assignors).</summary>
public enum PartitionAssignor
{
    /// <summary>Round-robin over every subscribed partition: member totals differ by at most one.</summary>
    Uniform,

    /// <summary>Per topic, contiguous ranges of partitions: members get the same partition numbers of co-partitioned topics.</summary>
    Range,
}
