using Grpc.Core;
using LogCluster.Client.Cluster;
using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;

namespace LogCluster.Producer.Internals;

/// <summary>
/// The producer's Produce stream to one node. The sender is its only writer (gRPC allows one pending write per
/// stream); a reader loop matches responses to requests in order. When the stream breaks or a response is later
/// than request.timeout.ms, every request in flight on it fails with a retriable error and the next send opens
/// a new stream; after a timeout, on a new connection too (<see cref="ClusterMetadata.ResetChannel(NodeAddress)"/>).
/// </summary>
internal sealed class NodeConnection(NodeAddress node, ClusterMetadata metadata, Acks acks, TimeProvider time, Action onResponse)
{
    private static long _lastStreamId;
    private readonly Lock _lock = new();
    private readonly Queue<InFlightRequest> _inFlight = new();
    private AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse>? _call;
    private long _streamId = NewStreamId();

    private sealed record InFlightRequest(long CorrelationId, IReadOnlyList<ProducerBatch> Batches, long SentTimestamp, long DeadlineTimestamp);

    /// <summary>
    /// acks=0 requests not yet handed to the socket, by deadline: no response will ever say they are done, so they
    /// count as in flight until written (max.in.flight bounds what queues for a node that stopped reading), and one
    /// unwritten past request.timeout.ms breaks the stream as an unanswered request does.
    /// </summary>
    private readonly LinkedList<long> _unwritten = new();

    public int InFlightCount
    {
        get
        {
            lock (_lock)
            {
                return _inFlight.Count + _unwritten.Count;
            }
        }
    }

    /// <summary>
    /// Names the stream requests go out on now, unique across connections; a new one after every break. Requests
    /// written under one id reach the node in the order they were written, and a request collected under an id
    /// that is no longer current is not written at all, so nothing sent after a break can overtake what was in
    /// flight before it (the idempotent producer's ordering rests on this).
    /// </summary>
    public long StreamId
    {
        get
        {
            lock (_lock)
            {
                return _streamId;
            }
        }
    }

    public NodeAddress Node => node;

    /// <summary>TimeProvider timestamp at which the oldest unanswered request was sent, or null when none waits.</summary>
    public long? OldestSent
    {
        get
        {
            lock (_lock)
            {
                return _inFlight.TryPeek(out var oldest) ? oldest.SentTimestamp : null;
            }
        }
    }

    /// <summary>The partitions of every batch in flight here.</summary>
    public List<PartitionKey> InFlightPartitions()
    {
        lock (_lock)
        {
            return [.. _inFlight.SelectMany(r => r.Batches).Select(b => b.Partition).Distinct()];
        }
    }

    /// <summary>
    /// Gives up on this node while it may still hold requests (it no longer leads): everything in flight fails
    /// as NETWORK_EXCEPTION and is retried where metadata now points, and the connection is replaced, since a
    /// frozen or cut-off node would hold every call on it. NETWORK_EXCEPTION, not NOT_LEADER_OR_FOLLOWER: the node
    /// may have written (and replicated) these batches, so an idempotent producer must count them as possibly
    /// written and never re-stamp them under a new epoch. The new leader deduplicates them by sequence.
    /// </summary>
    public void Abandon(string reason)
    {
        AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse>? call;
        lock (_lock)
        {
            call = _call;
        }
        if (call is not null)
        {
            Break(call, ErrorCode.NetworkException, reason, retryAtOnce: true);
            metadata.ResetChannel(node);
        }
    }

    /// <summary>TimeProvider timestamp by which the oldest request must be answered, or null when none waits.</summary>
    public long? OldestDeadline
    {
        get
        {
            lock (_lock)
            {
                return _inFlight.TryPeek(out var oldest) ? oldest.DeadlineTimestamp : _unwritten.First?.Value;
            }
        }
    }

    /// <summary>
    /// Queues one request on stream <paramref name="streamId"/> without waiting for the network; its batches'
    /// attempts complete when the response (or a failure) arrives. If that stream broke since, the request is not
    /// written and fails at once. Requests queued on one stream reach the node in the order they were queued.
    /// </summary>
    public void Send(ProduceRequest request, IReadOnlyList<ProducerBatch> batches, TimeSpan requestTimeout, long streamId)
    {
        AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse>? call = null;
        AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse>? opened = null;
        LinkedListNode<long>? unwritten = null;
        lock (_lock)
        {
            if (streamId == _streamId)
            {
                call = _call ??= opened = new LogService.LogServiceClient(metadata.Channel(node)).Produce();
                var now = time.GetTimestamp();
                var deadline = now + (long)(requestTimeout.TotalSeconds * time.TimestampFrequency);
                if (acks != Acks.None)
                {
                    _inFlight.Enqueue(new InFlightRequest(request.CorrelationId, batches, now, deadline));
                }
                else
                {
                    unwritten = _unwritten.AddLast(deadline);
                }
            }
        }
        if (opened is not null)
        {
            // Read once the stream is current, outside the lock: a stream that fails at once is then broken as the
            // current one (a reader started before would find it not current yet, and leave it in place).
            _ = ReadResponsesAsync(opened);
        }
        if (call is null)
        {
            Complete(batches, new AttemptResult(ErrorCode.NetworkException, $"the stream to node {node.NodeId} broke before the request was written", -1));
            return;
        }
        // A write held by flow control (a node that stopped reading) is bounded by the request timeout, which
        // breaks the stream (CheckTimeout); the write then fails and so does everything in flight on it.
        _ = WrittenAsync(call, call.RequestStream.WriteAsync(request), batches, unwritten);
    }

    private async Task WrittenAsync(AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse> call, Task write, IReadOnlyList<ProducerBatch> batches, LinkedListNode<long>? unwritten)
    {
        try
        {
            await write.ContinueInline();
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            RemoveUnwritten(unwritten);
            Break(call, ErrorCode.NetworkException, $"sending to node {node.NodeId} failed: {e.Message}");
            if (acks == Acks.None)
            {
                Complete(batches, new AttemptResult(ErrorCode.NetworkException, e.Message, -1));
            }
            return;
        }
        RemoveUnwritten(unwritten);
        if (acks == Acks.None)
        {
            // acks=0: written is all there is to know, and the node has room for the next request.
            Complete(batches, AttemptResult.Sent(-1));
            onResponse();
        }
    }

    private void RemoveUnwritten(LinkedListNode<long>? unwritten)
    {
        lock (_lock)
        {
            if (unwritten?.List is not null)
            {
                _unwritten.Remove(unwritten);
            }
        }
    }

    /// <summary>Breaks the stream when its oldest request is overdue.</summary>
    public void CheckTimeout(long now)
    {
        AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse>? call;
        lock (_lock)
        {
            var overdue = (_inFlight.TryPeek(out var oldest) && oldest.DeadlineTimestamp <= now) || _unwritten.First?.Value <= now;
            call = overdue ? _call : null;
        }
        if (call is not null)
        {
            Break(call, ErrorCode.RequestTimedOut, $"node {node.NodeId} did not answer within request.timeout.ms");
            metadata.ResetChannel(node);
        }
    }

    private async Task ReadResponsesAsync(AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse> call)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ContinueInline())
            {
                var response = call.ResponseStream.Current;
                InFlightRequest? request;
                lock (_lock)
                {
                    request = ReferenceEquals(call, _call) && _inFlight.TryDequeue(out var next) ? next : null;
                }
                if (request is null || request.CorrelationId != response.CorrelationId || request.Batches.Count != response.Results.Count)
                {
                    Break(call, ErrorCode.NetworkException, $"node {node.NodeId} answered out of order (correlation id {response.CorrelationId})");
                    return;
                }
                if (response.Results.Any(r => r.ErrorCode is ErrorCode.NotLeaderOrFollower or ErrorCode.FencedLeaderEpoch
                    or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.RequestTimedOut))
                {
                    // A node that cannot take writes (no longer leads, or is cut off from its followers) is the last
                    // to ask who leads now: it may answer with its own stale view, quickly.
                    metadata.Suspect(node);
                }
                for (var i = 0; i < request.Batches.Count; i++)
                {
                    var result = response.Results[i];
                    request.Batches[i].Attempt.TrySetResult(new AttemptResult(result.ErrorCode, result.ErrorMessage, result.BaseOffset));
                }
                // A request fewer in flight: the node may be idle now, and what gathered meanwhile can go.
                onResponse();
            }
            Break(call, ErrorCode.NetworkException, $"node {node.NodeId} closed the produce stream");
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            Break(call, ErrorCode.NetworkException, $"the produce stream to node {node.NodeId} broke: {e.Message}");
        }
    }

    /// <summary>Drops the stream (if still current) and fails what was in flight on it.</summary>
    private void Break(AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse> call, ErrorCode error, string message, bool retryAtOnce = false)
    {
        List<InFlightRequest> failed;
        lock (_lock)
        {
            if (!ReferenceEquals(call, _call))
            {
                return;
            }
            _call = null;
            _streamId = NewStreamId();
            failed = [.. _inFlight];
            _inFlight.Clear();
            _unwritten.Clear();
        }
        call.Dispose();
        foreach (var request in failed)
        {
            Complete(request.Batches, new AttemptResult(error, message, -1, retryAtOnce));
        }
        onResponse();
    }

    private static long NewStreamId() => Interlocked.Increment(ref _lastStreamId);

    private static void Complete(IReadOnlyList<ProducerBatch> batches, AttemptResult result)
    {
        foreach (var batch in batches)
        {
            batch.Attempt.TrySetResult(result);
        }
    }

    public void Dispose()
    {
        AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse>? call;
        lock (_lock)
        {
            call = _call;
        }
        if (call is not null)
        {
            Break(call, ErrorCode.LocalDestroyed, "the producer was closed");
        }
    }
}
