using System.Collections.Concurrent;
using LogCluster.Producer;

namespace LogCluster.Cli.Demo;

/// <summary>
/// Per partition, one past the highest offset acknowledged: once a reader's position reaches it, the reader has
/// seen every acknowledged record of the partition, and any second copy written before it.
/// </summary>
internal sealed class AcknowledgedEnds
{
    private readonly ConcurrentDictionary<int, long> _ends = new();

    public void Add(RecordMetadata metadata) =>
        _ends.AddOrUpdate(metadata.Partition, metadata.Offset + 1, (_, end) => Math.Max(end, metadata.Offset + 1));

    public IReadOnlyDictionary<int, long> Snapshot() => new Dictionary<int, long>(_ends);
}
