using System.Buffers.Binary;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// The time index of one segment, as Kafka's TimeIndex: an entry (max timestamp so far, relative offset of the
/// batch that raised it) whenever a batch raises the segment's max timestamp. "Every record with a timestamp
/// greater than T is at or after offset O." File: 12-byte big-endian entries (int64 timestamp, int32 offset).
/// </summary>
internal sealed class TimeIndex
{
    private const int EntrySize = 12;
    private readonly PublishedList<(long Timestamp, int RelativeOffset)> _entries = new();

    /// <summary>Largest record timestamp in the segment, or -1 when it holds none.</summary>
    public long MaxTimestamp
    {
        get
        {
            var (entries, count) = _entries.Snapshot();
            return count == 0 ? -1 : entries[count - 1].Timestamp;
        }
    }

    public void Observe(long maxTimestamp, int relativeOffset)
    {
        if (maxTimestamp > MaxTimestamp)
        {
            _entries.Add((maxTimestamp, relativeOffset));
        }
    }

    public void Clear() => _entries.Clear();

    /// <summary>Adds <paramref name="source"/>'s entries raised by batches before <paramref name="relativeOffset"/> (a truncation keeps them).</summary>
    public void CopyBefore(TimeIndex source, long relativeOffset)
    {
        var (entries, count) = source._entries.Snapshot();
        foreach (var entry in entries.AsSpan(0, count))
        {
            if (entry.RelativeOffset >= relativeOffset)
            {
                break;
            }
            _entries.Add(entry);
        }
    }

    /// <summary>
    /// Relative offset of the first batch that may hold a timestamp at or after <paramref name="timestamp"/>:
    /// the offset of the last entry whose timestamp is below it (records before that entry are all older), or 0.
    /// </summary>
    public int SearchStart(long timestamp)
    {
        var start = 0;
        var (entries, count) = _entries.Snapshot();
        foreach (var (ts, offset) in entries.AsSpan(0, count))
        {
            if (ts >= timestamp)
            {
                break;
            }
            start = offset;
        }
        return start;
    }

    public void WriteTo(string path)
    {
        var (entries, count) = _entries.Snapshot();
        var bytes = new byte[count * EntrySize];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(i * EntrySize), entries[i].Timestamp);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan((i * EntrySize) + 8), entries[i].RelativeOffset);
        }
        SegmentFiles.WriteDurably(path, bytes);
    }

    /// <summary>Loads a time index file; false when it is missing or malformed.</summary>
    public bool TryLoad(string path)
    {
        _entries.Clear();
        if (SegmentFiles.ReadEntries(path, EntrySize) is not { } bytes)
        {
            return false;
        }
        for (var i = 0; i < bytes.Length; i += EntrySize)
        {
            var ts = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i));
            var offset = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i + 8));
            var (entries, count) = _entries.Snapshot();
            if (count > 0 && (ts <= entries[count - 1].Timestamp || offset < entries[count - 1].RelativeOffset))
            {
                _entries.Clear();
                return false;
            }
            _entries.Add((ts, offset));
        }
        return true;
    }
}
