using System.Buffers.Binary;
using LogCluster.Protocol.Compression;
using static LogCluster.Protocol.Records.RecordBatchLayout;

namespace LogCluster.Protocol.Records;

/// <summary>The 61-byte header of one RecordBatch v2, decoded. Reading it never touches the records.</summary>
public readonly record struct RecordBatchHeader(
    long BaseOffset,
    int BatchLength,
    int PartitionLeaderEpoch,
    byte Magic,
    uint Crc,
    short Attributes,
    int LastOffsetDelta,
    long BaseTimestamp,
    long MaxTimestamp,
    long ProducerId,
    short ProducerEpoch,
    int BaseSequence,
    int RecordCount)
{
    /// <summary>Bytes of the whole batch on the wire and on disk.</summary>
    public int TotalSize => BatchLength + LogOverhead;

    public long LastOffset => BaseOffset + LastOffsetDelta;

    public long NextOffset => LastOffset + 1;

    public CompressionType Compression => (CompressionType)(Attributes & CompressionCodecMask);

    public bool IsTransactional => (Attributes & TransactionalFlag) != 0;

    public bool IsControl => (Attributes & ControlFlag) != 0;

    public BatchProducer Producer => new(ProducerId, ProducerEpoch, BaseSequence);

    /// <summary>Decodes the header; <paramref name="batch"/> must hold at least <see cref="HeaderSize"/> bytes.</summary>
    public static RecordBatchHeader Read(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize)
        {
            throw new ArgumentException($"a RecordBatch header needs {HeaderSize} bytes, got {batch.Length}", nameof(batch));
        }
        return new RecordBatchHeader(
            BinaryPrimitives.ReadInt64BigEndian(batch[BaseOffsetOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[PartitionLeaderEpochOffset..]),
            batch[MagicOffset],
            BinaryPrimitives.ReadUInt32BigEndian(batch[CrcOffset..]),
            BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[LastOffsetDeltaOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[BaseTimestampOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[ProducerIdOffset..]),
            BinaryPrimitives.ReadInt16BigEndian(batch[ProducerEpochOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[BaseSequenceOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[RecordCountOffset..]));
    }

    /// <summary>CRC-32C of the checksummed part of <paramref name="batch"/> (attributes to end).</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Crc32C.Compute(batch[AttributesOffset..]);

    /// <summary>
    /// Gives a built batch other producer fields and a new CRC: an idempotent producer that had to start a new
    /// epoch sends batches the node refused again under new sequence numbers.
    /// </summary>
    public static void RestampProducer(Span<byte> batch, BatchProducer producer)
    {
        WriteProducerFields(batch, producer);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], ComputeCrc(batch));
    }

    internal static void WriteProducerFields(Span<byte> batch, BatchProducer producer)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch[ProducerIdOffset..], producer.ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[ProducerEpochOffset..], producer.ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[BaseSequenceOffset..], producer.BaseSequence);
    }

    /// <summary>
    /// Overwrites the two leader-owned fields outside the CRC. Only the first
    /// <see cref="PartitionLeaderEpochOffset"/> + 4 bytes are touched.
    /// </summary>
    public static void StampLeaderFields(Span<byte> batchPrefix, long baseOffset, int partitionLeaderEpoch)
    {
        BinaryPrimitives.WriteInt64BigEndian(batchPrefix[BaseOffsetOffset..], baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batchPrefix[PartitionLeaderEpochOffset..], partitionLeaderEpoch);
    }
}
