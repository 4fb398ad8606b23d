namespace LogCluster.Consumer.Internals;

/// <summary>The assigned partitions, their positions and the fetched chunks, shared by the application's calls and the fetcher under <see cref="Lock"/>.</summary>
internal sealed class Assignment
{
    public Lock Lock { get; } = new();

    public Dictionary<TopicPartition, PartitionState> Partitions { get; } = [];

    /// <summary>Fetched chunks in the order they arrived, for the application; stale ones are dropped as they come up.</summary>
    public Queue<FetchedChunk> Chunks { get; } = new();

    /// <summary>Whether <paramref name="chunk"/> still belongs to its partition's current assignment and position. Caller holds the lock.</summary>
    public bool IsCurrent(FetchedChunk chunk) =>
        Partitions.TryGetValue(chunk.Partition.Partition, out var state) && state == chunk.Partition && state.Generation == chunk.Generation;
}
