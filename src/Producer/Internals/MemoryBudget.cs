using LogCluster.Client;
using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;

namespace LogCluster.Producer.Internals;

/// <summary>
/// buffer.memory as a byte budget: Send reserves a record's bytes before queueing it and they come back when
/// the record is resolved. When the budget is spent, reservations wait in FIFO order (asynchronously) up to
/// max.block.ms, then fail with LOCAL_QUEUE_FULL: backpressure, not an immediate exception.
/// </summary>
internal sealed class MemoryBudget
{
    private readonly Lock _lock = new();
    private readonly LinkedList<(long Bytes, TaskCompletionSource Granted)> _waiters = new();
    private readonly long _capacity;
    private readonly TimeProvider _time;
    private long _available;

    public MemoryBudget(long capacity, TimeProvider time)
    {
        _capacity = capacity;
        _time = time;
        _available = capacity;
    }

    /// <summary>Reserves at once if nobody waits and the bytes are free; never waits.</summary>
    public bool TryReserve(long bytes)
    {
        bytes = Math.Min(bytes, _capacity);
        lock (_lock)
        {
            if (_waiters.Count > 0 || _available < bytes)
            {
                return false;
            }
            _available -= bytes;
            return true;
        }
    }

    public Task ReserveAsync(long bytes, TimeSpan maxBlock, CancellationToken cancellationToken)
    {
        bytes = Math.Min(bytes, _capacity);
        LinkedListNode<(long, TaskCompletionSource)> node;
        lock (_lock)
        {
            if (_waiters.Count == 0 && _available >= bytes)
            {
                _available -= bytes;
                return Task.CompletedTask;
            }
            node = _waiters.AddLast((bytes, new TaskCompletionSource()));
        }
        return WaitAsync(node, maxBlock, cancellationToken);
    }

    private async Task WaitAsync(LinkedListNode<(long Bytes, TaskCompletionSource Granted)> node, TimeSpan maxBlock, CancellationToken cancellationToken)
    {
        try
        {
            await node.Value.Granted.Task.WaitAsync(maxBlock, _time, cancellationToken).ContinueInline();
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            List<TaskCompletionSource> granted;
            lock (_lock)
            {
                if (node.List is null)
                {
                    // Granted while timing out: the reservation stands.
                    return;
                }
                _waiters.Remove(node);
                granted = GrantWaiters();
            }
            Notify(granted);
            if (e is TimeoutException)
            {
                throw new LogClusterException(ErrorCode.LocalQueueFull, $"buffer.memory ({_capacity} bytes) stayed full for max.block.ms ({maxBlock.TotalMilliseconds} ms)");
            }
            throw;
        }
    }

    public void Release(long bytes)
    {
        List<TaskCompletionSource> granted;
        lock (_lock)
        {
            _available += Math.Min(bytes, _capacity);
            granted = GrantWaiters();
        }
        Notify(granted);
    }

    /// <summary>Takes the bytes of the waiters that fit now, in FIFO order; call under the lock.</summary>
    private List<TaskCompletionSource> GrantWaiters()
    {
        var granted = new List<TaskCompletionSource>();
        while (_waiters.First is { } first && _available >= first.Value.Bytes)
        {
            _available -= first.Value.Bytes;
            _waiters.RemoveFirst();
            granted.Add(first.Value.Granted);
        }
        return granted;
    }

    /// <summary>
    /// Outside the lock: a waiter's continuation (its send's admission) runs right here, on whichever SDK thread
    /// released the bytes, rather than waiting for a thread-pool thread.
    /// </summary>
    private static void Notify(List<TaskCompletionSource> granted)
    {
        foreach (var waiter in granted)
        {
            waiter.TrySetResult();
        }
    }
}
