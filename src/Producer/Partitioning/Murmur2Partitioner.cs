namespace LogCluster.Producer.Partitioning;

/// <summary>
/// <c>murmur2</c>: every record by the hash of its key, with a null key hashed as an empty one, so all keyless
/// records share a single partition (librdkafka's behaviour for this name).
/// </summary>
internal sealed class Murmur2Partitioner : IPartitioner
{
    public int Partition(string topic, byte[]? key, int recordBytes, int partitionCount) =>
        Murmur2.PartitionForKey(key, partitionCount);
}
