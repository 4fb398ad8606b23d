using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Metadata.Quorum;
using LogCluster.Protocol.V1;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Quorum;

/// <summary>
/// Metadata quorum members run in this process on free loopback ports, each with its own directory. Writes go
/// through <see cref="ProposeAsync"/>, which retries on another controller as a real client would: leadership is
/// never assumed to be stable.
/// </summary>
internal sealed class QuorumTestCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _root = new();
    private readonly Dictionary<int, RaftMetadataQuorum> _running = [];
    private readonly int _snapshotIntervalEntries;
    private readonly ILoggerFactory _loggerFactory;

    public QuorumTestCluster(int voters, ITestOutputHelper output, int snapshotIntervalEntries = RaftMetadataQuorum.DefaultSnapshotIntervalEntries)
    {
        Voters = [.. FreeLoopbackPorts(voters).Select((port, i) => new QuorumVoter(i + 1, new IPEndPoint(IPAddress.Loopback, port)))];
        _snapshotIntervalEntries = snapshotIntervalEntries;
        _loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new TestOutputLoggerProvider(output)).SetMinimumLevel(LogLevel.Information));
    }

    public IReadOnlyList<QuorumVoter> Voters { get; }

    public IEnumerable<RaftMetadataQuorum> Running => _running.Values;

    public RaftMetadataQuorum this[int nodeId] => _running[nodeId];

    public string MetadataDirectory(int nodeId) => Path.Combine(_root.Path, $"node-{nodeId}", "meta", "raft");

    public async Task<RaftMetadataQuorum> StartAsync(int nodeId)
    {
        var member = new RaftMetadataQuorum(nodeId, Voters, MetadataDirectory(nodeId), RaftTimeouts.Default, _loggerFactory, _snapshotIntervalEntries);
        await member.StartAsync(CancellationToken.None).WaitAsync(Patience);
        _running.Add(nodeId, member);
        return member;
    }

    public async Task StartAllAsync() => await Task.WhenAll(Voters.Select(v => StartAsync(v.NodeId)));

    public async Task StopAsync(int nodeId)
    {
        var member = _running[nodeId];
        _running.Remove(nodeId);
        await member.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    /// <summary>Waits until every running member names the same running controller, and returns it.</summary>
    public async Task<int> WaitForControllerAsync()
    {
        var agreed = -1;
        await WaitUntilAsync(() =>
        {
            var seen = Running.Select(m => m.ControllerId).Distinct().ToList();
            if (seen is [{ } id] && _running.ContainsKey(id))
            {
                agreed = id;
                return true;
            }
            return false;
        }, "all running members to agree on a running controller");
        return agreed;
    }

    /// <summary>Waits until the member that leads now has its leadership usable, and returns that member.</summary>
    public async Task<RaftMetadataQuorum> WaitForLeadershipAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var controller = _running[await WaitForControllerAsync()];
            try
            {
                using var timeout = new CancellationTokenSource(Patience);
                var leadership = await controller.WaitForLeadershipAsync(timeout.Token);
                if (!leadership.IsCancellationRequested)
                {
                    return controller;
                }
            }
            catch (NotControllerException) when (deadline.Elapsed < Patience)
            {
                // It stepped down meanwhile: ask again who leads.
            }
            if (deadline.Elapsed > Patience)
            {
                throw new TimeoutException($"No member kept its leadership for {Patience}.");
            }
        }
    }

    /// <summary>Proposes through whichever member leads now, retrying when leadership moves.</summary>
    public async Task ProposeAsync(params MetadataRecord[] records)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var controller = Running.Select(m => m.ControllerId).FirstOrDefault(id => id is { } c && _running.ContainsKey(c));
            try
            {
                if (controller is { } id)
                {
                    using var timeout = new CancellationTokenSource(Patience);
                    await _running[id].ProposeAsync(records, timeout.Token);
                    return;
                }
            }
            catch (NotControllerException) when (deadline.Elapsed < Patience)
            {
                // Leadership moved: ask again who leads.
            }
            if (deadline.Elapsed > Patience)
            {
                throw new TimeoutException($"No controller accepted the proposal within {Patience}.");
            }
            await Task.Delay(50);
        }
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > Patience)
            {
                throw new TimeoutException($"Timed out after {Patience} waiting for {what}.");
            }
            await Task.Delay(20);
        }
    }

    public static MetadataRecord Topic(string name, int partitions = 1)
    {
        var topic = new TopicRecord { Name = name, TopicId = name + "-id" };
        for (var p = 0; p < partitions; p++)
        {
            var partition = new PartitionRecord { Topic = name, Partition = p, Leader = 1, LeaderEpoch = 0, PartitionEpoch = 0 };
            partition.Replicas.Add([1, 2, 3]);
            partition.Isr.Add([1, 2, 3]);
            topic.Partitions.Add(partition);
        }
        return new MetadataRecord { CreateTopic = topic };
    }

    public static MetadataRecord Register(int nodeId) =>
        new() { RegisterNode = new NodeRegistration { NodeId = nodeId, Host = "127.0.0.1", Port = 7000 + nodeId } };

    /// <summary>Images compared by value: the snapshot protobuf has value equality, the image's dictionaries do not.</summary>
    public static ClusterSnapshot Content(ClusterImage image) => image.ToSnapshot();

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _running.Values)
        {
            await member.DisposeAsync().AsTask().WaitAsync(Patience);
        }
        _running.Clear();
        _loggerFactory.Dispose();
        _root.Dispose();
    }

    /// <summary>Free ports, held all at once so the same port is not handed out twice.</summary>
    private static List<int> FreeLoopbackPorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
