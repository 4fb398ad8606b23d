using LogCluster.LogNode.Storage;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>The leader-epoch and high-watermark checkpoints across graceful restarts and crashes.</summary>
public sealed class PartitionLogCheckpointTests
{
    private static byte[] Stored(int number, long baseOffset, int epoch) =>
        TestBatches.AsStored(TestBatches.Make(number), baseOffset, epoch);

    private static string HighWatermarkPath(PartitionLogHarness harness) => Path.Combine(harness.PartitionDirectory, SegmentFiles.HighWatermarkFile);

    private static string EpochCheckpointPath(PartitionLogHarness harness) => Path.Combine(harness.PartitionDirectory, SegmentFiles.LeaderEpochCheckpointFile);

    /// <summary>
    /// What a restart after a crash (SIGKILL) would open: the partition's files as they are now, with the log still
    /// open and nothing written at close, copied to another data folder.
    /// </summary>
    private static PartitionLog OpenCrashImage(PartitionLogHarness harness, string dataDirectory)
    {
        var copy = Path.Combine(dataDirectory, PartitionLogHarness.Id.DirectoryName);
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(harness.PartitionDirectory))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }
        return PartitionLog.Open(dataDirectory, PartitionLogHarness.Id, harness.Config, harness.Time, out _);
    }

    private static void WithCrashImage(PartitionLogHarness harness, Action<PartitionLog> check)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "logcluster-crash-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var log = OpenCrashImage(harness, dataDirectory);
            check(log);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public void Reopen_AfterGracefulClose_EpochsHighWatermarkAndLeaderEpochSurvive()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        harness.AppendAsFollower(Stored(0, 0, epoch: 1), Stored(1, 3, epoch: 3));
        harness.Log.BecomeLeader(5);
        harness.Append(TestBatches.Make(2));
        harness.Log.AdvanceHighWatermark(6);
        var epochs = harness.Log.ExportLeaderEpochs();

        harness.Reopen();

        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(3, 3), new EpochEntry(5, 6)], epochs);
        Assert.Equal(epochs, harness.Log.ExportLeaderEpochs());
        Assert.Equal(5, harness.Log.LeaderEpoch);
        Assert.Equal(5, harness.Log.LastEpoch);
        Assert.Equal(6, harness.Log.HighWatermark);
        Assert.Equal(9, harness.Log.LogEndOffset);
    }

    [Fact]
    public void CheckpointHighWatermark_Unchanged_WritesNothing()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        harness.AppendAsFollower(Stored(0, 0, epoch: 1), Stored(1, 3, epoch: 1));
        harness.Log.AdvanceHighWatermark(3);
        harness.Log.CheckpointHighWatermark();
        Assert.Equal((OffsetFile.Valid, 3L), SegmentFiles.ReadOffset(HighWatermarkPath(harness)));

        File.Delete(HighWatermarkPath(harness));
        harness.Log.CheckpointHighWatermark();
        Assert.False(File.Exists(HighWatermarkPath(harness)));

        harness.Log.AdvanceHighWatermark(6);
        harness.Log.CheckpointHighWatermark();
        Assert.Equal((OffsetFile.Valid, 6L), SegmentFiles.ReadOffset(HighWatermarkPath(harness)));
    }

    [Fact]
    public void Crash_FollowerAfterACheckpoint_RestartsAtTheCheckpointedHighWatermark()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        harness.AppendAsFollower(Stored(0, 0, epoch: 1), Stored(1, 3, epoch: 1), Stored(2, 6, epoch: 1));
        harness.Log.AdvanceHighWatermark(3);
        harness.Log.CheckpointHighWatermark();
        harness.Log.AdvanceHighWatermark(9);

        WithCrashImage(harness, log =>
        {
            Assert.Equal(9, log.LogEndOffset);
            Assert.Equal(3, log.HighWatermark);
        });
    }

    [Fact]
    public void Crash_SoleReplicaCheckpointedEarlier_RestartShowsEveryRecord()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = true;
        harness.Append(TestBatches.Make(0));
        harness.Log.CheckpointHighWatermark();
        harness.Append(TestBatches.Make(1));
        harness.Append(TestBatches.Make(2));

        Assert.Equal((OffsetFile.Valid, PartitionLog.HighWatermarkAtLogEnd), SegmentFiles.ReadOffset(HighWatermarkPath(harness)));
        WithCrashImage(harness, log =>
        {
            Assert.Equal(9, log.LogEndOffset);
            Assert.Equal(9, log.HighWatermark);
        });
    }

    [Fact]
    public void SoleReplica_SetToFalse_CheckpointNoLongerClaimsTheLogEnd()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = true;
        harness.Append(TestBatches.Make(0));

        harness.Log.SoleReplica = false;
        harness.Append(TestBatches.Make(1));

        Assert.Equal((OffsetFile.Valid, 3L), SegmentFiles.ReadOffset(HighWatermarkPath(harness)));
        WithCrashImage(harness, log => Assert.Equal(3, log.HighWatermark));
    }

    [Fact]
    public void Reopen_NoHighWatermarkFile_HighWatermarkAtTheLogEnd()
    {
        using var harness = new PartitionLogHarness();
        harness.Log.SoleReplica = false;
        harness.AppendAsFollower(Stored(0, 0, epoch: 1), Stored(1, 3, epoch: 1));

        harness.Reopen(() => File.Delete(HighWatermarkPath(harness)));

        Assert.Equal(6, harness.Log.HighWatermark);
    }

    [Fact]
    public void Reopen_DamagedHighWatermarkFile_HighWatermarkAtTheLogStart()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.Make(0));

        harness.Reopen(() => File.WriteAllBytes(HighWatermarkPath(harness), [1, 2, 3]));

        Assert.Equal(0, harness.Log.HighWatermark);
        Assert.Equal(3, harness.Log.LogEndOffset);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reopen_EpochCheckpointDamagedOrMissing_RebuiltFromTheBatchHeaders(bool damaged)
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024 });
        harness.AppendAsFollower([.. Enumerable.Range(0, 12).Select(i => Stored(i, i * 3L, epoch: i < 4 ? 1 : i < 9 ? 4 : 6))]);
        var epochs = harness.Log.ExportLeaderEpochs();

        harness.Reopen(() =>
        {
            if (damaged)
            {
                var bytes = File.ReadAllBytes(EpochCheckpointPath(harness));
                bytes[^3] ^= 0x10;
                File.WriteAllBytes(EpochCheckpointPath(harness), bytes);
            }
            else
            {
                File.Delete(EpochCheckpointPath(harness));
            }
        });

        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(4, 12), new EpochEntry(6, 27)], epochs);
        Assert.Equal(epochs, harness.Log.ExportLeaderEpochs());
        Assert.Equal(epochs, LeaderEpochCache.Deserialize(File.ReadAllBytes(EpochCheckpointPath(harness))));
        Assert.Equal(6, harness.Log.LeaderEpoch);
    }

    [Fact]
    public void Reopen_TornTailHeldTheNewestEpoch_EpochDroppedWithIt()
    {
        using var harness = new PartitionLogHarness();
        harness.AppendAsFollower(Stored(0, 0, epoch: 1), Stored(1, 3, epoch: 1), Stored(2, 6, epoch: 2));
        var segment = Path.Combine(harness.PartitionDirectory, "00000000000000000000.log");

        harness.Reopen(() =>
        {
            using var file = File.Open(segment, FileMode.Open);
            file.SetLength(file.Length - 10);
        });

        Assert.Equal(6, harness.Log.LogEndOffset);
        Assert.Equal([new EpochEntry(1, 0)], harness.Log.ExportLeaderEpochs());
        Assert.Equal(1, harness.Log.LeaderEpoch);
    }
}
