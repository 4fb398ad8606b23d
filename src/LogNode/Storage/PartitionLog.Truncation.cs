namespace LogCluster.LogNode.Storage;

internal sealed partial class PartitionLog
{
    // Incremented (under _appendLock) when a truncation starts; lock-free reads compare it before and after.
    private long _truncations;

    /// <summary>
    /// Removes every batch at or after <paramref name="offset"/>, as a follower does where its log diverges from the
    /// leader's. An offset inside a batch cuts at that batch's start; one at or past the log end changes nothing;
    /// one below the log start empties the log at the log start. Segments above the cut are deleted, the one holding
    /// it is cut (file and indexes) and becomes the active segment. The high watermark, the leader-epoch cache, the
    /// producer state (rebuilt from the newest snapshot at or below the cut), the flushed offset and the recovery
    /// point all follow, so later appends and a later recovery see exactly the shorter log. Appends of the removed
    /// records still waiting for an fsync see their <see cref="AppendResult.Durable"/> fail with
    /// <see cref="LogTruncatedException"/>.
    /// </summary>
    /// <remarks>
    /// Crash safety: the file changes come first (segments above deleted, newest first, then the cut fsynced), the
    /// checkpoints after. A crash in between leaves checkpoints describing more than the log holds, which opening
    /// cuts back: segments that no longer continue the log are deleted, epochs and snapshots past the log end
    /// dropped, the high watermark bounded by the log end. Readers on the old segment list see the replaced
    /// segments disposed, or the truncation count changed, and read again.
    /// </remarks>
    public void TruncateTo(long offset)
    {
        TaskCompletionSource changed;
        (long, long) checkpoint;
        lock (_appendLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (offset >= _logEndOffset)
            {
                return;
            }
            Interlocked.Increment(ref _truncations);
            var activeBefore = _segments[^1];
            var newEnd = CutSegmentsAt(Math.Max(offset, LogStartOffset));
            // The cut file was fsynced, and every segment before it was sealed.
            _flusher.Truncated(newEnd);
            if (_segments[^1].BaseOffset != activeBefore.BaseOffset)
            {
                // The cut reached into a sealed segment: it is the active one now, to be validated at the next open.
                WriteRecoveryPoint(Directory, _segments[^1].BaseOffset);
            }
            _epochs.TruncateFromEnd(newEnd);
            RebuildProducerState(ProducerStateSnapshot.LoadNewest(Directory, LogStartOffset, newEnd));
            checkpoint = NextHighWatermarkCheckpoint();
            // Long-polling fetchers look again: a fetch position past the new end is out of range now.
            changed = SwapChangeSignal();
        }
        changed.TrySetResult();
        try
        {
            WriteHighWatermarkCheckpoint(checkpoint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The log is cut already; opening bounds a higher checkpoint by the log end, and the periodic one retries.
        }
    }

    /// <summary>
    /// Replaces the segment holding <paramref name="offset"/> by an instance cut at the start of the batch holding
    /// it, moves the log end (and the high watermark, if above) there, deletes the segments after it, and returns
    /// the new log end. Memory changes before files do, so a failing file operation leaves a log that appends at
    /// the cut (overwriting what is left there) rather than one whose offsets disagree with its segments.
    /// </summary>
    private long CutSegmentsAt(long offset)
    {
        var segments = _segments;
        var holdingIndex = FindSegment(segments, offset);
        var holding = segments[holdingIndex];
        var position = holding.FindBatchPosition(offset, holding.Size);
        if (position < 0 || holding.ReadHeaderAt(position, holding.Size) is not { } cutBatch)
        {
            throw new InvalidOperationException($"offset {offset} is below the log end {_logEndOffset} but no batch holds it");
        }
        var newEnd = cutBatch.BaseOffset;
        var cut = holding.OpenTruncated(position, newEnd, _time.GetUtcNow().ToUnixTimeMilliseconds());
        // Publish the new list before disposing the old instances: a reader that then fails on one retries with it.
        _segments = [.. segments[..holdingIndex], cut];
        Interlocked.Exchange(ref _logEndOffset, newEnd);
        Interlocked.Exchange(ref _highWatermark, Math.Min(_highWatermark, newEnd));
        holding.Dispose();
        // Newest first: a crash part-way leaves a log that still ends in whole segments.
        foreach (var above in segments[(holdingIndex + 1)..].Reverse())
        {
            above.Delete();
        }
        cut.CutFileToSize();
        SegmentFiles.FsyncDirectory(Directory);
        return newEnd;
    }
}
