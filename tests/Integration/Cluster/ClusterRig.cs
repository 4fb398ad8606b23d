using System.Diagnostics;
using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration.Cluster;

/// <summary>
/// A 3-node cluster of real LogNode processes, on loopback or each in a network namespace of its own, with the
/// metadata and read-back calls the tests share.
/// </summary>
internal sealed class ClusterRig : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const int Nodes = 3;
    private readonly TempDirectory _data;
    private readonly NetworkNamespaces? _network;
    private readonly NamespaceSockets? _clientSockets;
    private readonly HashSet<int> _isolated = [];

    private ClusterRig(TempDirectory data, LocalCluster cluster, NetworkNamespaces? network = null, NamespaceSockets? clientSockets = null)
    {
        _data = data;
        Cluster = cluster;
        _network = network;
        _clientSockets = clientSockets;
    }

    public LocalCluster Cluster { get; }

    /// <summary>Node id i's Prometheus endpoint, for a rig started <see cref="StartWithMetricsAsync"/>.</summary>
    public IReadOnlyDictionary<int, Uri> Metrics { get; private init; } = new Dictionary<int, Uri>();

    public static Task<ClusterRig> StartAsync(params string[] nodeArgs) =>
        StartOnLoopbackAsync(async data => new ClusterRig(data, await LocalCluster.StartAsync(Nodes, data.Path, nodeArgs)));

    /// <summary>On loopback, every node serving /metrics on a port of its own (<see cref="Metrics"/>).</summary>
    public static Task<ClusterRig> StartWithMetricsAsync() => StartOnLoopbackAsync(async data =>
    {
        var ports = Enumerable.Range(1, Nodes).ToDictionary(id => id, _ => LoopbackPorts.Free());
        var cluster = await LocalCluster.StartAsync(Nodes, data.Path, _ => NodeHost.Loopback, id => ["--metrics-listen", $"127.0.0.1:{ports[id]}"]);
        return new ClusterRig(data, cluster) { Metrics = ports.ToDictionary(p => p.Key, p => new Uri($"http://127.0.0.1:{p.Value}/metrics")) };
    });

    /// <summary>On loopback, every node with a Kafka listener on a port of its own (<see cref="KafkaPorts"/>).</summary>
    public static Task<ClusterRig> StartWithKafkaAsync(params string[] nodeArgs) => StartOnLoopbackAsync(async data =>
    {
        var ports = Enumerable.Range(1, Nodes).ToDictionary(id => id, _ => LoopbackPorts.Free());
        var cluster = await LocalCluster.StartAsync(Nodes, data.Path, _ => NodeHost.Loopback, id => ["--kafka-listen", $"127.0.0.1:{ports[id]}", .. nodeArgs]);
        return new ClusterRig(data, cluster) { KafkaPorts = ports };
    });

    /// <summary>
    /// Ports on loopback are picked free and bound by the nodes a moment later, and anything on the machine (a
    /// client's outgoing connection takes a port from the same range) can take one in between: a start that
    /// failed only that way is tried again with new ports, at most three times in all.
    /// </summary>
    private static async Task<ClusterRig> StartOnLoopbackAsync(Func<TempDirectory, Task<ClusterRig>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            var data = new TempDirectory();
            try
            {
                return await start(data);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                data.Dispose();
            }
            catch
            {
                data.Dispose();
                throw;
            }
        }
    }

    /// <summary>Node id i's Kafka listener port, for a rig started <see cref="StartWithKafkaAsync"/>.</summary>
    public IReadOnlyDictionary<int, int> KafkaPorts { get; private init; } = new Dictionary<int, int>();

    /// <summary>bootstrap.servers for Kafka clients: every node's Kafka listener.</summary>
    public string KafkaBootstrap => string.Join(',', KafkaPorts.Values.Select(p => $"127.0.0.1:{p}"));

    /// <summary>
    /// Node i on network namespace host i, and this test's clients on host 4, so that <see cref="Isolate"/> can
    /// cut a node off from its peers while the test still reaches it.
    /// </summary>
    public static async Task<ClusterRig> StartInNetworkNamespacesAsync(params string[] nodeArgs)
    {
        var data = new TempDirectory();
        var network = NetworkNamespaces.Create(Nodes + 1);
        NamespaceSockets? sockets = null;
        try
        {
            sockets = new NamespaceSockets(network.Namespace(Nodes + 1));
            return new ClusterRig(data, await LocalCluster.StartAsync(Nodes, data.Path, network.NodeHost, nodeArgs), network, sockets);
        }
        catch
        {
            sockets?.Dispose();
            network.Dispose();
            data.Dispose();
            throw;
        }
    }

    /// <summary>Nodes whose process runs and answers, and that the test can reach: the ones to ask about the cluster.</summary>
    public IEnumerable<LocalNode> Reachable => Cluster.Nodes.Where((n, i) => n.IsRunning && !n.IsPaused && !_isolated.Contains(i + 1));

    /// <summary>A client of the node at <paramref name="address"/>, connecting the way this rig's nodes are reached.</summary>
    public NodeClient Client(Uri address) => new(address, _clientSockets?.Handler());

    /// <summary>Sockets for the SDK's own connections, made the way this rig's nodes are reached (null: the default way).</summary>
    public Func<System.Net.Sockets.Socket>? ClientSocketFactory => _clientSockets is { } sockets ? sockets.Create : null;

    /// <summary>
    /// Cuts every link between the node and its peers (its clients still reach it); metadata questions then go
    /// to the others, since its own view is frozen.
    /// </summary>
    public void Isolate(int nodeId)
    {
        var network = _network ?? throw new InvalidOperationException("only a rig in network namespaces can cut links");
        foreach (var peer in Enumerable.Range(1, Nodes).Where(peer => peer != nodeId))
        {
            network.Cut(nodeId, peer);
        }
        _isolated.Add(nodeId);
    }

    /// <summary>Undoes <see cref="Isolate"/>.</summary>
    public void Reconnect(int nodeId)
    {
        foreach (var peer in Enumerable.Range(1, Nodes).Where(peer => peer != nodeId))
        {
            _network!.Restore(nodeId, peer);
        }
        _isolated.Remove(nodeId);
    }

    public async Task CreateTopicAsync(string topic, int partitions, int replicationFactor, Dictionary<string, string>? configs = null)
    {
        using var client = Client(Reachable.First().Address);
        var spec = new TopicSpec { Name = topic, Partitions = partitions, ReplicationFactor = replicationFactor };
        spec.Configs.Add(configs ?? []);
        var result = (await client.Admin.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } }, deadline: DateTime.UtcNow + Patience)).Results.Single();
        Assert.True(result.ErrorCode == ErrorCode.None, $"{result.ErrorCode} {result.ErrorMessage}");
        await WaitForAsync(topic, t => t.Partitions.All(p => p.LeaderId >= 0 && p.IsrIds.Count == replicationFactor), "every partition led with a full ISR");
        // The metadata comes from whichever node answered; each leader takes its role when it applies the record.
        foreach (var partition in (await DescribeAsync(topic)).Partitions)
        {
            using var leader = Client(Cluster.Node(partition.LeaderId).Address);
            var started = Stopwatch.GetTimestamp();
            while (await LatestOffsetErrorAsync(leader, topic, partition.Partition) != ErrorCode.None)
            {
                Assert.True(Stopwatch.GetElapsedTime(started) < Patience, $"{topic}-{partition.Partition}: node {partition.LeaderId} never took the lead");
                await Task.Delay(20);
            }
        }
    }

    private static async Task<ErrorCode> LatestOffsetErrorAsync(NodeClient leader, string topic, int partition)
    {
        var request = new ListOffsetsRequest { Partitions = { new ListOffsetsPartition { Topic = topic, Partition = partition, TimestampMs = -1 } } };
        return (await leader.Log.ListOffsetsAsync(request, deadline: DateTime.UtcNow + Patience)).Partitions.Single().ErrorCode;
    }

    /// <summary>The topic as a running node describes it.</summary>
    public async Task<TopicMetadata> DescribeAsync(string topic)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < Patience)
        {
            foreach (var node in Reachable)
            {
                try
                {
                    using var client = Client(node.Address);
                    var response = await client.Admin.MetadataAsync(new MetadataRequest { Topics = { topic } }, deadline: DateTime.UtcNow + TimeSpan.FromSeconds(5));
                    return response.Topics.Single();
                }
                catch (Grpc.Core.RpcException)
                {
                    // That node is going down or overloaded: ask the next.
                }
            }
        }
        throw new InvalidOperationException($"no running node answered Metadata within {Patience.TotalSeconds} s\n{Logs}");
    }

    /// <summary>Polls the metadata until <paramref name="condition"/> holds; returns how long that took.</summary>
    public async Task<TimeSpan> WaitForAsync(string topic, Func<TopicMetadata, bool> condition, string what, TimeSpan? timeout = null)
    {
        var started = Stopwatch.GetTimestamp();
        var limit = timeout ?? Patience;
        TopicMetadata? last = null;
        while (Stopwatch.GetElapsedTime(started) < limit)
        {
            last = await DescribeAsync(topic);
            if (condition(last))
            {
                return Stopwatch.GetElapsedTime(started);
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"not within {limit.TotalSeconds} s: {what}; last metadata: {last}");
    }

    /// <summary>The node the cluster names as its active controller.</summary>
    public async Task<int> ControllerIdAsync()
    {
        using var client = Client(Reachable.First().Address);
        return (await client.Admin.MetadataAsync(new MetadataRequest(), deadline: DateTime.UtcNow + NodeClient.CallTimeout)).ControllerId;
    }

    public LocalNode Leader(TopicMetadata topic, int partition) => Cluster.Node(topic.Partitions.Single(p => p.Partition == partition).LeaderId);

    /// <summary>
    /// Every record of a partition, read from its current leader up to the high watermark: (offset, value). The
    /// leader named in metadata may not have taken its role yet (or a node's view may be a moment old, after
    /// restarts): asked until it serves the partition, as a client would.
    /// </summary>
    public async Task<List<(long Offset, byte[] Value)>> ReadAsync(string topic, int partition)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var metadata = await DescribeAsync(topic);
            using var client = Client(Leader(metadata, partition).Address);
            var probe = new FetchRequest { ReplicaId = -1, MaxWaitMs = 0, MinBytes = 0 };
            probe.Partitions.Add(new FetchPartition { Topic = topic, Partition = partition, FetchOffset = 0, CurrentLeaderEpoch = -1 });
            var error = (await client.Log.FetchAsync(probe, deadline: DateTime.UtcNow + NodeClient.CallTimeout)).Partitions.Single().ErrorCode;
            if (error is not (ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable) || Stopwatch.GetElapsedTime(started) > Patience)
            {
                return [.. (await client.FetchAllAsync(topic, partition)).SelectMany(b => RecordBatchReader.ReadRecords(b)).Select(r => (r.Offset, r.Value!))];
            }
            await Task.Delay(20);
        }
    }

    /// <summary>What every node printed, for failure messages.</summary>
    public string Logs => string.Join("\n", Cluster.Nodes.Select((n, i) => $"--- node {i + 1} ---\n{n.Output}"));

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _clientSockets?.Dispose();
        _network?.Dispose();
        _data.Dispose();
    }
}
