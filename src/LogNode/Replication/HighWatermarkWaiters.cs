using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Replication;

/// <summary>
/// acks=all produce requests parked until the high watermark covers their batch (Kafka's produce purgatory).
/// Waiters sit in a priority queue by required offset, so an advance completes the ones it passed in offset order
/// at O(log n) each and never looks at the rest. Timeouts are the caller's (<c>WaitAsync(...).WaitAsync(timeout)</c>);
/// a waiter whose caller gave up stays queued until an advance passes it or <see cref="FailAll"/> drains the queue,
/// so an abandoned waiter costs memory only while the high watermark is stuck below it. Thread-safe.
/// </summary>
internal sealed class HighWatermarkWaiters
{
    private readonly Lock _lock = new();
    private readonly PriorityQueue<TaskCompletionSource<ErrorCode>, long> _waiters = new();
    private long _highWatermark;

    /// <param name="highWatermark">The partition's high watermark when the waiters are created.</param>
    public HighWatermarkWaiters(long highWatermark = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(highWatermark);
        _highWatermark = highWatermark;
    }

    /// <summary>The highest high watermark passed to <see cref="Advance"/> (or the constructor).</summary>
    public long HighWatermark
    {
        get
        {
            lock (_lock)
            {
                return _highWatermark;
            }
        }
    }

    /// <summary>How many waiters are parked, abandoned ones included; for diagnostics and tests.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>
    /// Completes with <see cref="ErrorCode.None"/> once the high watermark reaches <paramref name="requiredOffset"/>
    /// (the batch's last offset + 1), at once if it already has, or with the error of a later <see cref="FailAll"/>.
    /// </summary>
    public Task<ErrorCode> WaitAsync(long requiredOffset)
    {
        lock (_lock)
        {
            if (requiredOffset <= _highWatermark)
            {
                return Task.FromResult(ErrorCode.None);
            }
            // Completion happens under _lock; asynchronous continuations keep the caller's code off this thread and lock.
            var waiter = new TaskCompletionSource<ErrorCode>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter, requiredOffset);
            return waiter.Task;
        }
    }

    /// <summary>
    /// Moves the high watermark to <paramref name="highWatermark"/> and completes, in offset order, every waiter it
    /// reaches. A lower value than the current one is ignored: a leader's high watermark never moves backwards, and
    /// callers may compute a lower one from followers that have not fetched yet.
    /// </summary>
    public void Advance(long highWatermark)
    {
        lock (_lock)
        {
            if (highWatermark <= _highWatermark)
            {
                return;
            }
            _highWatermark = highWatermark;
            while (_waiters.TryPeek(out _, out var requiredOffset) && requiredOffset <= highWatermark)
            {
                _waiters.Dequeue().TrySetResult(ErrorCode.None);
            }
        }
    }

    /// <summary>
    /// Completes every parked waiter with <paramref name="error"/>: NotLeaderOrFollower when leadership is lost,
    /// NotEnoughReplicasAfterAppend when the ISR fell below min.insync.replicas. Later waiters are accepted as usual.
    /// </summary>
    public void FailAll(ErrorCode error)
    {
        if (error == ErrorCode.None)
        {
            throw new ArgumentException("FailAll needs an error; None would report the batches as replicated", nameof(error));
        }
        lock (_lock)
        {
            while (_waiters.TryDequeue(out var waiter, out _))
            {
                waiter.TrySetResult(error);
            }
        }
    }
}
