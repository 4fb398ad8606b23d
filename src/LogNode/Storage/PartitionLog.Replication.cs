using LogCluster.Protocol.Records;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// Replication primitives (Kafka's ISR replication with leader epochs, KIP-101/KIP-279): the leader epoch and its
/// cache, follower appends of the leader's bytes, and a high watermark that a replica manager advances. Everything
/// that changes the log runs under the partition's lock, as appends do; the high-watermark checkpoint file is
/// written under its own lock (see <see cref="WriteHighWatermarkCheckpoint"/>).
/// </summary>
internal sealed partial class PartitionLog
{
    /// <summary>Stored in the high-watermark file for "the log end": the partition was its sole replica, so all it holds is committed.</summary>
    public const long HighWatermarkAtLogEnd = long.MaxValue;

    private readonly Lock _checkpointLock = new();
    private int _leaderEpoch;
    private bool _soleReplica = true;

    // Under _appendLock: numbers each computed checkpoint value, in the order of the states they describe.
    private long _highWatermarkCheckpointSequence;

    // Under _checkpointLock: the newest value that reached the file (-1: unknown) and its sequence number.
    private long _checkpointedHighWatermark = -1;
    private long _checkpointedSequence;

    /// <summary>The newest epoch in the leader-epoch cache, or -1 when it is empty.</summary>
    public int LastEpoch
    {
        get
        {
            lock (_appendLock)
            {
                return _epochs.LastEpoch;
            }
        }
    }

    /// <summary>
    /// True (the default): this log is the partition's only replica, so <see cref="Append"/> moves the high
    /// watermark to the log end, as a single node always has. False: only <see cref="AdvanceHighWatermark"/> moves it.
    /// Setting it to true advances the high watermark to the log end at once. Each set rewrites the high-watermark
    /// checkpoint (when its value changes), so a crash cannot leave a "sole replica" checkpoint behind a log that
    /// stopped being one; a failed write is retried by the next <see cref="CheckpointHighWatermark"/>.
    /// </summary>
    public bool SoleReplica
    {
        get => Volatile.Read(ref _soleReplica);
        set
        {
            TaskCompletionSource? changed = null;
            (long, long) checkpoint;
            lock (_appendLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                Volatile.Write(ref _soleReplica, value);
                if (value && MoveHighWatermark(_logEndOffset))
                {
                    changed = SwapChangeSignal();
                }
                checkpoint = NextHighWatermarkCheckpoint();
            }
            changed?.TrySetResult();
            try
            {
                WriteHighWatermarkCheckpoint(checkpoint);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A role change must not fail on a full disk; the periodic checkpoint writes it when it can.
            }
        }
    }

    /// <summary>The leader-epoch cache's entries, oldest first.</summary>
    public List<EpochEntry> ExportLeaderEpochs()
    {
        lock (_appendLock)
        {
            return _epochs.Export();
        }
    }

    /// <summary>
    /// This replica leads <paramref name="leaderEpoch"/>: <see cref="Append"/> stamps it into every batch, and when it
    /// is newer than the cache's last epoch it is recorded (durably) as starting at the log end. An epoch older than
    /// one the log already holds is refused with <see cref="ArgumentOutOfRangeException"/>: batches stamped with it
    /// would contradict the cache.
    /// </summary>
    public void BecomeLeader(int leaderEpoch)
    {
        lock (_appendLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentOutOfRangeException.ThrowIfLessThan(leaderEpoch, Math.Max(0, _epochs.LastEpoch));
            Volatile.Write(ref _leaderEpoch, leaderEpoch);
            _epochs.Assign(leaderEpoch, _logEndOffset);
        }
    }

    /// <summary>
    /// This replica follows the leader of <paramref name="leaderEpoch"/>: fetches are checked against it. The epoch
    /// cache is fed by the batches <see cref="AppendAsFollower"/> writes, not by this call.
    /// </summary>
    public void BecomeFollower(int leaderEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leaderEpoch);
        lock (_appendLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Volatile.Write(ref _leaderEpoch, leaderEpoch);
        }
    }

    /// <summary>
    /// OffsetsForLeaderEpoch, as a leader answers a follower: the largest cached epoch at or below
    /// <paramref name="epoch"/> and the offset where it ended (the next cached epoch's start, or the log end for the
    /// newest epoch); (-1, -1) when the cache holds no epoch at or below it.
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetForEpoch(int epoch)
    {
        lock (_appendLock)
        {
            return _epochs.EndOffsetFor(epoch, _logEndOffset);
        }
    }

    /// <summary>
    /// Appends batches fetched from the leader exactly as the leader stored them (base offsets and leader epochs
    /// kept; no stamping, no duplicate or sequence checks). Every batch is validated (length, magic, CRC, record
    /// count) and must start at the offset the previous one ends, the first at the log end, before any is written:
    /// a bad one throws <see cref="InvalidDataException"/> and nothing is appended. The CRCs are checked before
    /// the lock is taken, so a large fetch does not hold up the partition's other appends. Leader epochs must not go
    /// back, from the log's last epoch through the batches (else the logs diverged and the tail must be truncated
    /// first; also <see cref="InvalidDataException"/>). Epochs announced at the log end without a batch (this replica
    /// led them and wrote nothing) give way to the leader's batches, as Kafka's cache drops non-monotonic entries.
    /// Each batch of a newer epoch starts that epoch in the cache, and every batch is recorded in the producer
    /// state, so this replica answers
    /// an idempotent retry with the original offsets once it leads. Segments roll as for <see cref="Append"/>;
    /// <see cref="AppendResult.Durable"/> follows the flush policy as there. The high watermark does not move. An
    /// empty input appends nothing and returns BaseOffset = log end, LastOffset = log end - 1.
    /// </summary>
    public AppendResult AppendAsFollower(ReadOnlyMemory<byte> batches)
    {
        var validated = ValidateLeaderBatches(batches);
        TaskCompletionSource changed;
        AppendResult result;
        lock (_appendLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (validated.Count == 0)
            {
                return new AppendResult(_logEndOffset, _logEndOffset - 1, LogStartOffset, Task.CompletedTask);
            }
            _flusher.ThrowIfFailed();
            if (validated[0].Header.BaseOffset != _logEndOffset)
            {
                throw new InvalidDataException(
                    $"the leader's data starts at offset {validated[0].Header.BaseOffset}, but the log continues at {_logEndOffset}");
            }
            CheckEpochsAscend(validated);
            _epochs.TruncateFromEnd(_logEndOffset);
            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var (batch, header) in validated)
            {
                AppendLeaderBatch(batch, header, nowMs);
            }
            result = new AppendResult(validated[0].Header.BaseOffset, validated[^1].Header.LastOffset, LogStartOffset, DurableAt(_logEndOffset));
            changed = SwapChangeSignal();
        }
        changed.TrySetResult();
        return result;
    }

    private void AppendLeaderBatch(ReadOnlyMemory<byte> batch, in RecordBatchHeader header, long nowMs)
    {
        RollIfNeeded(header, nowMs);
        // Before the batch: a crash in between leaves an entry past the log end, which opening drops; the other
        // order could leave a batch of an epoch the cache does not know.
        _epochs.Assign(header.PartitionLeaderEpoch, header.BaseOffset);
        _segments[^1].Append(batch, header, nowMs);
        _producers.Record(header, nowMs);
        Interlocked.Exchange(ref _logEndOffset, header.NextOffset);
    }

    /// <summary>Throws when a batch's leader epoch is older than the one before it (in the batches, or the last epoch of the log below its end).</summary>
    private void CheckEpochsAscend(List<(ReadOnlyMemory<byte> Batch, RecordBatchHeader Header)> validated)
    {
        var epoch = _epochs.LastEpochBefore(_logEndOffset);
        foreach (var (_, header) in validated)
        {
            if (header.PartitionLeaderEpoch < epoch)
            {
                throw new InvalidDataException(
                    $"the leader's batch at offset {header.BaseOffset} has leader epoch {header.PartitionLeaderEpoch}, older than epoch {epoch} before it: the logs diverged");
            }
            epoch = header.PartitionLeaderEpoch;
        }
    }

    /// <summary>Splits concatenated batches and checks each, and that each starts where the previous one ends.</summary>
    private static List<(ReadOnlyMemory<byte> Batch, RecordBatchHeader Header)> ValidateLeaderBatches(ReadOnlyMemory<byte> batches)
    {
        List<(ReadOnlyMemory<byte>, RecordBatchHeader)> validated = [];
        long? expectedOffset = null;
        var position = 0;
        while (position < batches.Length)
        {
            var batch = NextBatch(batches, position);
            var validation = BatchValidation.Validate(batch.Span);
            if (!validation.IsValid)
            {
                throw new InvalidDataException($"the batch at byte {position} of the leader's data is invalid: {validation.Message}");
            }
            if (expectedOffset is { } expected && validation.Header.BaseOffset != expected)
            {
                throw new InvalidDataException(
                    $"the batch at byte {position} of the leader's data starts at offset {validation.Header.BaseOffset}, but the one before ends at {expected}");
            }
            validated.Add((batch, validation.Header));
            expectedOffset = validation.Header.NextOffset;
            position += batch.Length;
        }
        return validated;
    }

    /// <summary>The batch at <paramref name="position"/> by its length field; throws when the data ends inside it.</summary>
    private static ReadOnlyMemory<byte> NextBatch(ReadOnlyMemory<byte> batches, int position)
    {
        var remaining = batches.Length - position;
        if (remaining < RecordBatchLayout.HeaderSize)
        {
            throw new InvalidDataException($"the leader's data ends with {remaining} bytes, too few for a batch header");
        }
        var total = (long)RecordBatchHeader.Read(batches.Span[position..]).BatchLength + RecordBatchLayout.LogOverhead;
        if (total < RecordBatchLayout.HeaderSize || total > remaining)
        {
            throw new InvalidDataException($"the batch at byte {position} of the leader's data claims {total} bytes; {remaining} remain");
        }
        return batches.Slice(position, (int)total);
    }

    /// <summary>
    /// Moves the high watermark to min(<paramref name="offset"/>, log end) when that is above it, and wakes
    /// long-polling fetchers. Returns whether it moved.
    /// </summary>
    public bool AdvanceHighWatermark(long offset)
    {
        TaskCompletionSource changed;
        lock (_appendLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!MoveHighWatermark(Math.Min(offset, _logEndOffset)))
            {
                return false;
            }
            changed = SwapChangeSignal();
        }
        changed.TrySetResult();
        return true;
    }

    /// <summary>Raises the high watermark to <paramref name="offset"/> when that is above it; never lowers it.</summary>
    private bool MoveHighWatermark(long offset)
    {
        if (offset <= _highWatermark)
        {
            return false;
        }
        Interlocked.Exchange(ref _highWatermark, offset);
        return true;
    }

    /// <summary>
    /// Writes the high-watermark checkpoint when it changed since the last write; the node calls this every few
    /// seconds (rolls, truncations and a graceful close write it too). After a crash the log starts from it, so
    /// consumers never see records above it that a new leader might not have. The file is written outside the
    /// partition's lock: appends do not wait for its fsyncs.
    /// </summary>
    public void CheckpointHighWatermark()
    {
        (long, long) checkpoint;
        lock (_appendLock)
        {
            if (_disposed)
            {
                return;
            }
            checkpoint = NextHighWatermarkCheckpoint();
        }
        WriteHighWatermarkCheckpoint(checkpoint);
    }

    /// <summary>
    /// Under the partition's lock: the value the checkpoint should hold now and its sequence number. A sole replica
    /// whose high watermark is at the log end stores <see cref="HighWatermarkAtLogEnd"/>: everything it holds is
    /// committed, including records appended after the checkpoint, so a restart after a crash does not hide
    /// acknowledged records from consumers.
    /// </summary>
    private (long Sequence, long Value) NextHighWatermarkCheckpoint() =>
        (++_highWatermarkCheckpointSequence, _soleReplica && _highWatermark == _logEndOffset ? HighWatermarkAtLogEnd : _highWatermark);

    /// <summary>
    /// Writes a value from <see cref="NextHighWatermarkCheckpoint"/> unless the file already holds it or a newer one
    /// was written: writers computed their values in the partition's lock order, but may get here in any order, and
    /// an older value written last could bring back a "sole replica" marker for a log that is no longer one.
    /// </summary>
    private void WriteHighWatermarkCheckpoint((long Sequence, long Value) checkpoint)
    {
        lock (_checkpointLock)
        {
            if (checkpoint.Sequence <= _checkpointedSequence)
            {
                return;
            }
            _checkpointedSequence = checkpoint.Sequence;
            if (checkpoint.Value == _checkpointedHighWatermark)
            {
                return;
            }
            // Unknown until the write succeeds: a failed one is retried by the next checkpoint.
            _checkpointedHighWatermark = -1;
            SegmentFiles.WriteOffset(Path.Combine(Directory, SegmentFiles.HighWatermarkFile), checkpoint.Value);
            _checkpointedHighWatermark = checkpoint.Value;
        }
    }

    /// <summary>
    /// At open: the checkpointed high watermark within [log start, log end] (<see cref="HighWatermarkAtLogEnd"/>
    /// gives the log end); the log end when there is no checkpoint (a data folder from before replication); the log
    /// start when it is damaged (only advances reveal more).
    /// </summary>
    private void LoadHighWatermark()
    {
        var (state, offset) = SegmentFiles.ReadOffset(Path.Combine(Directory, SegmentFiles.HighWatermarkFile));
        lock (_checkpointLock)
        {
            _checkpointedHighWatermark = state == OffsetFile.Valid ? offset : -1;
        }
        var highWatermark = state switch
        {
            OffsetFile.Valid => Math.Clamp(offset, LogStartOffset, _logEndOffset),
            OffsetFile.Missing => _logEndOffset,
            _ => LogStartOffset,
        };
        Interlocked.Exchange(ref _highWatermark, highWatermark);
    }

    /// <summary>
    /// At open: loads the epoch cache, or rebuilds it from the batch headers when its file is missing or damaged,
    /// and drops epochs that start at or after the recovered log end (their batches were lost or never written).
    /// The leader epoch starts at the newest one, so a log that is not told otherwise keeps stamping it.
    /// </summary>
    private void LoadLeaderEpochs()
    {
        if (!_epochs.TryLoad())
        {
            _epochs.Rebuild(BatchHeadersFrom(LogStartOffset));
        }
        _epochs.TruncateFromEnd(_logEndOffset);
        _epochs.TruncateFromStart(LogStartOffset);
        _leaderEpoch = Math.Max(0, _epochs.LastEpoch);
    }
}
