namespace LogCluster.Consumer;

/// <summary>One partition of a topic.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}-{Partition}";
}

/// <summary>A partition and an offset in it: a record's offset, or one of the special <see cref="Offsets"/>.</summary>
public readonly record struct TopicPartitionOffset(TopicPartition TopicPartition, long Offset)
{
    public TopicPartitionOffset(string topic, int partition, long offset)
        : this(new TopicPartition(topic, partition), offset)
    {
    }
}

/// <summary>Offsets with a meaning rather than a position, as Confluent.Kafka's Offset.Beginning, End and Unset.</summary>
public static class Offsets
{
    /// <summary>The log start offset, looked up when the partition is first fetched.</summary>
    public const long Beginning = -2;

    /// <summary>The high watermark, looked up when the partition is first fetched.</summary>
    public const long End = -1;

    /// <summary>No position given: <c>auto.offset.reset</c> decides.</summary>
    public const long Unset = -1001;
}
