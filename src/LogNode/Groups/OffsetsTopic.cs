namespace LogCluster.LogNode.Groups;

/// <summary>
/// The internal topic of committed offsets, Kafka's __consumer_offsets: a group's offsets live in partition
/// hash(group id) mod <see cref="Partitions"/>, and the leader of that partition is the group's coordinator.
/// Created on first use with the replication factor capped by the live nodes (offsets.topic.replication.factor).
/// </summary>
internal sealed record OffsetsTopic(int Partitions, int ReplicationFactor)
{
    public const string Name = Metadata.InternalTopics.ConsumerOffsets;

    /// <summary>Kafka's rule, so a group maps to the same partition number it would there: abs(Java's String.hashCode) mod partitions.</summary>
    public int PartitionFor(string groupId)
    {
        var hash = 0;
        foreach (var c in groupId)
        {
            hash = unchecked((31 * hash) + c);
        }
        return (hash & int.MaxValue) % Partitions;
    }
}
