using System.Collections.Concurrent;

namespace LogCluster.Producer.Internals;

/// <summary>
/// Completes records on one dedicated thread, so user callbacks never run on the sender's or the network's
/// threads, and per partition in batch creation order (send order): a batch resolved early (another one of
/// its partition was retried) waits for the ones created before it. Tasks are completed here too; their
/// continuations run asynchronously on the thread pool, while a thread blocked in <c>GetAwaiter().GetResult()</c>
/// is woken directly, without needing a pool thread.
/// </summary>
internal sealed class CompletionDispatcher : IDisposable
{
    private readonly BlockingCollection<(PartitionKey Partition, long Sequence, Action Complete)> _work = new();
    private readonly Dictionary<PartitionKey, (long Next, SortedDictionary<long, Action> Early)> _order = [];
    private readonly Thread _thread;

    public CompletionDispatcher(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Queues a batch's completion; every sequence of a partition must be posted exactly once.</summary>
    public void Post(PartitionKey partition, long sequence, Action complete)
    {
        try
        {
            _work.Add((partition, sequence, complete));
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Closed: the producer is gone, nobody else will run it.
            complete();
        }
    }

    private void Run()
    {
        foreach (var (partition, sequence, complete) in _work.GetConsumingEnumerable())
        {
            if (!_order.TryGetValue(partition, out var state))
            {
                state = (0, new SortedDictionary<long, Action>());
            }
            state.Early[sequence] = complete;
            while (state.Early.Remove(state.Next, out var next))
            {
                next();
                state.Next++;
            }
            _order[partition] = state;
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
