using System.Runtime.CompilerServices;

namespace LogCluster.Client.Transport;

/// <summary>
/// Awaits that never hand the SDK's code to the thread pool. A plain <c>await task.ConfigureAwait(false)</c>
/// continues inline on the thread that completes the task only when it registered first: when the task completes
/// between the await's <c>IsCompleted</c> check and its registration (a local node answers within microseconds,
/// and a preempted thread takes longer than that), the runtime queues the continuation to the pool instead, and
/// with every pool thread blocked the SDK waits for one (a fetch or a heartbeat held for seconds). These awaiters
/// register through <c>ContinueWith(ExecuteSynchronously)</c>, which runs a continuation registered too late on
/// the registering thread, and one registered in time on the completing thread (a connection's reader, the timer
/// thread). Only for SDK code written never to block; never for tasks handed to the application.
/// </summary>
internal static class InlineAwait
{
    public static InlineAwaitable ContinueInline(this Task task) => new(task);

    public static InlineAwaitable<T> ContinueInline<T>(this Task<T> task) => new(task);
}

/// <summary>See <see cref="InlineAwait"/>.</summary>
internal readonly struct InlineAwaitable(Task task) : ICriticalNotifyCompletion
{
    public bool IsCompleted => task.IsCompleted;

    public InlineAwaitable GetAwaiter() => this;

    public void GetResult() => task.GetAwaiter().GetResult();

    public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

    public void UnsafeOnCompleted(Action continuation) =>
        task.ContinueWith(static (_, state) => ((Action)state!)(), continuation, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}

/// <summary>See <see cref="InlineAwait"/>.</summary>
internal readonly struct InlineAwaitable<T>(Task<T> task) : ICriticalNotifyCompletion
{
    public bool IsCompleted => task.IsCompleted;

    public InlineAwaitable<T> GetAwaiter() => this;

    public T GetResult() => task.GetAwaiter().GetResult();

    public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

    public void UnsafeOnCompleted(Action continuation) =>
        task.ContinueWith(static (_, state) => ((Action)state!)(), continuation, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
