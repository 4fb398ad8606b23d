using System.Collections.Concurrent;
using LogCluster.Client;
using LogCluster.Client.Transport;
using LogCluster.Producer.Internals;
using LogCluster.Protocol.V1;

namespace LogCluster.Producer;

internal sealed partial class Producer<TKey, TValue>
{
    private readonly ConcurrentDictionary<string, TopicAdmissions> _admissions = new(StringComparer.Ordinal);

    /// <summary>A serialized record on its way into the accumulator.</summary>
    private sealed record Admission(PendingRecord Pending, string Topic, int? ExplicitPartition, TimeSpan DeliveryTimeout, long MaxBlockDeadline, CancellationToken Cancellation)
    {
        /// <summary>
        /// Completed when the record is queued for sending or has failed: what a blocking send and a flush wait for.
        /// Synchronous: no user code awaits it, and a blocked waiter must be woken without the pool.
        /// </summary>
        public TaskCompletionSource Admitted { get; } = new();
    }

    /// <summary>
    /// Records of one topic waiting for metadata or buffer memory, in send order. While any wait, later sends to
    /// the topic queue behind them, so the order of sends from a thread is the order in the partition.
    /// </summary>
    private sealed class TopicAdmissions
    {
        public Lock Lock { get; } = new();

        public Queue<Admission> Waiting { get; } = new();

        /// <summary>Queued or being admitted; decremented only after the record reached the accumulator.</summary>
        public int Blocked;

        public bool PumpRunning { get; set; }
    }

    /// <summary>Fast path: metadata cached, memory free, nobody waiting: queue now, on the caller's thread.</summary>
    private void Admit(Admission admission)
    {
        var topic = _admissions.GetOrAdd(admission.Topic, static _ => new TopicAdmissions());
        if (Volatile.Read(ref topic.Blocked) == 0
            && _metadata.TryGetKnown(admission.Topic) is { } layout
            && _memory.TryReserve(admission.Pending.ReservedBytes))
        {
            EnqueueOrReject(admission, layout);
            return;
        }
        Interlocked.Increment(ref topic.Blocked);
        bool startPump;
        lock (topic.Lock)
        {
            topic.Waiting.Enqueue(admission);
            startPump = !topic.PumpRunning;
            topic.PumpRunning = true;
        }
        if (startPump)
        {
            // Started on the caller's thread, continued wherever its waits complete (the SDK's connection and
            // timer threads): no thread-pool hop, so a first send from a starved pool still gets its metadata.
            _ = PumpAsync(topic);
        }
    }

    /// <summary>Admits a topic's waiting records one at a time, in order.</summary>
    private async Task PumpAsync(TopicAdmissions topic)
    {
        while (true)
        {
            Admission admission;
            lock (topic.Lock)
            {
                if (!topic.Waiting.TryPeek(out admission!))
                {
                    topic.PumpRunning = false;
                    return;
                }
            }
            if (!admission.Pending.IsFinished)
            {
                await AdmitSlowlyAsync(admission).ContinueInline();
            }
            lock (topic.Lock)
            {
                topic.Waiting.Dequeue();
            }
            Interlocked.Decrement(ref topic.Blocked);
        }
    }

    /// <summary>Waits for metadata and memory within max.block.ms; every outcome completes the admission, nothing throws.</summary>
    private async Task AdmitSlowlyAsync(Admission admission)
    {
        try
        {
            using var maxBlock = CancellationTokenSource.CreateLinkedTokenSource(admission.Cancellation);
            maxBlock.CancelAfter(RemainingMaxBlock(admission));
            var layout = await WaitForTopicAsync(admission.Topic, maxBlock.Token).ContinueInline();
            admission.Cancellation.ThrowIfCancellationRequested();
            await _memory.ReserveAsync(admission.Pending.ReservedBytes, RemainingMaxBlock(admission), admission.Cancellation).ContinueInline();
            if (Volatile.Read(ref _closed) != 0)
            {
                _memory.Release(admission.Pending.ReservedBytes);
                Reject(admission, new LogClusterException(ErrorCode.LocalDestroyed, "the producer was closed before the record was queued"));
                return;
            }
            EnqueueOrReject(admission, layout);
        }
        catch (Exception e) when (e is OperationCanceledException or LogClusterException && admission.Cancellation.IsCancellationRequested)
        {
            // Cancelled by the caller while waiting for metadata or memory (the wait then ends with either).
            admission.Pending.TryFinish(null, new OperationCanceledException(admission.Cancellation), _completions.Run);
            admission.Admitted.TrySetResult();
        }
        catch (Exception e)
        {
            Reject(admission, e as LogClusterException ?? new LogClusterException(ErrorCode.UnknownServerError, e.Message, e));
        }
    }

    private TimeSpan RemainingMaxBlock(Admission admission)
    {
        var remaining = _time.GetElapsedTime(_time.GetTimestamp(), admission.MaxBlockDeadline);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    /// <summary>Records sent but still waiting for metadata or buffer memory: a flush waits for them to reach a batch.</summary>
    private Task[] PendingAdmissions()
    {
        var pending = new List<Task>();
        foreach (var topic in _admissions.Values)
        {
            lock (topic.Lock)
            {
                pending.AddRange(topic.Waiting.Select(a => a.Admitted.Task));
            }
        }
        return [.. pending];
    }

    /// <summary>At close: records still waiting for admission fail; the pumps then find their queues empty.</summary>
    private void RejectWaitingAdmissions()
    {
        var closed = new LogClusterException(ErrorCode.LocalDestroyed, "the producer was closed before the record was queued");
        foreach (var topic in _admissions.Values)
        {
            lock (topic.Lock)
            {
                // The head may be mid-admission in its pump; it resolves there. The rest fail here.
                foreach (var waiting in topic.Waiting.Skip(1))
                {
                    Reject(waiting, closed);
                }
            }
        }
    }

    /// <summary>Metadata for the topic, asking again with backoff until max.block.ms (the topic may be being created).</summary>
    private async Task<Client.Cluster.TopicLayout> WaitForTopicAsync(string topic, CancellationToken maxBlock)
    {
        LogClusterException? last = null;
        while (!maxBlock.IsCancellationRequested)
        {
            try
            {
                return await _metadata.GetTopicAsync(topic, maxBlock).ContinueInline();
            }
            catch (LogClusterException e) when (e.IsRetriable)
            {
                last = e;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            try
            {
                await Task.Delay(_config.RetryBackoff, _time, maxBlock).ContinueInline();
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        throw new LogClusterException(last?.ErrorCode ?? ErrorCode.UnknownTopicOrPartition,
            $"topic '{topic}' was not available in metadata within max.block.ms ({_config.MaxBlock.TotalMilliseconds} ms): {last?.Message}", last);
    }

    private void EnqueueOrReject(Admission admission, Client.Cluster.TopicLayout layout)
    {
        int partition;
        try
        {
            partition = ChoosePartition(admission.Topic, admission.ExplicitPartition, admission.Pending, layout);
        }
        catch (LogClusterException e)
        {
            _memory.Release(admission.Pending.ReservedBytes);
            Reject(admission, e);
            return;
        }
        Enqueue(new PartitionKey(admission.Topic, partition), admission.Pending, admission.DeliveryTimeout, admission.Cancellation);
        admission.Admitted.TrySetResult();
    }

    /// <summary>The record fails before reaching a batch; its callback runs on the completion thread, since this may be an SDK thread.</summary>
    private void Reject(Admission admission, LogClusterException failure)
    {
        admission.Pending.TryFinish(null, failure, _completions.Run);
        admission.Admitted.TrySetResult();
    }
}
