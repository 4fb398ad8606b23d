using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LogCluster.Cli.LocalCluster;

/// <summary>
/// N LogNode processes on loopback forming one cluster: node ids 1..N, every node a voter of the metadata quorum,
/// each with its own gRPC port, Raft port and data directory under <see cref="BaseDirectory"/>. The nodes start
/// together (each waits for a quorum before it is ready); any of them can be killed, stopped and started again.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private LocalCluster(string baseDirectory, IReadOnlyList<LocalNode> nodes, string voters)
    {
        BaseDirectory = baseDirectory;
        Nodes = nodes;
        Voters = voters;
    }

    public string BaseDirectory { get; }

    /// <summary>The nodes; node id i is Nodes[i - 1].</summary>
    public IReadOnlyList<LocalNode> Nodes { get; }

    /// <summary>The quorum as every node was given it (--voters).</summary>
    public string Voters { get; }

    public LocalNode Node(int nodeId) => Nodes[nodeId - 1];

    /// <summary>Every node's address, as a producer's bootstrap.servers.</summary>
    public string BootstrapServers => string.Join(',', Nodes.Select(n => $"{n.Host}:{n.Port}"));

    public static Task<LocalCluster> StartAsync(int nodeCount, string baseDirectory, params string[] extraArgs) =>
        StartAsync(nodeCount, baseDirectory, _ => NodeHost.Loopback, extraArgs);

    /// <summary>Starts node ids 1..<paramref name="nodeCount"/>, node id i on <paramref name="hosts"/>(i).</summary>
    public static Task<LocalCluster> StartAsync(int nodeCount, string baseDirectory, Func<int, NodeHost> hosts, params string[] extraArgs) =>
        StartAsync(nodeCount, baseDirectory, hosts, _ => extraArgs);

    /// <summary>Starts node ids 1..<paramref name="nodeCount"/>, node id i on <paramref name="hosts"/>(i) with <paramref name="nodeArgs"/>(i) added.</summary>
    public static async Task<LocalCluster> StartAsync(int nodeCount, string baseDirectory, Func<int, NodeHost> hosts, Func<int, string[]> nodeArgs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        // Free on loopback; on a host of its own (a network namespace) every port is free anyway.
        var ports = FreePorts(2 * nodeCount);
        var voters = string.Join(',', Enumerable.Range(1, nodeCount).Select(id => $"{id}@{hosts(id).Address}:{ports[nodeCount + id - 1]}"));
        var nodes = Enumerable.Range(1, nodeCount)
            .Select(id => LocalNode.Create(
                hosts(id),
                Path.Combine(baseDirectory, $"node-{id}"),
                ports[id - 1],
                ["--node-id", id.ToString(CultureInfo.InvariantCulture), "--voters", voters, .. nodeArgs(id)]))
            .ToList();
        var cluster = new LocalCluster(baseDirectory, nodes, voters);
        try
        {
            await Task.WhenAll(nodes.Select(n => n.StartAsync()));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>Distinct free loopback ports (free when asked; the OS does not hand them out again at once).</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Dispose());
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
