namespace LogCluster.LogNode.Storage;

/// <summary>
/// Group commit for one partition: callers ask for "everything up to offset X on disk"; one fsync at a time runs,
/// and each covers every batch appended before it started, so concurrent appenders share fsyncs instead of
/// queueing one each. The fsync runs on a pool thread outside the partition's append lock.
/// A failed fsync is final for the partition (as Kafka takes a failed log directory offline): Linux may drop
/// the dirty pages and report success on the next fsync, so nothing written since can be called durable.
/// A truncation (<see cref="Truncated"/>) fails the waiters whose records it removed and voids an fsync that
/// was already running, which covered the old tail, not the one appended after the cut.
/// </summary>
internal sealed class GroupCommitFlusher
{
    private readonly Func<(LogSegment Segment, long EndOffset)> _snapshot;
    private readonly Lock _lock = new();
    private readonly List<(long Offset, TaskCompletionSource Done)> _waiters = [];
    private long _flushedOffset;
    private long _flushCount;
    private long _truncations;
    private bool _running;
    private Exception? _failure;

    /// <param name="snapshot">Returns the active segment and the log end offset, read under the partition's lock.</param>
    /// <param name="flushedOffset">Offset up to which the log is already durable (after recovery: its end).</param>
    public GroupCommitFlusher(Func<(LogSegment Segment, long EndOffset)> snapshot, long flushedOffset)
    {
        _snapshot = snapshot;
        _flushedOffset = flushedOffset;
    }

    /// <summary>Offset below which every record has been fsynced.</summary>
    public long FlushedOffset => Volatile.Read(ref _flushedOffset);

    /// <summary>fsyncs performed; fewer than the acknowledgements they covered when group commit works.</summary>
    public long FlushCount => Interlocked.Read(ref _flushCount);

    /// <summary>Throws the fsync failure that took this partition offline, if any.</summary>
    public void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new IOException($"the partition is offline after a failed fsync: {failure.Message}", failure);
        }
    }

    /// <summary>Completes once every record below <paramref name="offset"/> is on disk.</summary>
    public Task FlushAsync(long offset)
    {
        lock (_lock)
        {
            if (_failure is not null)
            {
                return Task.FromException(new IOException("the partition is offline after a failed fsync", _failure));
            }
            if (offset <= _flushedOffset)
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((offset, done));
            if (!_running)
            {
                _running = true;
                _ = Task.Run(FlushLoop);
            }
            return done.Task;
        }
    }

    /// <summary>Marks records below <paramref name="offset"/> durable without an fsync (a sealed segment was fsynced).</summary>
    public void MarkFlushed(long offset)
    {
        lock (_lock)
        {
            _flushedOffset = Math.Max(_flushedOffset, offset);
        }
    }

    /// <summary>
    /// The log was cut at <paramref name="newEndOffset"/> and everything below it is on disk (the cut segment was
    /// fsynced, the ones before it sealed): waiters below it complete, waiters for removed records fail with
    /// <see cref="LogTruncatedException"/>, and an fsync already running no longer counts.
    /// </summary>
    public void Truncated(long newEndOffset)
    {
        List<(long Offset, TaskCompletionSource Done)> settled;
        lock (_lock)
        {
            _truncations++;
            _flushedOffset = newEndOffset;
            settled = [.. _waiters];
            _waiters.Clear();
        }
        foreach (var (offset, done) in settled)
        {
            if (offset <= newEndOffset)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(new LogTruncatedException($"the records of an append ending at offset {offset} were truncated away (the log now ends at {newEndOffset}) before an fsync covered them"));
            }
        }
    }

    private void FlushLoop()
    {
        var keepRunning = true;
        while (keepRunning)
        {
            Exception? failure = null;
            long endOffset = 0;
            // Read before the snapshot: a truncation after this point voids what the snapshot describes.
            var truncations = Volatile.Read(ref _truncations);
            try
            {
                LogSegment segment;
                (segment, endOffset) = _snapshot();
                segment.Flush();
                Interlocked.Increment(ref _flushCount);
            }
            catch (ObjectDisposedException)
            {
                // Rolled (sealing fsynced it) or closed (closing fsynced it) since the snapshot.
            }
            catch (Exception e)
            {
                failure = e;
            }
            keepRunning = Complete(failure, endOffset, truncations);
        }
    }

    /// <summary>Settles the waiters the last fsync covered (all of them on failure); true while some remain.</summary>
    private bool Complete(Exception? failure, long endOffset, long truncations)
    {
        List<TaskCompletionSource> completed = [];
        bool keepRunning;
        lock (_lock)
        {
            if (failure is null && truncations == _truncations)
            {
                _flushedOffset = Math.Max(_flushedOffset, endOffset);
            }
            else
            {
                _failure ??= failure;
            }
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_failure is not null || _waiters[i].Offset <= _flushedOffset)
                {
                    completed.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
            // Waiters left over appended after the snapshot: they need the next fsync.
            keepRunning = _waiters.Count > 0;
            _running = keepRunning;
        }
        foreach (var done in completed)
        {
            if (_failure is null)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(new IOException($"fsync failed: {_failure.Message}", _failure));
            }
        }
        return keepRunning;
    }
}

/// <summary>An append's records were removed by a truncation (a follower cutting a diverged tail) before they were made durable.</summary>
internal sealed class LogTruncatedException(string message) : IOException(message);
