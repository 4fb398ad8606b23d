using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration;

/// <summary>Fetch long-polls for min_bytes, answers out-of-range offsets with an error, and ListOffsets finds offsets.</summary>
public sealed class FetchTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private NodeClient Client => fixture.Client;

    private static FetchRequest Request(string topic, long offset, int maxWaitMs, int minBytes) => new()
    {
        ReplicaId = -1,
        MaxWaitMs = maxWaitMs,
        MinBytes = minBytes,
        MaxBytes = 1 << 20,
        Partitions = { new FetchPartition { Topic = topic, Partition = 0, FetchOffset = offset, CurrentLeaderEpoch = -1 } },
    };

    [Fact]
    public async Task Fetch_NothingYet_WakesWhenABatchArrivesLongBeforeMaxWait()
    {
        const string Topic = "long-poll";
        await Client.CreateTopicAsync(Topic);
        var waiting = Client.Log.FetchAsync(Request(Topic, 0, maxWaitMs: 60_000, minBytes: 1)).ResponseAsync;
        var batch = TestBatches.Make(1);

        using var stream = Client.OpenProduceStream();
        await NodeClient.RoundTripAsync(stream, NodeClient.Request(1, (Topic, 0, batch)));

        // Far below max_wait_ms: only the append signal can have answered it.
        var response = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([TestBatches.AsStored(batch, 0)], TestBatches.Split(response.Partitions.Single().RecordBatches.Memory));
    }

    [Fact]
    public async Task Fetch_MinBytesNeverReached_AnswersEmptyAfterMaxWait()
    {
        const string Topic = "long-poll-timeout";
        await Client.CreateTopicAsync(Topic);

        var result = (await Client.Log.FetchAsync(Request(Topic, 0, maxWaitMs: 200, minBytes: 1))).Partitions.Single();

        Assert.Equal(ErrorCode.None, result.ErrorCode);
        Assert.True(result.RecordBatches.IsEmpty);
        Assert.Equal(0, result.HighWatermark);
    }

    [Fact]
    public async Task Fetch_OffsetPastTheEnd_OffsetOutOfRangeWithTheValidRange()
    {
        const string Topic = "out-of-range";
        await Client.CreateTopicAsync(Topic);
        using var stream = Client.OpenProduceStream();
        await NodeClient.RoundTripAsync(stream, NodeClient.Request(1, (Topic, 0, TestBatches.Make(1))));

        var result = (await Client.Log.FetchAsync(Request(Topic, 99, maxWaitMs: 0, minBytes: 0))).Partitions.Single();

        Assert.Equal(ErrorCode.OffsetOutOfRange, result.ErrorCode);
        Assert.Equal((0, 3), (result.LogStartOffset, result.LogEndOffset));
    }

    [Fact]
    public async Task Fetch_FromTheMiddleOfABatch_ReturnsTheWholeBatchHoldingThatOffset()
    {
        const string Topic = "mid-batch";
        await Client.CreateTopicAsync(Topic);
        var batches = new[] { TestBatches.Make(1, records: 5), TestBatches.Make(2, records: 5) };
        using var stream = Client.OpenProduceStream();
        await NodeClient.RoundTripAsync(stream, NodeClient.Request(1, (Topic, 0, batches[0])));
        await NodeClient.RoundTripAsync(stream, NodeClient.Request(2, (Topic, 0, batches[1])));

        var fetched = await Client.FetchAllAsync(Topic, 0, fromOffset: 7);

        Assert.Equal([TestBatches.AsStored(batches[1], 5)], fetched);
    }

    [Fact]
    public async Task ListOffsets_EarliestLatestAndByTimestamp_FindTheBatches()
    {
        const string Topic = "list-offsets";
        await Client.CreateTopicAsync(Topic);
        using var stream = Client.OpenProduceStream();
        await NodeClient.RoundTripAsync(stream, NodeClient.Request(1, (Topic, 0, TestBatches.Make(1, records: 2, timestamp: 1_000))));
        await NodeClient.RoundTripAsync(stream, NodeClient.Request(2, (Topic, 0, TestBatches.Make(2, records: 2, timestamp: 5_000))));
        var request = new ListOffsetsRequest();
        foreach (var timestamp in new long[] { -2, -1, 0, 1_001, 4_000, 5_001, 9_000 })
        {
            request.Partitions.Add(new ListOffsetsPartition { Topic = Topic, Partition = 0, TimestampMs = timestamp });
        }

        var offsets = (await Client.Log.ListOffsetsAsync(request)).Partitions.Select(p => p.Offset);

        // Batch granularity: 1_001 lies inside the first batch (records at 1_000 and 1_001).
        Assert.Equal(new long[] { 0, 4, 0, 0, 2, 2, -1 }, offsets);
    }
}
