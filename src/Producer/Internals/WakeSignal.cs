namespace LogCluster.Producer.Internals;

/// <summary>Wakes the sender loop: a set before the wait is remembered, many sets coalesce into one wake.</summary>
internal sealed class WakeSignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _waiter;
    private bool _pending;

    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            // Always remembered: a waiter whose sleep already ended (timer won) may still be registered.
            waiter = _waiter;
            _waiter = null;
            _pending = true;
        }
        waiter?.TrySetResult();
    }

    public Task WaitAsync()
    {
        lock (_lock)
        {
            if (_pending)
            {
                _pending = false;
                return Task.CompletedTask;
            }
            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task;
        }
    }
}
