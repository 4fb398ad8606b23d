using System.Diagnostics;
using LogCluster.Client.Transport;

namespace LogCluster.Tests.Unit.Client;

/// <summary>The SDK's timer thread: timers fire once at their latest schedule, moved earlier or later, never after Dispose.</summary>
public sealed class DedicatedTimeProviderTests
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(10);
    private static readonly DedicatedTimeProvider _time = DedicatedTimeProvider.Shared;

    [Fact]
    public async Task Timer_MovedLaterManyTimes_FiresOnceAtTheLastTime()
    {
        var fired = 0;
        var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = Stopwatch.GetTimestamp();
        using var timer = _time.CreateTimer(_ =>
        {
            Interlocked.Increment(ref fired);
            done.TrySetResult(Stopwatch.GetElapsedTime(started));
        }, null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
        for (var i = 1; i <= 1000; i++)
        {
            // As a batch's deadline moves with each record that joins it.
            timer.Change(TimeSpan.FromMilliseconds(20 + (i / 5)), Timeout.InfiniteTimeSpan);
        }

        var elapsed = await done.Task.WaitAsync(_patience);
        // A marker timer due after it: by then a second firing would have happened.
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var after = _time.CreateTimer(_ => marker.TrySetResult(), null, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);
        await marker.Task.WaitAsync(_patience);

        Assert.True(elapsed >= TimeSpan.FromMilliseconds(215), $"fired after {elapsed.TotalMilliseconds} ms");
        Assert.Equal(1, fired);
    }

    [Fact]
    public async Task Timer_MovedEarlier_FiresAtTheEarlierTime()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = _time.CreateTimer(_ => done.TrySetResult(), null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);

        timer.Change(TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);

        await done.Task.WaitAsync(_patience);
    }

    [Fact]
    public async Task Timer_Disposed_NeverFires()
    {
        var fired = false;
        var disposed = _time.CreateTimer(_ => fired = true, null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
        disposed.Dispose();
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var later = _time.CreateTimer(_ => marker.TrySetResult(), null, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);

        await marker.Task.WaitAsync(_patience);

        Assert.False(fired);
    }

    [Fact]
    public async Task Periodic_FiresRepeatedly()
    {
        var count = 0;
        var thrice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = _time.CreateTimer(_ =>
        {
            if (Interlocked.Increment(ref count) == 3)
            {
                thrice.TrySetResult();
            }
        }, null, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(5));

        await thrice.Task.WaitAsync(_patience);
    }

    [Fact]
    public async Task CancellationTokenSource_WithThisClock_CancelsOnTheTimerThread()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(20), _time);
        var thread = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = timeout.Token.Register(() => thread.TrySetResult(Thread.CurrentThread.Name));

        Assert.Equal("logcluster-timers", await thread.Task.WaitAsync(_patience));
    }
}
