using Google.Protobuf;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Groups;

/// <summary>
/// The committed offsets held in one __consumer_offsets partition, read into memory by its leader: every record
/// is a <see cref="CommittedOffsetKey"/> and <see cref="CommittedOffsetValue"/>, and the latest one for a key wins.
/// Valid for one leader epoch of the partition; a new leadership reads the log again.
/// </summary>
internal sealed class CommittedOffsets
{
    private readonly Dictionary<(string Group, string Topic, int Partition), CommittedOffsetValue> _offsets = [];
    private readonly Lock _lock = new();

    private CommittedOffsets(int leaderEpoch) => LeaderEpoch = leaderEpoch;

    public int LeaderEpoch { get; }

    /// <summary>Reads the whole partition, up to its log end: as its leader, everything in it is what the group committed or is committing.</summary>
    public static CommittedOffsets Load(PartitionLog log, int leaderEpoch)
    {
        var loaded = new CommittedOffsets(leaderEpoch);
        var from = log.LogStartOffset;
        while (true)
        {
            var read = log.Read(from, 1 << 20, upToLogEnd: true);
            var batches = RecordBatchReader.SplitBatches(read.Batches).ToList();
            if (read.OutOfRange || batches.Count == 0)
            {
                return loaded;
            }
            foreach (var batch in batches)
            {
                foreach (var record in RecordBatchReader.ReadRecords(batch.Span))
                {
                    var key = CommittedOffsetKey.Parser.ParseFrom(record.Key);
                    loaded._offsets[(key.GroupId, key.Topic, key.Partition)] = CommittedOffsetValue.Parser.ParseFrom(record.Value);
                }
                from = RecordBatchHeader.Read(batch.Span).NextOffset;
            }
        }
    }

    /// <summary>The batch that commits these offsets, one record per partition.</summary>
    public static byte[] Batch(string groupId, IEnumerable<OffsetCommitPartition> partitions, long nowMs)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var builder = new RecordBatchBuilder(buffer, Protocol.Compression.CompressionType.None);
        foreach (var partition in partitions)
        {
            var key = new CommittedOffsetKey { GroupId = groupId, Topic = partition.Topic, Partition = partition.Partition };
            var value = new CommittedOffsetValue { Offset = partition.Offset, Metadata = partition.Metadata, CommitTimestampMs = nowMs };
            builder.Append(nowMs, key.ToByteArray(), value.ToByteArray());
        }
        return builder.Build().ToArray();
    }

    /// <summary>Takes offsets in once their batch is replicated.</summary>
    public void Apply(string groupId, IEnumerable<OffsetCommitPartition> partitions, long nowMs)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _offsets[(groupId, partition.Topic, partition.Partition)] = new CommittedOffsetValue { Offset = partition.Offset, Metadata = partition.Metadata, CommitTimestampMs = nowMs };
            }
        }
    }

    /// <summary>The committed offset, or null when the group committed none for the partition.</summary>
    public CommittedOffsetValue? Get(string groupId, string topic, int partition)
    {
        lock (_lock)
        {
            return _offsets.GetValueOrDefault((groupId, topic, partition));
        }
    }

    /// <summary>Every partition the group has committed an offset for.</summary>
    public List<(string Topic, int Partition, CommittedOffsetValue Value)> All(string groupId)
    {
        lock (_lock)
        {
            return [.. _offsets.Where(o => o.Key.Group == groupId).Select(o => (o.Key.Topic, o.Key.Partition, o.Value))];
        }
    }

    /// <summary>The groups with a committed offset here.</summary>
    public List<string> GroupIds()
    {
        lock (_lock)
        {
            return [.. _offsets.Keys.Select(k => k.Group).Distinct(StringComparer.Ordinal)];
        }
    }
}
