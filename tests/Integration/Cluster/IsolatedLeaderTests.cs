using System.Text;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Cluster;

/// <summary>
/// A leader cut off from the cluster (its process frozen with SIGSTOP: its connections stay open and silent) is
/// replaced; woken up, it still believes it leads and takes a write, which it must not acknowledge, and which it
/// must not keep once it follows the new leader (its tail is cut at the new epoch's start, KIP-101).
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class IsolatedLeaderTests(ITestOutputHelper output)
{
    private const string Topic = "isolated";

    [Fact]
    public async Task Leader_FrozenThenWokenWithAStaleWrite_DoesNotAcknowledgeItAndDropsItsDivergedTail()
    {
        await using var rig = await ClusterRig.StartAsync();
        await rig.CreateTopicAsync(Topic, partitions: 1, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var oldLeader = rig.Leader(await rig.DescribeAsync(Topic), 0);
        var oldLeaderId = rig.Cluster.Nodes.ToList().IndexOf(oldLeader) + 1;
        using var toOldLeader = new NodeClient(oldLeader.Address);
        var stream = toOldLeader.OpenProduceStream();
        Assert.Equal(ErrorCode.None, (await NodeClient.RoundTripAsync(stream, Request(1, "a"))).Results.Single().ErrorCode);

        await oldLeader.PauseAsync();
        var election = await rig.WaitForAsync(Topic, t => t.Partitions[0].LeaderId is > 0 && t.Partitions[0].LeaderId != oldLeaderId, "a new leader");
        output.WriteLine($"node {oldLeaderId} frozen; new leader {(await rig.DescribeAsync(Topic)).Partitions[0].LeaderId} after {election.TotalMilliseconds:N0} ms");
        using (var toNewLeader = new NodeClient(rig.Leader(await rig.DescribeAsync(Topic), 0).Address))
        {
            // The metadata may come from a node that applied the change before the new leader did: retry until it leads.
            var written = ErrorCode.NotLeaderOrFollower;
            for (var attempt = 0; attempt < 100 && written == ErrorCode.NotLeaderOrFollower; attempt++)
            {
                using var newStream = toNewLeader.OpenProduceStream();
                written = (await NodeClient.RoundTripAsync(newStream, Request(1, "b"))).Results.Single().ErrorCode;
                await Task.Delay(written == ErrorCode.None ? 0 : 50);
            }
            Assert.Equal(ErrorCode.None, written);
        }
        // Queued in the frozen node's socket, so it is the first thing the node reads when it wakes.
        await stream.RequestStream.WriteAsync(Request(2, "stale"));
        await oldLeader.ResumeAsync();
        Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(NodeClient.CallTimeout));
        var stale = stream.ResponseStream.Current.Results.Single();
        output.WriteLine($"the woken node answered the stale write with {stale.ErrorCode}: {stale.ErrorMessage}");
        Assert.NotEqual(ErrorCode.None, stale.ErrorCode);
        stream.Dispose();

        await rig.WaitForAsync(Topic, t => t.Partitions[0].IsrIds.Contains(oldLeaderId), "the old leader back in the ISR");
        Assert.Equal(["a", "b"], Values(await rig.ReadAsync(Topic, 0)));
        foreach (var node in rig.Cluster.Nodes)
        {
            await node.StopAsync();
            Assert.Equal(["a", "b"], ReplicaValues(node.DataDirectory));
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
