using System.Buffers;
using System.Collections.Concurrent;
using LogCluster.Protocol.Compression;

namespace LogCluster.Producer.Internals;

/// <summary>
/// Per-partition queues of open batches (Kafka's RecordAccumulator). Send appends under the partition's lock;
/// the sender drains. Buffers of finished batches are reused (cleared), so steady sending does not allocate
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

    /// <summary>Appends to the partition's last batch or a new one; true when a new batch was started.</summary>
    public bool Append(PartitionKey partition, PendingRecord record, long deadlineTimestamp)
    {
        var queue = _queues.GetOrAdd(partition, static p => new PartitionQueue(p));
        lock (queue.Lock)
        {
            if (queue.Batches.Last?.Value is { IsDrained: false } open && open.TryAppend(record, deadlineTimestamp))
            {
                return false;
            }
            var batch = new ProducerBatch(partition, compression, batchSize, time.GetTimestamp(), RentBuffer());
            batch.TryAppend(record, deadlineTimestamp);
            queue.Batches.AddLast(batch);
            _incomplete[batch] = 0;
            return true;
        }
    }

    /// <summary>Removes a record that has not been sent yet; false once its batch was drained.</summary>
    public bool TryRemove(PendingRecord record)
    {
        if (record.Batch is not { } batch || !_queues.TryGetValue(batch.Partition, out var queue))
        {
            return false;
        }
        lock (queue.Lock)
        {
            if (batch.IsDrained || !batch.Records.Contains(record))
            {
                return false;
            }
            batch.Remove(record);
            if (batch.Records.Count == 0)
            {
                queue.Batches.Remove(batch);
                Release(batch);
            }
            return true;
        }
    }

    /// <summary>Puts a batch back at the head of its queue for another attempt, ahead of newer batches.</summary>
    public void Requeue(ProducerBatch batch)
    {
        var queue = _queues[batch.Partition];
        lock (queue.Lock)
        {
            queue.Batches.AddFirst(batch);
        }
    }

    /// <summary>Removes a queued (not in flight) batch, e.g. when its deadline passed while it waited.</summary>
    public bool TryRemoveQueued(ProducerBatch batch)
    {
        var queue = _queues[batch.Partition];
        lock (queue.Lock)
        {
            return queue.Batches.Remove(batch);
        }
    }

    /// <summary>
    /// A batch is resolved. Its buffer is reused unless the batch may still be in a request being written (it
    /// timed out in flight): then the garbage collector takes it once gRPC lets go.
    /// </summary>
    public void Release(ProducerBatch batch, bool reuseBuffer = true)
    {
        var buffer = batch.ReleaseBuffer();
        if (reuseBuffer)
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
