namespace LogCluster.Producer;

/// <summary>The built-in partitioners (<c>partitioner</c> key), named as librdkafka names them.</summary>
public enum PartitionerKind
{
    /// <summary><c>murmur2_random</c> (default): keyed records by Java's murmur2, keyless ones uniform sticky.</summary>
    Murmur2Random,

    /// <summary><c>murmur2</c>: every record by murmur2 of its key; a null key hashes as empty.</summary>
    Murmur2,

    /// <summary><c>uniform_sticky</c>: ignore keys; stick to a partition for about a batch, then move on.</summary>
    UniformSticky,
}
