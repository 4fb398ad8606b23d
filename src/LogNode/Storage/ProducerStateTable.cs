using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// What one partition knows of its idempotent producers (Kafka's ProducerStateManager): per producer id the
/// epoch and the last <see cref="BatchesRetained"/> batches' sequences and offsets. It decides, before an
/// append, whether a batch is new, a retried duplicate (answered with its original offsets, not appended
/// again), or out of order. Owned by its <see cref="PartitionLog"/>; used only under the partition's lock.
/// </summary>
internal sealed class ProducerStateTable
{
    /// <summary>Kafka's NUM_BATCHES_TO_RETAIN: why idempotent producers may have at most 5 requests in flight.</summary>
    public const int BatchesRetained = 5;

    private readonly Dictionary<long, ProducerEntry> _producers = [];

    public int Count => _producers.Count;

    /// <summary>The sequence and offset range of one appended batch.</summary>
    public readonly record struct BatchMetadata(int FirstSequence, int LastSequence, long BaseOffset, long LastOffset);

    private sealed class ProducerEntry(short epoch)
    {
        public short Epoch { get; set; } = epoch;

        public Queue<BatchMetadata> Batches { get; } = new();

        public long LastAppendMs { get; set; }
    }

    /// <summary>
    /// Checks an incoming batch. Returns the original batch when it is a retried duplicate; throws
    /// <see cref="AppendRejectedException"/> for a fenced epoch or a sequence gap; returns null for a batch to append.
    /// </summary>
    public BatchMetadata? CheckDuplicate(in RecordBatchHeader header)
    {
        if (header.ProducerId < 0)
        {
            return null;
        }
        if (header.BaseSequence < 0)
        {
            throw new AppendRejectedException(ErrorCode.InvalidRecord, $"producer {header.ProducerId} sent a batch without a base sequence");
        }
        if (!_producers.TryGetValue(header.ProducerId, out var entry))
        {
            // No state (new, expired, or removed with its log): any sequence starts it, as in Kafka after KIP-360.
            return null;
        }
        var first = header.BaseSequence;
        var last = LastSequence(header);
        if (header.ProducerEpoch == entry.Epoch)
        {
            foreach (var batch in entry.Batches)
            {
                if (batch.FirstSequence == first && batch.LastSequence == last)
                {
                    return batch;
                }
            }
        }
        if (header.ProducerEpoch < entry.Epoch)
        {
            throw new AppendRejectedException(ErrorCode.InvalidProducerEpoch, $"producer {header.ProducerId} epoch {header.ProducerEpoch} is older than the current {entry.Epoch}");
        }
        var expected = header.ProducerEpoch > entry.Epoch ? 0 : NextSequence(entry.Batches.Last().LastSequence);
        if (first != expected)
        {
            throw new AppendRejectedException(ErrorCode.OutOfOrderSequenceNumber,
                $"producer {header.ProducerId} epoch {header.ProducerEpoch} sent sequence {first}, expected {expected}");
        }
        return null;
    }

    /// <summary>Remembers an appended batch (its header carries the offset the leader stamped).</summary>
    public void Record(in RecordBatchHeader header, long nowMs)
    {
        if (header.ProducerId < 0)
        {
            return;
        }
        if (!_producers.TryGetValue(header.ProducerId, out var entry) || header.ProducerEpoch > entry.Epoch)
        {
            entry = new ProducerEntry(header.ProducerEpoch);
            _producers[header.ProducerId] = entry;
        }
        entry.Batches.Enqueue(new BatchMetadata(header.BaseSequence, LastSequence(header), header.BaseOffset, header.LastOffset));
        if (entry.Batches.Count > BatchesRetained)
        {
            entry.Batches.Dequeue();
        }
        entry.LastAppendMs = nowMs;
    }

    /// <summary>The state of every producer, ordered by producer id, for a snapshot.</summary>
    public List<ProducerStateEntry> Export() =>
        [.. _producers.OrderBy(p => p.Key).Select(p => new ProducerStateEntry(p.Key, p.Value.Epoch, p.Value.LastAppendMs, [.. p.Value.Batches]))];

    /// <summary>
    /// Replaces the whole state with a snapshot's entries (at open, before any batch after the snapshot is
    /// replayed with <see cref="Record"/>). Entries without batches are skipped: every remembered producer has
    /// at least one, which <see cref="CheckDuplicate"/> relies on.
    /// </summary>
    public void Import(IEnumerable<ProducerStateEntry> entries)
    {
        _producers.Clear();
        foreach (var imported in entries.Where(e => e.ProducerId >= 0 && e.Batches.Count > 0))
        {
            var entry = new ProducerEntry(imported.Epoch) { LastAppendMs = imported.LastAppendMs };
            foreach (var batch in imported.Batches.TakeLast(BatchesRetained))
            {
                entry.Batches.Enqueue(batch);
            }
            _producers[imported.ProducerId] = entry;
        }
    }

    /// <summary>Forgets producers idle for longer than <paramref name="expirationMs"/> (producer.id.expiration.ms).</summary>
    public int Expire(long nowMs, long expirationMs)
    {
        var expired = _producers.Where(p => nowMs - p.Value.LastAppendMs > expirationMs).Select(p => p.Key).ToList();
        foreach (var id in expired)
        {
            _producers.Remove(id);
        }
        return expired.Count;
    }

    /// <summary>Sequences wrap from int.MaxValue to 0 (Kafka's DefaultRecordBatch.incrementSequence).</summary>
    private static int LastSequence(in RecordBatchHeader header) =>
        (int)(((long)header.BaseSequence + header.LastOffsetDelta) % ((long)int.MaxValue + 1));

    private static int NextSequence(int sequence) => sequence == int.MaxValue ? 0 : sequence + 1;
}

/// <summary>One producer's state as a snapshot holds it: its batches oldest first, at most <see cref="ProducerStateTable.BatchesRetained"/>.</summary>
internal sealed record ProducerStateEntry(long ProducerId, short Epoch, long LastAppendMs, IReadOnlyList<ProducerStateTable.BatchMetadata> Batches);

/// <summary>An append refused by the partition's producer state: a fenced epoch or a sequence gap.</summary>
internal sealed class AppendRejectedException(ErrorCode error, string message) : Exception(message)
{
    public ErrorCode Error { get; } = error;
}
