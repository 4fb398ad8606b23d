namespace LogCluster.Cli.ClientCommands.Perf;

/// <summary>
/// Holds a sender to a target rate. Record n is due <c>n / rate</c> seconds after the start, so the average rate
/// stays exact although timers wake late; the sender waits (asynchronously, no thread spinning) only when it is
/// more than a millisecond ahead, which is below a timer's resolution anyway.
/// </summary>
internal sealed class RatePacer
{
    private static readonly TimeSpan _smallestWait = TimeSpan.FromMilliseconds(1);
    private readonly double _recordsPerSecond;
    private readonly TimeProvider _time;
    private readonly long _started;

    /// <param name="recordsPerSecond">The target; zero or negative means no limit.</param>
    /// <param name="time">The clock (tests pass a fake one).</param>
    public RatePacer(double recordsPerSecond, TimeProvider time)
    {
        _recordsPerSecond = recordsPerSecond;
        _time = time;
        _started = time.GetTimestamp();
    }

    /// <summary>Completes when the record after <paramref name="recordsSent"/> records is due.</summary>
    public ValueTask WaitForTurnAsync(long recordsSent, CancellationToken cancellationToken)
    {
        if (_recordsPerSecond <= 0)
        {
            return ValueTask.CompletedTask;
        }
        var ahead = TimeSpan.FromSeconds(recordsSent / _recordsPerSecond) - _time.GetElapsedTime(_started);
        return ahead < _smallestWait ? ValueTask.CompletedTask : new ValueTask(Task.Delay(ahead, _time, cancellationToken));
    }
}
