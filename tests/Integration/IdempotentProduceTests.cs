using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration;

/// <summary>The node's idempotence over the Produce stream: retried batches are not written twice, even across a SIGKILL.</summary>
public sealed class IdempotentProduceTests
{
    private const string Topic = "idempotent";

    [Fact]
    public async Task Produce_RetriedBatchAcrossASigkillRestart_AnsweredWithTheOriginalOffsetNotWrittenTwice()
    {
        using var data = new TempDirectory();
        await using var node = await LocalNode.StartAsync(data.Path);
        long acknowledged;
        using (var client = new NodeClient(node.Address))
        {
            await client.CreateTopicAsync(Topic, configs: new() { ["flush.messages"] = "1" });
            using var stream = client.OpenProduceStream();
            await NodeClient.RoundTripAsync(stream, NodeClient.Request(1, (Topic, 0, TestBatches.MakeIdempotent(42, 1, 0))));
            var second = await NodeClient.RoundTripAsync(stream, NodeClient.Request(2, (Topic, 0, TestBatches.MakeIdempotent(42, 1, 3))));
            acknowledged = second.Results.Single().BaseOffset;

            var gap = await NodeClient.RoundTripAsync(stream, NodeClient.Request(3, (Topic, 0, TestBatches.MakeIdempotent(42, 1, 9))));
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.Results.Single().ErrorCode);
        }

        // The acknowledgement was "lost": the producer retries the same batch after the node came back.
        await node.KillAsync();
        await node.StartAsync();
        using (var client = new NodeClient(node.Address))
        {
            using var stream = client.OpenProduceStream();
            var retry = await NodeClient.RoundTripAsync(stream, NodeClient.Request(4, (Topic, 0, TestBatches.MakeIdempotent(42, 1, 3))));
            var fenced = await NodeClient.RoundTripAsync(stream, NodeClient.Request(5, (Topic, 0, TestBatches.MakeIdempotent(42, 0, 6))));

            Assert.Equal((ErrorCode.None, acknowledged), (retry.Results.Single().ErrorCode, retry.Results.Single().BaseOffset));
            Assert.Equal(ErrorCode.InvalidProducerEpoch, fenced.Results.Single().ErrorCode);
            Assert.Equal(2, (await client.FetchAllAsync(Topic, 0)).Count);
        }
    }

    [Fact]
    public async Task InitProducerId_NewProducersBeforeAndAfterASigkill_IdsNeverRepeatAndBumpsKeepTheId()
    {
        using var data = new TempDirectory();
        await using var node = await LocalNode.StartAsync(data.Path);
        var ids = new HashSet<long>();
        using (var client = new NodeClient(node.Address))
        {
            for (var i = 0; i < 3; i++)
            {
                var fresh = await client.Admin.InitProducerIdAsync(new InitProducerIdRequest { ProducerId = -1, ProducerEpoch = -1 });
                Assert.Equal((ErrorCode.None, 0), (fresh.ErrorCode, fresh.ProducerEpoch));
                Assert.True(ids.Add(fresh.ProducerId));
            }
            var bumped = await client.Admin.InitProducerIdAsync(new InitProducerIdRequest { ProducerId = ids.First(), ProducerEpoch = 0 });
            Assert.Equal((ids.First(), 1), (bumped.ProducerId, bumped.ProducerEpoch));
            var invalid = await client.Admin.InitProducerIdAsync(new InitProducerIdRequest { ProducerId = 5, ProducerEpoch = -1 });
            Assert.Equal(ErrorCode.InvalidRequest, invalid.ErrorCode);
        }

        await node.KillAsync();
        await node.StartAsync();
        using (var client = new NodeClient(node.Address))
        {
            var afterRestart = await client.Admin.InitProducerIdAsync(new InitProducerIdRequest { ProducerId = -1, ProducerEpoch = -1 });
            Assert.DoesNotContain(afterRestart.ProducerId, ids);
        }
    }
}
