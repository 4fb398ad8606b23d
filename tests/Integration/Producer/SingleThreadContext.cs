using System.Collections.Concurrent;

namespace LogCluster.Tests.Integration.Producer;

/// <summary>
/// A SynchronizationContext with one thread, like a UI thread or classic ASP.NET: code that resumes on the
/// captured context while that thread blocks on it would deadlock.
/// </summary>
internal sealed class SingleThreadContext : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback, object?)> _queue = [];

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public static Task<T> Run<T>(Func<T> body)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var context = new SingleThreadContext();
            SetSynchronizationContext(context);
            context.Post(_ =>
            {
                try
                {
                    done.SetResult(body());
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
                context._queue.CompleteAdding();
            }, null);
            foreach (var (callback, state) in context._queue.GetConsumingEnumerable())
            {
                callback(state);
            }
        })
        { IsBackground = true };
        thread.Start();
        return done.Task;
    }
}
