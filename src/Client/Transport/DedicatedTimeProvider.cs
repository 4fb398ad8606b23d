namespace LogCluster.Client.Transport;

/// <summary>
/// The system clock with timers that fire on one dedicated thread instead of the thread pool. The SDKs' timers
/// (retry backoff, linger, request and delivery timeouts, max.block.ms) must fire while every pool thread is
/// blocked in a synchronous send (<c>Send(record).GetAwaiter().GetResult()</c> on pool threads, the ASP.NET
/// request pattern); a pool timer would wait for the pool to grow, which takes seconds per thread. Callbacks run
/// one at a time on the timer thread and must be short: they complete tasks whose SDK continuations only queue
/// work for the SDK's other threads.
/// </summary>
internal sealed class DedicatedTimeProvider : TimeProvider
{
    // An object, not a Lock: the thread sleeps in Monitor.Wait until the next timer is due or a new one comes first.
    private readonly object _lock = new();
    private readonly PriorityQueue<DedicatedTimer, long> _due = new();
    private readonly Thread _thread;

    /// <summary>One timer thread per process, shared by every producer, consumer and connection.</summary>
    public static DedicatedTimeProvider Shared { get; } = new();

    private DedicatedTimeProvider()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "logcluster-timers" };
        _thread.Start();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new DedicatedTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(DedicatedTimer timer, long dueTimestamp)
    {
        lock (_lock)
        {
            var wakeRunner = !_due.TryPeek(out _, out var earliest) || dueTimestamp < earliest;
            _due.Enqueue(timer, dueTimestamp);
            if (wakeRunner)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    private void Run()
    {
        while (true)
        {
            DedicatedTimer? fire = null;
            long version = 0;
            lock (_lock)
            {
                if (!_due.TryPeek(out var next, out var dueTimestamp))
                {
                    Monitor.Wait(_lock);
                    continue;
                }
                var now = GetTimestamp();
                var wait = GetElapsedTime(now, dueTimestamp);
                if (wait > TimeSpan.Zero)
                {
                    // At least a millisecond: Monitor.Wait(0) would spin on a timer due in microseconds.
                    Monitor.Wait(_lock, wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait < TimeSpan.FromHours(1) ? wait : TimeSpan.FromHours(1));
                    continue;
                }
                _due.Dequeue();
                switch (next.TakeDue(dueTimestamp, now, out version, out var later))
                {
                    case Due.Fire:
                        fire = next;
                        break;
                    case Due.Later:
                        _due.Enqueue(next, later);
                        break;
                }
            }
            fire?.Fire(version);
        }
    }

    private enum Due
    {
        /// <summary>An entry of an earlier schedule, or of a stopped or disposed timer.</summary>
        Stale,
        Fire,

        /// <summary>The timer was moved later since this entry was queued: queue it again for then.</summary>
        Later,
    }

    /// <summary>
    /// A timer with at most one entry in the queue that matters: moving it earlier queues a new entry, moving it later
    /// only records the new time, and the entry re-queues itself when it comes due too early. A deadline pushed back on
    /// every record (a batch's, as records join it) therefore costs no queue growth and no wake-up of the timer thread.
    /// </summary>
    private sealed class DedicatedTimer(DedicatedTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private readonly Lock _lock = new();
        private long _version;
        private long _dueTimestamp = -1;
        private long _queuedAt = -1;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            long due;
            lock (_lock)
            {
                if (_disposed)
                {
                    return false;
                }
                _version++;
                _period = period;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    _dueTimestamp = -1;
                    return true;
                }
                due = owner.GetTimestamp() + Ticks(dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime);
                _dueTimestamp = due;
                if (_queuedAt >= 0 && _queuedAt <= due)
                {
                    return true;
                }
                _queuedAt = due;
            }
            owner.Schedule(this, due);
            return true;
        }

        /// <summary>Called by the timer thread, under the provider's lock, when an entry of this timer comes due.</summary>
        public Due TakeDue(long entryTimestamp, long now, out long version, out long later)
        {
            lock (_lock)
            {
                version = _version;
                later = _dueTimestamp;
                if (entryTimestamp != _queuedAt)
                {
                    return Due.Stale;
                }
                _queuedAt = -1;
                if (_disposed || _dueTimestamp < 0)
                {
                    return Due.Stale;
                }
                if (_dueTimestamp > now)
                {
                    _queuedAt = _dueTimestamp;
                    return Due.Later;
                }
                return Due.Fire;
            }
        }

        public void Fire(long version)
        {
            long next = -1;
            lock (_lock)
            {
                if (_disposed || version != _version)
                {
                    return;
                }
                if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
                {
                    next = owner.GetTimestamp() + Ticks(_period);
                    _dueTimestamp = next;
                    _queuedAt = next;
                }
                else
                {
                    _dueTimestamp = -1;
                }
            }
            callback(state);
            if (next >= 0)
            {
                owner.Schedule(this, next);
            }
        }

        private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * owner.TimestampFrequency);

        public void Dispose()
        {
            lock (_lock)
            {
                _disposed = true;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
