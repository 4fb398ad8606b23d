using LogCluster.Protocol.Records;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// The log of one partition: an ordered list of segments, the last one active. Appends are serialised by
/// <see cref="_appendLock"/>; reads take a snapshot of the segment list and never block appends. Offsets:
/// <see cref="LogStartOffset"/> (first retained) &lt;= <see cref="HighWatermark"/> (readable by consumers)
/// &lt;= <see cref="LogEndOffset"/> (next to assign); <see cref="FlushedOffset"/> is what fsync has covered.
/// Replication (leader epochs, follower appends, the high watermark, truncation) is in PartitionLog.Replication.cs
/// and PartitionLog.Truncation.cs; everything that changes the log runs under the same lock.
/// </summary>
internal sealed partial class PartitionLog : IDisposable
{
    private readonly Lock _appendLock = new();
    private readonly TimeProvider _time;
    private readonly byte[] _stampedPrefix = new byte[RecordBatchLayout.PartitionLeaderEpochOffset + sizeof(int)];
    private readonly GroupCommitFlusher _flusher;
    private readonly ProducerStateTable _producers = new();
    private readonly LeaderEpochCache _epochs;
    private volatile LogSegment[] _segments;
    private long _logEndOffset;
    private long _highWatermark;
    private long _lastFlushRequestMs;
    private volatile bool _disposed;
    private TaskCompletionSource _changed = NewSignal();

    private PartitionLog(TopicPartition id, string directory, TopicConfig config, TimeProvider time, LogSegment[] segments)
    {
        Id = id;
        Directory = directory;
        Config = config;
        _time = time;
        _segments = segments;
        _epochs = new LeaderEpochCache(directory);
        _logEndOffset = segments[^1].NextOffset;
        // Until Open loads the high-watermark checkpoint.
        _highWatermark = _logEndOffset;
        _flusher = new GroupCommitFlusher(SnapshotForFlush, _logEndOffset);
        _lastFlushRequestMs = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    public TopicPartition Id { get; }

    public string Directory { get; }

    public TopicConfig Config { get; }

    /// <summary>
    /// The partition's current leader epoch as this replica knows it: a leader stamps it into every appended batch,
    /// fetches are checked against it. After a restart, the newest epoch in the log (0 for a log without one).
    /// </summary>
    public int LeaderEpoch => Volatile.Read(ref _leaderEpoch);

    public long LogStartOffset => _segments[0].BaseOffset;

    public long LogEndOffset => Interlocked.Read(ref _logEndOffset);

    public long HighWatermark => Interlocked.Read(ref _highWatermark);

    public long FlushedOffset => _flusher.FlushedOffset;

    public long FlushCount => _flusher.FlushCount;

    public int SegmentCount => _segments.Length;

    public long SizeInBytes => _segments.Sum(s => s.Size);

    /// <summary>Idempotent producers this partition remembers.</summary>
    public int ProducerCount
    {
        get
        {
            lock (_appendLock)
            {
                return _producers.Count;
            }
        }
    }

    /// <summary>What this partition remembers of each idempotent producer, ordered by producer id.</summary>
    public List<ProducerStateEntry> ExportProducerState()
    {
        lock (_appendLock)
        {
            return _producers.Export();
        }
    }

    /// <summary>
    /// Completes at the next append (leader or follower), high-watermark advance or truncation; fetchers long-poll
    /// on it.
    /// </summary>
    public Task NextChange => Volatile.Read(ref _changed).Task;

    /// <summary>
    /// Appends one batch that <see cref="BatchValidation"/> accepted. Stamps base offset and leader epoch into
    /// the stored copy (outside the CRC, so no re-checksum) without copying the batch: the file write gathers
    /// the 16 stamped bytes and the rest of the caller's buffer. A retried duplicate of an idempotent producer's
    /// batch is not appended again: the result carries the original offsets. A fenced epoch or a sequence gap
    /// throws <see cref="AppendRejectedException"/>. The high watermark follows only while this log is its
    /// partition's <see cref="SoleReplica"/>; otherwise the replica manager advances it.
    /// </summary>
    public AppendResult Append(ReadOnlyMemory<byte> batch, RecordBatchHeader header)
    {
        TaskCompletionSource changed;
        AppendResult result;
        lock (_appendLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _flusher.ThrowIfFailed();
            if (_producers.CheckDuplicate(header) is { } original)
            {
                // Acknowledged as the original was: durable once the fsync that covers it has run.
                var originalDurable = Config.FlushMessages == long.MaxValue ? Task.CompletedTask : _flusher.FlushAsync(original.LastOffset + 1);
                return new AppendResult(original.BaseOffset, original.LastOffset, LogStartOffset, originalDurable, Duplicate: true);
            }
            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var baseOffset = _logEndOffset;
            var leaderEpoch = _leaderEpoch;
            header = header with { BaseOffset = baseOffset, PartitionLeaderEpoch = leaderEpoch };
            RollIfNeeded(header, nowMs);
            // Usually BecomeLeader recorded the epoch already; a log that was never told one starts epoch 0 here.
            _epochs.Assign(leaderEpoch, baseOffset);
            batch.Span[..RecordBatchLayout.PartitionLeaderEpochOffset].CopyTo(_stampedPrefix);
            RecordBatchHeader.StampLeaderFields(_stampedPrefix, baseOffset, leaderEpoch);
            _segments[^1].Append(_stampedPrefix, batch[_stampedPrefix.Length..], header, nowMs);
            _producers.Record(header, nowMs);

            var endOffset = header.NextOffset;
            Interlocked.Exchange(ref _logEndOffset, endOffset);
            if (_soleReplica)
            {
                // The only replica: every appended record is in the (single-member) ISR at once.
                Interlocked.Exchange(ref _highWatermark, endOffset);
            }
            result = new AppendResult(baseOffset, header.LastOffset, LogStartOffset, DurableAt(endOffset));
            changed = SwapChangeSignal();
        }
        changed.TrySetResult();
        return result;
    }

    /// <summary>What an append up to <paramref name="endOffset"/> waits for before it is acknowledged: an fsync once flush.messages records are unflushed.</summary>
    private Task DurableAt(long endOffset) =>
        endOffset - _flusher.FlushedOffset >= Config.FlushMessages ? _flusher.FlushAsync(endOffset) : Task.CompletedTask;

    /// <summary>Installs a new change signal and returns the old one, to complete once the lock is released.</summary>
    private TaskCompletionSource SwapChangeSignal()
    {
        var changed = _changed;
        Volatile.Write(ref _changed, NewSignal());
        return changed;
    }

    private void RollIfNeeded(in RecordBatchHeader header, long nowMs)
    {
        var active = _segments[^1];
        if (active.Size == 0)
        {
            return;
        }
        var full = active.Size + header.TotalSize > Config.SegmentBytes;
        var old = nowMs - active.FirstAppendTimeMs >= Config.SegmentMs;
        // Index entries hold 32-bit relative offsets and positions.
        var overflow = header.LastOffset - active.BaseOffset > int.MaxValue || active.Size + header.TotalSize > int.MaxValue;
        if (full || old || overflow)
        {
            Roll();
        }
    }

    /// <summary>
    /// Seals the active segment (fsync + index files), snapshots the producer state, starts a new segment at the
    /// log end offset, and checkpoints the high watermark. The snapshot follows the seal, so the batches it
    /// describes are on disk before it is.
    /// </summary>
    private void Roll()
    {
        _segments[^1].Seal();
        _flusher.MarkFlushed(_logEndOffset);
        WriteRecoveryPoint(Directory, _logEndOffset);
        ProducerStateSnapshot.Write(Directory, _logEndOffset, _producers.Export());
        var next = LogSegment.Create(Directory, _logEndOffset, Config);
        _segments = [.. _segments, next];
        WriteHighWatermarkCheckpoint(NextHighWatermarkCheckpoint());
    }

    /// <summary>Requests an fsync when flush.ms has passed since the last one and data is unflushed.</summary>
    public void FlushIfDue(long nowMs)
    {
        if (LogEndOffset > FlushedOffset && nowMs - Volatile.Read(ref _lastFlushRequestMs) >= Config.FlushMs)
        {
            Volatile.Write(ref _lastFlushRequestMs, nowMs);
            _ = _flusher.FlushAsync(LogEndOffset);
        }
    }

    /// <summary>Forgets idempotent producers idle longer than producer.id.expiration.ms.</summary>
    public int ExpireProducers(long nowMs, long expirationMs)
    {
        lock (_appendLock)
        {
            return _disposed ? 0 : _producers.Expire(nowMs, expirationMs);
        }
    }

    /// <summary>
    /// After a restart, rebuilds the producer state so a retry of a batch acknowledged before the restart is
    /// still recognised: from <paramref name="snapshot"/> plus the batch headers after its offset, or, without
    /// one, from every batch header of the log. Headers only: one 61-byte read per batch. Returns the batches
    /// replayed. Producers from the snapshot keep their last append time; replayed ones count from now. Replaces
    /// whatever the table held (a truncation rebuilds it too).
    /// </summary>
    private long RebuildProducerState(ProducerStateSnapshot.Content? snapshot)
    {
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _producers.Import(snapshot?.Producers ?? []);
        long replayed = 0;
        foreach (var header in BatchHeadersFrom(snapshot?.Offset ?? LogStartOffset))
        {
            _producers.Record(header, nowMs);
            replayed++;
        }
        return replayed;
    }

    /// <summary>The header of every batch from the one holding <paramref name="from"/> to the log end (61 bytes read per batch).</summary>
    private IEnumerable<RecordBatchHeader> BatchHeadersFrom(long from)
    {
        foreach (var segment in _segments.Where(s => s.NextOffset > from))
        {
            var limit = segment.Size;
            var position = from > segment.BaseOffset ? segment.FindBatchPosition(from, limit) : 0;
            while (position >= 0 && segment.ReadHeaderAt(position, limit) is { } header)
            {
                yield return header;
                position += header.TotalSize;
            }
        }
    }

    /// <summary>Best effort: without this snapshot the next open replays the log after the last roll's one instead.</summary>
    private void WriteClosingSnapshot()
    {
        try
        {
            ProducerStateSnapshot.Write(Directory, _logEndOffset, _producers.Export());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Closing must still close every file; a missing snapshot costs only replay time at the next start.
        }
    }

    /// <summary>Best effort: without it the next open starts from the last periodic checkpoint, a lower high watermark.</summary>
    private void WriteClosingHighWatermark()
    {
        try
        {
            WriteHighWatermarkCheckpoint(NextHighWatermarkCheckpoint());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Consumers see less until the next advance; nothing uncommitted is shown.
        }
    }

    private (LogSegment Segment, long EndOffset) SnapshotForFlush()
    {
        lock (_appendLock)
        {
            return (_segments[^1], _logEndOffset);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void WriteRecoveryPoint(string directory, long offset) =>
        SegmentFiles.WriteOffset(Path.Combine(directory, SegmentFiles.RecoveryPointFile), offset);

    private static long ReadRecoveryPoint(string directory) =>
        SegmentFiles.ReadOffset(Path.Combine(directory, SegmentFiles.RecoveryPointFile)) is (OffsetFile.Valid, var offset) ? offset : 0;

    /// <summary>
    /// Closes the files. Later appends, reads and retention throw <see cref="ObjectDisposedException"/> (the
    /// topic is gone) instead of touching files that may belong to a topic recreated under the same name.
    /// </summary>
    public void Dispose()
    {
        lock (_appendLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            try
            {
                // A graceful stop leaves everything on disk, whatever the flush policy, a snapshot so the next
                // start replays nothing, and the high watermark.
                _segments[^1].Flush();
                WriteClosingSnapshot();
                WriteClosingHighWatermark();
            }
            finally
            {
                foreach (var segment in _segments)
                {
                    segment.Dispose();
                }
            }
        }
    }
}
