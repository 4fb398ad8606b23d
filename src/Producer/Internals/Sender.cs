using LogCluster.Client.Cluster;
using LogCluster.Client.Threading;
using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;
using V1Acks = LogCluster.Protocol.V1.Acks;

namespace LogCluster.Producer.Internals;

/// <summary>
/// The one loop that turns ready batches into requests (Kafka's Sender). Each pass takes the head batch of every
/// partition that is ready, groups them by leader node into one request per node (up to max.request.size), and
/// writes it on that node's stream, keeping at most max.in.flight requests outstanding per node.
/// Ready means: full, or lingered for linger.ms, or flushing/closing, or — "send now when idle, batch while
/// busy" — its node has nothing in flight: a lone record goes out at once, and while requests are in flight the
/// next records gather into batches that leave when a response frees the node or linger.ms passes.
/// An idempotent producer (with an <see cref="ProducerIdentity"/>) drains a batch only when its partition's
/// <see cref="PartitionSequences"/> allow it, and stamps it with its sequence then.
/// </summary>
internal sealed class Sender(
    ProducerConfig config,
    RecordAccumulator accumulator,
    ClusterMetadata metadata,
    TimeProvider time,
    WakeSignal wake,
    ProducerIdentity? identity)
{
    private readonly Dictionary<NodeAddress, NodeConnection> _connections = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _refreshes = new(StringComparer.Ordinal);
    /// <summary>An unanswered request older than this makes the producer check who leads (well above a healthy round trip).</summary>
    private static readonly TimeSpan _leaderCheckAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>How often metadata is asked again while a leader stays silent: cheap requests, for a short while.</summary>
    private static readonly TimeSpan _leaderCheckInterval = TimeSpan.FromMilliseconds(20);
    private long _correlationId;
    private volatile bool _closing;
    private int _flushes;

    private long LingerTicks => (long)(config.Linger.TotalSeconds * time.TimestampFrequency);

    /// <summary>While a flush runs every batch counts as ready, whatever its linger.</summary>
    public void BeginFlush()
    {
        Interlocked.Increment(ref _flushes);
        wake.Set();
    }

    public void EndFlush() => Interlocked.Decrement(ref _flushes);

    /// <summary>Asks the loop to send everything and stop once nothing is left unresolved.</summary>
    public void Close()
    {
        _closing = true;
        wake.Set();
    }

    /// <summary>The loop, on the producer's sender thread until close (or abort); it never waits on the thread pool.</summary>
    public void Run(CancellationToken abort)
    {
        using var wakeOnAbort = abort.Register(wake.Set);
        while (!abort.IsCancellationRequested && !(_closing && accumulator.IncompleteBatches == 0))
        {
            var now = time.GetTimestamp();
            var (requests, wakeAt) = CollectReady(now);
            foreach (var (connection, batches, stream) in requests)
            {
                try
                {
                    Send(connection, batches, stream);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Never let one request end the loop: its batches get a retriable failure and go round again.
                    foreach (var batch in batches)
                    {
                        batch.Attempt.TrySetResult(new AttemptResult(ErrorCode.NetworkException, $"sending failed: {e.Message}", -1));
                    }
                }
            }
            foreach (var connection in _connections.Values)
            {
                connection.CheckTimeout(now);
                wakeAt = Math.Min(wakeAt, connection.OldestDeadline ?? long.MaxValue);
                wakeAt = Math.Min(wakeAt, FollowLeadership(connection, now));
            }
            if (requests.Count == 0 && wakeAt > now)
            {
                // Nothing due: sleep until woken (an append, a response, a flush) or the next deadline, checking back hourly.
                var ticks = wakeAt - now;
                wake.Wait(ticks > time.TimestampFrequency * 3600 ? TimeSpan.FromHours(1) : TimeSpan.FromSeconds((double)ticks / time.TimestampFrequency));
            }
        }
        foreach (var connection in _connections.Values)
        {
            connection.Dispose();
        }
    }

    private (List<(NodeConnection Connection, List<ProducerBatch> Batches, long Stream)> Requests, long WakeAt) CollectReady(long now)
    {
        var wakeAt = long.MaxValue;
        var byNode = new Dictionary<NodeConnection, (List<ProducerBatch> Batches, long Bytes, bool Idle, long Stream)>();
        var urgent = _closing || Volatile.Read(ref _flushes) > 0;
        var producer = identity?.Current;
        foreach (var queue in accumulator.Queues)
        {
            if (identity is not null && CloseGap(queue, identity))
            {
                producer = identity.Current;
            }
            if (Leader(queue.Partition) is not { } connection)
            {
                continue;
            }
            if (!byNode.TryGetValue(connection, out var request))
            {
                request = ([], 0, connection.InFlightCount == 0, connection.StreamId);
            }
            if (connection.InFlightCount >= config.MaxInFlightRequestsPerConnection)
            {
                continue;
            }
            lock (queue.Lock)
            {
                // With max.in.flight=1 a partition waits while one of its batches is in delivery (retries included),
                // so nothing overtakes a batch that may be retried. An emptied batch is resolved by its delivery.
                if (queue.Batches.First?.Value is not { Records.Count: > 0 } head || (config.MaxInFlightRequestsPerConnection == 1 && queue.InDelivery > 0))
                {
                    continue;
                }
                var lingerDue = head.CreatedTimestamp + LingerTicks;
                var ready = head.IsFull || queue.Batches.Count > 1 || urgent || request.Idle || now >= lingerDue;
                if (!ready)
                {
                    wakeAt = Math.Min(wakeAt, lingerDue);
                    continue;
                }
                if (request.Batches.Count > 0 && request.Bytes + head.EstimatedBytes > config.MaxRequestSize)
                {
                    wakeAt = now;
                    continue;
                }
                if (identity is not null && !queue.Sequences.TryAssign(head, producer, request.Stream))
                {
                    continue;
                }
                queue.Batches.RemoveFirst();
                head.Drain();
                head.CountsInDelivery = true;
                queue.InDelivery++;
                request.Batches.Add(head);
                request.Bytes += head.Bytes.Length;
            }
            byNode[connection] = request;
        }
        return ([.. byNode.Where(r => r.Value.Batches.Count > 0).Select(r => (r.Key, r.Value.Batches, r.Value.Stream))], wakeAt);
    }

    /// <summary>
    /// The producer never waits on a node that no longer leads. A request unanswered for
    /// <see cref="_leaderCheckAfter"/> makes the loop ask the other nodes who leads its partitions (a refresh per
    /// topic at a time, retry.backoff.ms apart, while it stays unanswered); as soon as the answer names another
    /// leader the connection is abandoned and its batches go there. A frozen, cut-off or stalled leader is thus
    /// left as soon as the controller has fenced it, not after request.timeout.ms. Returns when to look again.
    /// </summary>
    private long FollowLeadership(NodeConnection connection, long now)
    {
        if (connection.OldestSent is not { } sent)
        {
            return long.MaxValue;
        }
        var checkAt = sent + (long)(_leaderCheckAfter.TotalSeconds * time.TimestampFrequency);
        if (now < checkAt)
        {
            return checkAt;
        }
        metadata.Suspect(connection.Node);
        foreach (var partition in connection.InFlightPartitions())
        {
            var layout = metadata.TryGetKnown(partition.Topic);
            if (layout is not null && partition.Partition < layout.PartitionCount
                && layout.Leaders[partition.Partition] is { } leader && leader.NodeId != connection.Node.NodeId)
            {
                connection.Abandon($"node {connection.Node.NodeId} no longer leads {partition} (node {leader.NodeId} does) and left a request unanswered");
                return long.MaxValue;
            }
            // Ask the others: the silent node, if it answers at all, answers with its own view.
            RefreshInBackground(partition.Topic, askLast: connection.Node);
        }
        // The refresh wakes the loop when it is done; this is the fallback.
        return now + (long)(_leaderCheckInterval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Settles a sequence gap once it is certain, moving the producer to a new epoch; true if it did.</summary>
    private static bool CloseGap(PartitionQueue queue, ProducerIdentity identity)
    {
        ProducerIdAndEpoch? abandoned;
        lock (queue.Lock)
        {
            if (!queue.Sequences.TryCloseGap(out abandoned))
            {
                return false;
            }
        }
        if (abandoned is { } stale)
        {
            identity.BumpFrom(stale);
        }
        return true;
    }

    /// <summary>
    /// The connection to the partition's leader, or null (and a metadata refresh) when none is known. A stale
    /// layout is still used while a refresh runs in the background.
    /// </summary>
    private NodeConnection? Leader(PartitionKey partition)
    {
        var layout = metadata.TryGetCached(partition.Topic);
        if (layout is null || partition.Partition >= layout.PartitionCount || layout.Leaders[partition.Partition] is not { } leader)
        {
            RefreshInBackground(partition.Topic);
            return null;
        }
        if (metadata.IsStale(partition.Topic))
        {
            // Keep sending to the leader we know (it may still lead) while the new layout is fetched.
            RefreshInBackground(partition.Topic);
        }
        if (!_connections.TryGetValue(leader, out var connection))
        {
            connection = new NodeConnection(leader, metadata, config.Acks, time, wake.Set);
            _connections[leader] = connection;
        }
        return connection;
    }

    /// <summary>
    /// One refresh per topic at a time, then a retry.backoff.ms pause, so a leaderless partition never spins the
    /// loop. Started here and continued on the connection's and the timer's threads: no thread-pool hop.
    /// </summary>
    private void RefreshInBackground(string topic, NodeAddress? askLast = null)
    {
        if (_refreshes.TryAdd(topic, true))
        {
            _ = RefreshAsync(topic, askLast);
        }
    }

    private async Task RefreshAsync(string topic, NodeAddress? askLast)
    {
        try
        {
            metadata.Invalidate(topic);
            try
            {
                await metadata.GetTopicAsync(topic, CancellationToken.None, askLast).ContinueInline();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Unknown topic, no node reachable, a connection cut mid-answer, or anything else: the batches wait,
                // and their deadlines bound the wait.
            }
            // While following a silent leader, look again soon: each round trip that still names it delays the switch.
            await Task.Delay(askLast is null ? config.RetryBackoff : _leaderCheckInterval, time).ContinueInline();
        }
        finally
        {
            // Whatever happened, the next refresh of this topic must be possible, and the sender must look again,
            // or batches with no leader would sit until their delivery timeout.
            _refreshes.TryRemove(topic, out _);
            wake.Set();
        }
    }

    private void Send(NodeConnection connection, List<ProducerBatch> batches, long stream)
    {
        var request = new ProduceRequest
        {
            CorrelationId = Interlocked.Increment(ref _correlationId),
            Acks = config.Acks switch { Acks.None => V1Acks.None, Acks.Leader => V1Acks.Leader, _ => V1Acks.All },
            TimeoutMs = (int)Math.Min(config.RequestTimeout.TotalMilliseconds, int.MaxValue),
        };
        foreach (var batch in batches)
        {
            request.Batches.Add(new PartitionBatch
            {
                Topic = batch.Partition.Topic,
                Partition = batch.Partition.Partition,
                // The batch's buffer is not touched again until its delivery is resolved: no copy needed.
                RecordBatch = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(batch.Bytes),
                Traceparent = batch.TraceParent ?? string.Empty,
            });
        }
        connection.Send(request, batches, config.RequestTimeout, stream);
    }
}
