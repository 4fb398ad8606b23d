using System.Buffers.Binary;
using LogCluster.Protocol.Records;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// Producer-state snapshots (Kafka's <c>&lt;offset&gt;.snapshot</c>): the <see cref="ProducerStateTable"/> as of a log
/// offset, i.e. after every batch below it. Recovery loads the newest one and replays only the batches after it,
/// and a snapshot keeps producers whose batches retention has deleted. Format in docs/storage-format.md.
/// </summary>
internal static class ProducerStateSnapshot
{
    public const byte Version = 1;

    /// <summary>Snapshots kept after a write: the newest, and one more in case the newest is found damaged.</summary>
    public const int Retained = 2;

    // version(1) crc(4) | offset(8) count(4), then per producer: id(8) epoch(2) lastAppendMs(8) batchCount(1),
    // then per batch: firstSequence(4) lastSequence(4) baseOffset(8) lastOffset(8).
    private const int CrcStart = 1 + sizeof(uint);
    private const int HeaderSize = CrcStart + sizeof(long) + sizeof(int);
    private const int EntrySize = sizeof(long) + sizeof(short) + sizeof(long) + 1;
    private const int BatchSize = (2 * sizeof(int)) + (2 * sizeof(long));

    /// <summary>A snapshot read back: the offset it was taken at and the producers it holds.</summary>
    public sealed record Content(long Offset, IReadOnlyList<ProducerStateEntry> Producers);

    public static string PathFor(string directory, long offset) =>
        Path.Combine(directory, SegmentFiles.BaseName(offset) + SegmentFiles.SnapshotSuffix);

    /// <summary>Writes the state as of <paramref name="offset"/> durably, then deletes all but the newest <see cref="Retained"/> snapshots.</summary>
    public static void Write(string directory, long offset, IReadOnlyList<ProducerStateEntry> producers)
    {
        SegmentFiles.WriteDurably(PathFor(directory, offset), Serialize(offset, producers));
        foreach (var stale in ListOffsets(directory).OrderDescending().Skip(Retained))
        {
            // No directory fsync: an older snapshot that comes back after a crash is still correct, just older.
            File.Delete(PathFor(directory, stale));
        }
    }

    public static byte[] Serialize(long offset, IReadOnlyList<ProducerStateEntry> producers)
    {
        var bytes = new byte[HeaderSize + producers.Sum(p => EntrySize + (p.Batches.Count * BatchSize))];
        bytes[0] = Version;
        var span = bytes.AsSpan(CrcStart);
        Put(ref span, offset);
        BinaryPrimitives.WriteInt32BigEndian(span, producers.Count);
        span = span[sizeof(int)..];
        foreach (var producer in producers)
        {
            Put(ref span, producer.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(span, producer.Epoch);
            span = span[sizeof(short)..];
            Put(ref span, producer.LastAppendMs);
            span[0] = checked((byte)producer.Batches.Count);
            span = span[1..];
            foreach (var batch in producer.Batches)
            {
                Put(ref span, batch.FirstSequence);
                Put(ref span, batch.LastSequence);
                Put(ref span, batch.BaseOffset);
                Put(ref span, batch.LastOffset);
            }
        }
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), Crc32C.Compute(bytes.AsSpan(CrcStart)));
        return bytes;
    }

    /// <summary>The snapshot taken at <paramref name="offset"/>; null when it is missing or its content is damaged in any way.</summary>
    public static Content? Read(string directory, long offset)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(PathFor(directory, offset));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        return Deserialize(bytes, offset);
    }

    /// <summary>Parses a snapshot; null unless version, CRC, offset and every length check out.</summary>
    public static Content? Deserialize(ReadOnlySpan<byte> bytes, long expectedOffset)
    {
        if (bytes.Length < HeaderSize || bytes[0] != Version
            || BinaryPrimitives.ReadUInt32BigEndian(bytes[1..]) != Crc32C.Compute(bytes[CrcStart..]))
        {
            return null;
        }
        var span = bytes[CrcStart..];
        var offset = BinaryPrimitives.ReadInt64BigEndian(span);
        var count = BinaryPrimitives.ReadInt32BigEndian(span[sizeof(long)..]);
        span = span[(sizeof(long) + sizeof(int))..];
        // The count is checked against the bytes left before anything is allocated for it.
        if (offset != expectedOffset || count < 0 || count > span.Length / EntrySize)
        {
            return null;
        }
        var producers = new List<ProducerStateEntry>(count);
        var seen = new HashSet<long>();
        for (var i = 0; i < count; i++)
        {
            if (span.Length < EntrySize)
            {
                return null;
            }
            var producerId = BinaryPrimitives.ReadInt64BigEndian(span);
            var epoch = BinaryPrimitives.ReadInt16BigEndian(span[sizeof(long)..]);
            var lastAppendMs = BinaryPrimitives.ReadInt64BigEndian(span[(sizeof(long) + sizeof(short))..]);
            int batchCount = span[EntrySize - 1];
            span = span[EntrySize..];
            if (producerId < 0 || !seen.Add(producerId) || batchCount is < 1 or > ProducerStateTable.BatchesRetained
                || span.Length < batchCount * BatchSize)
            {
                return null;
            }
            var batches = new ProducerStateTable.BatchMetadata[batchCount];
            for (var b = 0; b < batchCount; b++)
            {
                batches[b] = new ProducerStateTable.BatchMetadata(
                    BinaryPrimitives.ReadInt32BigEndian(span),
                    BinaryPrimitives.ReadInt32BigEndian(span[sizeof(int)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(2 * sizeof(int))..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[((2 * sizeof(int)) + sizeof(long))..]));
                span = span[BatchSize..];
                // A batch at or past the snapshot's offset cannot be in it.
                if (batches[b].BaseOffset > batches[b].LastOffset || batches[b].LastOffset >= offset)
                {
                    return null;
                }
            }
            producers.Add(new ProducerStateEntry(producerId, epoch, lastAppendMs, batches));
        }
        return span.IsEmpty ? new Content(offset, producers) : null;
    }

    /// <summary>
    /// At open: deletes snapshots outside [<paramref name="logStartOffset"/>, <paramref name="logEndOffset"/>]
    /// and damaged ones, and returns the newest valid one, or null when the log must be replayed from its start.
    /// </summary>
    public static Content? LoadNewest(string directory, long logStartOffset, long logEndOffset)
    {
        foreach (var temp in System.IO.Directory.EnumerateFiles(directory, "*" + SegmentFiles.SnapshotSuffix + ".tmp"))
        {
            File.Delete(temp);
        }
        var offsets = ListOffsets(directory);
        var beyondEnd = offsets.Where(o => o > logEndOffset).ToList();
        foreach (var offset in beyondEnd.Concat(offsets.Where(o => o < logStartOffset)))
        {
            File.Delete(PathFor(directory, offset));
        }
        if (beyondEnd.Count > 0)
        {
            // Describes batches a truncation removed: it must not come back after a power loss once new batches
            // have reached its offset again, or it would be loaded as their state.
            SegmentFiles.FsyncDirectory(directory);
        }
        foreach (var offset in offsets.Where(o => o >= logStartOffset && o <= logEndOffset).OrderDescending())
        {
            if (Read(directory, offset) is { } content)
            {
                return content;
            }
            File.Delete(PathFor(directory, offset));
        }
        return null;
    }

    public static List<long> ListOffsets(string directory) =>
        [.. System.IO.Directory.EnumerateFiles(directory, "*" + SegmentFiles.SnapshotSuffix)
            .Select(path => SegmentFiles.TryParseOffset(Path.GetFileName(path), SegmentFiles.SnapshotSuffix, out var offset) ? offset : -1)
            .Where(offset => offset >= 0)
            .Order()];

    private static void Put(ref Span<byte> span, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(span, value);
        span = span[sizeof(long)..];
    }

    private static void Put(ref Span<byte> span, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(span, value);
        span = span[sizeof(int)..];
    }
}
