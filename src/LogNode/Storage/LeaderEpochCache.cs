using System.Buffers.Binary;
using LogCluster.Protocol.Records;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// Kafka's leader-epoch cache (<c>leader-epoch-checkpoint</c>, KIP-101): for each leader epoch that wrote to the
/// partition, the offset of its first batch, both strictly ascending. A follower asks the leader where its own last
/// epoch ended (<see cref="EndOffsetFor"/>) and truncates there instead of at its high watermark, so it neither
/// keeps records the leader does not have nor drops records it does. Every change is written durably before the
/// method returns. Owned by its <see cref="PartitionLog"/>; used only under the partition's lock. Format in
/// docs/storage-format.md.
/// </summary>
internal sealed class LeaderEpochCache
{
    public const byte Version = 1;

    // version(1) crc(4) | count(4), then per entry: epoch(4) startOffset(8).
    private const int CrcStart = 1 + sizeof(uint);
    private const int HeaderSize = CrcStart + sizeof(int);
    private const int EntrySize = sizeof(int) + sizeof(long);

    private readonly string _path;
    private readonly List<EpochEntry> _entries = [];

    public LeaderEpochCache(string directory)
    {
        _path = Path.Combine(directory, SegmentFiles.LeaderEpochCheckpointFile);
    }

    /// <summary>The newest epoch that wrote (or was announced at) an offset, or -1 when none is known.</summary>
    public int LastEpoch => _entries.Count == 0 ? -1 : _entries[^1].Epoch;

    public int Count => _entries.Count;

    /// <summary>The newest epoch that starts before <paramref name="offset"/>, or -1 when none does.</summary>
    public int LastEpochBefore(long offset)
    {
        var index = _entries.FindLastIndex(e => e.StartOffset < offset);
        return index < 0 ? -1 : _entries[index].Epoch;
    }

    public List<EpochEntry> Export() => [.. _entries];

    /// <summary>
    /// Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/> when it is newer than every
    /// known epoch; an older or equal epoch changes nothing (its start is already known). Returns whether it was added.
    /// </summary>
    public bool Assign(int epoch, long startOffset)
    {
        if (epoch <= LastEpoch)
        {
            return false;
        }
        // Start offsets only grow: a new epoch begins at the log end, which truncation keeps above every entry.
        if (_entries.Count > 0 && startOffset < _entries[^1].StartOffset)
        {
            throw new InvalidOperationException(
                $"leader epoch {epoch} cannot start at {startOffset}, before epoch {_entries[^1].Epoch} at {_entries[^1].StartOffset}");
        }
        _entries.Add(new EpochEntry(epoch, startOffset));
        Persist();
        return true;
    }

    /// <summary>
    /// OffsetsForLeaderEpoch: the largest known epoch at or below <paramref name="epoch"/> and the offset where it
    /// ended (the start of the next known epoch, or <paramref name="logEndOffset"/> for the newest one); (-1, -1)
    /// when no known epoch is at or below it.
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int epoch, long logEndOffset)
    {
        if (_entries.Count == 0)
        {
            return (-1, -1);
        }
        if (epoch >= LastEpoch)
        {
            return (LastEpoch, logEndOffset);
        }
        var floor = _entries.FindLastIndex(e => e.Epoch <= epoch);
        return floor < 0 ? (-1, -1) : (_entries[floor].Epoch, _entries[floor + 1].StartOffset);
    }

    /// <summary>After the log was cut at <paramref name="logEndOffset"/>: forgets epochs that start at or after it (they describe no batch).</summary>
    public void TruncateFromEnd(long logEndOffset)
    {
        if (_entries.RemoveAll(e => e.StartOffset >= logEndOffset) > 0)
        {
            Persist();
        }
    }

    /// <summary>
    /// After retention moved the log start: forgets epochs that ended before it, and moves the start of the epoch
    /// that holds it up to it, so every entry describes records still in the log.
    /// </summary>
    public void TruncateFromStart(long logStartOffset)
    {
        var holding = _entries.FindLastIndex(e => e.StartOffset <= logStartOffset);
        if (holding < 0 || (holding == 0 && _entries[0].StartOffset == logStartOffset))
        {
            return;
        }
        _entries.RemoveRange(0, holding);
        _entries[0] = _entries[0] with { StartOffset = logStartOffset };
        Persist();
    }

    /// <summary>Loads the checkpoint; false (and an empty cache) when it is missing or damaged in any way.</summary>
    public bool TryLoad()
    {
        _entries.Clear();
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(_path);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        if (Deserialize(bytes) is not { } entries)
        {
            return false;
        }
        _entries.AddRange(entries);
        return true;
    }

    /// <summary>
    /// Replaces the cache with the epochs found in <paramref name="headers"/> (every batch header of the log, in
    /// order) and writes it: the first batch of each newer epoch starts it. An empty result for a partition without
    /// a checkpoint is not written: there is nothing a later start would have to scan for.
    /// </summary>
    public void Rebuild(IEnumerable<RecordBatchHeader> headers)
    {
        _entries.Clear();
        foreach (var header in headers)
        {
            if (header.PartitionLeaderEpoch > LastEpoch)
            {
                _entries.Add(new EpochEntry(header.PartitionLeaderEpoch, header.BaseOffset));
            }
        }
        if (_entries.Count > 0 || File.Exists(_path))
        {
            Persist();
        }
    }

    private void Persist() => SegmentFiles.WriteDurably(_path, Serialize(_entries));

    public static byte[] Serialize(IReadOnlyList<EpochEntry> entries)
    {
        var bytes = new byte[HeaderSize + (entries.Count * EntrySize)];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(CrcStart), entries.Count);
        var span = bytes.AsSpan(HeaderSize);
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteInt32BigEndian(span, entry.Epoch);
            BinaryPrimitives.WriteInt64BigEndian(span[sizeof(int)..], entry.StartOffset);
            span = span[EntrySize..];
        }
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), Crc32C.Compute(bytes.AsSpan(CrcStart)));
        return bytes;
    }

    /// <summary>Parses a checkpoint; null unless version, CRC, length and the ascending order all check out.</summary>
    public static List<EpochEntry>? Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize || bytes[0] != Version
            || BinaryPrimitives.ReadUInt32BigEndian(bytes[1..]) != Crc32C.Compute(bytes[CrcStart..]))
        {
            return null;
        }
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes[CrcStart..]);
        if (count < 0 || (long)count * EntrySize != bytes.Length - HeaderSize)
        {
            return null;
        }
        var entries = new List<EpochEntry>(count);
        for (var span = bytes[HeaderSize..]; !span.IsEmpty; span = span[EntrySize..])
        {
            var entry = new EpochEntry(BinaryPrimitives.ReadInt32BigEndian(span), BinaryPrimitives.ReadInt64BigEndian(span[sizeof(int)..]));
            var ascending = entries.Count == 0 || (entry.Epoch > entries[^1].Epoch && entry.StartOffset >= entries[^1].StartOffset);
            if (entry.Epoch < 0 || entry.StartOffset < 0 || !ascending)
            {
                return null;
            }
            entries.Add(entry);
        }
        return entries;
    }
}

/// <summary>A leader epoch and the offset of its first batch.</summary>
internal readonly record struct EpochEntry(int Epoch, long StartOffset);
