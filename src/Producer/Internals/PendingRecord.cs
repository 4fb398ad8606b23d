using LogCluster.Client;
using LogCluster.Protocol.Records;

namespace LogCluster.Producer.Internals;

/// <summary>
/// One sent record until its outcome is known: its serialized form (kept so that its batch can be re-encoded if
/// another record is removed), the task the caller awaits, and the optional callback. It finishes exactly once,
/// whichever of success, failure, cancellation or its own deadline comes first.
/// </summary>
internal sealed class PendingRecord(
    byte[]? key,
    byte[]? value,
    IReadOnlyList<RecordHeader> headers,
    long timestamp,
    int reservedBytes,
    Action<RecordMetadata?, LogClusterException?>? callback)
{
    private int _finished;

    public byte[]? Key => key;

    public byte[]? Value => value;

    public IReadOnlyList<RecordHeader> Headers => headers;

    public long Timestamp => timestamp;

    /// <summary>Bytes of buffer.memory this record holds until it leaves its batch.</summary>
    public int ReservedBytes => reservedBytes;

    /// <summary>RunContinuationsAsynchronously: whoever completes it never runs the awaiting code inline.</summary>
    public TaskCompletionSource<RecordMetadata> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProducerBatch? Batch { get; set; }

    public CancellationTokenRegistration Cancellation { get; set; }

    public ITimer? DeadlineTimer { get; set; }

    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    public bool HasCallback => callback is not null;

    public RecordMetadata Metadata(PartitionKey partition, long offset) =>
        new(partition.Topic, partition.Partition, offset, timestamp, key?.Length ?? -1, value?.Length ?? -1);

    /// <summary>
    /// Completes the record once: sets the task and runs the callback, on the calling thread or, with
    /// <paramref name="runCallback"/>, wherever that puts it (the completion thread, when the caller is one of the
    /// SDK's own threads: user code must never hold them).
    /// </summary>
    public bool TryFinish(RecordMetadata? metadata, Exception? failure, Action<Action>? runCallback = null)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return false;
        }
        Cancellation.Dispose();
        DeadlineTimer?.Dispose();
        switch (failure)
        {
            case null:
                Completion.TrySetResult(metadata!);
                break;
            case OperationCanceledException cancelled:
                Completion.TrySetCanceled(cancelled.CancellationToken);
                break;
            default:
                Completion.TrySetException(failure);
                break;
        }
        if (callback is not null)
        {
            var error = failure switch
            {
                null => null,
                LogClusterException known => known,
                _ => new LogClusterException(Protocol.V1.ErrorCode.UnknownServerError, failure.Message, failure),
            };
            if (runCallback is null)
            {
                InvokeCallback(metadata, error);
            }
            else
            {
                runCallback(() => InvokeCallback(metadata, error));
            }
        }
        return true;
    }

    private void InvokeCallback(RecordMetadata? metadata, LogClusterException? error)
    {
        try
        {
            callback!(metadata, error);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A callback's own failure is the application's; it must not stop other records' completions.
        }
    }
}
