namespace LogCluster.Consumer.Internals;

/// <summary>
/// Wakes the application waiting in Consume: set when a chunk is queued or the group gave a new assignment.
/// A caller reads <see cref="Version"/> before looking, then waits for it to change, so a set between the look and
/// the wait is not lost. A synchronous caller sleeps in <see cref="Wait"/> and is woken by the setting thread
/// itself (an SDK connection thread), with no thread-pool thread involved; an asynchronous caller's continuation
/// goes to the pool (RunContinuationsAsynchronously), never onto the setting thread.
/// </summary>
internal sealed class ReadySignal
{
    // An object, not a Lock: synchronous callers sleep on it with Monitor.Wait.
    private readonly object _lock = new();
    private long _version;
    private TaskCompletionSource? _waiting;

    public long Version
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    public void Set()
    {
        TaskCompletionSource? waiting;
        lock (_lock)
        {
            _version++;
            (waiting, _waiting) = (_waiting, null);
            Monitor.PulseAll(_lock);
        }
        waiting?.TrySetResult();
    }

    /// <summary>Returns once set after <paramref name="seen"/> was read, or after <paramref name="timeout"/> (possibly early).</summary>
    public void Wait(long seen, TimeSpan timeout)
    {
        lock (_lock)
        {
            if (_version == seen)
            {
                Monitor.Wait(_lock, timeout);
            }
        }
    }

    /// <summary>Completes once set after <paramref name="seen"/> was read; cancelled by <paramref name="cancellationToken"/>.</summary>
    public Task WaitAsync(long seen, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_version != seen)
            {
                return Task.CompletedTask;
            }
            _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiting.Task.WaitAsync(cancellationToken);
        }
    }
}
