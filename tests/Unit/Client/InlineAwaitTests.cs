using LogCluster.Client.Transport;

namespace LogCluster.Tests.Unit.Client;

/// <summary>
/// SDK awaits that never reach the thread pool: a continuation registered before the task completes runs on the
/// completing thread, whatever SynchronizationContext that thread has; one registered after the task completed runs
/// on the registering thread.
/// </summary>
public sealed class InlineAwaitTests
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void ContinueInline_CompletedBeforeTheContinuationRegisters_RunsItOnTheRegisteringThread()
    {
        // An await's race: IsCompleted said false, and the task completed before the continuation was registered.
        // The runtime's own awaiter queues the continuation to the pool in this case.
        var ranOn = (Plain: 0, Typed: 0);

        Task.CompletedTask.ContinueInline().UnsafeOnCompleted(() => ranOn.Plain = Environment.CurrentManagedThreadId);
        Task.FromResult(7).ContinueInline().UnsafeOnCompleted(() => ranOn.Typed = Environment.CurrentManagedThreadId);

        Assert.Equal((Environment.CurrentManagedThreadId, Environment.CurrentManagedThreadId), ranOn);
    }

    [Fact]
    public async Task ContinueInline_CompletedOnAnotherThread_SdkCodeContinuesThere()
    {
        var call = new TaskCompletionSource<int>();
        var sdkCode = AfterAsync(call.Task);
        var completer = new Thread(() => call.SetResult(7));

        completer.Start();

        Assert.True(completer.Join(_patience));
        Assert.True(sdkCode.IsCompleted, "the SDK code did not continue on the completing thread");
        Assert.Equal((completer.ManagedThreadId, 7), await sdkCode);
    }

    [Fact]
    public async Task ContinueInline_CompletedByAThreadWithASynchronizationContext_SdkCodeStillContinuesThere()
    {
        var call = new TaskCompletionSource<int>();
        var sdkCode = AfterAsync(call.Task);
        var completer = new Thread(() =>
        {
            // As an application thread (a UI's, a test runner's) cancelling a call: a plain await would go to the pool.
            SynchronizationContext.SetSynchronizationContext(new PostingContext());
            call.SetResult(7);
        });

        completer.Start();

        Assert.True(completer.Join(_patience));
        Assert.True(sdkCode.IsCompleted, "the SDK code did not continue on the completing thread");
        Assert.Equal((completer.ManagedThreadId, 7), await sdkCode);
    }

    [Fact]
    public async Task ContinueInline_Faulted_ThrowsTheExceptionItself()
    {
        var call = new TaskCompletionSource<int>();
        var sdkCode = AfterAsync(call.Task);

        call.SetException(new InvalidOperationException("from the node"));

        Assert.Equal("from the node", (await Assert.ThrowsAsync<InvalidOperationException>(() => sdkCode.WaitAsync(_patience))).Message);
    }

    /// <summary>SDK code after an await: which thread it continued on, and what it got.</summary>
    private static async Task<(int Thread, int Value)> AfterAsync(Task<int> call)
    {
        var value = await call.ContinueInline();
        return (Environment.CurrentManagedThreadId, value);
    }

    /// <summary>A UI-like context: its mere presence makes plain awaits completed on its thread go elsewhere.</summary>
    private sealed class PostingContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => ThreadPool.QueueUserWorkItem(_ => d(state));
    }
}
