using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using LogCluster.Protocol.Compression;
using static LogCluster.Protocol.Records.RecordBatchLayout;

namespace LogCluster.Protocol.Records;

/// <summary>
/// Encodes one RecordBatch v2 (Kafka DefaultRecordBatch and DefaultRecord) at the end of a caller-owned buffer,
/// so a producer can reuse one buffer and send the batch without copying it. Uncompressed records go straight
/// after a reserved header; records of a compressed batch are staged in a scratch buffer and compressed once in
/// <see cref="Build"/>. From the first <see cref="Append"/> until <see cref="Build"/> the builder owns the
/// buffer's tail: nothing else may write to it. One builder makes one batch and is used by one thread.
/// </summary>
public sealed class RecordBatchBuilder
{
    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly ArrayBufferWriter<byte>? _uncompressed;
    private readonly CompressionType _compression;
    private readonly bool _isTransactional;
    private int _start;
    private int _recordBytes;
    private long _baseTimestamp;
    private long _maxTimestamp;
    private bool _built;

    public RecordBatchBuilder(
        ArrayBufferWriter<byte> buffer,
        CompressionType compression = CompressionType.None,
        bool isTransactional = false)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (compression is < CompressionType.None or > CompressionType.Zstd)
        {
            throw new ArgumentOutOfRangeException(nameof(compression), compression, "not a RecordBatch v2 codec");
        }
        _buffer = buffer;
        _uncompressed = compression == CompressionType.None ? null : new ArrayBufferWriter<byte>();
        _compression = compression;
        _isTransactional = isTransactional;
    }

    public int RecordCount { get; private set; }

    /// <summary>
    /// The producer fields written by <see cref="Build"/>. Settable until then, because an idempotent producer
    /// learns a batch's sequence only when the batch leaves, long after its first record was appended.
    /// </summary>
    public BatchProducer Producer { get; set; } = BatchProducer.None;

    /// <summary>
    /// Bytes of the batch if it were built now without compression, for batch.size decisions; compression
    /// usually makes the built batch smaller.
    /// </summary>
    public int EstimatedSizeInBytes => HeaderSize + _recordBytes;

    /// <summary>Appends a record; a null key or value is kept distinct from an empty one.</summary>
    public void Append(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<RecordHeader>? headers = null)
    {
        ThrowIfBuilt();
        headers ??= [];
        var first = RecordCount == 0;
        var timestampDelta = first ? 0 : timestamp - _baseTimestamp;
        var offsetDelta = RecordCount;

        // Sizing validates the headers, so a bad one throws before the builder or the buffer changes.
        var bodySize = 1 + Varint.SizeOf(timestampDelta) + Varint.SizeOf(offsetDelta)
            + SizeOfBytes(key) + SizeOfBytes(value) + SizeOfHeaders(headers);
        var size = Varint.SizeOf(bodySize) + bodySize;
        if (first)
        {
            ReserveHeader();
            _baseTimestamp = timestamp;
            _maxTimestamp = timestamp;
        }
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);

        var target = _uncompressed ?? _buffer;
        var span = target.GetSpan(size);
        var position = Varint.Write(span, bodySize);
        span[position++] = 0; // record attributes: unused in v2
        position += Varint.Write(span[position..], timestampDelta);
        position += Varint.Write(span[position..], offsetDelta);
        position += WriteBytes(span[position..], key);
        position += WriteBytes(span[position..], value);
        position += Varint.Write(span[position..], headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            var keyLength = Encoding.UTF8.GetByteCount(header.Key);
            position += Varint.Write(span[position..], keyLength);
            position += Encoding.UTF8.GetBytes(header.Key, span[position..]);
            position += WriteBytes(span[position..], header.Value);
        }
        Debug.Assert(position == size, "record size computed before writing must match the bytes written");
        target.Advance(size);
        _recordBytes += size;
        RecordCount++;
    }

    /// <summary>
    /// Completes the batch: compresses the records if asked, fills the header and the CRC-32C. The returned
    /// memory is the batch inside the caller's buffer: base offset 0 and partition leader epoch -1, which the
    /// leader stamps on append.
    /// </summary>
    public ReadOnlyMemory<byte> Build()
    {
        ThrowIfBuilt();
        if (RecordCount == 0)
        {
            throw new InvalidOperationException("a RecordBatch holds at least one record; append one before Build");
        }
        _built = true;
        if (_uncompressed is not null)
        {
            CompressionCodecs.Compress(_compression, _uncompressed.WrittenSpan, _buffer);
        }

        // The builder wrote these bytes itself, so writing the header through the read-only view is safe.
        var batch = MemoryMarshal.AsMemory(_buffer.WrittenMemory[_start..]);
        WriteHeader(batch.Span);
        return batch;
    }

    private void ReserveHeader()
    {
        _start = _buffer.WrittenCount;
        _buffer.GetSpan(HeaderSize);
        _buffer.Advance(HeaderSize);
    }

    private void WriteHeader(Span<byte> batch)
    {
        RecordBatchHeader.StampLeaderFields(batch, 0, NoPartitionLeaderEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[BatchLengthOffset..], batch.Length - LogOverhead);
        batch[MagicOffset] = CurrentMagic;
        var attributes = (int)_compression | (_isTransactional ? TransactionalFlag : 0);
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], (short)attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[LastOffsetDeltaOffset..], RecordCount - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseTimestampOffset..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], _maxTimestamp);
        RecordBatchHeader.WriteProducerFields(batch, Producer);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordCountOffset..], RecordCount);
        // Last: the CRC covers every field from the attributes on.
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], RecordBatchHeader.ComputeCrc(batch));
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("the batch is already built; use a new builder for the next batch");
        }
    }

    private static int SizeOfBytes(byte[]? bytes) =>
        bytes is null ? Varint.SizeOf(-1) : Varint.SizeOf(bytes.Length) + bytes.Length;

    private static int SizeOfHeaders(IReadOnlyList<RecordHeader> headers)
    {
        // Indexing rather than foreach: enumerating an IReadOnlyList allocates an enumerator per record.
        var size = Varint.SizeOf(headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            ArgumentNullException.ThrowIfNull(header);
            ArgumentNullException.ThrowIfNull(header.Key);
            var keyLength = Encoding.UTF8.GetByteCount(header.Key);
            size += Varint.SizeOf(keyLength) + keyLength + SizeOfBytes(header.Value);
        }
        return size;
    }

    private static int WriteBytes(Span<byte> destination, byte[]? bytes)
    {
        if (bytes is null)
        {
            return Varint.Write(destination, -1);
        }
        var prefix = Varint.Write(destination, bytes.Length);
        bytes.CopyTo(destination[prefix..]);
        return prefix + bytes.Length;
    }
}
