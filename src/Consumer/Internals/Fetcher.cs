using Grpc.Core;
using LogCluster.Client;
using LogCluster.Client.Cluster;
using LogCluster.Client.Threading;
using LogCluster.Client.Transport;
using LogCluster.Protocol;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// Kafka's Fetcher: keeps one long-poll Fetch in flight per leader node, for every assigned partition it leads
/// that has nothing waiting for the application (so the next chunk of a partition is fetched while the
/// application works through the current one). Positions given as Beginning or End are looked up first with
/// ListOffsets. What comes back is checked (CRC-32C), cut to the position, and queued as chunks, on the thread the
/// response arrives on (the connection's reader thread), which also wakes a waiting Consume. Errors that a new
/// leader or a retry cures (NOT_LEADER, a lost connection) refresh the metadata and back off; the others are
/// queued for Consume to throw. Where leaders come from, and how a silent one is left: Fetcher.Leadership.cs.
/// <see cref="Poll"/> runs on the consumer's thread (<see cref="ConsumerLoop"/>).
/// </summary>
internal sealed partial class Fetcher(ConsumerConfig config, ClusterMetadata metadata, Assignment assignment, ReadySignal ready, WakeSignal wake, GroupClient? group, ConsumerMetrics metrics, TimeProvider time)
{
    /// <summary>The fetch in flight per node; touched by the consumer's thread only.</summary>
    private readonly Dictionary<NodeAddress, InFlightFetch> _inFlight = [];

    private Task _committedLookup = Task.CompletedTask;

    /// <summary>Something changed (a chunk was taken, a seek, a new assignment): look again at once.</summary>
    public void Wake() => wake.Set();

    /// <summary>
    /// Starts the fetches and lookups that are due, without waiting for any; returns the timestamp to look again
    /// at (a backoff ending), unless woken first. Whatever it starts wakes the thread when it ends.
    /// </summary>
    public long Poll(long now, CancellationToken closing)
    {
        foreach (var finished in _inFlight.Where(f => f.Value.Done.IsCompleted).ToList())
        {
            _inFlight.Remove(finished.Key);
            finished.Value.Abandon.Dispose();
        }
        var nextBackoff = long.MaxValue;
        foreach (var (node, fetch) in _inFlight)
        {
            nextBackoff = Math.Min(nextBackoff, FollowLeadership(node, fetch, now));
        }
        var (fetches, committed) = Collect(now, ref nextBackoff);
        foreach (var (node, partitions) in fetches)
        {
            var abandon = CancellationTokenSource.CreateLinkedTokenSource(closing);
            var fetch = new InFlightFetch(now, abandon, [.. partitions.Select(p => p.State.Partition)]);
            _inFlight[node] = fetch with { Done = FetchAsync(node, partitions, abandon.Token, closing).WakeWhenDone(wake) };
        }
        if (committed.Count > 0)
        {
            _committedLookup = LookUpCommittedAsync(committed, closing).WakeWhenDone(wake);
        }
        // At the latest after fetch.max.wait.ms: a metadata refresh that failed (a topic not created yet) wakes
        // nobody, and the next look asks again.
        return Math.Min(nextBackoff, now + (long)(config.FetchMaxWait.TotalSeconds * time.TimestampFrequency));
    }

    /// <summary>Completes once everything <see cref="Poll"/> started has ended; called by the consumer's thread as it stops.</summary>
    public Task Drained() => Task.WhenAll(_inFlight.Values.Select(f => f.Done).Append(_committedLookup));

    /// <summary>
    /// The partitions to ask each idle leader node about now, and those whose position is the group's committed
    /// offset, to ask the coordinator about (when no such lookup runs); all marked in flight.
    /// </summary>
    private (List<(NodeAddress Node, List<(PartitionState State, int Generation, long Offset)> Partitions)> Fetches, List<(PartitionState State, int Generation)> Committed) Collect(long now, ref long nextBackoff)
    {
        var byNode = new Dictionary<NodeAddress, List<(PartitionState, int, long)>>();
        var committed = new List<(PartitionState, int)>();
        lock (assignment.Lock)
        {
            foreach (var state in assignment.Partitions.Values)
            {
                if (state.InFlight || state.Buffered > 0)
                {
                    continue;
                }
                if (state.BackoffUntil > now)
                {
                    nextBackoff = Math.Min(nextBackoff, state.BackoffUntil);
                    continue;
                }
                if (state.FetchOffset == Offsets.Unset)
                {
                    if (_committedLookup.IsCompleted)
                    {
                        state.InFlight = true;
                        committed.Add((state, state.Generation));
                    }
                    continue;
                }
                if (Leader(state.Partition) is not { } leader || _inFlight.ContainsKey(leader))
                {
                    continue;
                }
                if (!byNode.TryGetValue(leader, out var list))
                {
                    byNode[leader] = list = [];
                }
                state.InFlight = true;
                list.Add((state, state.Generation, state.FetchOffset));
            }
        }
        return ([.. byNode.Select(n => (n.Key, n.Value))], committed);
    }

    /// <summary>
    /// Starts partitions at the group's committed offsets; one without a commit starts where auto.offset.reset
    /// says (with none, Consume throws). Never throws.
    /// </summary>
    private async Task LookUpCommittedAsync(List<(PartitionState State, int Generation)> partitions, CancellationToken closing)
    {
        try
        {
            var offsets = await group!.CommittedAsync(partitions.Select(p => p.State.Partition), closing).ContinueInline();
            lock (assignment.Lock)
            {
                foreach (var (state, generation) in partitions)
                {
                    if (state.Generation != generation)
                    {
                        continue;
                    }
                    if (offsets.GetValueOrDefault(state.Partition, -1) is var offset and >= 0)
                    {
                        state.Position = state.FetchOffset = offset;
                    }
                    else if (config.AutoOffsetReset == AutoOffsetReset.None)
                    {
                        Queue(new FetchedChunk(state, generation, [], new LogClusterException(ErrorCode.OffsetOutOfRange,
                            $"{state.Partition}: group '{group.GroupId}' committed no offset and auto.offset.reset=none")));
                        state.BackoffUntil = BackoffEnd();
                    }
                    else
                    {
                        state.FetchOffset = config.AutoOffsetReset == AutoOffsetReset.Earliest ? Offsets.Beginning : Offsets.End;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // Closing.
        }
        catch (LogClusterException e)
        {
            // The group cannot be served (an invalid group.id, a refused lookup): Consume throws it, and the lookup waits a backoff.
            lock (assignment.Lock)
            {
                foreach (var (state, generation) in partitions.Where(p => p.State.Generation == p.Generation))
                {
                    Queue(new FetchedChunk(state, generation, [], e));
                    state.BackoffUntil = BackoffEnd();
                }
            }
        }
        finally
        {
            lock (assignment.Lock)
            {
                foreach (var (state, _) in partitions)
                {
                    state.InFlight = false;
                }
            }
        }
    }

    /// <summary>
    /// Looks up the positions that need it, then fetches the rest from <paramref name="node"/>; never throws.
    /// <paramref name="abandon"/> (linked to <paramref name="closing"/>) ends it when another node leads.
    /// </summary>
    private async Task FetchAsync(NodeAddress node, List<(PartitionState State, int Generation, long Offset)> partitions, CancellationToken abandon, CancellationToken closing)
    {
        var client = new LogService.LogServiceClient(metadata.Channel(node));
        try
        {
            var lookups = partitions.Where(p => p.Offset < 0).ToList();
            if (lookups.Count > 0)
            {
                await LookUpAsync(client, lookups, abandon).ContinueInline();
            }
            var fetches = partitions.Where(p => p.Offset >= 0).ToList();
            if (fetches.Count > 0)
            {
                var request = new FetchRequest
                {
                    ReplicaId = -1,
                    MaxWaitMs = (int)config.FetchMaxWait.TotalMilliseconds,
                    MinBytes = config.FetchMinBytes,
                    MaxBytes = config.FetchMaxBytes,
                };
                foreach (var (state, _, offset) in fetches)
                {
                    request.Partitions.Add(new FetchPartition
                    {
                        Topic = state.Partition.Topic,
                        Partition = state.Partition.Partition,
                        FetchOffset = offset,
                        CurrentLeaderEpoch = -1,
                        PartitionMaxBytes = config.MaxPartitionFetchBytes,
                    });
                }
                var sent = time.GetTimestamp();
                var response = await client.FetchAsync(request, deadline: Deadline(), cancellationToken: abandon).ResponseAsync.ContinueInline();
                metrics.Fetched(time.GetElapsedTime(sent));
                for (var i = 0; i < fetches.Count; i++)
                {
                    Take(fetches[i].State, fetches[i].Generation, fetches[i].Offset, response.Partitions[i]);
                }
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && abandon.IsCancellationRequested && !closing.IsCancellationRequested)
        {
            // Abandoned for the node that leads now (its metadata is fresh): fetch there at once, no backoff.
        }
        catch (Exception e) when (e is RpcException or ObjectDisposedException && !closing.IsCancellationRequested)
        {
            // The node is gone or slow, or its channel was reset under the call: ask the cluster who leads now,
            // and try again after the backoff.
            if (e is RpcException { StatusCode: StatusCode.DeadlineExceeded })
            {
                metadata.ResetChannel(node);
            }
            foreach (var topic in partitions.Select(p => p.State.Partition.Topic).Distinct())
            {
                metadata.Invalidate(topic);
            }
            BackOff(partitions.Select(p => p.State));
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && closing.IsCancellationRequested)
        {
            // Closing.
        }
        finally
        {
            lock (assignment.Lock)
            {
                foreach (var (state, _, _) in partitions)
                {
                    state.InFlight = false;
                }
            }
        }
    }

    private DateTime Deadline() => time.GetUtcNow().UtcDateTime + config.FetchMaxWait + config.RequestTimeout;

    /// <summary>Resolves Beginning and End to offsets (earliest: the log start, latest: the high watermark).</summary>
    private async Task LookUpAsync(LogService.LogServiceClient client, List<(PartitionState State, int Generation, long Offset)> lookups, CancellationToken cancellationToken)
    {
        var request = new ListOffsetsRequest();
        foreach (var (state, _, offset) in lookups)
        {
            request.Partitions.Add(new ListOffsetsPartition { Topic = state.Partition.Topic, Partition = state.Partition.Partition, TimestampMs = offset == Offsets.Beginning ? -2 : -1 });
        }
        var response = await client.ListOffsetsAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync.ContinueInline();
        lock (assignment.Lock)
        {
            for (var i = 0; i < lookups.Count; i++)
            {
                var (state, generation, _) = lookups[i];
                var result = response.Partitions[i];
                if (state.Generation != generation)
                {
                    continue;
                }
                if (result.ErrorCode == ErrorCode.None)
                {
                    state.Position = state.FetchOffset = result.Offset;
                }
                else
                {
                    Retry(state, result.ErrorCode);
                }
            }
        }
    }

    /// <summary>Queues what one partition's fetch brought, if its position did not move meanwhile.</summary>
    private void Take(PartitionState state, int generation, long offset, FetchPartitionResult result)
    {
        IReadOnlyList<Record> records = [];
        long next = offset;
        LogClusterException? error = null;
        if (result.ErrorCode == ErrorCode.None)
        {
            try
            {
                (records, next) = Decode(result.RecordBatches.Memory, offset);
            }
            catch (CorruptBatchException e)
            {
                error = new LogClusterException(e.ErrorCode, $"{state.Partition} at offset {offset}: {e.Message}", e);
            }
        }
        lock (assignment.Lock)
        {
            if (state.Generation != generation)
            {
                return;
            }
            switch (result.ErrorCode)
            {
                case ErrorCode.None when error is null:
                    state.FetchOffset = next;
                    state.HighWatermark = result.HighWatermark;
                    if (records.Count > 0)
                    {
                        Queue(new FetchedChunk(state, generation, records, null));
                    }
                    return;
                case ErrorCode.OffsetOutOfRange when config.AutoOffsetReset != AutoOffsetReset.None:
                    state.Seek(config.AutoOffsetReset == AutoOffsetReset.Earliest ? Offsets.Beginning : Offsets.End);
                    return;
                case ErrorCode.None or ErrorCode.OffsetOutOfRange:
                    Queue(new FetchedChunk(state, generation, [], error ?? new LogClusterException(result.ErrorCode,
                        $"{state.Partition}: offset {offset} is out of range and auto.offset.reset=none: {result.ErrorMessage}")));
                    state.BackoffUntil = BackoffEnd();
                    return;
                default:
                    Retry(state, result.ErrorCode, result.ErrorMessage);
                    return;
            }
        }
    }

    /// <summary>An error a metadata refresh and a retry cure backs off; any other is queued for Consume to throw. Caller holds the lock.</summary>
    private void Retry(PartitionState state, ErrorCode error, string message = "")
    {
        state.BackoffUntil = BackoffEnd();
        if (error.IsRetriable())
        {
            metadata.Invalidate(state.Partition.Topic);
            return;
        }
        Queue(new FetchedChunk(state, state.Generation, [], new LogClusterException(error, $"{state.Partition}: {message}")));
    }

    /// <summary>Hands a chunk to the application and wakes it if it waits. Caller holds the lock.</summary>
    private void Queue(FetchedChunk chunk)
    {
        chunk.Partition.Buffered++;
        assignment.Chunks.Enqueue(chunk);
        ready.Set();
    }

    private void BackOff(IEnumerable<PartitionState> states)
    {
        lock (assignment.Lock)
        {
            foreach (var state in states)
            {
                state.BackoffUntil = BackoffEnd();
            }
        }
    }

    private long BackoffEnd() => time.GetTimestamp() + (long)(config.RetryBackoff.TotalSeconds * time.TimestampFrequency);

    /// <summary>The records at or after <paramref name="offset"/> (a batch may start before it), and the offset to fetch next.</summary>
    private static (IReadOnlyList<Record> Records, long Next) Decode(ReadOnlyMemory<byte> batches, long offset)
    {
        var records = new List<Record>();
        var next = offset;
        foreach (var batch in RecordBatchReader.SplitBatches(batches))
        {
            var header = RecordBatchHeader.Read(batch.Span);
            if (header.NextOffset <= next)
            {
                continue;
            }
            records.AddRange(RecordBatchReader.ReadRecords(batch.Span).Where(r => r.Offset >= offset));
            next = header.NextOffset;
        }
        return (records, next);
    }


}
