namespace LogCluster.Producer.Partitioning;

/// <summary>Chooses the partition of a record sent without one. Called from every thread that sends.</summary>
internal interface IPartitioner
{
    /// <param name="topic">The record's topic; sticky state is kept per topic.</param>
    /// <param name="key">The serialized key, or null for a keyless record.</param>
    /// <param name="recordBytes">The record's encoded size, so sticky partitioning can switch after a batch's worth.</param>
    /// <param name="partitionCount">The topic's partition count in the current metadata; it may differ between calls.</param>
    /// <returns>A partition in [0, <paramref name="partitionCount"/>).</returns>
    int Partition(string topic, byte[]? key, int recordBytes, int partitionCount);
}
