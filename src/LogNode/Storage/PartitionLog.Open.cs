namespace LogCluster.LogNode.Storage;

internal sealed partial class PartitionLog
{
    /// <summary>
    /// Opens (or creates) a partition's folder. Segments before the recovery point were sealed (fsynced with their
    /// indexes) and are trusted; the segment holding the recovery point and any after it are validated batch by
    /// batch (length, magic, CRC-32C, offset continuity) and truncated after the last valid batch. A segment
    /// after a truncated or discontinuous one is deleted, as Kafka's LogLoader does. The producer state comes from
    /// the newest valid snapshot within the recovered log plus the batches after it (ProducerStateSnapshot). The
    /// leader-epoch cache is loaded (or rebuilt from the batch headers) and cut at the recovered log end, and the
    /// high watermark comes from its checkpoint, bounded by the log end.
    /// </summary>
    public static PartitionLog Open(string dataDirectory, TopicPartition id, TopicConfig config, TimeProvider time, out RecoveryReport report)
    {
        var directory = Path.Combine(dataDirectory, id.DirectoryName);
        if (!System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.CreateDirectory(directory);
            SegmentFiles.FsyncDirectory(dataDirectory);
        }
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var baseOffsets = System.IO.Directory.EnumerateFiles(directory, "*" + SegmentFiles.LogSuffix)
            .Select(Path.GetFileName)
            .Select(name => SegmentFiles.TryParseBaseOffset(name!, out var b) ? b : -1)
            .Where(b => b >= 0)
            .Order()
            .ToList();
        var recoveryPoint = ReadRecoveryPoint(directory);
        var segments = new List<LogSegment>();
        long truncatedBytes = 0;
        var deletedSegments = 0;
        foreach (var baseOffset in baseOffsets)
        {
            var segment = LogSegment.Open(directory, baseOffset, config);
            var continues = segments.Count == 0 || segments[^1].NextOffset == baseOffset;
            if (!continues || truncatedBytes > 0)
            {
                segment.Delete();
                deletedSegments++;
                continue;
            }
            var mustValidate = baseOffset >= FloorBaseOffset(baseOffsets, recoveryPoint);
            if (mustValidate || !segment.TryLoadSealed())
            {
                truncatedBytes += segment.Recover(nowMs);
            }
            segments.Add(segment);
        }
        if (segments.Count == 0)
        {
            segments.Add(LogSegment.Create(directory, 0, config));
        }
        else
        {
            // Whatever a killed process left in the page cache is made durable before it counts as flushed.
            segments[^1].Flush();
        }
        var snapshot = ProducerStateSnapshot.LoadNewest(directory, segments[0].BaseOffset, segments[^1].NextOffset);
        var log = new PartitionLog(id, directory, config, time, [.. segments]);
        log.LoadLeaderEpochs();
        log.LoadHighWatermark();
        var replayed = log.RebuildProducerState(snapshot);
        report = new RecoveryReport(id, segments.Count, truncatedBytes, deletedSegments, log.LogEndOffset, snapshot?.Offset ?? -1, replayed);
        return log;
    }

    private static long FloorBaseOffset(List<long> baseOffsets, long offset)
    {
        var floor = baseOffsets.Count > 0 ? baseOffsets[0] : 0;
        foreach (var b in baseOffsets)
        {
            if (b <= offset)
            {
                floor = b;
            }
        }
        return floor;
    }

    /// <summary>Deletes the partition's folder; the log must be disposed first.</summary>
    public static void DeleteFiles(string dataDirectory, TopicPartition id)
    {
        var directory = Path.Combine(dataDirectory, id.DirectoryName);
        if (System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>
/// What opening a partition found: how much of a torn or corrupt tail it cut, the producer-state snapshot it
/// started from (-1: none, the whole log was replayed) and how many batch headers it replayed after it.
/// </summary>
internal readonly record struct RecoveryReport(
    TopicPartition Partition, int Segments, long TruncatedBytes, int DeletedSegments, long LogEndOffset, long ProducerSnapshotOffset, long ProducerBatchesReplayed);
