using System.Collections.Concurrent;
using Grpc.Core;
using LogCluster.Client.Configuration;
using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;

namespace LogCluster.Client.Cluster;

/// <summary>
/// The client's view of the cluster: one gRPC channel per node, and a cache of topic layouts refreshed when
/// asked for an unknown topic, when a caller reports stale leadership (<see cref="Invalidate"/>), and after
/// metadata.max.age.ms. Thread-safe; refreshes of one topic are not coalesced (they are rare).
/// A node that does not answer within request.timeout.ms gets a new channel (<see cref="ResetChannel(NodeAddress)"/>): a
/// connection whose answers stopped (a half-open TCP connection, a black-holing middlebox) would otherwise hold
/// every later call to that node, since HTTP/2 runs them all on one connection. Kafka closes the connection too.
/// </summary>
internal sealed class ClusterMetadata : IDisposable
{
    private readonly IReadOnlyList<HostPort> _bootstrap;
    private readonly TimeSpan _maxAge;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Host, int Port), NodeChannel> _channels = new();
    private readonly ConcurrentDictionary<string, (TopicLayout Layout, long FetchedAt, bool Stale)> _topics = new(StringComparer.Ordinal);
    private volatile NodeAddress[] _nodes = [];
    private int _rotation;

    /// <summary>Nodes a caller found unresponsive (a request long unanswered), with when: asked last for a while.</summary>
    private readonly ConcurrentDictionary<(string Host, int Port), long> _suspects = new();

    /// <summary>How long a node reported unresponsive stays at the back of the line for admin requests.</summary>
    private static readonly TimeSpan _suspicion = TimeSpan.FromSeconds(10);

    /// <summary>Makes the sockets of new connections when set (tests in network namespaces); null: the default way.</summary>
    public Func<System.Net.Sockets.Socket>? SocketFactory { get; init; }

    /// <summary>Kafka's socket.connection.setup.timeout.ms default: a host that does not answer a connect in 10 s is down.</summary>
    private static readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(10);

    /// <param name="bootstrap">The servers to ask first.</param>
    /// <param name="maxAge">metadata.max.age.ms.</param>
    /// <param name="requestTimeout">request.timeout.ms, also the upper bound of a connect.</param>
    /// <param name="time">The clock for ages and timeouts.</param>
    public ClusterMetadata(IReadOnlyList<HostPort> bootstrap, TimeSpan maxAge, TimeSpan requestTimeout, TimeProvider time)
    {
        _bootstrap = bootstrap;
        _maxAge = maxAge;
        _requestTimeout = requestTimeout;
        _time = time;
    }

    /// <summary>
    /// The channel to a node, created on first use and kept until <see cref="ResetChannel(NodeAddress)"/>. Its calls
    /// complete on the connection's own threads (<see cref="NodeChannel"/>), never needing the thread pool.
    /// </summary>
    public NodeChannel Channel(string host, int port) =>
        _channels.GetOrAdd((host, port), key => new NodeChannel(key.Host, key.Port, _requestTimeout < _connectTimeout ? _requestTimeout : _connectTimeout, SocketFactory));

    /// <summary>Drops the node's channel, failing every call on it; the next call opens a new connection.</summary>
    public void ResetChannel(NodeAddress node) => ResetChannel(node.Host, node.Port);

    private void ResetChannel(string host, int port)
    {
        if (_channels.TryRemove((host, port), out var channel))
        {
            channel.Dispose();
        }
    }

    public NodeChannel Channel(NodeAddress node) => Channel(node.Host, node.Port);

    /// <summary>The cached layout if it is fresh enough and not marked stale, without any I/O: where to send.</summary>
    public TopicLayout? TryGetCached(string topic) =>
        _topics.TryGetValue(topic, out var entry) && _time.GetElapsedTime(entry.FetchedAt) < _maxAge ? entry.Layout : null;

    /// <summary>
    /// The last layout known for the topic, however old or stale, without any I/O: enough to choose a partition,
    /// since a topic's partition count does not shrink. Records keep being accepted while a leader is being found.
    /// </summary>
    public TopicLayout? TryGetKnown(string topic) => _topics.TryGetValue(topic, out var entry) ? entry.Layout : null;

    /// <summary>Whether the topic's layout was marked stale (<see cref="Invalidate"/>) and not fetched again since.</summary>
    public bool IsStale(string topic) => !_topics.TryGetValue(topic, out var entry) || entry.Stale;

    /// <summary>
    /// Marks a topic's layout stale (after NOT_LEADER, a lost connection and the like): the next
    /// <see cref="GetTopicAsync"/> asks the cluster, while <see cref="TryGetCached"/> keeps answering with the old
    /// layout until the new one arrives, as Kafka's client keeps its metadata while an update is pending.
    /// </summary>
    public void Invalidate(string topic)
    {
        if (_topics.TryGetValue(topic, out var entry))
        {
            _topics.TryUpdate(topic, entry with { Stale = true }, entry);
        }
    }

    /// <summary>
    /// The topic's layout, from the cache or the cluster. Throws <see cref="LogClusterException"/> with
    /// UNKNOWN_TOPIC_OR_PARTITION when the cluster does not know the topic, or NETWORK_EXCEPTION when no node answers.
    /// </summary>
    /// <param name="topic">The topic.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <param name="askLast">A node not to ask first: the leader being left, whose own view is the one in doubt.</param>
    public async Task<TopicLayout> GetTopicAsync(string topic, CancellationToken cancellationToken, NodeAddress? askLast = null)
    {
        if (!IsStale(topic) && TryGetCached(topic) is { } cached)
        {
            return cached;
        }
        var response = await QueryAsync(topic, askLast, cancellationToken).ContinueInline();
        var metadata = response.Topics.FirstOrDefault(t => t.Name == topic);
        if (metadata is null || metadata.ErrorCode != ErrorCode.None)
        {
            throw new LogClusterException(metadata?.ErrorCode ?? ErrorCode.UnknownTopicOrPartition, $"topic '{topic}' is not known to the cluster");
        }
        var nodes = response.Nodes.ToDictionary(n => n.NodeId, n => new NodeAddress(n.NodeId, n.Host, n.Port));
        _nodes = [.. nodes.Values];
        var partitions = metadata.Partitions.OrderBy(p => p.Partition).ToList();
        var leaders = partitions.Select(p => nodes.TryGetValue(p.LeaderId, out var leader) ? leader : (NodeAddress?)null).ToArray();
        var layout = new TopicLayout(topic, leaders, [.. partitions.Select(p => p.LeaderEpoch)]).NotOlderThan(TryGetKnown(topic));
        _topics[topic] = (layout, _time.GetTimestamp(), Stale: false);
        return layout;
    }

    /// <summary>Metadata is safe to ask twice: a node that has not answered in this long gets company.</summary>
    private static readonly TimeSpan _metadataHedge = TimeSpan.FromMilliseconds(200);

    private Task<MetadataResponse> QueryAsync(string topic, NodeAddress? askLast, CancellationToken cancellationToken) =>
        AskAnyChannelAsync(
            "a metadata request",
            (channel, token) => new AdminService.AdminServiceClient(channel).MetadataAsync(new MetadataRequest { Topics = { topic } }, cancellationToken: token).ResponseAsync,
            cancellationToken,
            _metadataHedge,
            askLast);

    /// <summary>
    /// Sends an admin request to the known nodes, then the bootstrap servers, until one answers. Throws
    /// <see cref="LogClusterException"/> with NETWORK_EXCEPTION, naming <paramref name="what"/>, when none does, and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public Task<TResponse> AskAnyNodeAsync<TResponse>(
        string what,
        Func<AdminService.AdminServiceClient, CancellationToken, Task<TResponse>> call,
        CancellationToken cancellationToken) =>
        AskAnyChannelAsync(what, (channel, token) => call(new AdminService.AdminServiceClient(channel), token), cancellationToken);

    /// <summary>
    /// Reports a node that leaves requests unanswered (frozen, cut off, stalled on disk): admin and metadata requests
    /// go to the other nodes first for a while, so finding out who leads now does not wait on the node that stopped.
    /// </summary>
    public void Suspect(NodeAddress node) => _suspects[(node.Host, node.Port)] = _time.GetTimestamp();

    private bool IsSuspect((string Host, int Port) node) =>
        _suspects.TryGetValue(node, out var since) && _time.GetElapsedTime(since) < _suspicion;

    /// <summary>
    /// As <see cref="AskAnyNodeAsync"/>, for a call on any of the node's services. With <paramref name="hedgeAfter"/>
    /// (only for calls that are safe to make twice, such as Metadata), a node that has not answered by then is not
    /// waited for alone: the next one is asked too, and the first answer wins. A frozen or cut-off node holds a
    /// call until request.timeout.ms, and when it stalls acks=all everywhere (it is in every ISR), every node looks
    /// slow and suspicion cannot tell which one to avoid.
    /// </summary>
    public async Task<TResponse> AskAnyChannelAsync<TResponse>(
        string what,
        Func<NodeChannel, CancellationToken, Task<TResponse>> call,
        CancellationToken cancellationToken,
        TimeSpan? hedgeAfter = null,
        NodeAddress? askLast = null)
    {
        RpcException? last = null;
        // Each call starts at the next node (then the suspects last): when every node looks slow (a frozen or cut-off
        // node stalls acks=all on all of them), one that answers quickly with its own stale view is not asked first
        // every time. An older answer cannot undo a newer one (TopicLayout.NotOlderThan).
        var known = _nodes.Select(n => (n.Host, n.Port)).Concat(_bootstrap.Select(b => (b.Host, b.Port))).Distinct().ToList();
        var start = known.Count == 0 ? 0 : (int)((uint)Interlocked.Increment(ref _rotation) % (uint)known.Count);
        var candidates = new Queue<(string Host, int Port)>(known.Skip(start).Concat(known.Take(start))
            .OrderBy(n => askLast is { } last && n == (last.Host, last.Port)).ThenBy(IsSuspect));
        var asking = new List<Attempt<TResponse>>();
        try
        {
            while (true)
            {
                if (asking.Count == 0 || hedgeAfter is not null)
                {
                    if (candidates.TryDequeue(out var node))
                    {
                        asking.Add(Attempt<TResponse>.Start(node, call, Channel(node.Host, node.Port), _requestTimeout, _time, cancellationToken));
                    }
                    else if (asking.Count == 0)
                    {
                        break;
                    }
                }
                var waits = asking.Select(a => (Task)a.Call).ToList();
                using var hedge = new CancellationTokenSource();
                if (hedgeAfter is { } delay && candidates.Count > 0)
                {
                    waits.Add(Task.Delay(delay, _time, hedge.Token));
                }
                var done = await Task.WhenAny(waits).ContinueInline();
                // Cancel, not CancelAsync: the latter runs its callbacks on the pool.
                hedge.Cancel();
                if (asking.Find(a => a.Call == done) is not { } finished)
                {
                    // Nobody answered within hedgeAfter: ask the next node as well.
                    continue;
                }
                asking.Remove(finished);
                try
                {
                    return await finished.Call.ContinueInline();
                }
                catch (RpcException e) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller gave up (max.block.ms, close): say so the way every other awaited call does.
                    throw new OperationCanceledException($"{what} was cancelled", e, cancellationToken);
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Cancelled)
                {
                    // Cancelled without the caller asking: this attempt timed out, or its channel was reset under it.
                    last = e;
                    if (finished.TimedOut)
                    {
                        ResetChannel(finished.Node.Host, finished.Node.Port);
                    }
                }
                finally
                {
                    finished.Dispose();
                }
            }
        }
        finally
        {
            // Calls still out once one answered (or the caller gave up) are abandoned.
            foreach (var other in asking)
            {
                other.Abandon();
            }
        }
        throw new LogClusterException(ErrorCode.NetworkException, $"no node answered {what} ({last?.Status.Detail ?? "no servers"})", last);
    }

    /// <summary>One node's attempt at an admin call, with its own request timeout.</summary>
    private sealed class Attempt<TResponse> : IDisposable
    {
        private readonly CancellationTokenSource _timeout;
        private readonly CancellationTokenSource _linked;

        private Attempt((string Host, int Port) node, CancellationTokenSource timeout, CancellationTokenSource linked, Task<TResponse> call)
        {
            Node = node;
            _timeout = timeout;
            _linked = linked;
            Call = call;
        }

        public (string Host, int Port) Node { get; }

        public Task<TResponse> Call { get; }

        public bool TimedOut => _timeout.IsCancellationRequested;

        public static Attempt<TResponse> Start(
            (string Host, int Port) node,
            Func<NodeChannel, CancellationToken, Task<TResponse>> call,
            NodeChannel channel,
            TimeSpan requestTimeout,
            TimeProvider time,
            CancellationToken cancellationToken)
        {
            var timeout = new CancellationTokenSource(requestTimeout, time);
            var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            Task<TResponse> started;
            try
            {
                started = call(channel, linked.Token);
            }
            catch (RpcException e)
            {
                started = Task.FromException<TResponse>(e);
            }
            return new Attempt<TResponse>(node, timeout, linked, started);
        }

        /// <summary>Cancels the call (its answer is no longer wanted) and observes its outcome.</summary>
        public void Abandon()
        {
            _linked.Cancel();
            _ = Call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            Dispose();
        }

        public void Dispose()
        {
            _linked.Dispose();
            _timeout.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }
}
