using LogCluster.Client;
using LogCluster.Protocol.Records;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// What one fetch brought for one partition, for the application to take in order: records from the position on,
/// or the error Consume must throw. Valid only while the partition's generation is still <see cref="Generation"/>.
/// </summary>
internal sealed class FetchedChunk(PartitionState partition, int generation, IReadOnlyList<Record> records, LogClusterException? error)
{
    public PartitionState Partition { get; } = partition;

    public int Generation { get; } = generation;

    public IReadOnlyList<Record> Records { get; } = records;

    public LogClusterException? Error { get; } = error;

    /// <summary>Index of the next record to hand out.</summary>
    public int Next { get; set; }
}
