using System.Collections.Concurrent;

namespace LogCluster.Producer.Internals;

/// <summary>
/// Completes records on one dedicated thread, in the order their batches were resolved, so callbacks of a
/// partition run in offset order and user code never runs on the sender's or the network's threads. Tasks
/// are completed here too; their continuations run asynchronously on the thread pool, while a thread blocked
/// in <c>GetAwaiter().GetResult()</c> is woken directly, without needing a pool thread.
/// </summary>
internal sealed class CompletionDispatcher : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public CompletionDispatcher(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Post(Action completion) => _work.Add(completion);

    private void Run()
    {
        foreach (var completion in _work.GetConsumingEnumerable())
        {
            completion();
        }
    }

    /// <summary>Runs what was posted, then stops the thread.</summary>
    public void Dispose()
    {
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
        _work.Dispose();
    }
}
