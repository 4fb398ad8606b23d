using System.Buffers;
using System.Collections.Concurrent;
using LogCluster.Protocol.Compression;

namespace LogCluster.Producer.Internals;

/// <summary>
/// Per-partition queues of open batches (Kafka's RecordAccumulator). Send appends under the partition's lock;
/// the sender drains. Buffers of resolved batches are reused (cleared), so steady sending does not allocate
/// new batch buffers.
/// </summary>
internal sealed class RecordAccumulator(CompressionType compression, int batchSize, TimeProvider time)
{
    private readonly ConcurrentDictionary<PartitionKey, PartitionQueue> _queues = new();
    private readonly ConcurrentBag<ArrayBufferWriter<byte>> _freeBuffers = [];
    private readonly ConcurrentDictionary<ProducerBatch, byte> _incomplete = new();

    public ICollection<PartitionQueue> Queues => _queues.Values;

    /// <summary>Batches created and not yet resolved; zero means everything sent so far has an outcome.</summary>
    public int IncompleteBatches => _incomplete.Count;

    /// <summary>What a flush waits for: the resolution of every batch that exists now.</summary>
    public Task[] IncompleteResolutions() => [.. _incomplete.Keys.Select(b => b.Resolved.Task)];

    public IEnumerable<ProducerBatch> Incomplete => _incomplete.Keys;

    public PartitionQueue Queue(PartitionKey partition) => _queues.GetOrAdd(partition, static p => new PartitionQueue(p));

    /// <summary>Appends to the partition's open batch or a new one; returns the new batch, or null when none was started.</summary>
    public ProducerBatch? Append(PartitionKey partition, PendingRecord record, long deadlineTimestamp)
    {
        var queue = Queue(partition);
        lock (queue.Lock)
        {
            if (queue.Batches.Last?.Value is { } open && open.TryAppend(record, deadlineTimestamp))
            {
                return null;
            }
            var batch = new ProducerBatch(partition, queue.NextCreationOrder++, compression, batchSize, time, RentBuffer());
            batch.TryAppend(record, deadlineTimestamp);
            queue.Batches.AddLast(batch);
            _incomplete[batch] = 0;
            return batch;
        }
    }

    /// <summary>
    /// Removes a record from its batch if the batch is still open; false once it was drained or closed. A batch
    /// left empty stays queued with its deadline cancelled, so its delivery resolves it (exactly once) at once.
    /// </summary>
    public bool TryRemove(PendingRecord record)
    {
        if (record.Batch is not { } batch)
        {
            return false;
        }
        var queue = Queue(batch.Partition);
        lock (queue.Lock)
        {
            if (batch.IsClosed || !batch.Records.Contains(record))
            {
                return false;
            }
            batch.Remove(record);
            if (batch.Records.Count > 0)
            {
                return true;
            }
        }
        batch.Deadline.Cancel();
        return true;
    }

    /// <summary>An attempt of the batch failed (its retry, if any, comes after Polly's backoff).</summary>
    public void AttemptFailed(ProducerBatch batch, Protocol.V1.ErrorCode error)
    {
        var queue = Queue(batch.Partition);
        lock (queue.Lock)
        {
            queue.Sequences.OnAttemptFailed(batch, error);
        }
    }

    /// <summary>Puts a batch back in its queue for another attempt, in creation order: ahead of newer batches, behind older retries.</summary>
    public void Requeue(ProducerBatch batch)
    {
        var queue = Queue(batch.Partition);
        lock (queue.Lock)
        {
            queue.LeaveDelivery(batch);
            queue.Sequences.OnRequeued(batch);
            var next = queue.Batches.First;
            while (next is not null && next.Value.CreationOrder < batch.CreationOrder)
            {
                next = next.Next;
            }
            if (next is null)
            {
                queue.Batches.AddLast(batch);
            }
            else
            {
                queue.Batches.AddBefore(next, batch);
            }
        }
    }

    /// <summary>The batch has its outcome (before its records are completed): its sequence is settled.</summary>
    public void Settle(ProducerBatch batch, bool succeeded)
    {
        var queue = Queue(batch.Partition);
        lock (queue.Lock)
        {
            queue.Sequences.OnSettled(batch, succeeded);
        }
    }

    /// <summary>Takes a batch out of its queue unsent (deadline passed, producer closing); false if it is in flight.</summary>
    public bool TryRemoveQueued(ProducerBatch batch)
    {
        var queue = Queue(batch.Partition);
        lock (queue.Lock)
        {
            if (!queue.Batches.Remove(batch))
            {
                return false;
            }
            batch.CloseUnsent();
            return true;
        }
    }

    /// <summary>
    /// A batch is resolved. Its buffer is reused unless a request being written may still hold it (it timed out
    /// in flight): then the garbage collector takes it once gRPC lets go.
    /// </summary>
    public void Release(ProducerBatch batch, bool reuseBuffer)
    {
        var queue = Queue(batch.Partition);
        lock (queue.Lock)
        {
            queue.LeaveDelivery(batch);
        }
        if (batch.TryRelease() is { } buffer && reuseBuffer)
        {
            buffer.ResetWrittenCount();
            _freeBuffers.Add(buffer);
        }
        _incomplete.TryRemove(batch, out _);
        batch.Resolved.TrySetResult();
    }

    private ArrayBufferWriter<byte> RentBuffer() =>
        _freeBuffers.TryTake(out var buffer) ? buffer : new ArrayBufferWriter<byte>(batchSize + 1024);
}
