using LogCluster.Consumer.Internals;

namespace LogCluster.Tests.Unit.Consumer;

/// <summary>
/// How the consumer hands tasks that SDK threads complete to the application: awaiters continue on the pool, a
/// blocked caller is woken by the completing thread, and a retry backoff that is cancelled ends on the cancelling
/// thread.
/// </summary>
public sealed class SdkTasksTests
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ForCaller_CompletedOnAnSdkThread_ContinuationsRunElsewhere()
    {
        var sdk = new TaskCompletionSource();
        var continuedOn = sdk.Task.ForCaller().ContinueWith(_ => Environment.CurrentManagedThreadId, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var completer = new Thread(() => sdk.SetResult());

        completer.Start();

        Assert.NotEqual(completer.ManagedThreadId, await continuedOn.WaitAsync(_patience));
    }

    [Fact]
    public void ForCaller_BlockedCaller_IsWokenByTheCompletingThread()
    {
        var sdk = new TaskCompletionSource<int>();
        var got = 0;
        var caller = new Thread(() =>
        {
            sdk.Task.ForCaller().GetAwaiter().GetResult();
            got = sdk.Task.GetAwaiter().GetResult();
        });
        caller.Start();

        new Thread(() => sdk.SetResult(42)).Start();

        Assert.True(caller.Join(_patience), "the blocked caller was not woken");
        Assert.Equal(42, got);
    }

    [Fact]
    public async Task ForCaller_Faulted_CarriesTheException()
    {
        var sdk = new TaskCompletionSource();
        var caller = sdk.Task.ForCaller();

        new Thread(() => sdk.SetException(new InvalidOperationException("from the SDK"))).Start();

        Assert.Equal("from the SDK", (await Assert.ThrowsAsync<InvalidOperationException>(() => caller.WaitAsync(_patience))).Message);
    }

    [Fact]
    public void DelayAsync_Cancelled_ContinuesOnTheCancellingThread()
    {
        var continuedOn = 0;
        var canceller = new Thread(() =>
        {
            using var source = new CancellationTokenSource();
            var sdkCode = ContinueAfterAsync(SdkTasks.DelayAsync(TimeSpan.FromHours(1), TimeProvider.System, source.Token));

            source.Cancel();

            continuedOn = sdkCode.IsCompleted ? sdkCode.GetAwaiter().GetResult() : -1;
        });

        canceller.Start();

        Assert.True(canceller.Join(_patience));
        Assert.Equal(canceller.ManagedThreadId, continuedOn);
    }

    [Fact]
    public async Task DelayAsync_Elapsed_CompletesAndCancelledThrows()
    {
        await SdkTasks.DelayAsync(TimeSpan.FromMilliseconds(10), TimeProvider.System, CancellationToken.None).WaitAsync(_patience);
        using var source = new CancellationTokenSource();
        var cancelled = SdkTasks.DelayAsync(TimeSpan.FromHours(1), TimeProvider.System, source.Token);

        await source.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(_patience));
    }

    /// <summary>SDK code after an await: which thread it continued on.</summary>
    private static async Task<int> ContinueAfterAsync(Task task)
    {
        await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return Environment.CurrentManagedThreadId;
    }
}
