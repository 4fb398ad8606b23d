namespace LogCluster.LogNode.Storage;

/// <summary>
/// Group commit for one partition: callers ask for "everything up to offset X on disk"; one fsync at a time runs,
/// and each covers every batch appended before it started, so concurrent appenders share fsyncs instead of
/// queueing one each. The fsync runs on a pool thread outside the partition's append lock.
/// </summary>
internal sealed class GroupCommitFlusher
{
    private readonly Func<(LogSegment Segment, long EndOffset)> _snapshot;
    private readonly Lock _lock = new();
    private readonly List<(long Offset, TaskCompletionSource Done)> _waiters = [];
    private long _flushedOffset;
    private long _flushCount;
    private bool _running;

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

    /// <summary>Completes once every record below <paramref name="offset"/> is on disk.</summary>
    public Task FlushAsync(long offset)
    {
        lock (_lock)
        {
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

    private void FlushLoop()
    {
        while (true)
        {
            var (segment, endOffset) = _snapshot();
            Exception? failure = null;
            try
            {
                segment.Flush();
                Interlocked.Increment(ref _flushCount);
            }
            catch (ObjectDisposedException)
            {
                // The segment was rolled meanwhile; sealing it fsynced it, and the new one holds nothing we captured.
            }
            catch (IOException e)
            {
                failure = e;
            }
            List<TaskCompletionSource> completed = [];
            bool keepRunning;
            lock (_lock)
            {
                if (failure is null)
                {
                    _flushedOffset = Math.Max(_flushedOffset, endOffset);
                }
                for (var i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (failure is not null || _waiters[i].Offset <= _flushedOffset)
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
                if (failure is null)
                {
                    done.TrySetResult();
                }
                else
                {
                    done.TrySetException(failure);
                }
            }
            if (!keepRunning)
            {
                return;
            }
        }
    }
}
