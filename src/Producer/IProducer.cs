using LogCluster.Client;

namespace LogCluster.Producer;

/// <summary>
/// Sends records to a LogCluster. Async by default: <see cref="Send(ProducerRecord{TKey, TValue}, CancellationToken)"/>
/// returns at once with a task that completes when the leader acknowledges (or the send fails). Sync mode is the
/// same call awaited: <c>Send(record).GetAwaiter().GetResult()</c>. Thread-safe; one producer per application
/// is the intended use.
/// </summary>
public interface IProducer<TKey, TValue> : IAsyncDisposable, IDisposable
{
    /// <summary>
    /// Queues the record and returns a task for its outcome: <see cref="RecordMetadata"/>, or a
    /// <see cref="LogClusterException"/>. Waits (asynchronously) up to max.block.ms when buffer.memory is full.
    /// Cancelling before the record is sent removes it; after that it only stops waiting.
    /// </summary>
    Task<RecordMetadata> Send(ProducerRecord<TKey, TValue> record, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues the record and calls <paramref name="callback"/> with its outcome, in send order per partition, on a
    /// producer thread that is not the one sending (a slow callback delays other callbacks, never the sending).
    /// Blocks up to max.block.ms when buffer.memory is full.
    /// </summary>
    void Send(ProducerRecord<TKey, TValue> record, Action<RecordMetadata?, LogClusterException?> callback);

    /// <summary>Sends everything queued now, without waiting for linger, and waits until it is all resolved.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>As <see cref="FlushAsync"/>, blocking; false when <paramref name="timeout"/> passed first.</summary>
    bool Flush(TimeSpan timeout);
}
