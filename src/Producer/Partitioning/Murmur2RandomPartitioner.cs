namespace LogCluster.Producer.Partitioning;

/// <summary>
/// <c>murmur2_random</c>, the default and Java's built-in behaviour: keyed records by murmur2 of the key,
/// keyless ones uniform sticky. Keyed records do not count towards the sticky partition's bytes, as in Java.
/// </summary>
internal sealed class Murmur2RandomPartitioner : IPartitioner
{
    private readonly UniformStickyPartitioner _keyless;

    public Murmur2RandomPartitioner(UniformStickyPartitioner keyless) => _keyless = keyless;

    public int Partition(string topic, byte[]? key, int recordBytes, int partitionCount) =>
        key is null
            ? _keyless.Partition(topic, key, recordBytes, partitionCount)
            : Murmur2.PartitionForKey(key, partitionCount);
}
