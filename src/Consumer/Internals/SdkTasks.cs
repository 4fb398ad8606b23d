using LogCluster.Client.Threading;
using LogCluster.Client.Transport;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// The consumer's network calls complete inline on the connection's reader thread (or the SDK timer thread), and
/// the consumer's own code awaiting them (with <see cref="InlineAwait.ContinueInline(Task)"/>) continues there: it
/// only takes short locks and queues work, so nothing on the way from a response to a waiting Consume needs the
/// thread pool. Application code must never continue
/// there, so every SDK task the application awaits, or that the consumer awaits on the way to application code
/// (rebalance handlers, the caller's continuation), goes through these helpers first.
/// </summary>
internal static class SdkTasks
{
    /// <summary>
    /// A task that ends as <paramref name="task"/> does, with RunContinuationsAsynchronously: awaiters continue on
    /// the thread pool, while a thread blocked on it (GetResult) is still woken directly by the completing thread.
    /// </summary>
    public static Task ForCaller(this Task task)
    {
        if (task.IsCompleted)
        {
            return task;
        }
        var caller = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = task.ContinueWith(static (done, state) => ((TaskCompletionSource)state!).TrySetFromTask(done), caller, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return caller.Task;
    }

    /// <summary>
    /// Waits for SDK work the way the caller waits: a synchronous caller blocks (and is woken by the SDK thread that
    /// ends the work, so it needs no pool thread), an asynchronous one continues on the pool (<see cref="ForCaller"/>).
    /// With <paramref name="sync"/> the returned task is complete when this returns.
    /// </summary>
    public static async Task WaitAsync(Task task, bool sync)
    {
        if (sync)
        {
            task.GetAwaiter().GetResult();
            return;
        }
        await task.ForCaller().ConfigureAwait(false);
    }

    /// <summary>Sets <paramref name="signal"/> once <paramref name="task"/> has ended (it reads as completed by then).</summary>
    public static Task WakeWhenDone(this Task task, WakeSignal signal)
    {
        _ = task.ContinueWith(static (_, state) => ((WakeSignal)state!).Set(), signal, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>
    /// As Task.Delay with a TimeProvider, but a cancellation also continues on the thread that cancels (Task.Delay
    /// sends it to the pool): a call that gives up during a retry backoff must not need a pool thread to say so.
    /// </summary>
    public static async Task DelayAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource();
        using (time.CreateTimer(static state => ((TaskCompletionSource)state!).TrySetResult(), done, delay, Timeout.InfiniteTimeSpan))
        using (cancellationToken.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), done))
        {
            await done.Task.ContinueInline();
        }
        cancellationToken.ThrowIfCancellationRequested();
    }
}
