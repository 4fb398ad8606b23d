using System.Buffers.Binary;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Records;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>Failure modes found in review: each test reproduces one and pins the fix.</summary>
public sealed class ReviewRegressionTests
{
    [Fact]
    public async Task Read_AfterThePartitionIsDisposed_ThrowsInsteadOfSpinning()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.Make(1));
        harness.Log.Dispose();

        var read = Task.Run(() => harness.Log.Read(0, 1000));

        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Throws<ObjectDisposedException>(() => harness.Append(TestBatches.Make(2)));
        Assert.Equal(0, harness.Log.EnforceRetention(long.MaxValue));
        harness.Log.Dispose();
    }

    [Theory]
    [InlineData(0x7FFFFFF5)]
    [InlineData(int.MaxValue)]
    [InlineData(-12)]
    [InlineData(-1)]
    public void Reopen_TailWithAnImpossibleBatchLength_TruncatesAndStarts(int batchLength)
    {
        using var harness = new PartitionLogHarness();
        var batches = Enumerable.Range(0, 3).Select(i => TestBatches.Make(i)).ToList();
        batches.ForEach(b => harness.Append(b));
        var before = harness.ReadAll();

        harness.Reopen(() =>
        {
            var header = (byte[])batches[0].Clone();
            BinaryPrimitives.WriteInt64BigEndian(header, 9);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(RecordBatchLayout.BatchLengthOffset), batchLength);
            using var log = File.Open(Path.Combine(harness.PartitionDirectory, "00000000000000000000.log"), FileMode.Append);
            log.Write(header, 0, RecordBatchLayout.HeaderSize);
        });

        Assert.Equal(before, harness.ReadAll());
        Assert.Equal(RecordBatchLayout.HeaderSize, harness.LastRecovery.TruncatedBytes);
    }

    [Fact]
    public async Task Reopen_SealedSegmentWithAZeroTotalSizeBatch_RecoversInsteadOfLooping()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024 });
        for (var i = 0; i < 12; i++)
        {
            harness.Append(TestBatches.Make(i));
        }
        var firstSegment = Path.Combine(harness.PartitionDirectory, "00000000000000000000.log");

        var reopened = Task.Run(() => harness.Reopen(() =>
        {
            // Length -12 makes length + 12 zero: a header walk that trusted it would never advance.
            var bytes = File.ReadAllBytes(firstSegment);
            var second = RecordBatchHeader.Read(bytes).TotalSize;
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(second + RecordBatchLayout.BatchLengthOffset), -12);
            File.WriteAllBytes(firstSegment, bytes);
            File.Delete(Path.Combine(harness.PartitionDirectory, SegmentFiles.RecoveryPointFile));
        }));

        await reopened.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Single(harness.ReadAll());
    }

    [Fact]
    public async Task OffsetForTimestamp_WhileAppending_NeverThrows()
    {
        using var harness = new PartitionLogHarness();
        harness.Append(TestBatches.Make(0, timestamp: 1_000));
        using var stop = new CancellationTokenSource();
        var lookups = Task.Run(() =>
        {
            long found = 0;
            while (!stop.IsCancellationRequested)
            {
                found += harness.Log.OffsetForTimestamp(1_000) ?? 0;
            }
            return found;
        });

        for (var i = 1; i < 3_000; i++)
        {
            harness.Append(TestBatches.Make(i, records: 1, valueBytes: 8, timestamp: 1_000 + i));
        }
        await stop.CancelAsync();

        await lookups.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void EnforceRetention_SegmentsWithoutTimestamps_KeptUntilTheFilesAreOld()
    {
        using var harness = new PartitionLogHarness(TopicConfig.Default with { SegmentBytes = 1024, RetentionMs = 3_600_000 });
        for (var i = 0; i < 12; i++)
        {
            harness.Append(TestBatches.Make(i, records: 1, timestamp: -1));
        }
        var segments = harness.Log.SegmentCount;

        // Fake time is years before the files' real modification time: none is an hour old by it.
        harness.Log.EnforceRetention(harness.Time.GetUtcNow().ToUnixTimeMilliseconds());

        Assert.Equal(segments, harness.Log.SegmentCount);
    }

    [Fact]
    public void FsyncDirectory_ExistingDirectory_Succeeds()
    {
        // Also proves the libc binding resolves on this platform: every segment creation depends on it.
        SegmentFiles.FsyncDirectory(Path.GetTempPath());

        Assert.Throws<IOException>(() => SegmentFiles.FsyncDirectory(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))));
    }
}
