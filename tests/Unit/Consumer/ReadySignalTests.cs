using LogCluster.Consumer.Internals;

namespace LogCluster.Tests.Unit.Consumer;

/// <summary>
/// What wakes a waiting Consume: a set between the look and the wait is not lost, a blocked caller is woken by the
/// setting thread itself, and an async caller's continuation never runs on the setting thread.
/// </summary>
public sealed class ReadySignalTests
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Wait_SetAfterTheVersionWasRead_ReturnsAtOnce()
    {
        var signal = new ReadySignal();
        var seen = signal.Version;
        signal.Set();

        var started = TimeProvider.System.GetTimestamp();
        signal.Wait(seen, _patience);

        Assert.True(TimeProvider.System.GetElapsedTime(started) < _patience / 2);
    }

    [Fact]
    public void Wait_SetFromAnotherThread_WakesTheBlockedCaller()
    {
        var signal = new ReadySignal();
        var seen = signal.Version;
        var woken = false;
        var waiter = new Thread(() =>
        {
            signal.Wait(seen, _patience * 3);
            woken = signal.Version != seen;
        });
        waiter.Start();

        new Thread(signal.Set).Start();

        Assert.True(waiter.Join(_patience), "the waiter was not woken");
        Assert.True(woken);
    }

    [Fact]
    public async Task WaitAsync_SetOnAnSdkThread_ContinuesElsewhere()
    {
        var signal = new ReadySignal();
        var waiting = signal.WaitAsync(signal.Version, CancellationToken.None);
        // ExecuteSynchronously asks to run on the completing thread; the signal refuses, as it must for an await.
        var continuedOn = waiting.ContinueWith(_ => Environment.CurrentManagedThreadId, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var setter = new Thread(signal.Set);

        setter.Start();

        Assert.NotEqual(setter.ManagedThreadId, await continuedOn.WaitAsync(_patience));
    }

    [Fact]
    public async Task WaitAsync_Cancelled_ThrowsOperationCanceled()
    {
        var signal = new ReadySignal();
        using var cancel = new CancellationTokenSource();
        var waiting = signal.WaitAsync(signal.Version, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(_patience));
    }
}
