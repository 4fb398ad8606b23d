using System.Collections.Concurrent;
using LogCluster.Client;
using LogCluster.Producer;
using LogCluster.Protocol.V1;

namespace LogCluster.Cli.ClientCommands;

/// <summary>
/// Counts the outcomes of sent records (callbacks or awaited sends), records their latency, and completes
/// <see cref="AllResolved"/> when every record sent before <see cref="FinishSending"/> has its outcome, so a
/// command can report exact counts without racing the last callback.
/// </summary>
internal sealed class DeliveryTracker(LatencyRecorder latencies, Action<RecordMetadata>? onAcknowledged = null)
{
    private const int MaxErrorsKept = 5;
    private readonly TaskCompletionSource _allResolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<ErrorCode, string> _firstErrors = new();
    private long _sent;
    private long _acknowledged;
    private long _failed;
    private int _sendingFinished;

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long Failed => Interlocked.Read(ref _failed);

    public LatencyRecorder Latencies => latencies;

    /// <summary>The first message of each error code seen (a few), to say why sends failed.</summary>
    public IEnumerable<string> FirstErrors => _firstErrors.Values;

    /// <summary>Completes once sending finished and every record sent has an outcome.</summary>
    public Task AllResolved => _allResolved.Task;

    /// <summary>Counts a record about to be sent; call before Send, so its outcome cannot arrive first.</summary>
    public void Sending() => Interlocked.Increment(ref _sent);

    /// <summary>A callback for Send that records the outcome of a record sent at <paramref name="startedTimestamp"/>.</summary>
    public Action<RecordMetadata?, LogClusterException?> Callback(long startedTimestamp) =>
        (metadata, error) => Resolve(metadata, error, startedTimestamp);

    public void Resolve(RecordMetadata? metadata, LogClusterException? error, long startedTimestamp)
    {
        if (error is null && metadata is not null)
        {
            latencies.Record(startedTimestamp);
            onAcknowledged?.Invoke(metadata);
            Interlocked.Increment(ref _acknowledged);
        }
        else
        {
            if (error is not null && _firstErrors.Count < MaxErrorsKept)
            {
                _firstErrors.TryAdd(error.ErrorCode, error.Message);
            }
            Interlocked.Increment(ref _failed);
        }
        CompleteIfResolved();
    }

    /// <summary>No more records will be sent: <see cref="AllResolved"/> completes once the last outcome is in.</summary>
    public void FinishSending()
    {
        Interlocked.Exchange(ref _sendingFinished, 1);
        CompleteIfResolved();
    }

    // Both the last outcome and FinishSending check after their own interlocked write, so whichever comes last
    // sees the other's and completes.
    private void CompleteIfResolved()
    {
        if (Volatile.Read(ref _sendingFinished) == 1 && Acknowledged + Failed == Interlocked.Read(ref _sent))
        {
            _allResolved.TrySetResult();
        }
    }
}
