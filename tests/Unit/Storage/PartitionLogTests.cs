using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;

namespace LogCluster.Tests.Unit.Storage;

public sealed class PartitionLogTests
{
    [Fact]
    public void Append_SeveralBatches_ConsecutiveOffsetsAndStampedBytesReadBack()
    {
        using var harness = new PartitionLogHarness();
        var sent = Enumerable.Range(0, 10).Select(i => TestBatches.Make(i, records: 1 + i)).ToList();

        var offsets = sent.Select(b => harness.Append(b).BaseOffset).ToList();

        var expectedOffsets = sent.Select((_, i) => (long)Enumerable.Range(0, i).Sum(j => 1 + j)).ToList();
        Assert.Equal(expectedOffsets, offsets);
        Assert.Equal(sent.Select((b, i) => TestBatches.AsStored(b, offsets[i])), harness.ReadAll());
        Assert.Equal(55, harness.Log.LogEndOffset);
        Assert.Equal(harness.Log.LogEndOffset, harness.Log.HighWatermark);
    }

    [Fact]
    public void Append_PastSegmentBytes_RollsSealedSegmentsAndEveryOffsetIsFound()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 2048, IndexIntervalBytes = 300 });
        var sent = Enumerable.Range(0, 60).Select(i => TestBatches.Make(i, records: 2, valueBytes: 50)).ToList();
        var offsets = sent.Select(b => harness.Append(b).BaseOffset).ToList();

        Assert.True(harness.Log.SegmentCount > 5);
        Assert.Equal(harness.Log.SegmentCount - 1, harness.SegmentFiles(SegmentFilesSuffix.Index).Length);
        for (long offset = 0; offset < harness.Log.LogEndOffset; offset++)
        {
            var first = TestBatches.Split(harness.Log.Read(offset, maxBytes: 1).Batches).Single();
            var batch = (int)(offset / 2);
            Assert.Equal(TestBatches.AsStored(sent[batch], offsets[batch]), first);
        }
    }

    [Fact]
    public void Reopen_AfterGracefulClose_SameBatchesAndAppendsContinue()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 2048 });
        for (var i = 0; i < 30; i++)
        {
            harness.Append(TestBatches.Make(i));
        }
        var before = harness.ReadAll();

        harness.Reopen();

        Assert.Equal(before, harness.ReadAll());
        Assert.Equal(0, harness.LastRecovery.TruncatedBytes);
        Assert.Equal(90, harness.Append(TestBatches.Make(30)).BaseOffset);
    }

    [Fact]
    public void Reopen_SealedSegmentIndexesDeleted_RebuiltFromTheLog()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 2048, IndexIntervalBytes = 200 });
        for (var i = 0; i < 30; i++)
        {
            harness.Append(TestBatches.Make(i));
        }
        var before = harness.ReadAll();

        harness.Reopen(() =>
        {
            foreach (var file in Directory.GetFiles(harness.PartitionDirectory, "*.index"))
            {
                File.Delete(file);
            }
        });

        Assert.Equal(before, harness.ReadAll());
        // Offset 46 lies in the third record batch of three records: [45, 47].
        Assert.Equal(47, TestBatches.Split(harness.Log.Read(46, 1).Batches).Select(b => RecordBatchHeader.Read(b).LastOffset).Single());
    }

    [Fact]
    public void Append_SegmentOlderThanSegmentMs_RollsOnTheNextAppend()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentMs = 60_000 });
        harness.Append(TestBatches.Make(1));
        harness.Time.Advance(TimeSpan.FromSeconds(59));
        harness.Append(TestBatches.Make(2));
        Assert.Equal(1, harness.Log.SegmentCount);

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        harness.Append(TestBatches.Make(3));

        Assert.Equal(2, harness.Log.SegmentCount);
        Assert.Equal(["00000000000000000000.log", "00000000000000000006.log"], harness.SegmentFiles(SegmentFilesSuffix.Log));
    }

    [Fact]
    public void EnforceRetention_OverRetentionBytes_DeletesOldestSealedSegmentsOnly()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024, RetentionBytes = 2048 });
        for (var i = 0; i < 40; i++)
        {
            harness.Append(TestBatches.Make(i));
        }
        var segmentsBefore = harness.Log.SegmentCount;

        var deleted = harness.Log.EnforceRetention(harness.Time.GetUtcNow().ToUnixTimeMilliseconds());

        Assert.True(deleted > 0);
        Assert.Equal(segmentsBefore - deleted, harness.Log.SegmentCount);
        Assert.True(harness.Log.SizeInBytes <= 2048 + 1024, $"{harness.Log.SizeInBytes} bytes left");
        Assert.True(harness.Log.LogStartOffset > 0);
        Assert.Equal(harness.Log.LogStartOffset, RecordBatchHeader.Read(harness.ReadAll()[0]).BaseOffset);
        Assert.True(harness.Log.Read(0, 100).OutOfRange);
    }

    [Fact]
    public void EnforceRetention_SegmentsOlderThanRetentionMs_DeletedButNeverTheActiveOne()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024, RetentionMs = 3_600_000 });
        for (var i = 0; i < 20; i++)
        {
            harness.Append(TestBatches.Make(i, timestamp: 1_000));
        }
        var end = harness.Log.LogEndOffset;

        harness.Log.EnforceRetention(nowMs: 1_000 + 3_600_000);
        Assert.True(harness.Log.SegmentCount > 1);

        // Records at 1_000..1_002: expired once now - 1_002 exceeds retention.ms, as in Kafka.
        harness.Log.EnforceRetention(nowMs: 1_003 + 3_600_000);
        Assert.Equal(1, harness.Log.SegmentCount);
        Assert.Equal(end, harness.Log.LogEndOffset);
    }

    [Fact]
    public async Task Append_FlushMessagesOne_DurableOnlyOnceFsyncCoversItAndFsyncsAreShared()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { FlushMessages = 1 });
        const int Appends = 64;

        var results = Enumerable.Range(0, Appends).Select(i => harness.Append(TestBatches.Make(i))).ToList();
        foreach (var result in results)
        {
            await result.Durable.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(harness.Log.FlushedOffset > result.LastOffset);
        }

        Assert.True(harness.Log.FlushCount < Appends / 4, $"{harness.Log.FlushCount} fsyncs for {Appends} appends: group commit did not group");
    }

    [Fact]
    public void Append_DefaultFlushPolicy_AcknowledgedWithoutWaitingForFsync()
    {
        using var harness = new PartitionLogHarness();

        var result = harness.Append(TestBatches.Make(1));

        Assert.True(result.Durable.IsCompletedSuccessfully);
        Assert.Equal(0, harness.Log.FlushCount);
    }

    [Fact]
    public async Task FlushIfDue_FlushMsElapsed_FsyncsTheUnflushedTail()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { FlushMs = 1_000 });
        harness.Append(TestBatches.Make(1));
        var nowMs = harness.Time.GetUtcNow().ToUnixTimeMilliseconds();

        harness.Log.FlushIfDue(nowMs + 999);
        Assert.Equal(0, harness.Log.FlushCount);
        harness.Log.FlushIfDue(nowMs + 1_000);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (harness.Log.FlushedOffset < harness.Log.LogEndOffset && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.Equal(harness.Log.LogEndOffset, harness.Log.FlushedOffset);
    }

    [Fact]
    public void OffsetForTimestamp_AcrossSegments_FirstBatchReachingTheTime()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024 });
        for (var i = 0; i < 30; i++)
        {
            harness.Append(TestBatches.Make(i, records: 3, timestamp: 10_000 + (i * 100)));
        }

        Assert.Equal(0, harness.Log.OffsetForTimestamp(0));
        Assert.Equal(15 * 3, harness.Log.OffsetForTimestamp(11_500));
        Assert.Equal(14 * 3, harness.Log.OffsetForTimestamp(11_402));
        Assert.Equal(15 * 3, harness.Log.OffsetForTimestamp(11_403));
        Assert.Null(harness.Log.OffsetForTimestamp(20_000));
    }
}

/// <summary>Suffixes of the files a segment owns.</summary>
internal static class SegmentFilesSuffix
{
    public const string Log = ".log";
    public const string Index = ".index";
}
