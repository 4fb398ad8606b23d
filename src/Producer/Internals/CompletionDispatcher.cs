using System.Collections.Concurrent;

namespace LogCluster.Producer.Internals;

/// <summary>
/// Completes records per partition in batch creation order (send order): a batch resolved early (another one of
/// its partition was retried) waits for the ones created before it. Batches with callbacks complete on one
/// dedicated thread, so user code never runs on the sender's or the network's threads. A batch without
/// callbacks that is next in its partition's order completes at once on the resolving thread: it only sets
/// tasks (whose continuations run asynchronously), and a sync caller blocked in <c>GetResult()</c> is woken one
/// thread hand-off sooner.
/// </summary>
internal sealed class CompletionDispatcher : IDisposable
{
    private readonly BlockingCollection<Action> _ready = new();
    private readonly ConcurrentDictionary<PartitionKey, PartitionOrder> _order = new();
    private readonly Thread _thread;

    private sealed class PartitionOrder
    {
        public Lock Lock { get; } = new();

        public long Next { get; set; }

        /// <summary>The completion thread is running <see cref="Next"/> outside the lock; nobody else may pass it.</summary>
        public bool Busy { get; set; }

        public SortedDictionary<long, (Action Complete, bool Inline)> Waiting { get; } = [];
    }

    public CompletionDispatcher(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>
    /// Queues a batch's completion; every sequence of a partition must be posted exactly once.
    /// <paramref name="inline"/>: the completion runs no user code and may run on the calling thread.
    /// </summary>
    public void Post(PartitionKey partition, long sequence, Action complete, bool inline)
    {
        var order = _order.GetOrAdd(partition, static _ => new PartitionOrder());
        lock (order.Lock)
        {
            order.Waiting[sequence] = (complete, inline);
            if (order.Busy)
            {
                return;
            }
            // Completions that run no user code go here, in order, as far as they can (they are quick).
            while (order.Waiting.TryGetValue(order.Next, out var next) && next.Inline)
            {
                order.Waiting.Remove(order.Next);
                next.Complete();
                order.Next++;
            }
            if (!order.Waiting.ContainsKey(order.Next))
            {
                return;
            }
        }
        Signal(partition);
    }

    private void Signal(PartitionKey partition) => Run(() => Drain(partition));

    /// <summary>
    /// Runs <paramref name="work"/> (a callback outside any partition's order: a record refused before it reached a
    /// batch, or one whose own deadline passed) on the completion thread, or here once the dispatcher is closed.
    /// </summary>
    public void Run(Action work)
    {
        try
        {
            _ready.Add(work);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Closed: run here, nobody else will.
            work();
        }
    }

    private void Run()
    {
        foreach (var work in _ready.GetConsumingEnumerable())
        {
            work();
        }
        // Disposed here, by its only consumer, once nothing more can be taken: Dispose may run on this very thread.
        _ready.Dispose();
    }

    /// <summary>
    /// Runs the partition's completions that are next in order, callbacks included, outside the lock: a slow
    /// callback holds up this thread only, never a network thread posting the next completion.
    /// </summary>
    private void Drain(PartitionKey partition)
    {
        var order = _order[partition];
        while (true)
        {
            Action complete;
            lock (order.Lock)
            {
                if (order.Busy || !order.Waiting.Remove(order.Next, out var next))
                {
                    return;
                }
                order.Busy = true;
                complete = next.Complete;
            }
            try
            {
                complete();
            }
            finally
            {
                lock (order.Lock)
                {
                    order.Next++;
                    order.Busy = false;
                }
            }
        }
    }

    /// <summary>Runs what was posted, then stops the thread (waiting for it, unless called from it).</summary>
    public void Dispose()
    {
        _ready.CompleteAdding();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }
}
