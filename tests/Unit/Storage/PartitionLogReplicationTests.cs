using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>The replication primitives of one partition log: leader epochs, follower appends, the high watermark, replica reads.</summary>
public sealed class PartitionLogReplicationTests
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(10);

    /// <summary>Batch <paramref name="number"/> as a leader stored it at <paramref name="baseOffset"/> in <paramref name="epoch"/>.</summary>
    private static byte[] Stored(int number, long baseOffset, int epoch, int records = 3) =>
        TestBatches.AsStored(TestBatches.Make(number, records), baseOffset, epoch);

    private static List<(long BaseOffset, int Epoch)> OffsetsAndEpochs(IEnumerable<byte[]> batches) =>
        [.. batches.Select(b => RecordBatchHeader.Read(b)).Select(h => (h.BaseOffset, h.PartitionLeaderEpoch))];

    [Fact]
    public void NewLog_NoEpochs_LeaderEpochZeroAndLastEpochUndefined()
    {
        using var harness = new PartitionLogHarness();

        Assert.Equal(0, harness.Log.LeaderEpoch);
        Assert.Equal(-1, harness.Log.LastEpoch);
        Assert.Equal((-1, -1L), harness.Log.EndOffsetForEpoch(0));
        Assert.True(harness.Log.SoleReplica);
    }

    [Fact]
    public void Append_NeverToldAnEpoch_StampsAndRecordsEpochZero()
    {
        using var harness = new PartitionLogHarness();

        harness.Append(TestBatches.Make(0));

        Assert.Equal([new EpochEntry(0, 0)], harness.Log.ExportLeaderEpochs());
        Assert.Equal((0, 3L), harness.Log.EndOffsetForEpoch(0));
    }

    [Fact]
    public void BecomeLeader_NewEpoch_StampedIntoLaterAppendsAndStartsAtTheLogEnd()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.BecomeLeader(1);
        harness.Append(TestBatches.Make(0));
        harness.Append(TestBatches.Make(1));

        harness.Log.BecomeLeader(4);
        harness.Append(TestBatches.Make(2));

        Assert.Equal([(0L, 1), (3L, 1), (6L, 4)], OffsetsAndEpochs(harness.ReadAll()));
        Assert.Equal(4, harness.Log.LeaderEpoch);
        Assert.Equal(4, harness.Log.LastEpoch);
        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(4, 6)], harness.Log.ExportLeaderEpochs());
        Assert.Equal((1, 6L), harness.Log.EndOffsetForEpoch(1));
        Assert.Equal((1, 6L), harness.Log.EndOffsetForEpoch(3));
        Assert.Equal((4, 9L), harness.Log.EndOffsetForEpoch(4));
        Assert.Equal((-1, -1L), harness.Log.EndOffsetForEpoch(0));
    }

    [Fact]
    public void BecomeLeader_SameEpochAgain_NothingNewRecorded()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.BecomeLeader(2);
        harness.Append(TestBatches.Make(0));

        harness.Log.BecomeLeader(2);

        Assert.Equal([new EpochEntry(2, 0)], harness.Log.ExportLeaderEpochs());
    }

    [Fact]
    public void BecomeLeader_OlderThanTheLogsLastEpoch_Refused()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.BecomeLeader(5);

        Assert.Throws<ArgumentOutOfRangeException>(() => harness.Log.BecomeLeader(4));
        Assert.Equal(5, harness.Log.LeaderEpoch);
    }

    [Fact]
    public void BecomeFollower_NewEpoch_SetsLeaderEpochButRecordsNothing()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.BecomeLeader(1);
        harness.Append(TestBatches.Make(0));

        harness.Log.BecomeFollower(3);

        Assert.Equal(3, harness.Log.LeaderEpoch);
        Assert.Equal(1, harness.Log.LastEpoch);
    }

    [Fact]
    public void AppendAsFollower_LeaderBatches_KeptByteForByteWithTheirOffsetsAndEpochs()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        var batches = new[] { Stored(0, 0, epoch: 2), Stored(1, 3, epoch: 2, records: 5), Stored(2, 8, epoch: 4) };

        var result = harness.AppendAsFollower(batches);

        Assert.Equal((0L, 10L), (result.BaseOffset, result.LastOffset));
        Assert.True(result.Durable.IsCompletedSuccessfully);
        Assert.Equal(11, harness.Log.LogEndOffset);
        Assert.Equal(batches, harness.ReadAll(upToLogEnd: true));
        Assert.Equal([new EpochEntry(2, 0), new EpochEntry(4, 8)], harness.Log.ExportLeaderEpochs());
    }

    [Fact]
    public void AppendAsFollower_InSeveralFetches_ContinuesAtTheLogEnd()
    {
        using var harness = new PartitionLogHarness();
        harness.AppendAsFollower(Stored(0, 0, epoch: 1));

        var second = harness.AppendAsFollower(Stored(1, 3, epoch: 1), Stored(2, 6, epoch: 1));

        Assert.Equal((3L, 8L), (second.BaseOffset, second.LastOffset));
        Assert.Equal([new EpochEntry(1, 0)], harness.Log.ExportLeaderEpochs());
    }

    [Fact]
    public void AppendAsFollower_FirstBatchNotAtTheLogEnd_RejectedAndNothingAppended()
    {
        using var harness = new PartitionLogHarness();
        harness.AppendAsFollower(Stored(0, 0, epoch: 1));

        var error = Assert.Throws<InvalidDataException>(() => harness.AppendAsFollower(Stored(1, 4, epoch: 1)));

        Assert.Contains("continues at 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, harness.Log.LogEndOffset);
    }

    [Fact]
    public void AppendAsFollower_GapBetweenBatches_RejectedAndNothingAppended()
    {
        using var harness = new PartitionLogHarness();

        Assert.Throws<InvalidDataException>(() => harness.AppendAsFollower(Stored(0, 0, epoch: 1), Stored(1, 4, epoch: 1)));

        Assert.Equal(0, harness.Log.LogEndOffset);
        Assert.Equal(-1, harness.Log.LastEpoch);
    }

    [Fact]
    public void AppendAsFollower_CorruptSecondBatch_RejectedAndTheFirstNotAppendedEither()
    {
        using var harness = new PartitionLogHarness();
        var corrupt = Stored(1, 3, epoch: 1);
        corrupt[^1] ^= 0x40;

        var error = Assert.Throws<InvalidDataException>(() => harness.AppendAsFollower(Stored(0, 0, epoch: 1), corrupt));

        Assert.Contains("CRC", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, harness.Log.LogEndOffset);
        Assert.Empty(harness.ReadAll(upToLogEnd: true));
    }

    [Fact]
    public void AppendAsFollower_DataEndsInsideABatch_Rejected()
    {
        using var harness = new PartitionLogHarness();
        var batch = Stored(0, 0, epoch: 1);

        Assert.Throws<InvalidDataException>(() => harness.Log.AppendAsFollower(batch.AsMemory(0, batch.Length - 1)));
        Assert.Throws<InvalidDataException>(() => harness.Log.AppendAsFollower(batch.AsMemory(0, 20)));

        Assert.Equal(0, harness.Log.LogEndOffset);
    }

    [Fact]
    public void AppendAsFollower_EpochOlderThanTheLogsLast_RejectedAsDiverged()
    {
        using var harness = new PartitionLogHarness();
        harness.AppendAsFollower(Stored(0, 0, epoch: 3));

        Assert.Throws<InvalidDataException>(() => harness.AppendAsFollower(Stored(1, 3, epoch: 2)));
        Assert.Throws<InvalidDataException>(() => harness.AppendAsFollower(Stored(1, 3, epoch: 4), Stored(2, 6, epoch: 3)));

        Assert.Equal(3, harness.Log.LogEndOffset);
    }

    [Fact]
    public void AppendAsFollower_AfterLeadingAnEpochWithoutWritingIt_LeadersBatchesTakeItsPlace()
    {
        using var harness = new PartitionLogHarness();
        harness.AppendAsFollower(Stored(0, 0, epoch: 1));
        harness.Log.BecomeLeader(3);
        harness.Log.BecomeFollower(4);

        // The new leader still had epoch 2 batches this replica missed.
        harness.AppendAsFollower(Stored(1, 3, epoch: 2), Stored(2, 6, epoch: 4));

        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(2, 3), new EpochEntry(4, 6)], harness.Log.ExportLeaderEpochs());
    }

    [Fact]
    public void AppendAsFollower_Empty_NothingChanges()
    {
        using var harness = new PartitionLogHarness();
        harness.AppendAsFollower(Stored(0, 0, epoch: 1));
        var signal = harness.Log.NextChange;

        var result = harness.Log.AppendAsFollower(ReadOnlyMemory<byte>.Empty);

        Assert.Equal((3L, 2L), (result.BaseOffset, result.LastOffset));
        Assert.Equal(3, harness.Log.LogEndOffset);
        Assert.False(signal.IsCompleted);
    }

    [Fact]
    public void AppendAsFollower_PastSegmentBytes_RollsAndEveryBatchReadsBack()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024 });
        var batches = Enumerable.Range(0, 30).Select(i => Stored(i, i * 3L, epoch: 1)).ToList();

        harness.AppendAsFollower([.. batches.Take(10)]);
        harness.AppendAsFollower([.. batches.Skip(10)]);

        Assert.True(harness.Log.SegmentCount > 3);
        Assert.Equal(batches, harness.ReadAll(upToLogEnd: true));
        Assert.Equal(harness.Log.SegmentCount - 1, harness.SegmentFiles(SegmentFilesSuffix.Index).Length);
    }

    [Fact]
    public async Task AppendAsFollower_FlushMessagesOne_DurableWaitsForAnFsync()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { FlushMessages = 1 });

        var result = harness.AppendAsFollower(Stored(0, 0, epoch: 1));

        await result.Durable.WaitAsync(_timeout);
        Assert.True(harness.Log.FlushedOffset >= 3);
    }

    [Fact]
    public void AppendAsFollower_HighWatermark_StaysAndTheChangeSignalFires()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        var signal = harness.Log.NextChange;

        harness.AppendAsFollower(Stored(0, 0, epoch: 1));

        Assert.Equal(0, harness.Log.HighWatermark);
        Assert.True(signal.IsCompleted);
        Assert.Empty(harness.ReadAll());
        Assert.Single(harness.ReadAll(upToLogEnd: true));
    }

    [Fact]
    public void AppendAsFollower_ProducerBatch_RetryAfterBecomingLeaderAnsweredWithTheOriginalOffsets()
    {
        using var harness = new PartitionLogHarness();
        harness.AppendAsFollower(Stored(0, 0, epoch: 1));
        var sent = TestBatches.MakeIdempotent(producerId: 42, epoch: 0, baseSequence: 0);
        harness.AppendAsFollower(TestBatches.AsStored(sent, baseOffset: 3, leaderEpoch: 1));
        Assert.Equal(1, harness.Log.ProducerCount);

        harness.Log.BecomeLeader(2);
        var retry = harness.Append(sent);
        var next = harness.Append(TestBatches.MakeIdempotent(producerId: 42, epoch: 0, baseSequence: 3));

        Assert.Equal((3L, 5L), (retry.BaseOffset, retry.LastOffset));
        Assert.Equal(6, next.BaseOffset);
        Assert.Equal(9, harness.Log.LogEndOffset);
    }

    [Fact]
    public void SoleReplicaFalse_Append_HighWatermarkStaysUntilAdvanced()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.Make(0));
        harness.Log.SoleReplica = false;

        harness.Append(TestBatches.Make(1));

        Assert.Equal(3, harness.Log.HighWatermark);
        Assert.Equal(6, harness.Log.LogEndOffset);
        Assert.Single(harness.ReadAll());
    }

    [Fact]
    public void SoleReplica_SetBackToTrue_HighWatermarkJumpsToTheLogEndAndFetchersWake()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        harness.Append(TestBatches.Make(0));
        var signal = harness.Log.NextChange;

        harness.Log.SoleReplica = true;

        Assert.Equal(3, harness.Log.HighWatermark);
        Assert.True(signal.IsCompleted);
        harness.Append(TestBatches.Make(1));
        Assert.Equal(6, harness.Log.HighWatermark);
    }

    [Fact]
    public void AdvanceHighWatermark_BoundedByTheLogEndNeverBackwardsAndSignalsOnlyWhenMoved()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        harness.AppendAsFollower(Stored(0, 0, epoch: 1), Stored(1, 3, epoch: 1));
        var signal = harness.Log.NextChange;

        Assert.True(harness.Log.AdvanceHighWatermark(3));
        Assert.True(signal.IsCompleted);
        Assert.Equal(3, harness.Log.HighWatermark);

        var next = harness.Log.NextChange;
        Assert.False(harness.Log.AdvanceHighWatermark(2));
        Assert.False(harness.Log.AdvanceHighWatermark(3));
        Assert.False(next.IsCompleted);

        Assert.True(harness.Log.AdvanceHighWatermark(100));
        Assert.Equal(6, harness.Log.HighWatermark);
        Assert.True(next.IsCompleted);
        Assert.Equal(2, harness.ReadAll().Count);
    }

    [Fact]
    public void Read_UpToLogEnd_ServesRecordsAboveTheHighWatermark()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        harness.Append(TestBatches.Make(0));
        harness.Append(TestBatches.Make(1));
        harness.Log.AdvanceHighWatermark(3);

        var consumer = harness.Log.Read(0, maxBytes: 1_000_000);
        var replica = harness.Log.Read(0, maxBytes: 1_000_000, upToLogEnd: true);
        var atHighWatermark = harness.Log.Read(3, maxBytes: 1_000_000);

        Assert.Single(TestBatches.Split(consumer.Batches));
        Assert.Equal(2, TestBatches.Split(replica.Batches).Count);
        Assert.True(atHighWatermark.Batches.IsEmpty);
        Assert.False(atHighWatermark.OutOfRange);
        Assert.Equal((3L, 6L), (replica.HighWatermark, replica.LogEndOffset));
        Assert.True(harness.Log.Read(7, 100, upToLogEnd: true).OutOfRange);
    }

    [Fact]
    public void EnforceRetention_SegmentsNotBelowTheHighWatermark_Kept()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024, RetentionBytes = 0 });
        harness.Log.SoleReplica = false;
        harness.AppendAsFollower([.. Enumerable.Range(0, 30).Select(i => Stored(i, i * 3L, epoch: 1))]);
        var segments = harness.Log.SegmentCount;

        Assert.Equal(0, harness.Log.EnforceRetention(harness.Time.GetUtcNow().ToUnixTimeMilliseconds()));

        harness.Log.AdvanceHighWatermark(30);
        var deleted = harness.Log.EnforceRetention(harness.Time.GetUtcNow().ToUnixTimeMilliseconds());

        Assert.True(deleted > 0);
        Assert.Equal(segments - deleted, harness.Log.SegmentCount);
        Assert.True(harness.Log.LogStartOffset <= 30, $"log start {harness.Log.LogStartOffset} passed the high watermark");
    }

    [Fact]
    public void EnforceRetention_NewLogStart_EpochCacheTrimmedToIt()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024, RetentionBytes = 0 });
        harness.AppendAsFollower([.. Enumerable.Range(0, 30).Select(i => Stored(i, i * 3L, epoch: i < 4 ? 1 : i < 20 ? 2 : 3))]);
        // Epoch 1 holds [0, 12), epoch 2 [12, 60), epoch 3 from 60; segments of 5 batches (15 offsets).
        harness.Log.AdvanceHighWatermark(50);

        harness.Log.EnforceRetention(harness.Time.GetUtcNow().ToUnixTimeMilliseconds());

        var start = harness.Log.LogStartOffset;
        Assert.InRange(start, 13, 50);
        Assert.Equal([new EpochEntry(2, start), new EpochEntry(3, 60)], harness.Log.ExportLeaderEpochs());
        harness.Reopen();
        Assert.Equal([new EpochEntry(2, start), new EpochEntry(3, 60)], harness.Log.ExportLeaderEpochs());
    }
}
