namespace LogCluster.LogNode.Storage;

internal sealed partial class PartitionLog
{
    /// <summary>
    /// Deletes whole sealed segments that retention.ms or retention.bytes no longer covers; the active segment
    /// always stays, and so does every segment holding a record at or above the high watermark (not yet committed:
    /// a new leader might still need it, as in Kafka). The log start offset moves to the first remaining segment,
    /// and the leader-epoch cache forgets the epochs that ended before it. Returns the segments deleted.
    /// </summary>
    public int EnforceRetention(long nowMs)
    {
        List<LogSegment> doomed = [];
        lock (_appendLock)
        {
            if (_disposed)
            {
                return 0;
            }
            var segments = _segments;
            var totalBytes = segments.Sum(s => s.Size);
            var keepFrom = 0;
            var highWatermark = _highWatermark;
            for (var i = 0; i < segments.Length - 1 && segments[i].NextOffset <= highWatermark; i++)
            {
                var expired = Config.RetentionMs >= 0 && segments[i].NewestTimestampMs < nowMs - Config.RetentionMs;
                var oversize = Config.RetentionBytes >= 0 && totalBytes - segments[i].Size >= Config.RetentionBytes;
                if (!expired && !oversize)
                {
                    break;
                }
                totalBytes -= segments[i].Size;
                doomed.Add(segments[i]);
                keepFrom = i + 1;
            }
            if (keepFrom > 0)
            {
                _segments = segments[keepFrom..];
            }
        }
        // Readers holding the old list see ObjectDisposedException and retry with the new one.
        foreach (var segment in doomed)
        {
            segment.Delete();
        }
        if (doomed.Count > 0)
        {
            // After the files are gone: a failed checkpoint write must not leave segments behind. Until it is
            // written, epochs before the log start only answer lookups nobody can fetch from; opening trims them too.
            lock (_appendLock)
            {
                if (!_disposed)
                {
                    _epochs.TruncateFromStart(LogStartOffset);
                }
            }
        }
        return doomed.Count;
    }
}
