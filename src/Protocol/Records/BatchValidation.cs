using LogCluster.Protocol.V1;
using static LogCluster.Protocol.Records.RecordBatchLayout;

namespace LogCluster.Protocol.Records;

/// <summary>The outcome of checking one batch: <see cref="ErrorCode.None"/> or the code and a reason.</summary>
public readonly record struct BatchValidationResult(ErrorCode Error, string Message, RecordBatchHeader Header)
{
    public bool IsValid => Error == ErrorCode.None;
}

/// <summary>
/// Structural checks of a single RecordBatch v2 as it arrives from a producer or is read back in recovery:
/// lengths, magic, CRC-32C and, for uncompressed batches, that the records' own length prefixes add up to
/// exactly <see cref="RecordBatchHeader.RecordCount"/> records. Compressed records are not inflated here
/// (the node never decodes records on the hot path); their count is checked against lastOffsetDelta only.
/// </summary>
public static class BatchValidation
{
    public static BatchValidationResult Validate(ReadOnlySpan<byte> batch, int maxBatchBytes = int.MaxValue)
    {
        if (batch.Length < HeaderSize)
        {
            return Fail(ErrorCode.InvalidRecord, $"batch is {batch.Length} bytes, shorter than the {HeaderSize}-byte header", default);
        }
        var header = RecordBatchHeader.Read(batch);
        if (header.Magic != CurrentMagic)
        {
            return Fail(ErrorCode.UnsupportedForMessageFormat, $"magic is {header.Magic}; only RecordBatch v2 (magic 2) is accepted", header);
        }
        if (header.BatchLength < HeaderSize - LogOverhead || (long)header.BatchLength + LogOverhead != batch.Length)
        {
            return Fail(ErrorCode.InvalidRecord, $"batchLength {header.BatchLength} does not match the {batch.Length} bytes received (expected length + 12)", header);
        }
        if (batch.Length > maxBatchBytes)
        {
            return Fail(ErrorCode.MessageTooLarge, $"batch is {batch.Length} bytes; max.message.bytes is {maxBatchBytes}", header);
        }
        var crc = RecordBatchHeader.ComputeCrc(batch);
        if (crc != header.Crc)
        {
            return Fail(ErrorCode.CorruptMessage, $"CRC-32C mismatch: header says 0x{header.Crc:X8}, bytes give 0x{crc:X8}", header);
        }
        if (header.RecordCount <= 0 || header.LastOffsetDelta != header.RecordCount - 1)
        {
            return Fail(ErrorCode.InvalidRecord, $"recordCount {header.RecordCount} and lastOffsetDelta {header.LastOffsetDelta} disagree (expected count - 1, count >= 1)", header);
        }
        if (header.Compression == Compression.CompressionType.None)
        {
            var counted = CountRecords(batch[HeaderSize..]);
            if (counted != header.RecordCount)
            {
                return Fail(ErrorCode.InvalidRecord, counted < 0
                    ? "record length prefixes do not tile the batch's records exactly"
                    : $"recordCount says {header.RecordCount} but the batch holds {counted} records", header);
            }
        }
        else if ((int)header.Compression > (int)Compression.CompressionType.Zstd)
        {
            return Fail(ErrorCode.InvalidRecord, $"unknown compression codec {(int)header.Compression}", header);
        }
        return new BatchValidationResult(ErrorCode.None, string.Empty, header);
    }

    /// <summary>Counts records by their length prefixes; -1 when the prefixes do not tile the span exactly.</summary>
    private static int CountRecords(ReadOnlySpan<byte> records)
    {
        var count = 0;
        while (!records.IsEmpty)
        {
            int length;
            int prefix;
            try
            {
                length = Varint.ReadInt32(records, out prefix);
            }
            catch (InvalidDataException)
            {
                return -1;
            }
            if (length <= 0 || (long)prefix + length > records.Length)
            {
                return -1;
            }
            records = records[(prefix + length)..];
            count++;
        }
        return count;
    }

    private static BatchValidationResult Fail(ErrorCode error, string message, RecordBatchHeader header) =>
        new(error, message, header);
}
