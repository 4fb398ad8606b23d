namespace LogCluster.Producer.Internals;

/// <summary>A topic partition as the producer keys its queues.</summary>
internal readonly record struct PartitionKey(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}-{Partition}";
}
