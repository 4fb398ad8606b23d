namespace LogCluster.Client.Threading;

/// <summary>
/// Wakes an SDK thread (the producer's sender, the consumer's loop): a set before the wait is remembered, many sets
/// coalesce into one wake. The thread sleeps in <see cref="Wait"/>, so waking it needs no thread-pool thread.
/// </summary>
internal sealed class WakeSignal
{
    // An object, not a Lock: the thread sleeps on it with Monitor.Wait.
    private readonly object _lock = new();
    private bool _pending;

    public void Set()
    {
        lock (_lock)
        {
            _pending = true;
            Monitor.Pulse(_lock);
        }
    }

    /// <summary>Returns when set (now or earlier) or after <paramref name="timeout"/>.</summary>
    public void Wait(TimeSpan timeout)
    {
        lock (_lock)
        {
            if (!_pending)
            {
                Monitor.Wait(_lock, timeout);
            }
            _pending = false;
        }
    }
}
