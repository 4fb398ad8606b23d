namespace LogCluster.LogNode.Storage;

internal sealed partial class PartitionLog
{
    /// <summary>
    /// Reads whole batches starting with the one that holds <paramref name="fetchOffset"/>, up to
    /// <paramref name="maxBytes"/> (the first batch is returned whole even when larger, so a reader always
    /// progresses) and never past the high watermark, or with <paramref name="upToLogEnd"/> (a follower replica
    /// fetching) never past the log end. Serves the stored bytes as they are: no re-encoding.
    /// </summary>
    public ReadResult Read(long fetchOffset, int maxBytes, bool upToLogEnd = false) => OnCurrentSegments(segments =>
    {
        var highWatermark = HighWatermark;
        var start = segments[0].BaseOffset;
        var end = LogEndOffset;
        var readableEnd = upToLogEnd ? end : highWatermark;
        if (fetchOffset < start || fetchOffset > end)
        {
            return new ReadResult(ReadOnlyMemory<byte>.Empty, highWatermark, start, end, OutOfRange: true);
        }
        if (fetchOffset >= readableEnd)
        {
            return new ReadResult(ReadOnlyMemory<byte>.Empty, highWatermark, start, end, OutOfRange: false);
        }
        var bytes = ReadFromSegment(segments, fetchOffset, maxBytes, readableEnd);
        return new ReadResult(bytes, highWatermark, start, end, OutOfRange: false);
    });

    /// <summary>
    /// Runs a lock-free read on a snapshot of the segment list. When retention deletes a segment under it, the
    /// read starts again on the current list; when a truncation ran during it (the bytes read may mix the old tail
    /// with what was appended after the cut), it starts again too; when the whole log was closed, it throws.
    /// </summary>
    private T OnCurrentSegments<T>(Func<LogSegment[], T> read)
    {
        while (true)
        {
            // Full fences: the count is read before anything of the log, and again after all of it.
            var truncations = Interlocked.Read(ref _truncations);
            var segments = _segments;
            try
            {
                var result = read(segments);
                if (Interlocked.Read(ref _truncations) == truncations)
                {
                    return result;
                }
            }
            catch (ObjectDisposedException) when (!_disposed && (!ReferenceEquals(segments, _segments) || Interlocked.Read(ref _truncations) != truncations))
            {
                // Retention or a truncation replaced a segment under us: look again with the current segment list.
            }
        }
    }

    private static byte[] ReadFromSegment(LogSegment[] segments, long fetchOffset, int maxBytes, long readableEnd)
    {
        for (var i = FindSegment(segments, fetchOffset); i < segments.Length; i++)
        {
            var segment = segments[i];
            var limit = segment.Size;
            var position = segment.FindBatchPosition(fetchOffset, limit);
            if (position < 0)
            {
                continue;
            }
            // One pass over headers decides the range, one read fetches it.
            var endPosition = position;
            while (segment.ReadHeaderAt(endPosition, limit) is { } header
                && header.BaseOffset < readableEnd
                && (endPosition == position || endPosition - position + header.TotalSize <= maxBytes))
            {
                endPosition += header.TotalSize;
            }
            var bytes = new byte[endPosition - position];
            var read = segment.Read(bytes, position);
            return read == bytes.Length ? bytes : bytes[..read];
        }
        return [];
    }

    private static int FindSegment(LogSegment[] segments, long offset)
    {
        var index = 0;
        for (var i = 0; i < segments.Length && segments[i].BaseOffset <= offset; i++)
        {
            index = i;
        }
        return index;
    }

    /// <summary>
    /// Base offset of the first batch whose max timestamp is at or after <paramref name="timestampMs"/>
    /// (batch granularity: records inside that batch may be older), or null when there is none.
    /// </summary>
    public long? OffsetForTimestamp(long timestampMs) =>
        OnCurrentSegments(segments => OffsetForTimestamp(segments, timestampMs, HighWatermark));

    private static long? OffsetForTimestamp(LogSegment[] segments, long timestampMs, long highWatermark)
    {
        foreach (var segment in segments)
        {
            if (segment.MaxTimestamp < timestampMs)
            {
                continue;
            }
            var limit = segment.Size;
            var position = segment.FindBatchPosition(segment.TimeSearchStart(timestampMs), limit);
            while (position >= 0 && segment.ReadHeaderAt(position, limit) is { } header && header.BaseOffset < highWatermark)
            {
                if (header.MaxTimestamp >= timestampMs)
                {
                    return header.BaseOffset;
                }
                position += header.TotalSize;
            }
        }
        return null;
    }
}
