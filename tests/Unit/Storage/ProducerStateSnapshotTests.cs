using LogCluster.LogNode.Storage;
using static LogCluster.LogNode.Storage.ProducerStateTable;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>
/// Producer-state snapshots: written at roll and close, read back exactly, ignored when damaged or beyond a
/// truncated log, and what lets a partition remember producers whose batches retention deleted.
/// </summary>
public sealed class ProducerStateSnapshotTests
{
    private const long Producer = 7;
    private const string SnapshotSuffix = ".snapshot";

    private static List<ProducerStateEntry> SampleState() =>
    [
        new(1, 0, 1_700_000_000_000, [new(0, 2, 0, 2)]),
        new(42, short.MaxValue, 1_700_000_123_456,
        [
            new(int.MaxValue - 9, int.MaxValue - 5, 10, 14),
            new(int.MaxValue - 4, int.MaxValue, 15, 19),
            new(0, 3, 20, 23),
            new(4, 4, 30, 30),
            new(5, 9, 1L << 40, (1L << 40) + 4),
        ]),
        new(long.MaxValue, 3, -1, [new(int.MaxValue - 1, 1, 100, 102)]),
    ];

    [Fact]
    public void WriteThenRead_SeveralProducers_EveryFieldReadBack()
    {
        using var harness = new PartitionLogHarness();
        const long Offset = (1L << 40) + 5;

        ProducerStateSnapshot.Write(harness.PartitionDirectory, Offset, SampleState());
        var read = ProducerStateSnapshot.Read(harness.PartitionDirectory, Offset);

        Assert.NotNull(read);
        Assert.Equal(Offset, read.Offset);
        Assert.Equal(Describe(SampleState()), Describe(read.Producers));
        var table = new ProducerStateTable();
        table.Import(read.Producers);
        Assert.Equal(Describe(SampleState()), Describe(table.Export()));
    }

    [Fact]
    public void Deserialize_AnyFlippedByteOrCutOrWrongOffset_NullNeverThrows()
    {
        const long Offset = (1L << 40) + 5;
        var bytes = ProducerStateSnapshot.Serialize(Offset, SampleState());
        Assert.NotNull(ProducerStateSnapshot.Deserialize(bytes, Offset));

        for (var i = 0; i < bytes.Length; i++)
        {
            var flipped = (byte[])bytes.Clone();
            flipped[i] ^= 0xFF;
            Assert.True(ProducerStateSnapshot.Deserialize(flipped, Offset) is null, $"flip at byte {i} accepted");
        }
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.True(ProducerStateSnapshot.Deserialize(bytes.AsSpan(0, length), Offset) is null, $"cut to {length} bytes accepted");
        }
        Assert.Null(ProducerStateSnapshot.Deserialize(bytes, Offset + 1));
        Assert.Null(ProducerStateSnapshot.Read(Path.GetTempPath(), long.MaxValue));
    }

    [Fact]
    public void Reopen_SequencesWrappingPastIntMaxValue_RestoredFromTheSnapshotWithoutReplay()
    {
        using var harness = new PartitionLogHarness();
        var wrapping = harness.Append(TestBatches.MakeIdempotent(Producer, 3, baseSequence: int.MaxValue - 1));
        harness.Append(TestBatches.MakeIdempotent(Producer + 1, 0, baseSequence: 0));
        var before = Describe(harness.Log.ExportProducerState());

        harness.Reopen();

        Assert.Equal((6L, 0L), (harness.LastRecovery.ProducerSnapshotOffset, harness.LastRecovery.ProducerBatchesReplayed));
        Assert.Equal(before, Describe(harness.Log.ExportProducerState()));
        var retry = harness.Append(TestBatches.MakeIdempotent(Producer, 3, baseSequence: int.MaxValue - 1));
        Assert.Equal((wrapping.BaseOffset, wrapping.LastOffset), (retry.BaseOffset, retry.LastOffset));
        // The retried batch held sequences MaxValue-1, MaxValue, 0: the next one is 1.
        Assert.Equal(6, harness.Append(TestBatches.MakeIdempotent(Producer, 3, baseSequence: 1)).BaseOffset);
    }

    [Fact]
    public void Roll_ManySegments_OnlyTheNewestTwoSnapshotsKeptAndReopenReplaysNothing()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024 });
        for (var batch = 0; batch < 60; batch++)
        {
            harness.Append(TestBatches.MakeIdempotent(Producer + (batch % 3), 0, baseSequence: batch / 3 * 3));
        }
        Assert.True(harness.Log.SegmentCount > 4);
        var activeBase = LogBaseOffsets(harness)[^1];
        Assert.Equal(SnapshotNames(LogBaseOffsets(harness)[^2], activeBase), harness.SegmentFiles(SnapshotSuffix));

        harness.Reopen();

        Assert.Equal(SnapshotNames(activeBase, 180), harness.SegmentFiles(SnapshotSuffix));
        Assert.Equal((180L, 0L), (harness.LastRecovery.ProducerSnapshotOffset, harness.LastRecovery.ProducerBatchesReplayed));
        Assert.Equal(3, harness.Log.ProducerCount);
    }

    [Fact]
    public void Reopen_NewestSnapshotLost_OlderOneLoadedAndOnlyTheBatchesAfterItReplayed()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024 });
        for (var batch = 0; batch < 40; batch++)
        {
            harness.Append(TestBatches.MakeIdempotent(Producer + (batch % 2), 0, baseSequence: batch / 2 * 3));
        }
        var before = Describe(harness.Log.ExportProducerState());
        var activeBase = LogBaseOffsets(harness)[^1];

        // As after a crash: no snapshot from a graceful close, only the one from the last roll.
        harness.Reopen(() => File.Delete(ProducerStateSnapshot.PathFor(harness.PartitionDirectory, 120)));

        Assert.Equal(activeBase, harness.LastRecovery.ProducerSnapshotOffset);
        Assert.Equal((120 - activeBase) / 3, harness.LastRecovery.ProducerBatchesReplayed);
        Assert.Equal(before, Describe(harness.Log.ExportProducerState()));
    }

    [Fact]
    public void Reopen_EverySnapshotCorrupt_IgnoredDeletedAndTheFullReplayGivesTheSameState()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024 });
        for (var batch = 0; batch < 40; batch++)
        {
            harness.Append(TestBatches.MakeIdempotent(Producer + (batch % 4), (short)(batch % 4), baseSequence: batch / 4 * 3));
        }
        var before = Describe(harness.Log.ExportProducerState());
        List<string> corrupted = [];

        harness.Reopen(() =>
        {
            foreach (var path in Directory.GetFiles(harness.PartitionDirectory, "*" + SnapshotSuffix))
            {
                var bytes = File.ReadAllBytes(path);
                bytes[bytes.Length / 2] ^= 0x01;
                File.WriteAllBytes(path, bytes);
                corrupted.Add(path);
            }
        });

        Assert.Equal(2, corrupted.Count);
        Assert.All(corrupted, path => Assert.False(File.Exists(path)));
        Assert.Equal((-1L, 40L), (harness.LastRecovery.ProducerSnapshotOffset, harness.LastRecovery.ProducerBatchesReplayed));
        Assert.Equal(before, Describe(harness.Log.ExportProducerState()));
    }

    [Fact]
    public void Reopen_TailTruncatedBelowASnapshot_SnapshotDeletedAndTheLostBatchIsNotADuplicate()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 0));
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3));
        var segment = Path.Combine(harness.PartitionDirectory, harness.SegmentFiles(SegmentFilesSuffix.Log).Single());

        // The close writes a snapshot at 6; then the last batch is torn, so recovery ends the log at 3.
        harness.Reopen(() =>
        {
            using var file = File.OpenHandle(segment, FileMode.Open, FileAccess.Write);
            RandomAccess.SetLength(file, RandomAccess.GetLength(file) - 5);
        });

        Assert.Equal(3, harness.Log.LogEndOffset);
        Assert.False(File.Exists(ProducerStateSnapshot.PathFor(harness.PartitionDirectory, 6)));
        Assert.Equal(-1, harness.LastRecovery.ProducerSnapshotOffset);
        var resent = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3));
        Assert.Equal((3L, 5L), (resent.BaseOffset, resent.LastOffset));
    }

    [Fact]
    public void Reopen_AfterRetentionDeletedAProducersBatches_ItsRetriedLastBatchIsStillADuplicate()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024, RetentionBytes = 2048 });
        harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 0));
        var last = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3));
        for (var i = 0; i < 40; i++)
        {
            harness.Append(TestBatches.Make(i));
        }
        Assert.True(harness.Log.EnforceRetention(harness.Time.GetUtcNow().ToUnixTimeMilliseconds()) > 0);
        Assert.True(harness.Log.LogStartOffset > last.LastOffset);
        var end = harness.Log.LogEndOffset;

        harness.Reopen();

        var retry = harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3));
        Assert.Equal((last.BaseOffset, last.LastOffset), (retry.BaseOffset, retry.LastOffset));
        Assert.Equal(end, harness.Log.LogEndOffset);
        Assert.Throws<AppendRejectedException>(() => harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 9)));

        // As after a crash, with only the last roll's snapshot: still remembered.
        harness.Reopen(() => File.Delete(ProducerStateSnapshot.PathFor(harness.PartitionDirectory, end)));
        Assert.Equal(last.BaseOffset, harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3)).BaseOffset);

        // Without snapshots the replay cannot see the deleted batches: the retry would be written again.
        harness.Reopen(() => Array.ForEach(Directory.GetFiles(harness.PartitionDirectory, "*" + SnapshotSuffix), File.Delete));
        Assert.Equal(end, harness.Append(TestBatches.MakeIdempotent(Producer, 0, baseSequence: 3)).BaseOffset);
    }

    private static List<long> LogBaseOffsets(PartitionLogHarness harness) =>
        [.. harness.SegmentFiles(SegmentFilesSuffix.Log).Select(name => long.Parse(name[..20], System.Globalization.CultureInfo.InvariantCulture))];

    private static string[] SnapshotNames(params long[] offsets) => [.. offsets.Select(o => SegmentFiles.BaseName(o) + SnapshotSuffix)];

    private static string Describe(IEnumerable<ProducerStateEntry> producers) =>
        string.Join("\n", producers.Select(p => $"{p.ProducerId} e{p.Epoch} t{p.LastAppendMs}: {string.Join(", ", p.Batches.Select(Describe))}"));

    private static string Describe(BatchMetadata b) => $"[{b.FirstSequence}..{b.LastSequence} @ {b.BaseOffset}..{b.LastOffset}]";
}
