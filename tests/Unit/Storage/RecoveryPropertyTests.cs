using LogCluster.LogNode.Storage;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.Records;

namespace LogCluster.Tests.Unit.Storage;

/// <summary>
/// Property: whatever happens to the tail of the log files (a cut at any byte, a flipped byte, a zeroed range,
/// garbage, or a zero-filled tail such as a crash leaves when the file size grew before its data was written),
/// reopening keeps exactly the batches that lie wholly before the first damaged byte, byte for byte, drops
/// everything after, and the log accepts appends at the next offset. Bytes 12-15 of a batch (partition leader
/// epoch) are outside the CRC by design, as in Kafka, so a flip there cannot be detected; the damage generator
/// never targets only them.
/// Replay a failure with its seed: the theory data is the seed.
/// </summary>
public sealed class RecoveryPropertyTests
{
    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 60)];

    private enum Damage { Truncate, FlipByte, ZeroRange, GarbageTail, ZeroTail, FirstSegmentWithoutRecoveryPoint }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Reopen_DamagedTail_KeepsExactlyTheBatchesBeforeTheDamage(int seed)
    {
        var rng = new Random(seed);
        var multiSegment = rng.Next(2) == 0;
        var config = TopicConfig.Default with
        {
            SegmentBytes = multiSegment ? 4096 : 1L << 30,
            FlushMessages = rng.Next(2) == 0 ? 1 : long.MaxValue,
        };
        using var harness = new PartitionLogHarness(config);
        var stored = WriteRandomBatches(harness, rng);
        var damage = (Damage)rng.Next(multiSegment ? 6 : 5);
        var segments = harness.SegmentFiles(SegmentFilesSuffix.Log);
        var target = Path.Combine(harness.PartitionDirectory, damage == Damage.FirstSegmentWithoutRecoveryPoint ? segments[0] : segments[^1]);
        var targetBase = long.Parse(Path.GetFileNameWithoutExtension(target), System.Globalization.CultureInfo.InvariantCulture);
        string description = "";
        long firstDamagedByte = 0;

        harness.Reopen(() => (description, firstDamagedByte) = Apply(damage, target, harness, rng));

        var context = $"seed {seed}: {description} in {Path.GetFileName(target)} ({stored.Count} batches, multiSegment={multiSegment}, flush.messages={config.FlushMessages})";
        var expected = Survivors(stored, targetBase, firstDamagedByte);
        var recovered = harness.ReadAll();
        Assert.True(expected.Count == recovered.Count, $"{context}: expected {expected.Count} batches, recovered {recovered.Count}");
        Assert.True(expected.SequenceEqual(recovered, ByteArrayComparer.Instance), $"{context}: recovered bytes differ");
        var nextOffset = expected.Count == 0 ? 0 : RecordBatchHeader.Read(expected[^1]).NextOffset;
        Assert.True(nextOffset == harness.Log.LogEndOffset, $"{context}: log end offset {harness.Log.LogEndOffset}, expected {nextOffset}");

        var appended = harness.Append(TestBatches.Make(999));
        Assert.True(nextOffset == appended.BaseOffset, $"{context}: an append after recovery got offset {appended.BaseOffset}");
        harness.Reopen();
        Assert.True(expected.Count + 1 == harness.ReadAll().Count, $"{context}: a second reopen changed the log");
    }

    private static List<(long Base, long Position, byte[] Bytes)> WriteRandomBatches(PartitionLogHarness harness, Random rng)
    {
        var codecs = Enum.GetValues<CompressionType>();
        var stored = new List<(long, long, byte[])>();
        var count = rng.Next(5, 60);
        var segmentBase = 0L;
        var position = 0L;
        for (var i = 0; i < count; i++)
        {
            var batch = TestBatches.Make(i, records: rng.Next(1, 8), valueBytes: rng.Next(0, 400), codecs[rng.Next(codecs.Length)]);
            var segmentsBefore = harness.Log.SegmentCount;
            var result = harness.Append(batch);
            if (harness.Log.SegmentCount != segmentsBefore)
            {
                (segmentBase, position) = (result.BaseOffset, 0);
            }
            stored.Add((segmentBase, position, TestBatches.AsStored(batch, result.BaseOffset)));
            position += batch.Length;
        }
        return stored;
    }

    /// <summary>Damages <paramref name="path"/>; returns what it did and the file position of the first changed byte.</summary>
    private static (string, long) Apply(Damage damage, string path, PartitionLogHarness harness, Random rng)
    {
        var original = File.ReadAllBytes(path);
        var bytes = (byte[])original.Clone();
        switch (damage)
        {
            case Damage.Truncate:
                var cut = rng.Next(0, bytes.Length);
                File.WriteAllBytes(path, bytes[..cut]);
                return ($"cut at byte {cut} of {bytes.Length}", cut);
            case Damage.FlipByte or Damage.FirstSegmentWithoutRecoveryPoint:
                int at;
                do
                {
                    at = rng.Next(0, bytes.Length);
                }
                while (IsLeaderEpochByte(original, at));
                bytes[at] ^= (byte)rng.Next(1, 256);
                if (damage == Damage.FirstSegmentWithoutRecoveryPoint)
                {
                    File.Delete(Path.Combine(harness.PartitionDirectory, LogCluster.LogNode.Storage.SegmentFiles.RecoveryPointFile));
                }
                break;
            case Damage.ZeroRange:
                // At least 16 bytes, so the range always reaches a checked byte even when it starts in the epoch.
                var start = rng.Next(0, bytes.Length);
                Array.Clear(bytes, start, Math.Min(rng.Next(16, 512), bytes.Length - start));
                break;
            case Damage.GarbageTail:
                var garbage = new byte[rng.Next(1, 200)];
                rng.NextBytes(garbage);
                bytes = [.. bytes, .. garbage];
                break;
            case Damage.ZeroTail:
                bytes = [.. bytes, .. new byte[rng.Next(1, 8192)]];
                break;
        }
        File.WriteAllBytes(path, bytes);
        var firstChange = Enumerable.Range(0, original.Length).FirstOrDefault(i => original[i] != bytes[i], original.Length);
        return ($"{damage} (first changed byte {firstChange})", firstChange);
    }

    private static bool IsLeaderEpochByte(byte[] segment, int position)
    {
        long batchStart = 0;
        while (batchStart + RecordBatchLayout.HeaderSize <= segment.Length)
        {
            var total = RecordBatchHeader.Read(segment.AsSpan((int)batchStart)).TotalSize;
            if (position < batchStart + total)
            {
                var inBatch = position - batchStart;
                return inBatch is >= RecordBatchLayout.PartitionLeaderEpochOffset and < RecordBatchLayout.MagicOffset;
            }
            batchStart += total;
        }
        return false;
    }

    /// <summary>Batches of earlier segments, plus those of the damaged segment that end before the first changed byte.</summary>
    private static List<byte[]> Survivors(List<(long Base, long Position, byte[] Bytes)> stored, long damagedSegmentBase, long firstDamagedByte) =>
        [.. stored
            .TakeWhile(b => b.Base < damagedSegmentBase || (b.Base == damagedSegmentBase && b.Position + b.Bytes.Length <= firstDamagedByte))
            .Select(b => b.Bytes)];

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
