using System.Diagnostics;
using System.Text;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Cluster;

/// <summary>
/// A leader cut off from the cluster is replaced. Cut off by the network (its links to its peers dropped, in
/// network namespaces) it still believes it leads and takes a write from a client that reaches it, which it must
/// not acknowledge; frozen (SIGSTOP) and woken up, the same with a write queued while it slept. Either way it
/// must not keep that write once it follows the new leader (its tail is cut at the new epoch's start, KIP-101).
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class IsolatedLeaderTests(ITestOutputHelper output)
{
    private const string Topic = "isolated";

    [Fact]
    public async Task Leader_CutOffFromItsPeers_CannotAcknowledgeAnAcksAllWriteAndDropsItsDivergedTail()
    {
        await using var rig = await ClusterRig.StartInNetworkNamespacesAsync();
        var (oldLeaderId, toOldLeader, stream) = await CreateTopicAndWriteAsync(rig, "a");
        using var disposeClient = toOldLeader;

        var cut = Stopwatch.GetTimestamp();
        rig.Isolate(oldLeaderId);
        // The test still reaches the old leader, which still believes it leads: it appends, but no peer fetches.
        var staleWrite = NodeClient.RoundTripAsync(stream, Request(2, "stale"));
        await WriteToNewLeaderAsync(rig, oldLeaderId, "b", "cut off", cut);
        var stale = (await staleWrite).Results.Single();
        output.WriteLine($"node {oldLeaderId}, cut off, answered an acks=all write with {stale.ErrorCode}: {stale.ErrorMessage}");
        Assert.NotEqual(ErrorCode.None, stale.ErrorCode);
        stream.Dispose();
        rig.Reconnect(oldLeaderId);

        await AssertEveryReplicaHoldsAsync(rig, oldLeaderId, ["a", "b"]);
    }

    [Fact]
    public async Task Leader_FrozenThenWokenWithAStaleWrite_DoesNotAcknowledgeItAndDropsItsDivergedTail()
    {
        await using var rig = await ClusterRig.StartAsync();
        var (oldLeaderId, toOldLeader, stream) = await CreateTopicAndWriteAsync(rig, "a");
        using var disposeClient = toOldLeader;
        var oldLeader = rig.Cluster.Node(oldLeaderId);

        var frozen = Stopwatch.GetTimestamp();
        await oldLeader.PauseAsync();
        await WriteToNewLeaderAsync(rig, oldLeaderId, "b", "frozen", frozen);
        // Queued in the frozen node's socket, so it is the first thing the node reads when it wakes.
        await stream.RequestStream.WriteAsync(Request(2, "stale"));
        await oldLeader.ResumeAsync();
        Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(NodeClient.CallTimeout));
        var stale = stream.ResponseStream.Current.Results.Single();
        output.WriteLine($"the woken node answered the stale write with {stale.ErrorCode}: {stale.ErrorMessage}");
        Assert.NotEqual(ErrorCode.None, stale.ErrorCode);
        stream.Dispose();

        await AssertEveryReplicaHoldsAsync(rig, oldLeaderId, ["a", "b"]);
    }

    /// <summary>A single-partition topic at RF=3, min.insync.replicas=2, with <paramref name="value"/> written through a stream left open to its leader.</summary>
    private static async Task<(int LeaderId, NodeClient Client, Grpc.Core.AsyncDuplexStreamingCall<ProduceRequest, ProduceResponse> Stream)> CreateTopicAndWriteAsync(ClusterRig rig, string value)
    {
        await rig.CreateTopicAsync(Topic, partitions: 1, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var leaderId = (await rig.DescribeAsync(Topic)).Partitions[0].LeaderId;
        var client = rig.Client(rig.Cluster.Node(leaderId).Address);
        var stream = client.OpenProduceStream();
        Assert.Equal(ErrorCode.None, (await NodeClient.RoundTripAsync(stream, Request(1, value))).Results.Single().ErrorCode);
        return (leaderId, client, stream);
    }

    /// <summary>Waits for the others to elect a new leader (printing how long after <paramref name="since"/>), then writes through it.</summary>
    private async Task WriteToNewLeaderAsync(ClusterRig rig, int oldLeaderId, string value, string what, long since)
    {
        await rig.WaitForAsync(Topic, t => t.Partitions[0].LeaderId is > 0 && t.Partitions[0].LeaderId != oldLeaderId, "a new leader");
        var election = Stopwatch.GetElapsedTime(since);
        var controller = rig.Cluster.Node(oldLeaderId).Output.Contains("This node is now the active controller", StringComparison.Ordinal) ? " (it was the controller)" : "";
        output.WriteLine($"node {oldLeaderId}{controller} {what}; new leader {(await rig.DescribeAsync(Topic)).Partitions[0].LeaderId} after {election.TotalMilliseconds:N0} ms");
        using var toNewLeader = rig.Client(rig.Leader(await rig.DescribeAsync(Topic), 0).Address);
        // The metadata may come from a node that applied the change before the new leader did: retry until it leads.
        var written = ErrorCode.NotLeaderOrFollower;
        for (var attempt = 0; attempt < 100 && written == ErrorCode.NotLeaderOrFollower; attempt++)
        {
            using var stream = toNewLeader.OpenProduceStream();
            written = (await NodeClient.RoundTripAsync(stream, Request(1, value))).Results.Single().ErrorCode;
            await Task.Delay(written == ErrorCode.None ? 0 : 50);
        }
        Assert.Equal(ErrorCode.None, written);
    }

    /// <summary>Once the old leader is back in the ISR, the partition and every replica's files hold exactly <paramref name="values"/>.</summary>
    private static async Task AssertEveryReplicaHoldsAsync(ClusterRig rig, int oldLeaderId, string[] values)
    {
        // A node that has just come back may still answer with its own stale view (itself leading, a full ISR).
        await rig.WaitForAsync(Topic, t => t.Partitions[0].LeaderId != oldLeaderId && t.Partitions[0].IsrIds.Contains(oldLeaderId), "the old leader back in the ISR");
        Assert.Equal(values, Values(await rig.ReadAsync(Topic, 0)));
        foreach (var node in rig.Cluster.Nodes)
        {
            await node.StopAsync();
            Assert.Equal(values, ReplicaValues(node.DataDirectory));
        }
    }

    private static ProduceRequest Request(long correlationId, string value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var builder = new RecordBatchBuilder(buffer, LogCluster.Protocol.Compression.CompressionType.None);
        builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), key: null, Encoding.UTF8.GetBytes(value));
        var request = NodeClient.Request(correlationId, (Topic, 0, builder.Build().ToArray()));
        request.TimeoutMs = 5_000;
        return request;
    }

    private static List<string> Values(IEnumerable<(long Offset, byte[] Value)> records) => [.. records.Select(r => Encoding.UTF8.GetString(r.Value))];

    /// <summary>Everything in a stopped node's copy of the partition, up to its log end.</summary>
    private static List<string> ReplicaValues(string dataDirectory)
    {
        using var log = PartitionLog.Open(dataDirectory, new TopicPartition(Topic, 0), TopicConfig.Default, TimeProvider.System, out _);
        var bytes = log.Read(0, int.MaxValue, upToLogEnd: true).Batches;
        return [.. RecordBatchReader.SplitBatches(bytes).SelectMany(b => RecordBatchReader.ReadRecords(b.Span)).Select(r => Encoding.UTF8.GetString(r.Value!))];
    }
}
