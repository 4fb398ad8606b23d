using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>TruncateTo: a follower cutting the tail that diverged from its leader, and everything that must follow the cut.</summary>
public sealed class PartitionLogTruncationTests
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(10);

    // Batches of 3 records of 32-byte values take 196 bytes: 5 fit in a 1024-byte segment, so segments hold 15 offsets.
    private static readonly TopicConfig _smallSegments = TopicConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 300 };

    private static List<byte[]> AppendBatches(PartitionLogHarness harness, int count, int firstNumber = 0) =>
        [.. Enumerable.Range(firstNumber, count).Select(i => TestBatches.AsStored(TestBatches.Make(i), harness.Append(TestBatches.Make(i)).BaseOffset))];

    private static long BaseOffset(byte[] batch) => RecordBatchHeader.Read(batch).BaseOffset;

    [Fact]
    public void TruncateTo_InsideABatch_CutsAtThatBatchsStart()
    {
        using var harness = new PartitionLogHarness();
        var batches = AppendBatches(harness, 10);
        var signal = harness.Log.NextChange;

        harness.Log.TruncateTo(16);

        Assert.Equal(15, harness.Log.LogEndOffset);
        Assert.Equal(15, harness.Log.HighWatermark);
        Assert.Equal(batches[..5], harness.ReadAll());
        Assert.Equal(batches[..5].Sum(b => b.Length), new FileInfo(Path.Combine(harness.PartitionDirectory, "00000000000000000000.log")).Length);
        Assert.True(signal.IsCompleted);
        Assert.True(harness.Log.Read(16, 100).OutOfRange);
    }

    [Fact]
    public void TruncateTo_ThenAppendAndReopen_TheShorterLogContinuesAndComesBackTheSame()
    {
        using var harness = new PartitionLogHarness();
        var batches = AppendBatches(harness, 10);

        harness.Log.TruncateTo(15);
        var appended = AppendBatches(harness, 3, firstNumber: 100);
        var before = harness.ReadAll();
        harness.Reopen();

        Assert.Equal(15, BaseOffset(appended[0]));
        Assert.Equal([.. batches[..5], .. appended], before);
        Assert.Equal(before, harness.ReadAll());
        Assert.Equal(24, harness.Log.LogEndOffset);
        Assert.Equal(0, harness.LastRecovery.TruncatedBytes);
    }

    [Fact]
    public void TruncateTo_AtASegmentBoundary_LeavesThatSegmentEmptyAndActive()
    {
        using var harness = new PartitionLogHarness(_smallSegments);
        var batches = AppendBatches(harness, 20);
        Assert.Equal(["00000000000000000000.log", "00000000000000000015.log", "00000000000000000030.log", "00000000000000000045.log"], harness.SegmentFiles(SegmentFilesSuffix.Log));

        harness.Log.TruncateTo(30);

        Assert.Equal(30, harness.Log.LogEndOffset);
        Assert.Equal(["00000000000000000000.log", "00000000000000000015.log", "00000000000000000030.log"], harness.SegmentFiles(SegmentFilesSuffix.Log));
        Assert.Equal(["00000000000000000000.index", "00000000000000000015.index"], harness.SegmentFiles(SegmentFilesSuffix.Index));
        Assert.Equal(0, new FileInfo(Path.Combine(harness.PartitionDirectory, "00000000000000000030.log")).Length);
        Assert.Equal(batches[..10], harness.ReadAll());
        Assert.Equal(30, harness.Append(TestBatches.Make(100)).BaseOffset);
    }

    [Fact]
    public void TruncateTo_IntoAnEarlierSegment_LaterSegmentsDeletedAndEveryOffsetStillFoundAfterReopen()
    {
        using var harness = new PartitionLogHarness(_smallSegments);
        var batches = AppendBatches(harness, 20);

        harness.Log.TruncateTo(20);
        Assert.Equal(18, harness.Log.LogEndOffset);
        Assert.Equal(2, harness.Log.SegmentCount);
        var appended = AppendBatches(harness, 12, firstNumber: 100);
        harness.Reopen();

        var expected = batches[..6].Concat(appended).ToList();
        Assert.Equal(expected, harness.ReadAll());
        Assert.Equal(18 + 36, harness.Log.LogEndOffset);
        Assert.Equal(0, harness.LastRecovery.TruncatedBytes);
        foreach (var batch in expected)
        {
            var header = RecordBatchHeader.Read(batch);
            for (var offset = header.BaseOffset; offset <= header.LastOffset; offset++)
            {
                Assert.Equal(batch, TestBatches.Split(harness.Log.Read(offset, maxBytes: 1).Batches).Single());
            }
        }
    }

    [Fact]
    public void TruncateTo_AtOrPastTheLogEnd_NothingChanges()
    {
        using var harness = new PartitionLogHarness();
        var batches = AppendBatches(harness, 3);
        var signal = harness.Log.NextChange;

        harness.Log.TruncateTo(9);
        harness.Log.TruncateTo(100);

        Assert.Equal(9, harness.Log.LogEndOffset);
        Assert.Equal(batches, harness.ReadAll());
        Assert.False(signal.IsCompleted);
    }

    [Fact]
    public void TruncateTo_BelowTheLogStart_EmptiesTheLogAtTheLogStart()
    {
        using var harness = new PartitionLogHarness(_smallSegments with { RetentionBytes = 0 });
        AppendBatches(harness, 20);
        harness.Log.EnforceRetention(harness.Time.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.Equal(45, harness.Log.LogStartOffset);

        harness.Log.TruncateTo(3);

        Assert.Equal((45L, 45L, 45L), (harness.Log.LogStartOffset, harness.Log.LogEndOffset, harness.Log.HighWatermark));
        Assert.Empty(harness.ReadAll());
        Assert.Equal(45, harness.Append(TestBatches.Make(100)).BaseOffset);
    }

    [Fact]
    public void TruncateTo_BelowTheHighWatermark_LowersItAndTheCheckpoint()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        AppendBatches(harness, 5);
        harness.Log.AdvanceHighWatermark(12);
        harness.Log.CheckpointHighWatermark();

        harness.Log.TruncateTo(6);
        Assert.Equal(6, harness.Log.HighWatermark);
        Assert.Equal((OffsetFile.Valid, 6L), SegmentFiles.ReadOffset(Path.Combine(harness.PartitionDirectory, SegmentFiles.HighWatermarkFile)));
        AppendBatches(harness, 5, firstNumber: 100);
        harness.Reopen();

        Assert.Equal(6, harness.Log.HighWatermark);
    }

    [Fact]
    public void TruncateTo_EpochsStartingAtOrAfterTheCut_ForgottenAlsoAfterReopen()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.BecomeLeader(1);
        AppendBatches(harness, 2);
        harness.Log.BecomeLeader(2);
        AppendBatches(harness, 2);
        harness.Log.BecomeLeader(3);
        AppendBatches(harness, 2);

        harness.Log.TruncateTo(13);

        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(2, 6)], harness.Log.ExportLeaderEpochs());
        Assert.Equal((2, 12L), harness.Log.EndOffsetForEpoch(3));
        harness.Reopen();
        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(2, 6)], harness.Log.ExportLeaderEpochs());
        Assert.Equal(2, harness.Log.LeaderEpoch);
    }

    [Fact]
    public void TruncateTo_ProducerState_RebuiltFromTheBatchesThatRemain()
    {
        using var harness = new PartitionLogHarness();
        const long Producer = 42;
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 0));
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3));
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 6));

        harness.Log.TruncateTo(6);

        var keptRetry = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3));
        Assert.Equal((3L, 5L), (keptRetry.BaseOffset, keptRetry.LastOffset));
        harness.Append(TestBatches.Make(0));
        // The batch at sequence 6 is gone: it is new again, not a duplicate answered with offsets 6-8.
        var resent = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 6));
        Assert.Equal((9L, 11L), (resent.BaseOffset, resent.LastOffset));
    }

    [Fact]
    public void TruncateTo_BetweenProducerSnapshots_DeletesTheNewerAndRebuildsFromTheOlder()
    {
        using var harness = new PartitionLogHarness(_smallSegments);
        const long Producer = 42;
        for (var sequence = 0; sequence < 90; sequence += 3)
        {
            harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: sequence));
        }
        var snapshots = ProducerStateSnapshot.ListOffsets(harness.PartitionDirectory);
        Assert.Equal(2, snapshots.Count);

        // Batches hold 3 records each, from offset 0: the cut lands on the batch starting 3 after the older snapshot.
        harness.Log.TruncateTo(snapshots[0] + 4);

        Assert.Equal(snapshots[0] + 3, harness.Log.LogEndOffset);
        Assert.Equal([snapshots[0]], ProducerStateSnapshot.ListOffsets(harness.PartitionDirectory));
        var state = Assert.Single(harness.Log.ExportProducerState());
        Assert.Equal(harness.Log.LogEndOffset - 1, state.Batches[^1].LastOffset);
        var next = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: (int)harness.Log.LogEndOffset));
        Assert.Equal(harness.Log.LogEndOffset - 3, next.BaseOffset);
    }

    [Fact]
    public async Task ReadsDuringTruncations_NeverFailNorReturnBatchesThatDoNotFollowEachOther()
    {
        using var harness = new PartitionLogHarness(_smallSegments);
        var random = new Random(20240611);
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var read = harness.Log.Read(harness.Log.LogStartOffset, maxBytes: 4096, upToLogEnd: true);
                long? next = null;
                foreach (var batch in TestBatches.Split(read.Batches))
                {
                    var validation = BatchValidation.Validate(batch);
                    Assert.True(validation.IsValid, validation.Message);
                    Assert.True(next is null || validation.Header.BaseOffset == next, $"batch at {validation.Header.BaseOffset} after one ending at {next}");
                    next = validation.Header.NextOffset;
                }
                Interlocked.Increment(ref reads);
            }
        });
        // The reader must be running before the truncations start, or a loaded machine proves nothing.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref reads) > 0, _timeout), "the reader never ran");

        var number = 0;
        for (var round = 0; round < 100; round++)
        {
            for (var i = random.Next(1, 8); i > 0; i--)
            {
                harness.Append(TestBatches.Make(number++));
            }
            harness.Log.TruncateTo(random.NextInt64(harness.Log.LogStartOffset, harness.Log.LogEndOffset + 1));
        }
        await stop.CancelAsync();
        await reader.WaitAsync(_timeout);
    }

    [Fact]
    public async Task Flusher_TruncatedWhileAnFsyncRuns_RemovedWaitersFailAndTheStaleFsyncDoesNotCount()
    {
        var directory = Path.Combine(Path.GetTempPath(), "logcluster-flusher-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            using var segment = LogSegment.Create(directory, 0, TopicConfig.Default);
            using var snapshotTaken = new SemaphoreSlim(0);
            using var release = new SemaphoreSlim(0);
            long logEnd = 10;
            var flusher = new GroupCommitFlusher(() =>
            {
                var end = Interlocked.Read(ref logEnd);
                snapshotTaken.Release();
                Assert.True(release.Wait(_timeout));
                return (segment, end);
            }, flushedOffset: 0);

            var kept = flusher.FlushAsync(5);
            var lost = flusher.FlushAsync(10);
            Assert.True(await snapshotTaken.WaitAsync(_timeout));
            Interlocked.Exchange(ref logEnd, 5);
            flusher.Truncated(5);

            await kept.WaitAsync(_timeout);
            await Assert.ThrowsAsync<LogTruncatedException>(() => lost.WaitAsync(_timeout));
            Assert.Equal(5, flusher.FlushedOffset);

            // The running fsync saw the old end (10): had it counted, this would complete at once with 10 flushed.
            Interlocked.Exchange(ref logEnd, 8);
            var next = flusher.FlushAsync(8);
            release.Release(10);
            await next.WaitAsync(_timeout);

            Assert.Equal(8, flusher.FlushedOffset);
            Assert.Equal(2, flusher.FlushCount);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
