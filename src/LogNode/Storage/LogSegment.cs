using System.Buffers;
using LogCluster.Protocol.Records;
using Microsoft.Win32.SafeHandles;

namespace LogCluster.LogNode.Storage;

/// <summary>
/// One segment: a <c>.log</c> file of whole RecordBatch v2 batches exactly as received (leader fields stamped),
/// plus its offset and time indexes. Owned by its <see cref="PartitionLog"/>: appends happen under the
/// partition's lock; reads run concurrently and only ever look below <see cref="Size"/>, which is published
/// after the bytes are written.
/// </summary>
internal sealed class LogSegment : IDisposable
{
    // Read and write sharing: a truncation opens a second handle on the file before it closes the first.
    private const FileShare SharedAccess = FileShare.ReadWrite;

    private readonly SafeFileHandle _log;
    private readonly string _directory;
    private readonly OffsetIndex _offsetIndex = new();
    private readonly TimeIndex _timeIndex = new();
    private readonly int _indexIntervalBytes;
    private long _size;
    private long _bytesSinceIndexEntry;

    private LogSegment(string directory, long baseOffset, SafeFileHandle log, int indexIntervalBytes)
    {
        _directory = directory;
        BaseOffset = baseOffset;
        _log = log;
        _indexIntervalBytes = indexIntervalBytes;
        NextOffset = baseOffset;
    }

    public long BaseOffset { get; }

    /// <summary>Offset after the last batch in this segment (equals <see cref="BaseOffset"/> when empty).</summary>
    public long NextOffset { get; private set; }

    /// <summary>Bytes of whole batches in the file; readers never look past it.</summary>
    public long Size => Volatile.Read(ref _size);

    public long MaxTimestamp => _timeIndex.MaxTimestamp;

    /// <summary>The newest record's timestamp, or the file's modification time when no record has one (Kafka's fallback).</summary>
    public long NewestTimestampMs => MaxTimestamp >= 0 ? MaxTimestamp : new DateTimeOffset(File.GetLastWriteTimeUtc(LogPath)).ToUnixTimeMilliseconds();

    /// <summary>When the first batch went in, in TimeProvider milliseconds: segment.ms counts from here.</summary>
    public long FirstAppendTimeMs { get; private set; } = -1;

    public string LogPath => Path.Combine(_directory, SegmentFiles.BaseName(BaseOffset) + SegmentFiles.LogSuffix);

    private string IndexPath => Path.Combine(_directory, SegmentFiles.BaseName(BaseOffset) + SegmentFiles.IndexSuffix);

    private string TimeIndexPath => Path.Combine(_directory, SegmentFiles.BaseName(BaseOffset) + SegmentFiles.TimeIndexSuffix);

    public static LogSegment Create(string directory, long baseOffset, TopicConfig config)
    {
        var path = Path.Combine(directory, SegmentFiles.BaseName(baseOffset) + SegmentFiles.LogSuffix);
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, SharedAccess);
        // The new file's directory entry must be durable before any batch in it is acknowledged as durable.
        SegmentFiles.FsyncDirectory(directory);
        return new LogSegment(directory, baseOffset, handle, config.IndexIntervalBytes);
    }

    public static LogSegment Open(string directory, long baseOffset, TopicConfig config)
    {
        var path = Path.Combine(directory, SegmentFiles.BaseName(baseOffset) + SegmentFiles.LogSuffix);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, SharedAccess);
        return new LogSegment(directory, baseOffset, handle, config.IndexIntervalBytes);
    }

    /// <summary>Writes one batch at the end. <paramref name="stampedPrefix"/> replaces the batch's first bytes.</summary>
    public void Append(ReadOnlyMemory<byte> stampedPrefix, ReadOnlyMemory<byte> rest, in RecordBatchHeader header, long nowMs) =>
        Append([stampedPrefix, rest], header, nowMs);

    /// <summary>Writes one batch at the end exactly as given (a follower stores the leader's bytes).</summary>
    public void Append(ReadOnlyMemory<byte> batch, in RecordBatchHeader header, long nowMs) =>
        Append([batch], header, nowMs);

    private void Append(ReadOnlyMemory<byte>[] buffers, in RecordBatchHeader header, long nowMs)
    {
        var position = _size;
        try
        {
            RandomAccess.Write(_log, buffers, position);
        }
        catch (IOException)
        {
            // A partial write (ENOSPC, EIO) would leave bytes after Size that a later seal or recovery could
            // mistake for a damaged batch; cut them so the file ends at the last whole batch again.
            RandomAccess.SetLength(_log, position);
            throw;
        }
        Track(header, position, nowMs);
        Volatile.Write(ref _size, position + header.TotalSize);
    }

    private void Track(in RecordBatchHeader header, long position, long nowMs)
    {
        if (FirstAppendTimeMs < 0)
        {
            FirstAppendTimeMs = nowMs;
        }
        var relative = (int)(header.BaseOffset - BaseOffset);
        if (_offsetIndex.Count == 0 || _bytesSinceIndexEntry >= _indexIntervalBytes)
        {
            _offsetIndex.Add(relative, (int)position);
            _bytesSinceIndexEntry = 0;
        }
        _bytesSinceIndexEntry += header.TotalSize;
        _timeIndex.Observe(header.MaxTimestamp, relative);
        NextOffset = header.NextOffset;
    }

    public int Read(Span<byte> destination, long position) => RandomAccess.Read(_log, destination, position);

    /// <summary>
    /// Header of the batch at <paramref name="position"/>; null past the end or when its length cannot be a
    /// batch that fits below <paramref name="limit"/> (torn or corrupt bytes end every walk here, and no walk
    /// ever adds a nonsensical length to a position).
    /// </summary>
    public RecordBatchHeader? ReadHeaderAt(long position, long limit)
    {
        if (position + RecordBatchLayout.HeaderSize > limit)
        {
            return null;
        }
        Span<byte> bytes = stackalloc byte[RecordBatchLayout.HeaderSize];
        if (Read(bytes, position) != bytes.Length)
        {
            return null;
        }
        var header = RecordBatchHeader.Read(bytes);
        var fits = header.BatchLength >= RecordBatchLayout.HeaderSize - RecordBatchLayout.LogOverhead
            && position + (long)header.BatchLength + RecordBatchLayout.LogOverhead <= limit;
        return fits ? header : null;
    }

    /// <summary>Position of the first batch whose last offset is at or after <paramref name="offset"/>; -1 when none below <paramref name="limit"/>.</summary>
    public long FindBatchPosition(long offset, long limit)
    {
        long position = _offsetIndex.FloorPosition(offset - BaseOffset);
        while (ReadHeaderAt(position, limit) is { } header)
        {
            if (header.LastOffset >= offset)
            {
                return position;
            }
            position += header.TotalSize;
        }
        return -1;
    }

    /// <summary>Relative offset where a search for <paramref name="timestamp"/> may begin.</summary>
    public long TimeSearchStart(long timestamp) => BaseOffset + _timeIndex.SearchStart(timestamp);

    public void Flush() => RandomAccess.FlushToDisk(_log);

    /// <summary>At roll: fsync and persist the indexes, so the segment never needs recovery.</summary>
    public void Seal()
    {
        Flush();
        _offsetIndex.WriteTo(IndexPath);
        _timeIndex.WriteTo(TimeIndexPath);
    }

    /// <summary>Loads a sealed segment's indexes; false when they are missing or damaged (then call <see cref="Recover"/>).</summary>
    public bool TryLoadSealed()
    {
        _size = RandomAccess.GetLength(_log);
        if (!_offsetIndex.TryLoad(IndexPath, _size) || !_timeIndex.TryLoad(TimeIndexPath))
        {
            return false;
        }
        // The last batch lies after the last index entry: walk the short stretch to find the next offset.
        long position = _offsetIndex.FloorPosition(long.MaxValue);
        while (ReadHeaderAt(position, _size) is { } header)
        {
            NextOffset = header.NextOffset;
            position += header.TotalSize;
        }
        return position == _size;
    }

    /// <summary>
    /// Validates every batch from the start (length, magic, CRC, record count, offsets continuing from
    /// <see cref="BaseOffset"/>), rebuilds both indexes, and truncates the file after the last valid batch.
    /// Returns the bytes removed.
    /// </summary>
    public long Recover(long nowMs)
    {
        var fileLength = RandomAccess.GetLength(_log);
        _offsetIndex.Clear();
        _timeIndex.Clear();
        _bytesSinceIndexEntry = 0;
        NextOffset = BaseOffset;
        long position = 0;
        while (ReadValidBatchHeader(position, fileLength) is { } header)
        {
            Track(header, position, nowMs);
            position += header.TotalSize;
        }
        _size = position;
        if (fileLength != position)
        {
            RandomAccess.SetLength(_log, position);
            Flush();
        }
        return fileLength - position;
    }

    private RecordBatchHeader? ReadValidBatchHeader(long position, long fileLength)
    {
        if (ReadHeaderAt(position, fileLength) is not { } header || header.BaseOffset != NextOffset)
        {
            return null;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(header.TotalSize);
        try
        {
            var batch = buffer.AsSpan(0, header.TotalSize);
            return Read(batch, position) == batch.Length && BatchValidation.Validate(batch).IsValid ? header : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A new instance over this segment's file that ends at <paramref name="position"/>, the start of the batch at
    /// <paramref name="nextOffset"/> (a truncation). It keeps the index entries of the batches before the cut; the file
    /// itself is cut by <see cref="CutFileToSize"/> once readers have moved off this instance (dispose it first).
    /// </summary>
    public LogSegment OpenTruncated(long position, long nextOffset, long nowMs)
    {
        var handle = File.OpenHandle(LogPath, FileMode.Open, FileAccess.ReadWrite, SharedAccess);
        var cut = new LogSegment(_directory, BaseOffset, handle, _indexIntervalBytes);
        cut._offsetIndex.CopyBefore(_offsetIndex, position);
        cut._timeIndex.CopyBefore(_timeIndex, nextOffset - BaseOffset);
        cut._bytesSinceIndexEntry = position - cut._offsetIndex.FloorPosition(long.MaxValue);
        cut._size = position;
        cut.NextOffset = nextOffset;
        cut.FirstAppendTimeMs = position == 0 ? -1 : FirstAppendTimeMs >= 0 ? FirstAppendTimeMs : nowMs;
        return cut;
    }

    /// <summary>
    /// After <see cref="OpenTruncated"/>: deletes the index files (they describe the old end; an active segment's
    /// indexes live in memory), cuts the file at <see cref="Size"/> and fsyncs it. The caller fsyncs the folder.
    /// </summary>
    public void CutFileToSize()
    {
        File.Delete(IndexPath);
        File.Delete(TimeIndexPath);
        RandomAccess.SetLength(_log, _size);
        Flush();
    }

    public void Dispose() => _log.Dispose();

    public void Delete()
    {
        _log.Dispose();
        File.Delete(LogPath);
        File.Delete(IndexPath);
        File.Delete(TimeIndexPath);
    }
}
