using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration;

/// <summary>Batches go in through the Produce stream and come back byte-identical, before and after restarts.</summary>
public sealed class ProduceFetchRestartTests
{
    private const string Topic = "orders";
    private static readonly CompressionType[] _codecs = Enum.GetValues<CompressionType>();

    [Fact]
    public async Task Produce_ThenRestartGracefullyAndKill_FetchReturnsIdenticalBytes()
    {
        using var data = new TempDirectory();
        await using var node = await LocalNode.StartAsync(data.Path);
        var expected = new Dictionary<int, List<byte[]>> { [0] = [], [1] = [] };

        using (var client = new NodeClient(node.Address))
        {
            await client.CreateTopicAsync(Topic, partitions: 2, new() { ["segment.bytes"] = "1024" });
            await ProduceAsync(client, expected, firstBatch: 0, count: 40);
            await AssertFetchMatchesAsync(client, expected, node);
        }

        await node.StopAsync();
        await node.StartAsync();
        using (var client = new NodeClient(node.Address))
        {
            await AssertFetchMatchesAsync(client, expected, node);
            await ProduceAsync(client, expected, firstBatch: 40, count: 20);
        }

        await node.KillAsync();
        await node.StartAsync();
        using (var client = new NodeClient(node.Address))
        {
            await AssertFetchMatchesAsync(client, expected, node);
        }
        Assert.True(Directory.GetFiles(Path.Combine(data.Path, "orders-0"), "*.log").Length > 1, "segment.bytes=1024 should have rolled segments");
    }

    /// <summary>
    /// Each request carries one batch for each of the two partitions; offsets must continue exactly. The node stamps
    /// its current leader epoch, which every restart raises (a restarted node is a new incarnation to the controller).
    /// </summary>
    private static async Task ProduceAsync(NodeClient client, Dictionary<int, List<byte[]>> expected, int firstBatch, int count)
    {
        var metadata = await client.Admin.MetadataAsync(new MetadataRequest { Topics = { Topic } });
        var leaderEpochs = metadata.Topics.Single().Partitions.ToDictionary(p => p.Partition, p => p.LeaderEpoch);
        using var stream = client.OpenProduceStream();
        for (var i = firstBatch; i < firstBatch + count; i += 2)
        {
            var sent = new[] { Batch(i), Batch(i + 1) };
            var response = await NodeClient.RoundTripAsync(stream, NodeClient.Request(i, (Topic, 0, sent[0]), (Topic, 1, sent[1])));
            for (var p = 0; p < 2; p++)
            {
                var result = response.Results[p];
                Assert.Equal(ErrorCode.None, result.ErrorCode);
                var nextOffset = expected[p].Sum(b => LogCluster.Protocol.Records.RecordBatchHeader.Read(b).RecordCount);
                Assert.Equal(nextOffset, result.BaseOffset);
                expected[p].Add(TestBatches.AsStored(sent[p], result.BaseOffset, leaderEpochs[p]));
            }
        }
        await stream.RequestStream.CompleteAsync();
    }

    private static byte[] Batch(int number) =>
        TestBatches.Make(number, records: 1 + (number % 5), valueBytes: 100, _codecs[number % _codecs.Length]);

    private static async Task AssertFetchMatchesAsync(NodeClient client, Dictionary<int, List<byte[]>> expected, LocalNode node)
    {
        foreach (var (partition, batches) in expected)
        {
            var fetched = await client.FetchAllAsync(Topic, partition, maxBytes: 1000);
            Assert.True(batches.Count == fetched.Count, $"partition {partition}: {batches.Count} batches sent, {fetched.Count} fetched\n{node.Output}");
            for (var i = 0; i < batches.Count; i++)
            {
                Assert.Equal(batches[i], fetched[i]);
            }
        }
    }
}
