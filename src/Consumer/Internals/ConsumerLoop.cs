using LogCluster.Client.Threading;
namespace LogCluster.Consumer.Internals;

/// <summary>
/// The consumer's own thread (<c>logcluster-consumer-&lt;client.id&gt;</c>), as the producer has its sender: it
/// starts fetches and offset lookups (<see cref="Fetcher.Poll"/>) and group heartbeats
/// (<see cref="GroupMembership.Poll"/>) when they are due, and sleeps on a <see cref="WakeSignal"/> in between.
/// Responses are handled where they arrive, on the connection's reader thread, which then wakes this one. So
/// neither reading nor staying in the group waits for a thread-pool thread, however many of them the application
/// keeps blocked (in <c>Consume(TimeSpan)</c>, in synchronous sends, anywhere).
/// </summary>
internal sealed class ConsumerLoop : IDisposable
{
    private readonly Fetcher _fetcher;
    private readonly Func<GroupMembership?> _membership;
    private readonly WakeSignal _signal;
    private readonly TimeProvider _time;
    private readonly TimeSpan _pauseAfterFailure;
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _stopped = new();
    private volatile bool _stopping;

    /// <param name="clientId">Names the thread.</param>
    /// <param name="fetcher">Fetches for the assignment.</param>
    /// <param name="membership">The group membership of the moment, if subscribed.</param>
    /// <param name="signal">Wakes the thread: set by whatever makes work due (a response, a taken chunk, a new assignment).</param>
    /// <param name="time">The clock for due times.</param>
    /// <param name="pauseAfterFailure">retry.backoff.ms: how long a pass that failed waits before the next.</param>
    public ConsumerLoop(string clientId, Fetcher fetcher, Func<GroupMembership?> membership, WakeSignal signal, TimeProvider time, TimeSpan pauseAfterFailure)
    {
        _fetcher = fetcher;
        _membership = membership;
        _signal = signal;
        _time = time;
        _pauseAfterFailure = pauseAfterFailure;
        new Thread(Run) { IsBackground = true, Name = $"logcluster-consumer-{clientId}" }.Start();
    }

    /// <summary>Completes (inline) once the thread stopped and the fetches and lookups it started have ended.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Asks the thread to abort what it started and stop; <see cref="Stopped"/> says when it has.</summary>
    public void Stop()
    {
        _stopping = true;
        _signal.Set();
    }

    private void Run()
    {
        while (!_stopping)
        {
            _signal.Wait(Pass());
        }
        // Cancelled and drained here: what is in flight is this thread's to know (Fetcher), and the aborted calls'
        // code continues inline on this thread.
        _closing.Cancel();
        _ = _fetcher.Drained().ContinueWith(static (_, state) => ((TaskCompletionSource)state!).TrySetResult(), _stopped, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Once <see cref="Stopped"/>.</summary>
    public void Dispose() => _closing.Dispose();

    /// <summary>Starts whatever is due; returns how long to sleep unless woken.</summary>
    private TimeSpan Pass()
    {
        var now = _time.GetTimestamp();
        long due;
        try
        {
            due = _fetcher.Poll(now, _closing.Token);
            if (_membership() is { } membership)
            {
                due = Math.Min(due, membership.Poll(now));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never let one pass end the thread: the heartbeats and the fetches of every other partition depend on it.
            due = now + (long)(_pauseAfterFailure.TotalSeconds * _time.TimestampFrequency);
        }
        var wait = _time.GetElapsedTime(now, due);
        // Whole milliseconds, rounded up: Monitor.Wait truncates, and a wait of 0 ms for something due in 0.4 ms
        // would spin the thread until it is due (every heartbeat).
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < TimeSpan.FromHours(1) ? TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)) : TimeSpan.FromHours(1);
    }
}
