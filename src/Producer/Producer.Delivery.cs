using LogCluster.Client;
using LogCluster.Client.Transport;
using LogCluster.Producer.Internals;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Producer;

internal sealed partial class Producer<TKey, TValue>
{
    /// <summary>Runs a batch's delivery and hands its outcome to the completion thread; never throws.</summary>
    private async Task DeliverAsync(ProducerBatch batch)
    {
        long baseOffset = -1;
        Exception? failure = null;
        try
        {
            baseOffset = await _delivery.DeliverAsync(batch).ContinueInline();
        }
        catch (OperationCanceledException) when (batch.Deadline.IsCancellationRequested)
        {
            var neverSent = _accumulator.TryRemoveQueued(batch) || !batch.WasSent;
            failure = batch.Destroyed
                ? new LogClusterException(ErrorCode.LocalDestroyed, $"{batch.Partition}: the producer was closed before the batch was delivered")
                : new LogClusterException(ErrorCode.LocalMessageTimedOut, neverSent
                    ? $"{batch.Partition}: delivery timeout passed before the batch could be sent"
                    : $"{batch.Partition}: delivery timeout passed while the batch was in flight; it may have been written");
        }
        catch (Exception e)
        {
            failure = e as LogClusterException ?? new LogClusterException(ErrorCode.UnknownServerError, e.Message, e);
        }
        Resolve(batch, baseOffset, failure);
    }

    private void Resolve(ProducerBatch batch, long baseOffset, Exception? failure)
    {
        _accumulator.Settle(batch, succeeded: failure is null);
        List<PendingRecord> records;
        lock (_accumulator.Queue(batch.Partition).Lock)
        {
            records = [.. batch.Records];
        }
        foreach (var record in records)
        {
            _memory.Release(record.ReservedBytes);
        }
        // A request that timed out in flight may still be writing the buffer: do not reuse it.
        var reuseBuffer = failure is null || !batch.WasSent || batch.Attempt.Task.IsCompleted;
        var runsUserCode = records.Exists(r => r.HasCallback);
        _completions.Post(batch.Partition, batch.CreationOrder, inline: !runsUserCode, complete: () =>
        {
            for (var i = 0; i < records.Count; i++)
            {
                var metadata = failure is null ? records[i].Metadata(batch.Partition, baseOffset < 0 ? -1 : baseOffset + i) : null;
                records[i].TryFinish(metadata, failure);
            }
            _accumulator.Release(batch, reuseBuffer);
            batch.Deadline.Dispose();
            // A closing sender waits for the last release, and a freed mute lets the partition's next batch go.
            _wake.Set();
        });
        _wake.Set();
    }

    private int ChoosePartition(string topic, int? explicitPartition, PendingRecord pending, Client.Cluster.TopicLayout layout)
    {
        if (explicitPartition is { } chosen)
        {
            if (chosen < 0 || chosen >= layout.PartitionCount)
            {
                throw new LogClusterException(ErrorCode.UnknownTopicOrPartition, $"partition {chosen} does not exist: '{topic}' has {layout.PartitionCount}");
            }
            return chosen;
        }
        return _partitioner.Partition(topic, pending.Key, pending.ReservedBytes, layout.PartitionCount);
    }

    private static byte[]? Serialize<T>(ISerializer<T> serializer, T data, string topic, bool isKey)
    {
        try
        {
            return serializer.Serialize(data, new SerializationContext(topic, isKey));
        }
        catch (Exception e) when (e is not LogClusterException)
        {
            throw new LogClusterException(ErrorCode.LocalSerialization, $"the {(isKey ? "key" : "value")} serializer failed: {e.Message}", e);
        }
    }

    /// <summary>An upper bound of the record's encoded size (Kafka's MAX_RECORD_OVERHEAD is 21 bytes).</summary>
    private static int EstimateSize(byte[]? key, byte[]? value, IReadOnlyList<RecordHeader> headers)
    {
        var size = 21 + (key?.Length ?? 0) + (value?.Length ?? 0);
        foreach (var header in headers)
        {
            size += 10 + (header.Key.Length * 3) + (header.Value?.Length ?? 0);
        }
        return size;
    }
}
