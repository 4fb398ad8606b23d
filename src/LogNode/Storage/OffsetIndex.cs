using System.Buffers.Binary;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// The sparse offset index of one segment: entries (offset relative to the segment's base, byte position of
/// the batch) every index.interval.bytes, as Kafka's OffsetIndex. The active segment keeps it in memory only and
/// rebuilds it by scanning after a restart; a rolled segment writes it to its <c>.index</c> file (8-byte
/// big-endian entries: int32 relative offset, int32 position).
/// </summary>
internal sealed class OffsetIndex
{
    private const int EntrySize = 8;
    private readonly PublishedList<(int RelativeOffset, int Position)> _entries = new();

    public int Count => _entries.Count;

    public void Add(int relativeOffset, int position) => _entries.Add((relativeOffset, position));

    public void Clear() => _entries.Clear();

    /// <summary>Adds <paramref name="source"/>'s entries for the batches before byte <paramref name="position"/> (a truncation keeps them).</summary>
    public void CopyBefore(OffsetIndex source, long position)
    {
        var (entries, count) = source._entries.Snapshot();
        foreach (var entry in entries.AsSpan(0, count))
        {
            if (entry.Position >= position)
            {
                break;
            }
            _entries.Add(entry);
        }
    }

    /// <summary>Position of the last indexed batch starting at or before <paramref name="relativeOffset"/>, or 0.</summary>
    public int FloorPosition(long relativeOffset)
    {
        var (entries, count) = _entries.Snapshot();
        int lo = 0, hi = count - 1, found = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].RelativeOffset <= relativeOffset)
            {
                found = entries[mid].Position;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    public void WriteTo(string path)
    {
        var (entries, count) = _entries.Snapshot();
        var bytes = new byte[count * EntrySize];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize), entries[i].RelativeOffset);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan((i * EntrySize) + 4), entries[i].Position);
        }
        SegmentFiles.WriteDurably(path, bytes);
    }

    /// <summary>Loads an index file; false when it is missing or not a whole number of sorted entries.</summary>
    public bool TryLoad(string path, long segmentSize)
    {
        _entries.Clear();
        if (SegmentFiles.ReadEntries(path, EntrySize) is not { } bytes)
        {
            return false;
        }
        for (var i = 0; i < bytes.Length; i += EntrySize)
        {
            var relative = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i));
            var position = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i + 4));
            var (entries, count) = _entries.Snapshot();
            var sorted = count == 0 || (relative > entries[count - 1].RelativeOffset && position > entries[count - 1].Position);
            if (!sorted || position < 0 || position >= segmentSize)
            {
                _entries.Clear();
                return false;
            }
            _entries.Add((relative, position));
        }
        return true;
    }
}
