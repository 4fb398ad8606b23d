using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using LogCluster.Protocol.Compression;
using LogCluster.Protocol.V1;
using static LogCluster.Protocol.Records.RecordBatchLayout;

namespace LogCluster.Protocol.Records;

/// <summary>Decodes RecordBatch v2 bytes back into records, as a consumer does with a Fetch response.</summary>
public static class RecordBatchReader
{
    /// <summary>
    /// Validates one whole batch (length, magic, CRC-32C), inflates its records if compressed and decodes them.
    /// Throws <see cref="CorruptBatchException"/> with the validation's error code, or with
    /// <see cref="ErrorCode.InvalidRecord"/> when the CRC matched but the records do not decode: the bytes are
    /// what the producer sent, so resending them cannot help.
    /// </summary>
    public static IReadOnlyList<Record> ReadRecords(ReadOnlySpan<byte> batch)
    {
        var validation = BatchValidation.Validate(batch);
        if (!validation.IsValid)
        {
            throw new CorruptBatchException(validation.Error, validation.Message);
        }
        var header = validation.Header;
        var records = batch[HeaderSize..];
        if (header.Compression != CompressionType.None)
        {
            var inflated = new ArrayBufferWriter<byte>();
            try
            {
                CompressionCodecs.Decompress(header.Compression, records, inflated);
            }
            catch (InvalidDataException e)
            {
                throw new CorruptBatchException(ErrorCode.InvalidRecord, $"{header.Compression} records do not decompress: {e.Message}", e);
            }
            records = inflated.WrittenSpan;
        }
        try
        {
            return Decode(header, records);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptBatchException(ErrorCode.InvalidRecord, $"batch at base offset {header.BaseOffset}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Yields each whole batch of a concatenation (a Fetch response's records) by its batchLength. A trailing
    /// partial batch ends the sequence silently: a fetch may cut the last batch at its max_bytes.
    /// </summary>
    public static IEnumerable<ReadOnlyMemory<byte>> SplitBatches(ReadOnlyMemory<byte> concatenated)
    {
        var position = 0;
        while (concatenated.Length - position >= LogOverhead)
        {
            var batchLength = BinaryPrimitives.ReadInt32BigEndian(concatenated.Span[(position + BatchLengthOffset)..]);
            if (batchLength < HeaderSize - LogOverhead)
            {
                // No batch is this short, and without a valid length the next batch cannot be found.
                throw new CorruptBatchException(ErrorCode.CorruptMessage,
                    $"batch at byte {position} has batchLength {batchLength}, below the minimum {HeaderSize - LogOverhead}");
            }
            var total = (long)batchLength + LogOverhead;
            if (total > concatenated.Length - position)
            {
                yield break;
            }
            yield return concatenated.Slice(position, (int)total);
            position += (int)total;
        }
    }

    private static List<Record> Decode(RecordBatchHeader header, ReadOnlySpan<byte> records)
    {
        // Each record takes at least one byte, which bounds the capacity whatever recordCount claims.
        var result = new List<Record>(Math.Min(header.RecordCount, records.Length));
        var reader = new SpanReader(records);
        while (!reader.IsEmpty)
        {
            var length = reader.ReadVarint();
            if (length <= 0)
            {
                throw new InvalidDataException($"record {result.Count} has length {length}");
            }
            result.Add(DecodeRecord(header, new SpanReader(reader.ReadSpan(length))));
        }
        if (result.Count != header.RecordCount)
        {
            throw new InvalidDataException($"recordCount says {header.RecordCount} but the records decode to {result.Count}");
        }
        return result;
    }

    private static Record DecodeRecord(RecordBatchHeader header, SpanReader body)
    {
        body.ReadSpan(1); // record attributes: unused in v2
        var timestamp = header.BaseTimestamp + body.ReadVarlong();
        var offset = header.BaseOffset + body.ReadVarint();
        var key = body.ReadNullableBytes();
        var value = body.ReadNullableBytes();
        var headerCount = body.ReadVarint();
        // A header takes at least two bytes; checking first keeps a forged count from sizing a huge array.
        if (headerCount < 0 || headerCount > body.Remaining / 2)
        {
            throw new InvalidDataException($"record at offset {offset} claims {headerCount} headers in {body.Remaining} bytes");
        }
        RecordHeader[] headers = headerCount == 0 ? [] : new RecordHeader[headerCount];
        for (var i = 0; i < headers.Length; i++)
        {
            var headerKey = body.ReadNullableBytes()
                ?? throw new InvalidDataException($"record at offset {offset} has a header with a null key");
            headers[i] = new RecordHeader(Encoding.UTF8.GetString(headerKey), body.ReadNullableBytes());
        }
        if (!body.IsEmpty)
        {
            throw new InvalidDataException($"record at offset {offset} has {body.Remaining} bytes left after its headers");
        }
        return new Record(offset, timestamp, key, value, headers);
    }

    /// <summary>A forward cursor over record bytes that throws <see cref="InvalidDataException"/> on overrun.</summary>
    private ref struct SpanReader
    {
        private ReadOnlySpan<byte> _rest;

        public SpanReader(ReadOnlySpan<byte> bytes)
        {
            _rest = bytes;
        }

        public readonly bool IsEmpty => _rest.IsEmpty;

        public readonly int Remaining => _rest.Length;

        public int ReadVarint()
        {
            var value = Varint.ReadInt32(_rest, out var read);
            _rest = _rest[read..];
            return value;
        }

        public long ReadVarlong()
        {
            var value = Varint.ReadInt64(_rest, out var read);
            _rest = _rest[read..];
            return value;
        }

        public ReadOnlySpan<byte> ReadSpan(int length)
        {
            if (length > _rest.Length)
            {
                throw new InvalidDataException($"a field of {length} bytes runs past the {_rest.Length} bytes left");
            }
            var span = _rest[..length];
            _rest = _rest[length..];
            return span;
        }

        public byte[]? ReadNullableBytes()
        {
            var length = ReadVarint();
            if (length < -1)
            {
                throw new InvalidDataException($"length {length} is neither -1 (null) nor a size");
            }
            return length == -1 ? null : ReadSpan(length).ToArray();
        }
    }
}
